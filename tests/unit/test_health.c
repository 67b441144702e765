// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the backend health state machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "addr.h"
#include "health.h"
#include "probe_cfg.h"

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

/* ---- held again, every time (the ring of changes) ----------------------- */

/* The attacker's settings: probes every 250 ms, rise 1, fall 1; more than 2
 * health changes in 5 s hold a backend out, up for 6 s lets it back. */
static const struct xlb_flap_cfg quick = { .changes = 2, .window_ms = 5000, .hold_ms = 6000 };

static enum xlb_health_change quick_probe(struct xlb_health *h, bool ok, __u64 t)
{
	xlb_health_record(h, ok, ok ? "ok" : "refused", 1, 1, t);
	return xlb_health_damp(h, &quick, t);
}

/*
 * Fails, serves, fails... `every` probes each (a health change each time)
 * from *t on until held out, for at most 20 s; the health changes it took
 * (0: never held out).
 */
static __u64 flap_every_until_held(struct xlb_health *h, __u64 *t, int every)
{
	__u64 changes0 = h->state_changes;
	int i;

	for (i = 0; i < 80; i++) {
		*t += 250;
		if (quick_probe(h, (i / every) % 2, *t) == XLB_HEALTH_FLAPPING)
			return h->state_changes - changes0;
	}
	return 0;
}

/* A health change at every probe (250 ms). */
static __u64 flap_until_held(struct xlb_health *h, __u64 *t)
{
	return flap_every_until_held(h, t, 1);
}

/* Serving from *t on until let back, at most 40 s; the ms it took from
 * its coming up (0: never let back). */
static __u64 serve_until_let_back(struct xlb_health *h, __u64 *t)
{
	__u64 up = 0;
	int i;

	for (i = 0; i < 160; i++) {
		*t += 250;
		if (quick_probe(h, true, *t) == XLB_HEALTH_STEADY)
			return *t - up;
		if (!up && h->state == XLB_HEALTH_UP)
			up = *t;
	}
	return 0;
}

/* Held at its third change, let back 6 s after it came up: and again, and
 * again (the changes of an episode before were once counted in the wrong
 * slots of the ring, so the second episode was never held out). */
static void test_held_out_again_each_episode(void **state)
{
	struct xlb_health h;
	__u64 t = 0;
	int round;

	(void)state;
	xlb_health_init(&h, 0);
	for (round = 1; round <= 3; round++) {
		assert_int_equal(flap_until_held(&h, &t), 3);
		assert_true(xlb_health_is_down(&h));
		assert_int_equal(h.flap_count, 3);
		assert_int_equal(serve_until_let_back(&h, &t), 6000);
		assert_false(xlb_health_is_down(&h));
	}
	/* A change a second, the attacker's 20 in 20 s: the same. */
	for (round = 4; round <= 6; round++) {
		assert_int_equal(flap_every_until_held(&h, &t, 4), 3);
		assert_int_equal(serve_until_let_back(&h, &t), 6000);
	}
	/* The ring wraps (65 slots) and the count stays right. */
	for (round = 7; round <= 40; round++) {
		assert_int_equal(flap_until_held(&h, &t), 3);
		assert_int_equal(serve_until_let_back(&h, &t), 6000);
	}
	assert_true(h.state_changes > 65 * 2);
}

/* A new probe (a reload) forgets the changes counted: counted afresh from
 * there, held at the third change after it, before a hold and after one. */
static void test_held_out_again_after_a_new_probe(void **state)
{
	struct xlb_health h;
	__u64 t = 0;

	(void)state;
	xlb_health_init(&h, 0);
	/* Two changes, then the reload: they no longer count. */
	t += 250;
	assert_int_equal(quick_probe(&h, false, t), XLB_HEALTH_SAME);
	t += 250;
	assert_int_equal(quick_probe(&h, true, t), XLB_HEALTH_SAME);
	xlb_health_new_probe(&h, t);
	assert_int_equal(xlb_health_flap_count(&h, quick.window_ms, t), 0);
	assert_int_equal(flap_until_held(&h, &t), 3);
	assert_int_equal(serve_until_let_back(&h, &t), 6000);
	/* Let back, then a reload: the next episode is held like the first. */
	xlb_health_new_probe(&h, t);
	assert_int_equal(flap_until_held(&h, &t), 3);
	assert_int_equal(serve_until_let_back(&h, &t), 6000);
	xlb_health_new_probe(&h, t);
	assert_int_equal(flap_until_held(&h, &t), 3);
}

