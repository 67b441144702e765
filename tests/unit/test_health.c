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

/* One probe, ok or not, with rise 2 and fall 2; the damping's verdict. */
static enum xlb_health_change probe_damped(struct xlb_health *h, bool ok, __u64 t)
{
	xlb_health_record(h, ok, ok ? "ok" : "refused", RISE, 2, t);
	return xlb_health_damp(h, &flap, t);
}

/* Down 1 s, up 1 s: fall 2 never sees two failures in a row, its health
 * never changes, and so it is never held out, however many results change. */
static void test_result_changes_alone_never_held_out(void **state)
{
	struct xlb_health h;
	__u64 t;

	(void)state;
	xlb_health_init(&h, 0);
	for (t = 1000; t <= 600000; t += 1000) {
		assert_int_equal(probe_damped(&h, t % 2000, t), XLB_HEALTH_SAME);
		assert_false(xlb_health_is_down(&h));
	}
	assert_int_equal(h.changes, 599);	/* the first, ok, is no change */
	assert_int_equal(h.state_changes, 0);
}

/* The issue's backends: probes every 500 ms, fall 3; one in 4 failing, then
 * a burst (every other one) and one in 50 (every 25 s, under the hold). */
static void test_rare_failures_never_held_out(void **state)
{
	struct xlb_flap_cfg issue = { .changes = 6, .window_ms = 60000, .hold_ms = 30000 };
	struct xlb_health h;
	__u64 t, i = 0;

	(void)state;
	xlb_health_init(&h, 0);
	for (t = 500; t <= 120000; t += 500, i++) {
		bool ok = t < 60000 ? i % 4 : t < 64000 ? i % 2 : i % 50;

		assert_int_equal(xlb_health_record(&h, ok, "x", RISE, FALL, t), XLB_HEALTH_SAME);
		assert_int_equal(xlb_health_damp(&h, &issue, t), XLB_HEALTH_SAME);
		assert_false(xlb_health_is_down(&h));
	}
	assert_true(h.failures > 30);
}

/* Refuses 3 s, serves 3 s, probed every second with rise 2 and fall 2. */
static bool serving(__u64 t)
{
	return (t / 3000) % 2 == 0;
}

/* Its health changes every 3 s: the seventh change in the window holds it
 * out, whatever its health says; each change while held restarts the hold. */
static void test_state_changes_held_out_as_flapping(void **state)
{
	enum xlb_health_change c;
	struct xlb_health h;
	__u64 t;

	(void)state;
	xlb_health_init(&h, 0);
	for (t = 1000; t < 22000; t += 1000)
		assert_int_equal(probe_damped(&h, serving(t), t), XLB_HEALTH_SAME);
	assert_int_equal(h.state_changes, 6);
	/* Down at 4, 10, 16, 22 s, up at 7, 13, 19 s: the seventh, down. */
	assert_int_equal(probe_damped(&h, serving(t), t), XLB_HEALTH_FLAPPING);
	assert_int_equal(h.state, XLB_HEALTH_DOWN);
	assert_int_equal(h.flap_count, 7);
	assert_string_equal(xlb_health_name(&h), "flapping");
	assert_int_equal(xlb_health_hold_left_ms(&h, &flap, t), -1);
	/* Still changing: still held, up or down. */
	for (t += 1000; t <= 40000; t += 1000) {
		c = probe_damped(&h, serving(t), t);
		assert_int_equal(c, XLB_HEALTH_SAME);
		assert_true(xlb_health_is_down(&h));
	}
}

/* Let back once up for the hold with no health change: not while down,
 * however long; a failed probe that changes no health does not delay it. */
