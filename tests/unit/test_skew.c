// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the skew detector, on simulated counts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "skew.h"

#define NR	3
#define RATE	200	/* new flows per second, one evaluation per second */

struct sim {
	struct xlb_skew_cfg cfg;
	struct xlb_skew_vip vip;
	struct xlb_skew_input in[NR];
	enum xlb_skew_event ev[NR];
	uint64_t rng;
	int raised[NR], cleared[NR];
};

static double uniform(struct sim *s)
{
	/* xorshift64*: deterministic, so the tests are too. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return ((s->rng * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static void sim_init(struct sim *s, const __u32 *weights, const double *table)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	xlb_skew_cfg_default(&s->cfg);
	assert_int_equal(xlb_skew_vip_init(&s->vip, NR), 0);
	s->rng = 0x9e3779b97f4a7c15ull;
	for (i = 0; i < NR; i++) {
		s->in[i].weight = weights[i];
		s->in[i].takes_new_flows = true;
		s->in[i].table_share = table[i];
	}
}

/* One second: `flows` new flows spread by `share`; returns events this second. */
static size_t sim_second(struct sim *s, const double *share, unsigned flows)
{
	size_t i, events;
	unsigned f;

	for (f = 0; f < flows; f++) {
		double u = uniform(s), acc = 0;

		for (i = 0; i < NR - 1 && u >= acc + share[i]; i++)
			acc += share[i];
		s->in[i].new_flows++;
		s->in[i].packets += 7;
	}
	events = xlb_skew_evaluate(&s->cfg, &s->vip, s->in, s->ev);
	for (i = 0; i < NR; i++) {
		s->raised[i] += s->ev[i] == XLB_SKEW_RAISED;
		s->cleared[i] += s->ev[i] == XLB_SKEW_CLEARED;
	}
	return events;
}

static const __u32 equal_w[NR] = { 1, 1, 1 };
static const double equal_t[NR] = { 1.0 / 3, 1.0 / 3, 1.0 / 3 };
static const double even[NR] = { 1.0 / 3, 1.0 / 3, 1.0 / 3 };

static void test_no_false_alarm_in_ten_minutes(void **state)
{
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, equal_w, equal_t);
	for (t = 0; t < 600; t++)
		sim_second(&s, even, RATE);
	assert_int_equal(s.raised[0] + s.raised[1] + s.raised[2], 0);
	xlb_skew_vip_free(&s.vip);
}

static void test_quiet_vip_never_fires(void **state)
{
	static const double all_to_one[NR] = { 1.0, 0, 0 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, equal_w, equal_t);
	/* 5 flows/s, all on one backend: skewed, but too few to say so. */
	for (t = 0; t < 600; t++)
		sim_second(&s, all_to_one, 5);
	assert_int_equal(s.raised[0], 0);
	xlb_skew_vip_free(&s.vip);
}

static void test_twice_its_share_caught_within_ten_seconds(void **state)
{
	static const double doubled[NR] = { 2.0 / 3, 1.0 / 6, 1.0 / 6 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, equal_w, equal_t);
	for (t = 0; t < 30; t++)
		sim_second(&s, even, RATE);
	assert_int_equal(s.raised[0], 0);
	for (t = 1; t <= 10 && !s.raised[0]; t++)
		sim_second(&s, doubled, RATE);
	print_message("      2x share caught after %d s at %d flows/s\n", t - 1, RATE);
	assert_int_equal(s.raised[0], 1);
	assert_true(t - 1 <= 10);
	/* The table matches the weights; the traffic does not. */
	assert_int_equal(s.vip.be[0].cause, XLB_SKEW_TRAFFIC);
	xlb_skew_vip_free(&s.vip);
}

static void test_configuration_cause(void **state)
{
	static const __u32 w[NR] = { 8, 1, 1 };
	static const double t8[NR] = { 0.8, 0.1, 0.1 };
	char msg[512];
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, w, t8);
	/* The data path does exactly what the config says: 80% to one backend. */
	for (t = 0; t < 10; t++)
		sim_second(&s, t8, RATE);
	assert_int_equal(s.raised[0], 1);
	assert_int_equal(s.vip.be[0].cause, XLB_SKEW_CONFIGURATION);
	assert_int_equal(s.raised[1] + s.raised[2], 0);
	xlb_skew_describe(&s.vip, 0, "web", "198.18.1.11", 8, 1, msg, sizeof(msg));
	assert_non_null(strstr(msg, "likely cause: configuration: its weight 8 is 8.0x the median weight 1"));
	xlb_skew_vip_free(&s.vip);
}

static void test_intended_unequal_weights_are_no_skew(void **state)
{
	static const __u32 w[NR] = { 2, 1, 1 };
	static const double t2[NR] = { 0.5, 0.25, 0.25 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, w, t2);
	for (t = 0; t < 600; t++)
		sim_second(&s, t2, RATE);
	assert_int_equal(s.raised[0] + s.raised[1] + s.raised[2], 0);
	xlb_skew_vip_free(&s.vip);
}