/* ---- what a reload does to a hold --------------------------------------- */

/* Held at 1.5 s (down); up at 1.75 s, its hold counting from there. */
static void held_and_up(struct xlb_health *h, __u64 *t)
{
	xlb_health_init(h, 0);
	*t = 0;
	assert_int_equal(flap_until_held(h, t), 3);
	*t += 250;
	assert_int_equal(xlb_health_record(h, true, "ok", 1, 1, *t), XLB_HEALTH_WENT_UP);
	assert_int_equal(xlb_health_damp(h, &quick, *t), XLB_HEALTH_SAME);
	assert_int_equal(xlb_health_hold_left_ms(h, &quick, *t), 6000);
}

/* New damping settings apply to the hold as it stands: a longer flap_hold
 * keeps it held longer, never lets it go; a shorter one lets it back once
 * up for that. */
static void test_new_damping_settings_keep_the_hold(void **state)
{
	struct xlb_flap_cfg longer = quick, shorter = quick;
	struct xlb_health h;
	__u64 t, up;

	(void)state;
	longer.hold_ms = 600000;
	shorter.hold_ms = 2000;
	held_and_up(&h, &t);
	up = t;
	/* 3 s up, then flap_hold 6 s -> 10 min: held until 10 min after it came up. */
	for (t += 250; t < up + 600000; t += 250) {
		xlb_health_record(&h, true, "ok", 1, 1, t);
		assert_int_equal(xlb_health_damp(&h, &longer, t), XLB_HEALTH_SAME);
		assert_int_equal(xlb_health_hold_left_ms(&h, &longer, t), up + 600000 - t);
	}
	xlb_health_record(&h, true, "ok", 1, 1, t);
	assert_int_equal(xlb_health_damp(&h, &longer, t), XLB_HEALTH_STEADY);
	/* 6 s -> 2 s while held, up for 1.5 s: held 0.5 s more, then let back. */
	held_and_up(&h, &t);
	up = t;
	for (t += 250; t < up + 2000; t += 250) {
		xlb_health_record(&h, true, "ok", 1, 1, t);
		assert_int_equal(xlb_health_damp(&h, &shorter, t), XLB_HEALTH_SAME);
	}
	xlb_health_record(&h, true, "ok", 1, 1, t);
	assert_int_equal(xlb_health_damp(&h, &shorter, t), XLB_HEALTH_STEADY);
}

/* What judges health is the probe; damping's own settings and
 * latency_interval are not (a reload of those keeps the counted changes). */
static void test_which_settings_are_a_new_probe(void **state)
{
	struct xlb_cfg_probe a = { .type = XLB_PROBE_HTTP, .interval_ms = 1000, .timeout_ms = 500,
				   .rise = 2, .fall = 2, .port = 80, .flap_changes = 4,
				   .flap_window_ms = 30000, .flap_hold_ms = 8000 };
	struct xlb_cfg_probe b = a;

	(void)state;
	strcpy(a.path, "/");
	strcpy(b.path, "/");
	b.flap_changes = 0;
	b.flap_changes_set = true;
	b.flap_window_ms = 60000;
	b.flap_hold_ms = 600000;
	b.latency_interval_ms = 250;
	assert_true(xlb_probe_judges_same(&a, &b));
	assert_true(xlb_probe_key(&a) == xlb_probe_key(&b));
	b.fall = 3;
	assert_false(xlb_probe_judges_same(&a, &b));
	assert_false(xlb_probe_key(&a) == xlb_probe_key(&b));
	b.fall = 2;
	strcpy(b.path, "/healthz");
	assert_false(xlb_probe_judges_same(&a, &b));
	assert_false(xlb_probe_key(&a) == xlb_probe_key(&b));
}

/* Held while up, a new probe at 3 s: held until up for a full hold under
 * it (6 s from the reload, not 6 s from its coming up); a failure that
 * takes it down keeps it held, the hold counting from its coming up. */