static void test_let_back_once_up_for_the_hold(void **state)
{
	struct xlb_health h;
	char words[160];
	__u64 t;

	(void)state;
	xlb_health_init(&h, 0);
	for (t = 1000; t <= 22000; t += 1000)
		probe_damped(&h, serving(t), t);
	assert_true(h.flapping);
	/* Down for 60 s, far past the hold: still held out, no time to give. */
	for (t = 23000; t <= 83000; t += 1000)
		assert_int_equal(probe_damped(&h, false, t), XLB_HEALTH_SAME);
	assert_true(h.flapping);
	xlb_health_flap_words(&h, &flap, t, words, sizeof(words));
	assert_string_equal(words, "7 health changes in 60 s (more than 6); down now: let back once up for 8 s with no health change");
	/* Up at 85 s (rise 2): the hold counts from there. */
	assert_int_equal(probe_damped(&h, true, 84000), XLB_HEALTH_SAME);
	assert_int_equal(xlb_health_record(&h, true, "ok", RISE, 2, 85000), XLB_HEALTH_WENT_UP);
	assert_int_equal(xlb_health_damp(&h, &flap, 85000), XLB_HEALTH_SAME);
	assert_int_equal(xlb_health_hold_left_ms(&h, &flap, 85000), 8000);
	xlb_health_flap_words(&h, &flap, 86000, words, sizeof(words));
	assert_string_equal(words, "7 health changes in 60 s (more than 6); up now: let back in 7 s if it stays up");
	/* One failed probe (fall 2 not reached): the hold is not restarted. */
	assert_int_equal(probe_damped(&h, false, 88000), XLB_HEALTH_SAME);
	for (t = 89000; t < 93000; t += 1000)
		assert_int_equal(probe_damped(&h, true, t), XLB_HEALTH_SAME);
	assert_true(xlb_health_is_down(&h));
	assert_int_equal(probe_damped(&h, true, 93000), XLB_HEALTH_STEADY);
	assert_false(xlb_health_is_down(&h));
	assert_string_equal(xlb_health_name(&h), "up");
	/* Counted afresh: one more down and up is not flapping. */
	assert_int_equal(probe_damped(&h, false, 94000), XLB_HEALTH_SAME);
	assert_int_equal(xlb_health_record(&h, false, "x", RISE, 2, 95000), XLB_HEALTH_WENT_DOWN);
	assert_int_equal(xlb_health_damp(&h, &flap, 95000), XLB_HEALTH_SAME);
	assert_false(h.flapping);
}

/* Held out, then new probe settings forget the changes (probe.c): let go
 * at the next result, as the new probe finds it, down included. */
static void test_forgotten_changes_let_go(void **state)
{
	struct xlb_health h;
	__u64 t;

	(void)state;
	xlb_health_init(&h, 0);
	for (t = 1000; t <= 22000; t += 1000)
		probe_damped(&h, serving(t), t);
	assert_true(h.flapping && h.state == XLB_HEALTH_DOWN);
	h.change_nr = 0;
	assert_int_equal(probe_damped(&h, false, t), XLB_HEALTH_STEADY);
	assert_string_equal(xlb_health_name(&h), "down");
}

/* Off (changes 0): a backend changing health every 3 s is never held out,
 * and one already held is let go at its next result. */
static void test_damping_off(void **state)
{
	struct xlb_flap_cfg off = flap;
	struct xlb_health h;
	__u64 t;

	(void)state;
	off.changes = 0;
	xlb_health_init(&h, 0);
	for (t = 1000; t <= 120000; t += 1000) {
		xlb_health_record(&h, serving(t), "x", RISE, 2, t);
		assert_int_equal(xlb_health_damp(&h, &off, t), XLB_HEALTH_SAME);
	}
	assert_true(h.state_changes > 30);
	xlb_health_init(&h, 0);
	for (t = 1000; t <= 22000; t += 1000)
		probe_damped(&h, serving(t), t);
	assert_true(h.flapping);
	xlb_health_record(&h, false, "x", RISE, 2, t);
	assert_int_equal(xlb_health_damp(&h, &off, t), XLB_HEALTH_STEADY);
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
		cmocka_unit_test(test_result_changes_alone_never_held_out),
		cmocka_unit_test(test_rare_failures_never_held_out),
		cmocka_unit_test(test_state_changes_held_out_as_flapping),
		cmocka_unit_test(test_let_back_once_up_for_the_hold),
		cmocka_unit_test(test_forgotten_changes_let_go),
		cmocka_unit_test(test_damping_off),
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