static void test_data_path_cause(void **state)
{
	static const double wrong_table[NR] = { 0.6, 0.2, 0.2 };
	struct sim s;
	int t;

	(void)state;
	/* Equal weights, but the programmed table (and so the traffic) is off. */
	sim_init(&s, equal_w, wrong_table);
	for (t = 0; t < 10; t++)
		sim_second(&s, wrong_table, RATE);
	assert_int_equal(s.raised[0], 1);
	assert_int_equal(s.vip.be[0].cause, XLB_SKEW_DATA_PATH);
	xlb_skew_vip_free(&s.vip);
}

/*
 * A table off its weights by rounding (a small table: 7 slots of 401 where
 * the weight gives 6.57) does not make one client's flows on that backend
 * the data path's doing: the share follows neither table nor weight.
 */
static void test_concentration_on_a_rounded_table_is_traffic(void **state)
{
	static const __u32 weights[NR] = { 1, 10, 10 };
	static const double table[NR] = { 7.0 / 401, 197.0 / 401, 197.0 / 401 };
	static const double one_client[NR] = { 0.9, 0.05, 0.05 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, weights, table);
	for (t = 0; t < 10; t++)
		sim_second(&s, one_client, RATE);
	assert_int_equal(s.raised[0], 1);
	assert_int_equal(s.vip.be[0].cause, XLB_SKEW_TRAFFIC);
	xlb_skew_vip_free(&s.vip);
}

static void test_traffic_cause_names_unhashed_source_port(void **state)
{
	static const double heavy[NR] = { 0.7, 0.15, 0.15 };
	char msg[512];
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, equal_w, equal_t);
	s.vip.hash_source_port = false;
	for (t = 0; t < 10; t++)
		sim_second(&s, heavy, RATE);
	assert_int_equal(s.vip.be[0].cause, XLB_SKEW_TRAFFIC);
	xlb_skew_describe(&s.vip, 0, "web", "198.18.1.11", 1, 1, msg, sizeof(msg));
	assert_non_null(strstr(msg, "leaves out the source port"));
	xlb_skew_vip_free(&s.vip);
}

static void test_hysteresis(void **state)
{
	static const double burst[NR] = { 1.0, 0, 0 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, equal_w, equal_t);
	for (t = 0; t < 10; t++)
		sim_second(&s, even, RATE);
	/* One noisy second does not raise... */
	sim_second(&s, burst, RATE);
	for (t = 0; t < 20; t++)
		sim_second(&s, even, RATE);
	assert_int_equal(s.raised[0], 0);
	/* ...a lasting skew does, and one clean second does not clear it. */
	for (t = 0; t < 10; t++)
		sim_second(&s, burst, RATE);
	assert_int_equal(s.raised[0], 1);
	for (t = 0; t < 4; t++)
		sim_second(&s, even, RATE);
	sim_second(&s, burst, RATE);
	assert_int_equal(s.cleared[0], 0);
	/* Lasting even traffic clears it, once. */
	for (t = 0; t < 30; t++)
		sim_second(&s, even, RATE);
	assert_int_equal(s.cleared[0], 1);
	assert_false(s.vip.be[0].raised);
	xlb_skew_vip_free(&s.vip);
}

static void test_silence_neither_raises_nor_clears(void **state)
{
	static const double burst[NR] = { 1.0, 0, 0 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, equal_w, equal_t);
	for (t = 0; t < 10; t++)
		sim_second(&s, burst, RATE);
	assert_int_equal(s.raised[0], 1);
	/* Traffic stops: the alert stays, it does not "clear" on nothing. */
	for (t = 0; t < 60; t++)
		sim_second(&s, even, 0);
	assert_int_equal(s.cleared[0], 0);
	assert_true(s.vip.be[0].raised);
	xlb_skew_vip_free(&s.vip);
}

static void test_weight_change_judges_only_new_traffic(void **state)
{
	static const __u32 w8[NR] = { 8, 1, 1 };
	static const double t8[NR] = { 0.8, 0.1, 0.1 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, equal_w, equal_t);
	for (t = 0; t < 20; t++)
		sim_second(&s, even, RATE);
	/* The weights change: traffic from before must not count against the peers. */
	for (t = 0; t < 3; t++) {
		s.in[t].weight = w8[t];
		s.in[t].table_share = t8[t];
	}
	for (t = 0; t < 30; t++)
		sim_second(&s, t8, RATE);
	assert_int_equal(s.raised[0], 1);
	assert_int_equal(s.vip.be[0].cause, XLB_SKEW_CONFIGURATION);
	assert_int_equal(s.raised[1] + s.raised[2], 0);
	xlb_skew_vip_free(&s.vip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_false_alarm_in_ten_minutes),
		cmocka_unit_test(test_quiet_vip_never_fires),
		cmocka_unit_test(test_twice_its_share_caught_within_ten_seconds),
		cmocka_unit_test(test_configuration_cause),
		cmocka_unit_test(test_intended_unequal_weights_are_no_skew),
		cmocka_unit_test(test_data_path_cause),
		cmocka_unit_test(test_concentration_on_a_rounded_table_is_traffic),
		cmocka_unit_test(test_traffic_cause_names_unhashed_source_port),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_silence_neither_raises_nor_clears),
		cmocka_unit_test(test_weight_change_judges_only_new_traffic),
	};

	return cmocka_run_group_tests_name("skew", tests, NULL, NULL);
}
