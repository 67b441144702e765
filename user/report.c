// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl events and xlbctl report: the journal read back, by xlbctl
 * itself (never on xlbd's loop, however large the journal). The report is a
 * Markdown incident report in the familiar postmortem shape: summary with
 * duration and the share of traffic affected, timeline, likely root cause
 * from the journal and the skew analysis, per-backend share before, during
 * and after, and measures that fit the cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "xlb_shared.h"
#include "report.h"

static const char *S(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static double F(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* One line per event, as the timeline and `xlbctl events` show it. */
void xlb_event_line(json_t *ev, char *buf, size_t len)
{
	const char *type = S(ev, "type");
	json_t *list;
	size_t i, n;
	char uid[32] = "";

	if (json_object_get(ev, "uid"))
		snprintf(uid, sizeof(uid), " by uid %lld",
			 (long long)json_integer_value(json_object_get(ev, "uid")));
	if (!strcmp(type, "skew_raised")) {
		snprintf(buf, len, "SKEW raised on VIP %s, backend %s (%s): %s", S(ev, "vip"),
			 S(ev, "backend"), S(ev, "cause"), S(ev, "message"));
	} else if (!strcmp(type, "skew_cleared")) {
		snprintf(buf, len, "skew cleared on VIP %s, backend %s: %.1f%% of new flows, weight gives %.1f%%",
			 S(ev, "vip"), S(ev, "backend"), 100 * F(ev, "observed_share"),
			 100 * F(ev, "expected_share"));
	} else if (!strcmp(type, "diagnosis_raised")) {
		snprintf(buf, len, "DIAGNOSIS on VIP %s: %s", S(ev, "vip"), S(ev, "message"));
	} else if (!strcmp(type, "diagnosis_cleared")) {
		snprintf(buf, len, "diagnosis cleared on VIP %s: %s", S(ev, "vip"), S(ev, "message"));
	} else if (!strcmp(type, "rolled_back") || !strcmp(type, "rollback_failed")) {
		snprintf(buf, len, "%s change #%lld (%s) on VIP %s: %s",
			 !strcmp(type, "rolled_back") ? "ROLLED BACK" : "COULD NOT ROLL BACK",
			 (long long)json_integer_value(json_object_get(ev, "change_id")), S(ev, "change"),
			 S(ev, "vip"), S(ev, "evidence"));
	} else if (!strcmp(type, "guard_passed") || !strcmp(type, "guard_ended") ||
		   !strcmp(type, "guard_resumed")) {
		snprintf(buf, len, "change #%lld (%s) %s",
			 (long long)json_integer_value(json_object_get(ev, "change_id")), S(ev, "change"),
			 S(ev, "evidence"));
	} else if (!strcmp(type, "slow_start")) {
		snprintf(buf, len, !strcmp(S(ev, "state"), "started") ?
			 "backend %s of VIP %s takes new flows again: slow start from weight %lld of %lld over %lld s" :
			 "backend %s of VIP %s: slow start done, weight %lld of %lld (%lld s)",
			 S(ev, "backend"), S(ev, "vip"),
			 (long long)json_integer_value(json_object_get(ev, "weight")),
			 (long long)json_integer_value(json_object_get(ev, "config_weight")),
			 (long long)json_integer_value(json_object_get(ev, "duration_s")));
	} else if (!strcmp(type, "health")) {
		snprintf(buf, len, "backend %s of VIP %s is %s: %s (%s probe)", S(ev, "backend"),
			 S(ev, "vip"), S(ev, "state"), S(ev, "reason"), S(ev, "probe"));
	} else if (!strcmp(type, "cli")) {
		snprintf(buf, len, "xlbctl %s%s: %s", S(ev, "command"), uid, S(ev, "change"));
	} else if (!strcmp(type, "config_applied") || !strcmp(type, "daemon_start")) {
		list = json_object_get(ev, "changes");
		n = snprintf(buf, len, "%s%s%s: ", !strcmp(type, "daemon_start") ? "xlbd started, serving" :
			     "config applied", uid,
			     json_is_true(json_object_get(ev, "adopted")) ? " (adopted the running data path)" : "");
		if (!json_array_size(list))
			snprintf(buf + n, n < len ? len - n : 0, "no change");
		for (i = 0; i < json_array_size(list) && n < len; i++)
			n += snprintf(buf + n, len - n, "%s%s", i ? "; " : "",
				      json_string_value(json_array_get(list, i)));
	} else if (!strcmp(type, "config_refused")) {
		list = json_object_get(ev, "errors");
		n = snprintf(buf, len, "config %s refused, the running one stays: ", S(ev, "file"));
		for (i = 0; i < json_array_size(list) && n < len; i++)
			n += snprintf(buf + n, len - n, "%s%s", i ? "; " : "",
				      json_string_value(json_array_get(list, i)));
	} else if (!strcmp(type, "interface")) {
		snprintf(buf, len, !strcmp(S(ev, "state"), "lost") ?
			 "interface %s is gone: xlb is not attached, its traffic is not balanced" :
			 "interface %s is back: xlb is attached again, flows kept", S(ev, "interface"));
	} else if (!strcmp(type, "daemon_stop")) {
		snprintf(buf, len, "xlbd stopped: %s", S(ev, "reason"));
	} else {
		snprintf(buf, len, "%s", type);
	}
}

static time_t event_time(json_t *ev)
{
	time_t t = 0;

	xlb_time_parse(S(ev, "time"), 0, &t);
	return t;
}

static bool is_problem(const char *type, json_t *ev)
{
	return !strcmp(type, "skew_raised") || !strcmp(type, "config_refused") ||
	       !strcmp(type, "diagnosis_raised") ||
	       (!strcmp(type, "interface") && !strcmp(S(ev, "state"), "lost")) ||
	       (!strcmp(type, "health") && (!strcmp(S(ev, "state"), "down") ||
					     !strcmp(S(ev, "state"), "flapping")));
}

/* Up by its probes but still held out as flapping: out of the table yet
 * (xlbd says so with held_out; older journals only in the reason). */
static bool still_held_out(json_t *ev)
{
	return json_is_true(json_object_get(ev, "held_out")) ||
	       !strncmp(S(ev, "reason"), "still held out as flapping", 26);
}

static bool is_recovery(const char *type, json_t *ev)
{
	return !strcmp(type, "skew_cleared") || !strcmp(type, "diagnosis_cleared") ||
	       !strcmp(type, "rolled_back") ||
	       (!strcmp(type, "interface") && !strcmp(S(ev, "state"), "attached")) ||
	       (!strcmp(type, "health") && ((!strcmp(S(ev, "state"), "up") && !still_held_out(ev)) ||
					     !strcmp(S(ev, "state"), "steady")));
}

/* New flows per backend of each VIP between two samples (cumulative counters). */
static void shares_between(json_t *from, json_t *to, const char *label, json_t *cols)
{
	json_t *vips_to = json_object_get(to, "vips"), *v, *b;
	size_t i, j, k;

	json_array_foreach(vips_to, i, v) {
		json_t *vf = NULL, *vv;
		double total = 0;

		json_array_foreach(json_object_get(from, "vips"), k, vv)
			if (!strcmp(S(vv, "vip"), S(v, "vip")))
				vf = vv;
		json_array_foreach(json_object_get(v, "backends"), j, b) {
			json_t *bf = vf ? json_array_get(json_object_get(vf, "backends"), j) : NULL;

			total += F(b, "new_flows") - (bf ? F(bf, "new_flows") : 0);
		}
		json_array_foreach(json_object_get(v, "backends"), j, b) {
			json_t *bf = vf ? json_array_get(json_object_get(vf, "backends"), j) : NULL;
			double n = F(b, "new_flows") - (bf ? F(bf, "new_flows") : 0);
			char key[160];
			json_t *row;

			snprintf(key, sizeof(key), "%s %s", S(v, "vip"), S(b, "backend"));
			row = json_object_get(cols, key);
			if (!row) {
				row = json_object();
				json_object_set_new(cols, key, row);
			}
			json_object_set_new(row, label, total > 0 ?
					    json_sprintf("%.1f%% (%.0f)", 100 * n / total, n) :
					    json_string("-"));
		}
	}
}

static void share_table(FILE *f, json_t *samples, time_t start, time_t end,
			__u32 interval_ms)
{
	static const char *const periods[] = { "before", "during", "after" };
	json_t *b[4], *s, *cols = json_object(), *row;
	const char *key;
	size_t i;
	int p;

	/* before: first sample .. last at start; during: .. last at end; after: .. last. */
	b[0] = b[1] = b[2] = json_array_get(samples, 0);
	b[3] = json_array_get(samples, json_array_size(samples) - 1);
	json_array_foreach(samples, i, s) {
		if (event_time(s) <= start)
			b[1] = s;
		if (event_time(s) <= end)
			b[2] = s;
	}
	for (p = 0; p < 3; p++)
		if (b[p] != b[p + 1])
			shares_between(b[p], b[p + 1], periods[p], cols);
	fprintf(f, "| VIP, backend | before | during | after |\n|---|---|---|---|\n");
	json_object_foreach(cols, key, row) {
		fprintf(f, "| %s |", key);
		for (p = 0; p < 3; p++) {
			json_t *c = json_object_get(row, periods[p]);

			fprintf(f, " %s |", c ? json_string_value(c) : "-");
		}
		fprintf(f, "\n");
	}
	json_decref(cols);
	fprintf(f, "\nShares of each VIP's new flows between the journal's samples (every %u s), "
		"new flows in brackets.\n", interval_ms / 1000);
}

static const char *measures(const char *cause)
{
	if (!strcmp(cause, "configuration"))
		return "- Correct the weight in the config; run `xlbctl check` and `xlbctl diff FILE` before every reload, and treat its warnings (a weight far above the median, one backend taking most of a VIP) as errors in review.\n"
		       "- Alert on `xlb_backend_skew` (tools/monitoring/alerts.yml) so the next one pages within seconds.\n";
	if (!strcmp(cause, "data path"))
		return "- The programmed table does not match the config: compare `xlbctl show` with `xlbctl diff`, check xlbd's log for failed map updates, and reload.\n"
		       "- Keep the `xlb_backend_table_share` vs `xlb_backend_expected_share` panel on the dashboard.\n";
	if (!strcmp(cause, "traffic concentration"))
		return "- The table follows the weights but traffic does not: look for a few heavy clients; if the VIP hashes without the source port, consider hashing it.\n"
		       "- Consider more backends or higher weights for the overloaded one while it lasts.\n";
	return "- Review the timeline above; no skew cause was recorded.\n";
}

/* The answer to the on-call engineer's first question, from the verdicts. */
static void balancer_section(FILE *f, json_t *events)
{
	static const struct { const char *kind, *answer; } answers[] = {
		{ "overload", "**Yes.** The balancer overloaded a backend: it sent it more than its fair share and it slowed down" },
		{ "shared", "**No.** Every backend slowed down together while the shares matched the weights: look at what they share (a database, a network)" },
		{ "sick", "**No.** One backend was slow or failing at a normal share: a problem of that host" },
	};
	json_t *ev;
	size_t i, k, verdicts = 0;

	fprintf(f, "\n## Was it the balancer?\n\n");
	for (k = 0; k < ARRAY_SIZE(answers); k++) {
		json_array_foreach(events, i, ev) {
			if (strcmp(S(ev, "type"), "diagnosis_raised") || strcmp(S(ev, "kind"), answers[k].kind))
				continue;
			verdicts++;
			fprintf(f, "- %s (VIP %s, %s).\n  %s\n", answers[k].answer, S(ev, "vip"),
				S(ev, "time"), S(ev, "message"));
			break;
		}
	}
	if (!verdicts)
		fprintf(f, "No verdict was raised in this period: probe latency and shares gave no sign of an overloaded, shared or sick backend (or too few probes to tell; see `xlbctl show`).\n");
}

char *xlb_incident_report(json_t *events, time_t since, time_t until, __u32 sample_interval_ms,
			  size_t *len)
{
	json_t *samples = json_array(), *ev, *first_skew = NULL, *cause_change = NULL;
	time_t start = 0, end = 0, last_problem = 0;
	char *buf = NULL, line[1024], ts[32], ts2[32];
	double excess = 0;
	bool ongoing;
	FILE *f = open_memstream(&buf, len);
	size_t i;

	if (!f) {
		json_decref(samples);
		return NULL;
	}
	json_array_foreach(events, i, ev) {
		const char *type = S(ev, "type");

		if (!strcmp(type, "sample")) {
			json_array_append(samples, ev);
			continue;
		}
		if (is_problem(type, ev)) {
			if (!start)
				start = event_time(ev);
			last_problem = event_time(ev);
		}
		if (is_recovery(type, ev))
			end = event_time(ev);
		if (!strcmp(type, "skew_raised") && !first_skew) {
			first_skew = ev;
			excess = F(ev, "observed_share") -
				 (!strcmp(S(ev, "cause"), "configuration") ? F(ev, "peer_share")
									  : F(ev, "expected_share"));
		}
		if (!first_skew && (!strcmp(type, "config_applied") || !strcmp(type, "cli")))
			cause_change = ev;
	}
	ongoing = start && end < last_problem;
	if (ongoing)
		end = until ? until : time(NULL);

	xlb_time_format(since, ts, sizeof(ts));
	xlb_time_format(until ? until : time(NULL), ts2, sizeof(ts2));
	fprintf(f, "# Incident report: xlb, %s to %s\n\n## Issue summary\n\n", ts, ts2);
	if (!start) {
		fprintf(f, "- No skew, backend failure or refused config was recorded in this period.\n");
	} else {
		xlb_time_format(start, ts, sizeof(ts));
		xlb_time_format(end, ts2, sizeof(ts2));
		fprintf(f, "- **Duration:** %s to %s (%lld s)%s.\n", ts, ts2, (long long)(end - start),
			ongoing ? ", not over: no recovery recorded since" : "");
		if (first_skew)
			fprintf(f, "- **Impact:** about %.1f%% of VIP %s's new flows went to backend %s beyond %s.\n",
				100 * (excess > 0 ? excess : 0), S(first_skew, "vip"), S(first_skew, "backend"),
				!strcmp(S(first_skew, "cause"), "configuration") ?
				"what its peers' weights would give it" : "its configured share");
		fprintf(f, "- **Root cause (likely):** %s.\n", first_skew ?
			S(first_skew, "cause") : "a backend failure or a refused config; see the timeline");
	}
	balancer_section(f, events);
	fprintf(f, "\n## Timeline (UTC)\n\n");
	json_array_foreach(events, i, ev) {
		if (!strcmp(S(ev, "type"), "sample"))
			continue;
		xlb_event_line(ev, line, sizeof(line));
		fprintf(f, "- %s %s\n", S(ev, "time"), line);
	}
	fprintf(f, "\n## Root cause and resolution\n\n");
	if (first_skew) {
		fprintf(f, "%s\n\n", S(first_skew, "message"));
		if (cause_change) {
			xlb_event_line(cause_change, line, sizeof(line));
			fprintf(f, "The last change before it: %s %s.\n\n", S(cause_change, "time"), line);
		}
	} else {
		fprintf(f, "No skew was raised in this period.\n\n");
	}
	fprintf(f, "## Per-backend share of new flows\n\n");
	if (json_array_size(samples) >= 2)
		share_table(f, samples, start ? start : since, start ? end : since,
			    sample_interval_ms);
	else
		fprintf(f, "Not enough samples in the journal for this period.\n");
	fprintf(f, "\n## Corrective and preventative measures\n\n%s",
		measures(first_skew ? S(first_skew, "cause") : ""));
	fclose(f);
	json_decref(samples);
	return buf;
}