static void test_new_probe_held_while_up(void **state)
{
	struct xlb_health h;
	__u64 t, reload;

	(void)state;
	held_and_up(&h, &t);
	for (reload = t + 3000; t < reload; t += 250)
		quick_probe(&h, true, t + 250);
	xlb_health_new_probe(&h, reload);
	assert_true(h.flapping);
	assert_int_equal(xlb_health_hold_left_ms(&h, &quick, reload), 6000);
	for (t = reload + 250; t < reload + 6000; t += 250)
		assert_int_equal(quick_probe(&h, true, t), XLB_HEALTH_SAME);
	assert_int_equal(quick_probe(&h, true, t), XLB_HEALTH_STEADY);

	/* Its first result under the new probe fails (fall 1): down, held. */
	held_and_up(&h, &t);
	xlb_health_new_probe(&h, t + 100);
	t += 250;
	assert_int_equal(xlb_health_record(&h, false, "refused", 1, 1, t), XLB_HEALTH_WENT_DOWN);
	assert_int_equal(xlb_health_damp(&h, &quick, t), XLB_HEALTH_SAME);
	assert_true(h.flapping);
	assert_int_equal(xlb_health_hold_left_ms(&h, &quick, t), -1);
	/* Up again: a full hold from then. */
	t += 250;
	assert_int_equal(xlb_health_record(&h, true, "ok", 1, 1, t), XLB_HEALTH_WENT_UP);
	assert_int_equal(xlb_health_damp(&h, &quick, t), XLB_HEALTH_SAME);
	assert_int_equal(xlb_health_hold_left_ms(&h, &quick, t), 6000);
}

/* Held while down, a new probe: its first result ok brings it up (rise 1),
 * still held, for a full hold from then; never let go at that result. */
static void test_new_probe_held_while_down(void **state)
{
	struct xlb_health h;
	__u64 t = 0;

	(void)state;
	xlb_health_init(&h, 0);
	assert_int_equal(flap_until_held(&h, &t), 3);
	assert_int_equal(h.state, XLB_HEALTH_DOWN);
	xlb_health_new_probe(&h, t + 100);
	assert_int_equal(xlb_health_hold_left_ms(&h, &quick, t + 100), -1);
	/* Its first result fails: still down, still held. */
	t += 250;
	assert_int_equal(quick_probe(&h, false, t), XLB_HEALTH_SAME);
	assert_true(h.flapping);
	t += 250;
	assert_int_equal(xlb_health_record(&h, true, "ok", 1, 1, t), XLB_HEALTH_WENT_UP);
	assert_int_equal(xlb_health_damp(&h, &quick, t), XLB_HEALTH_SAME);
	assert_true(h.flapping);
	assert_int_equal(xlb_health_hold_left_ms(&h, &quick, t), 6000);
	for (t += 250; t < h.last_change_ms + 6000; t += 250)
		assert_int_equal(quick_probe(&h, true, t), XLB_HEALTH_SAME);
	assert_int_equal(quick_probe(&h, true, t), XLB_HEALTH_STEADY);
}

/* ---- a hold across a restart --------------------------------------------- */

#define WALL0	1764640800000ull	/* 2025-12-02T02:00:00Z */

/* Saved at monotonic 100 s (wall WALL0), restored after xlbd was stopped
 * for 2 s, on a clock that starts again at 5 s: the hold goes on where it
 * was, the time stopped counted. */
