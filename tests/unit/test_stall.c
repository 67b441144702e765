// SPDX-License-Identifier: GPL-2.0
/*
 * When is a probe xlbd's fault? The stall watch's bookkeeping, beat by
 * beat (user/daemon/stall.h): a whole stall, or shorter lateness that adds
 * up to half a probe's time, spoils the probe; ordinary work does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/stall.h"

/* Beats every 100 ms from t0, each late by late_ms, until end. */
static __u64 beats(struct stall_watch *sw, __u64 t0, __u64 end, __u64 late_ms)
{
	__u64 due = t0;

	while (due + late_ms <= end) {
		stall_note_beat(sw, due, due + late_ms);
		due += late_ms + XLB_STALL_BEAT_MS;
	}
	return due;
}

static void test_on_time_spoils_nothing(void **state)
{
	struct stall_watch sw = {};

	(void)state;
	beats(&sw, 1000, 5000, 2);
	assert_int_equal(stall_lost_ms(&sw, 1000, 5000), 0);
	assert_false(stall_spoilt(&sw, 2000, 2300));
	/* A refusal in a millisecond is the backend's answer. */
	assert_false(stall_spoilt(&sw, 2000, 2001));
	assert_int_equal(sw.stalls, 0);
}

static void test_one_stall_spoils_what_it_overlaps(void **state)
{
	struct stall_watch sw = {};
	__u64 t;

	(void)state;
	t = beats(&sw, 1000, 3000, 0);
	/* Stopped for 3 s: the next beat is 3 s late. */
	stall_note_beat(&sw, t, t + 3000);
	assert_int_equal(sw.stalls, 1);
	assert_true(stall_spoilt(&sw, t + 1000, t + 1300));
	assert_true(stall_spoilt(&sw, t - 200, t + 100));
	beats(&sw, t + 3100, t + 8000, 0);
	assert_false(stall_spoilt(&sw, t + 5000, t + 5300));
}

/* The flood that failed a 300 ms probe: 150 ms late at each beat, never a stall. */
static void test_lateness_that_adds_up(void **state)
{
	struct stall_watch sw = {};

	(void)state;
	beats(&sw, 1000, 4000, 150);
	assert_int_equal(sw.stalls, 0);
	assert_true(stall_lost_ms(&sw, 2000, 2300) >= 150);
	assert_true(stall_spoilt(&sw, 2000, 2300));
	/* A probe of 10 s saw the same lateness for half of its time or more. */
	assert_true(stall_spoilt(&sw, 1000, 4000));
}

/* Busy for 20 ms a beat: a 300 ms probe is judged, as it should be. */
static void test_busy_but_running_judges(void **state)
{
	struct stall_watch sw = {};

	(void)state;
	beats(&sw, 1000, 4000, 20);
	assert_true(stall_lost_ms(&sw, 2000, 2300) > 0);
	assert_false(stall_spoilt(&sw, 2000, 2300));
}

/* Only the beats kept count: lateness long past is forgotten, not wrapped. */
static void test_ring_forgets_old_lateness(void **state)
{
	struct stall_watch sw = {};
	__u64 t;

	(void)state;
	t = beats(&sw, 1000, 3000, 150);
	t = beats(&sw, t, t + (XLB_STALL_RING + 10) * XLB_STALL_BEAT_MS, 0);
	assert_int_equal(stall_lost_ms(&sw, 0, t), 0);
	assert_false(stall_spoilt(&sw, 1000, 3000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_time_spoils_nothing),
		cmocka_unit_test(test_one_stall_spoils_what_it_overlaps),
		cmocka_unit_test(test_lateness_that_adds_up),
		cmocka_unit_test(test_busy_but_running_judges),
		cmocka_unit_test(test_ring_forgets_old_lateness),
	};

	return cmocka_run_group_tests_name("stall", tests, NULL, NULL);
}
