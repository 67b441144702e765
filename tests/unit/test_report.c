// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the journal read back (user/report.c): each event's line,
 * and the incident report over a made-up incident, without a daemon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "journal.h"
#include "report.h"

#define T0	1764640800	/* 2025-12-02T02:00:00Z */

static json_t *event(time_t t, const char *json)
{
	json_t *ev = json_loads(json, 0, NULL);
	char ts[32];

	assert_non_null(ev);
	xlb_time_format(t, ts, sizeof(ts));
	json_object_set_new(ev, "time", json_string(ts));
	return ev;
}

static void line_is(const char *json, const char *want)
{
	json_t *ev = event(T0, json);
	char buf[512];

	xlb_event_line(ev, buf, sizeof(buf));
	assert_string_equal(buf, want);
	json_decref(ev);
}

static void test_event_lines(void **state)
{
	(void)state;
	line_is("{\"type\": \"skew_raised\", \"vip\": \"web\", \"backend\": \"198.18.1.11\","
		" \"cause\": \"configuration\", \"message\": \"weight 10 against 1\"}",
		"SKEW raised on VIP web, backend 198.18.1.11 (configuration): weight 10 against 1");
	line_is("{\"type\": \"health\", \"vip\": \"web\", \"backend\": \"198.18.1.12\","
		" \"state\": \"down\", \"reason\": \"connection refused\", \"probe\": \"tcp\"}",
		"backend 198.18.1.12 of VIP web is down: connection refused (tcp probe)");
	line_is("{\"type\": \"config_applied\", \"uid\": 1000,"
		" \"changes\": [\"VIP web: weight of 198.18.1.11 1 -> 10\", \"VIP dns added\"]}",
		"config applied by uid 1000: VIP web: weight of 198.18.1.11 1 -> 10; VIP dns added");
	line_is("{\"type\": \"config_applied\", \"changes\": []}", "config applied: no change");
	line_is("{\"type\": \"config_refused\", \"file\": \"/etc/xlb/xlb.yaml\","
		" \"errors\": [\"3:5: unknown key 'wieght'\"]}",
		"config /etc/xlb/xlb.yaml refused, the running one stays: 3:5: unknown key 'wieght'");
	line_is("{\"type\": \"interface\", \"interface\": \"eth0\", \"state\": \"lost\"}",
		"interface eth0 is gone: xlb is not attached, its traffic is not balanced");
	line_is("{\"type\": \"interface\", \"interface\": \"eth0\", \"state\": \"attached\"}",
		"interface eth0 is back: xlb is attached again, flows kept");
	/* One the reader does not know is named, not dropped. */
	line_is("{\"type\": \"from_a_newer_xlbd\"}", "from_a_newer_xlbd");
	/* Fields of the wrong type read as empty, never as garbage. */
	line_is("{\"type\": \"health\", \"vip\": 7, \"backend\": null}",
		"backend  of VIP  is :  ( probe)");
}