static void test_hold_restored_after_a_restart(void **state)
{
	struct xlb_flap_saved s;
	struct xlb_health h, r;
	__u64 t = 97000;
	char words[160];

	(void)state;
	xlb_health_init(&h, 0);
	assert_int_equal(flap_until_held(&h, &t), 3);
	t += 250;
	assert_int_equal(xlb_health_record(&h, true, "ok", 1, 1, t), XLB_HEALTH_WENT_UP);
	assert_int_equal(xlb_health_damp(&h, &quick, t), XLB_HEALTH_SAME);
	/* Up at 98 s, saved at 100 s: 4 s of its hold left. */
	assert_int_equal(xlb_health_hold_left_ms(&h, &quick, 100000), 4000);
	xlb_health_save(&h, 100000, WALL0, &s);
	assert_false(s.down);
	assert_int_equal(s.hold_from_ms, WALL0 - 2000);
	assert_int_equal(s.nr_changes, 4);
	assert_int_equal(s.change_ms[3], WALL0 - 2000);
	assert_int_equal(s.change_ms[0], WALL0 - 2750);

	/* Stopped 2 s; started again, its clock at 5 s: 2 s left. */
	xlb_health_init(&r, 5000);
	xlb_health_restore(&r, &s, true, 5000, WALL0 + 2000);
	assert_true(r.flapping && xlb_health_is_down(&r));
	assert_int_equal(r.state, XLB_HEALTH_UP);
	assert_int_equal(r.flap_count, 3);
	assert_int_equal(xlb_health_hold_left_ms(&r, &quick, 5000), 2000);
	xlb_health_flap_words(&r, &quick, 5000, words, sizeof(words));
	assert_string_equal(words, "3 health changes in 5 s (more than 2); up now: let back in 2 s if it stays up");
	assert_int_equal(quick_probe(&r, true, 6750), XLB_HEALTH_SAME);
	assert_int_equal(quick_probe(&r, true, 7000), XLB_HEALTH_STEADY);

	/* Stopped longer than its hold, restarted 1 s after the host booted
	 * (the hold began before this clock's 0): let back at its first result. */
	xlb_health_init(&r, 1000);
	xlb_health_restore(&r, &s, true, 1000, WALL0 + 30000);
	assert_int_equal(xlb_health_hold_left_ms(&r, &quick, 1000), 0);
	assert_true(xlb_health_is_down(&r));
	assert_int_equal(quick_probe(&r, true, 1250), XLB_HEALTH_STEADY);
	/* Restarted 1 s after the host booted, 3 s after it was saved: its
	 * hold began before this clock's 0, and 1 s of it is left, exactly. */
	xlb_health_init(&r, 1000);
	xlb_health_restore(&r, &s, true, 1000, WALL0 + 3000);
	assert_int_equal(xlb_health_hold_left_ms(&r, &quick, 1000), 1000);

	/* Its probe changed while xlbd was stopped: a full hold from the start. */
	xlb_health_init(&r, 5000);
	xlb_health_restore(&r, &s, false, 5000, WALL0 + 2000);
	assert_int_equal(xlb_health_hold_left_ms(&r, &quick, 5000), 6000);
	assert_int_equal(xlb_health_flap_count(&r, quick.window_ms, 5000), 0);
}

/* Down when saved: down after the restart, held until up for a full hold. */
static void test_hold_restored_while_down(void **state)
{
	struct xlb_flap_saved s;
	struct xlb_health h, r;
	__u64 t = 0;

	(void)state;
	xlb_health_init(&h, 0);
	assert_int_equal(flap_until_held(&h, &t), 3);
	xlb_health_save(&h, t + 60000, WALL0, &s);
	assert_true(s.down);
	xlb_health_init(&r, 5000);
	xlb_health_restore(&r, &s, true, 5000, WALL0 + 600000);
	assert_int_equal(r.state, XLB_HEALTH_DOWN);
	assert_int_equal(xlb_health_hold_left_ms(&r, &quick, 5000), -1);
	/* Its first result ok (rise 1): up, and a full hold from then. */
	assert_int_equal(xlb_health_record(&r, true, "ok", 1, 1, 5250), XLB_HEALTH_WENT_UP);
	assert_int_equal(xlb_health_damp(&r, &quick, 5250), XLB_HEALTH_SAME);
	assert_int_equal(xlb_health_hold_left_ms(&r, &quick, 5250), 6000);
}

/* The damping file: what is written is read back; anything else, damaged
 * or not xlbd's, gives nothing. */
