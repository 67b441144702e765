// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the backend health state machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "health.h"

#define RISE	2
#define FALL	3

static enum xlb_health_change fail_once(struct xlb_health *h, __u64 t)
{
	return xlb_health_record(h, false, "timeout", RISE, FALL, t);
}

static enum xlb_health_change ok_once(struct xlb_health *h, __u64 t)
{
	return xlb_health_record(h, true, "ok", RISE, FALL, t);
}

static void test_starts_up(void **state)
{
	struct xlb_health h;

	(void)state;
	xlb_health_init(&h, 5);
	assert_int_equal(h.state, XLB_HEALTH_UP);
	assert_int_equal(h.last_change_ms, 5);
}

static void test_goes_down_after_fall_consecutive_failures(void **state)
{
	struct xlb_health h;

	(void)state;
	xlb_health_init(&h, 0);
	assert_int_equal(fail_once(&h, 1), XLB_HEALTH_SAME);
	assert_int_equal(fail_once(&h, 2), XLB_HEALTH_SAME);
	assert_int_equal(fail_once(&h, 3), XLB_HEALTH_WENT_DOWN);
	assert_int_equal(h.state, XLB_HEALTH_DOWN);
	assert_int_equal(h.last_change_ms, 3);
	assert_string_equal(h.last_reason, "timeout");
	/* Further failures change nothing. */
	assert_int_equal(fail_once(&h, 4), XLB_HEALTH_SAME);
	assert_int_equal(h.last_change_ms, 3);
}

static void test_counts_are_consecutive_not_cumulative(void **state)
{
	struct xlb_health h;
	int i;

	(void)state;
	xlb_health_init(&h, 0);
	/* Flapping: fail, fail, ok, repeated, never reaches 3 in a row. */
	for (i = 0; i < 30; i++) {
		assert_int_equal(fail_once(&h, 3 * i), XLB_HEALTH_SAME);
		assert_int_equal(fail_once(&h, 3 * i + 1), XLB_HEALTH_SAME);
		assert_int_equal(ok_once(&h, 3 * i + 2), XLB_HEALTH_SAME);
	}
	assert_int_equal(h.state, XLB_HEALTH_UP);
	assert_int_equal(h.failures, 60);
}

static void test_comes_back_after_rise_successes(void **state)
{
	struct xlb_health h;
	int i;

	(void)state;
	xlb_health_init(&h, 0);
	for (i = 0; i < FALL; i++)
		fail_once(&h, i);
	assert_int_equal(h.state, XLB_HEALTH_DOWN);
	/* One success then a failure: the success run starts over. */
	assert_int_equal(ok_once(&h, 10), XLB_HEALTH_SAME);
	assert_int_equal(fail_once(&h, 11), XLB_HEALTH_SAME);
	assert_int_equal(ok_once(&h, 12), XLB_HEALTH_SAME);
	assert_int_equal(ok_once(&h, 13), XLB_HEALTH_WENT_UP);
	assert_int_equal(h.state, XLB_HEALTH_UP);
	assert_int_equal(h.last_change_ms, 13);
}

static void test_flapping_backend_changes_at_most_per_threshold(void **state)
{
	struct xlb_health h;
	int i, changes = 0;

	(void)state;
	xlb_health_init(&h, 0);
	/* Alternating results: never FALL failures or RISE successes in a row after down. */
	for (i = 0; i < 100; i++)
		changes += (i % 2 ? ok_once(&h, i) : fail_once(&h, i)) != XLB_HEALTH_SAME;
	assert_int_equal(changes, 0);
}

static void test_admin_states_win_over_health(void **state)
{
	(void)state;
	assert_int_equal(xlb_effective_state(XLB_ADMIN_UP, XLB_HEALTH_UP, 1), XLB_BE_UP);
	assert_int_equal(xlb_effective_state(XLB_ADMIN_UP, XLB_HEALTH_DOWN, 1), XLB_BE_DOWN);
	assert_int_equal(xlb_effective_state(XLB_ADMIN_UP, XLB_HEALTH_UP, 0), XLB_BE_DRAINING);
	assert_int_equal(xlb_effective_state(XLB_ADMIN_DRAIN, XLB_HEALTH_UP, 5), XLB_BE_DRAINING);
	/* A drained backend that dies loses its flows: they would fail anyway. */
	assert_int_equal(xlb_effective_state(XLB_ADMIN_DRAIN, XLB_HEALTH_DOWN, 5), XLB_BE_DOWN);
	assert_int_equal(xlb_effective_state(XLB_ADMIN_DISABLED, XLB_HEALTH_UP, 5), XLB_BE_DOWN);
	assert_int_equal(xlb_effective_state(XLB_ADMIN_DISABLED, XLB_HEALTH_DOWN, 5), XLB_BE_DOWN);
}