/* A line longer than the buffer is cut, terminated, and nothing past it written. */
static void test_event_line_cut_to_buffer(void **state)
{
	json_t *ev = event(T0, "{\"type\": \"config_applied\", \"changes\": []}");
	json_t *changes = json_object_get(ev, "changes");
	char buf[72 + 8];

	(void)state;
	for (int i = 0; i < 50; i++)
		json_array_append_new(changes, json_string("VIP web: weight of 198.18.1.11 1 -> 10"));
	memset(buf, 'X', sizeof(buf));
	xlb_event_line(ev, buf, 72);
	assert_int_equal(strlen(buf), 71);
	for (size_t i = 72; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');
	json_decref(ev);
}

static json_t *sample(time_t t, int a, int b)
{
	char json[256];

	snprintf(json, sizeof(json),
		 "{\"type\": \"sample\", \"vips\": [{\"vip\": \"web\", \"backends\": ["
		 "{\"backend\": \"198.18.1.11\", \"new_flows\": %d},"
		 "{\"backend\": \"198.18.1.12\", \"new_flows\": %d}]}]}", a, b);
	return event(t, json);
}

/*
 * The incident the report exists for: a weight typo, skew raised on it,
 * then fixed. Duration, impact, cause, the change before it, the shares
 * before, during and after, and the measures for that cause.
 */
static void test_report_on_a_weight_typo(void **state)
{
	json_t *evs = json_array();
	char *r;
	size_t len;

	(void)state;
	json_array_append_new(evs, sample(T0, 0, 0));
	json_array_append_new(evs, sample(T0 + 60, 500, 500));
	json_array_append_new(evs, event(T0 + 70, "{\"type\": \"cli\", \"command\": \"set\","
		" \"uid\": 1000, \"change\": \"VIP web backend 198.18.1.11 weight 1 -> 10\"}"));
	json_array_append_new(evs, event(T0 + 75, "{\"type\": \"skew_raised\", \"vip\": \"web\","
		" \"backend\": \"198.18.1.11\", \"cause\": \"configuration\","
		" \"message\": \"198.18.1.11 has weight 10, its peers 1\","
		" \"observed_share\": 0.9, \"expected_share\": 0.9, \"peer_share\": 0.5}"));
	json_array_append_new(evs, sample(T0 + 120, 1400, 600));
	json_array_append_new(evs, event(T0 + 130, "{\"type\": \"diagnosis_raised\","
		" \"vip\": \"web\", \"kind\": \"overload\", \"message\": \"198.18.1.11 slowed at 90%\"}"));
	json_array_append_new(evs, event(T0 + 195, "{\"type\": \"skew_cleared\", \"vip\": \"web\","
		" \"backend\": \"198.18.1.11\", \"observed_share\": 0.5, \"expected_share\": 0.5}"));
	json_array_append_new(evs, sample(T0 + 240, 1900, 1100));

	r = xlb_incident_report(evs, T0, T0 + 300, 60000, &len);
	assert_non_null(r);
	assert_int_equal(strlen(r), len);
	assert_non_null(strstr(r, "# Incident report: xlb, 2025-12-02T02:00:00Z to 2025-12-02T02:05:00Z"));
	assert_non_null(strstr(r, "(120 s)."));		/* raised +75, cleared +195 */
	assert_non_null(strstr(r, "about 40.0% of VIP web's new flows went to backend 198.18.1.11"));
	assert_non_null(strstr(r, "**Root cause (likely):** configuration."));
	assert_non_null(strstr(r, "**Yes.** The balancer overloaded a backend"));
	assert_non_null(strstr(r, "The last change before it: 2025-12-02T02:01:10Z xlbctl set by uid 1000"));
	/* Before: 500 of 1000 each; during the skew: 900 of 1000; after: 500 of 1000. */
	assert_non_null(strstr(r, "| web 198.18.1.11 | 50.0% (500) | 90.0% (900) | 50.0% (500) |"));
	assert_non_null(strstr(r, "| web 198.18.1.12 | 50.0% (500) | 10.0% (100) | 50.0% (500) |"));
	assert_non_null(strstr(r, "Correct the weight in the config"));
	assert_null(strstr(r, "not over"));
	free(r);
	json_decref(evs);
}

/* Raised and never cleared: the report says it is not over, up to 'until'. */
static void test_report_ongoing(void **state)
{
	json_t *evs = json_array();
	char *r;
	size_t len;

	(void)state;
	json_array_append_new(evs, event(T0 + 10, "{\"type\": \"health\", \"vip\": \"web\","
		" \"backend\": \"198.18.1.12\", \"state\": \"down\", \"reason\": \"timeout\","
		" \"probe\": \"http\"}"));
	r = xlb_incident_report(evs, T0, T0 + 100, 60000, &len);
	assert_non_null(strstr(r, "(90 s), not over: no recovery recorded since."));
	assert_non_null(strstr(r, "a backend failure or a refused config"));
	assert_non_null(strstr(r, "Not enough samples in the journal"));
	assert_non_null(strstr(r, "No verdict was raised"));
	free(r);
	json_decref(evs);
}

/* Flapping: up by its probes while still held out is no recovery; let
 * back ("steady") is. */
static void test_report_held_out_not_over(void **state)
{
	json_t *evs = json_array();
	char *r;
	size_t len;

	(void)state;
	json_array_append_new(evs, event(T0 + 10, "{\"type\": \"health\", \"vip\": \"web\","
		" \"backend\": \"198.18.1.12\", \"state\": \"down\", \"reason\": \"refused\","
		" \"probe\": \"http\"}"));
	json_array_append_new(evs, event(T0 + 12, "{\"type\": \"health\", \"vip\": \"web\","
		" \"backend\": \"198.18.1.12\", \"state\": \"flapping\", \"reason\": \"5 health"
		" changes in 30 s (more than 4); down now: let back once up for 8 s with no health change\","
		" \"probe\": \"http\"}"));
	json_array_append_new(evs, event(T0 + 20, "{\"type\": \"health\", \"vip\": \"web\","
		" \"backend\": \"198.18.1.12\", \"state\": \"up\", \"reason\": \"still held out"
		" as flapping: let back in 8 s if it stays up\", \"probe\": \"http\", \"held_out\": true}"));
	r = xlb_incident_report(evs, T0, T0 + 25, 60000, &len);
	assert_non_null(strstr(r, "(15 s), not over: no recovery recorded since."));
	free(r);
	/* An older journal: the reason alone says it. */
	json_object_del(json_array_get(evs, 2), "held_out");
	r = xlb_incident_report(evs, T0, T0 + 25, 60000, &len);
	assert_non_null(strstr(r, "(15 s), not over: no recovery recorded since."));
	free(r);
	json_array_append_new(evs, event(T0 + 28, "{\"type\": \"health\", \"vip\": \"web\","
		" \"backend\": \"198.18.1.12\", \"state\": \"steady\", \"reason\": \"up, health"
		" unchanged for 8 s (flap_hold 8 s): let back\", \"probe\": \"http\"}"));
	r = xlb_incident_report(evs, T0, T0 + 30, 60000, &len);
	assert_non_null(strstr(r, "to 2025-12-02T02:00:28Z (18 s)."));
	free(r);
	json_decref(evs);
}

static void test_report_quiet_period(void **state)
{
	json_t *evs = json_array();
	char *r;
	size_t len;

	(void)state;
	json_array_append_new(evs, event(T0 + 5, "{\"type\": \"daemon_start\", \"changes\": []}"));
	r = xlb_incident_report(evs, T0, T0 + 60, 60000, &len);
	assert_non_null(strstr(r, "No skew, backend failure or refused config was recorded"));
	assert_non_null(strstr(r, "xlbd started, serving: no change"));
	free(r);
	json_decref(evs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_lines),
		cmocka_unit_test(test_event_line_cut_to_buffer),
		cmocka_unit_test(test_report_on_a_weight_typo),
		cmocka_unit_test(test_report_ongoing),
		cmocka_unit_test(test_report_held_out_not_over),
		cmocka_unit_test(test_report_quiet_period),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