static void test_damping_file(void **state)
{
	static const char *const bad[] = {
		"",
		"{\"version\": 1, \"held\": [",
		"[]",
		"{\"version\": 2, \"held\": []}",
		"{\"version\": 1}",
		"{\"version\": 1, \"held\": [{\"vip\": \"web\"}]}",
		"{\"version\": 1, \"held\": [{\"vip\": \"web\", \"backend\": \"198.18.1.300\", \"probe\": \"1\", \"health\": \"up\", \"held_since_ms\": 1, \"hold_from_ms\": 1, \"last_change_ms\": 1, \"flap_health_changes\": 3, \"changes_ms\": []}]}",
		"{\"version\": 1, \"held\": [{\"vip\": \"web\", \"backend\": \"198.18.1.3\", \"probe\": \"xyz\", \"health\": \"up\", \"held_since_ms\": 1, \"hold_from_ms\": 1, \"last_change_ms\": 1, \"flap_health_changes\": 3, \"changes_ms\": []}]}",
		"{\"version\": 1, \"held\": [{\"vip\": \"web\", \"backend\": \"198.18.1.3\", \"probe\": \"1\", \"health\": \"sideways\", \"held_since_ms\": 1, \"hold_from_ms\": 1, \"last_change_ms\": 1, \"flap_health_changes\": 3, \"changes_ms\": []}]}",
		"{\"version\": 1, \"held\": [{\"vip\": \"web\", \"backend\": \"198.18.1.3\", \"probe\": \"1\", \"health\": \"up\", \"held_since_ms\": 1, \"hold_from_ms\": 1, \"last_change_ms\": 1, \"flap_health_changes\": 3, \"changes_ms\": [5, 4]}]}",
		"{\"version\": 1, \"held\": [{\"vip\": \"web\", \"backend\": \"198.18.1.3\", \"probe\": \"1\", \"health\": \"up\", \"held_since_ms\": 1, \"hold_from_ms\": 1, \"last_change_ms\": 1, \"flap_health_changes\": 3, \"changes_ms\": [], \"more\": 1}]}",
	};
	struct xlb_flap_saved s[2] = {}, *back;
	char *text, err[200];
	size_t i, nr;

	(void)state;
	snprintf(s[0].vip, sizeof(s[0].vip), "web");
	assert_int_equal(xlb_addr_parse("198.18.1.12", &s[0].backend), 0);
	s[0].probe_key = 0x9f0c00000000abcdull;
	s[0].since_ms = WALL0 - 9000;
	s[0].hold_from_ms = WALL0 - 2000;
	s[0].last_change_ms = WALL0 - 2000;
	s[0].flap_count = 5;
	s[0].nr_changes = 2;
	s[0].change_ms[0] = WALL0 - 4000;
	s[0].change_ms[1] = WALL0 - 2000;
	snprintf(s[1].vip, sizeof(s[1].vip), "web6");
	assert_int_equal(xlb_addr_parse("2001:db8:1::13", &s[1].backend), 0);
	s[1].down = true;
	s[1].hold_from_ms = -5;
	text = xlb_flap_file_format(s, 2);
	assert_non_null(text);
	assert_int_equal(xlb_flap_file_parse(text, strlen(text), &back, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 2);
	assert_memory_equal(&back[0], &s[0], sizeof(s[0]));
	assert_memory_equal(&back[1], &s[1], sizeof(s[1]));
	free(back);
	free(text);
	text = xlb_flap_file_format(NULL, 0);
	assert_int_equal(xlb_flap_file_parse(text, strlen(text), &back, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 0);
	free(back);
	free(text);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		back = (void *)1;
		assert_int_equal(xlb_flap_file_parse(bad[i], strlen(bad[i]), &back, &nr, err,
						     sizeof(err)), -EINVAL);
		assert_null(back);
		assert_int_equal(nr, 0);
		assert_true(err[0]);
	}
}

/* The fastest flapping a probe allows: flap_changes + 1 changes, down
 * after fall failures, up after rise successes, probes 5 % early at most,
 * the first change's result a timeout late. */
static void test_fastest_flapping(void **state)
{
	struct xlb_cfg_probe p = { .interval_ms = 2000, .timeout_ms = 1000, .rise = 2, .fall = 3,
				   .flap_changes = 1 };

	(void)state;
	/* 2 changes: 2 probes (min(rise, fall)) 1.9 s apart, less 1 s. */
	assert_int_equal(xlb_flap_fastest_probes(&p), 2);
	assert_int_equal(xlb_flap_fastest_ms(&p), 2800);
	/* 7 changes (the default 6): 3 x (2 + 3) probes. */
	p.flap_changes = 6;
	assert_int_equal(xlb_flap_fastest_probes(&p), 15);
	assert_int_equal(xlb_flap_fastest_ms(&p), 15 * 1900 - 1000);
	/* The attacker's: 250 ms, rise 1, fall 1, 3 changes: 2 probes. */
	p = (struct xlb_cfg_probe){ .interval_ms = 250, .timeout_ms = 200, .rise = 1, .fall = 1,
				    .flap_changes = 2 };
	assert_int_equal(xlb_flap_fastest_probes(&p), 2);
	assert_int_equal(xlb_flap_fastest_ms(&p), 2 * 238 - 200);
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
		cmocka_unit_test(test_held_out_again_each_episode),
		cmocka_unit_test(test_held_out_again_after_a_new_probe),
		cmocka_unit_test(test_new_damping_settings_keep_the_hold),
		cmocka_unit_test(test_which_settings_are_a_new_probe),
		cmocka_unit_test(test_new_probe_held_while_up),
		cmocka_unit_test(test_new_probe_held_while_down),
		cmocka_unit_test(test_hold_restored_after_a_restart),
		cmocka_unit_test(test_hold_restored_while_down),
		cmocka_unit_test(test_damping_file),
		cmocka_unit_test(test_fastest_flapping),
		cmocka_unit_test(test_damping_off),
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