static const struct xlb_flap_cfg flap = { .changes = 6, .window_ms = 60000, .hold_ms = 8000 };

/* One probe a second, ok or not; the damping's verdict. */
static enum xlb_health_change probe_damped(struct xlb_health *h, bool ok, __u64 t)
{
	xlb_health_record(h, ok, ok ? "ok" : "refused", RISE, 2, t);
	return xlb_health_damp(h, &flap, t);
}

/* Down 1 s, up 1 s: fall 2 never sees two failures in a row. */
static void test_alternating_results_held_out_as_flapping(void **state)
{
	struct xlb_health h;
	__u64 t;

	(void)state;
	xlb_health_init(&h, 0);
	for (t = 1000; t <= 7000; t += 1000) {
		assert_int_equal(probe_damped(&h, t % 2000, t), XLB_HEALTH_SAME);
		assert_false(xlb_health_is_down(&h));
	}
	/* The seventh change in the window: held out, though rise/fall say up. */
	assert_int_equal(probe_damped(&h, t % 2000, t), XLB_HEALTH_FLAPPING);
	assert_int_equal(h.state, XLB_HEALTH_UP);
	assert_true(xlb_health_is_down(&h));
	assert_string_equal(xlb_health_name(&h), "flapping");
	/* Still changing: still held. Then steady for the hold: let back. */
	for (t += 1000; t <= 20000; t += 1000)
		assert_int_equal(probe_damped(&h, t % 2000, t), XLB_HEALTH_SAME);
	for (; t < 21000 + flap.hold_ms; t += 1000)	/* the last change: ok at 21 s */
		assert_int_equal(probe_damped(&h, true, t), XLB_HEALTH_SAME);
	assert_int_equal(probe_damped(&h, true, t), XLB_HEALTH_STEADY);
	assert_false(xlb_health_is_down(&h));
	/* The changes that held it out do not count again within the window. */
	assert_int_equal(probe_damped(&h, false, t + 1000), XLB_HEALTH_SAME);
	assert_int_equal(probe_damped(&h, true, t + 2000), XLB_HEALTH_SAME);
	assert_false(h.flapping);
}

/* 400-600 ms answers against a 500 ms timeout: random results, held out. */
static void test_random_timeouts_held_out(void **state)
{
	struct xlb_health h;
	uint64_t rng = 12345;
	__u64 t;
	bool held = false;

	(void)state;
	xlb_health_init(&h, 0);
	for (t = 2000; t <= 30000 && !held; t += 2000) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		held = probe_damped(&h, (rng >> 33) & 1, t) == XLB_HEALTH_FLAPPING;
	}
	assert_true(held);
}

/* Off (changes 0), or a rare failure: never held out. */
static void test_damping_off_and_rare_failures(void **state)
{
	struct xlb_flap_cfg off = flap;
	struct xlb_health h;
	__u64 t;

	(void)state;
	off.changes = 0;
	xlb_health_init(&h, 0);
	for (t = 1000; t <= 60000; t += 1000) {
		xlb_health_record(&h, t % 2000, "x", RISE, 2, t);
		assert_int_equal(xlb_health_damp(&h, &off, t), XLB_HEALTH_SAME);
	}
	xlb_health_init(&h, 0);
	for (t = 1000; t <= 600000; t += 1000)	/* one failure in 30: 4 changes a minute */
		assert_int_not_equal(probe_damped(&h, t % 30000, t), XLB_HEALTH_FLAPPING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_up),
		cmocka_unit_test(test_goes_down_after_fall_consecutive_failures),
		cmocka_unit_test(test_counts_are_consecutive_not_cumulative),
		cmocka_unit_test(test_comes_back_after_rise_successes),
		cmocka_unit_test(test_flapping_backend_changes_at_most_per_threshold),
		cmocka_unit_test(test_admin_states_win_over_health),
		cmocka_unit_test(test_alternating_results_held_out_as_flapping),
		cmocka_unit_test(test_random_timeouts_held_out),
		cmocka_unit_test(test_damping_off_and_rare_failures),
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
