// SPDX-License-Identifier: GPL-2.0
#include <time.h>

#include "log.h"
#include "stall.h"

__u64 monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

__u64 monotonic_ms(void)
{
	return monotonic_us() / 1000;
}

void stall_note_beat(struct stall_watch *sw, __u64 due_ms, __u64 now_ms)
{
	__u64 late = now_ms > due_ms ? now_ms - due_ms : 0;

	if (late > XLB_STALL_MS - XLB_STALL_BEAT_MS) {
		sw->start_ms = sw->last_beat_ms;
		sw->end_ms = now_ms;
		sw->stalls++;
		if (now_ms - sw->start_ms > sw->longest_ms)
			sw->longest_ms = now_ms - sw->start_ms;
		pr_warn("xlbd did not run for %llu ms (stopped or starved); probe failures of that time are not judged\n",
			(unsigned long long)(now_ms - sw->start_ms));
	}
	sw->ring[sw->next++ % XLB_STALL_RING] = (struct stall_beat){ .at_ms = now_ms, .late_ms = late };
	sw->last_beat_ms = now_ms;
}

static int beat(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct stall_watch *sw = userdata;
	__u64 now = monotonic_ms();

	stall_note_beat(sw, usec / 1000, now);
	sd_event_source_set_time(s, (now + XLB_STALL_BEAT_MS) * 1000);
	return 0;
}

int stall_watch_start(sd_event *e, struct stall_watch *sw)
{
	int err;

	sw->last_beat_ms = monotonic_ms();
	err = sd_event_add_time(e, &sw->beat, CLOCK_MONOTONIC,
				(sw->last_beat_ms + XLB_STALL_BEAT_MS) * 1000, 1000, beat, sw);
	if (err < 0)
		return err;
	sd_event_source_set_priority(sw->beat, SD_EVENT_PRIORITY_IMPORTANT);
	return sd_event_source_set_enabled(sw->beat, SD_EVENT_ON);
}

void stall_watch_stop(struct stall_watch *sw)
{
	sw->beat = sd_event_source_disable_unref(sw->beat);
}

/* Did xlbd stall at any time between from and to (monotonic ms)? */
static bool stall_overlaps(const struct stall_watch *sw, __u64 from_ms, __u64 to_ms)
{
	/* The latest stall is enough: any earlier one ended before it. */
	return sw->stalls && sw->end_ms >= from_ms && sw->start_ms <= to_ms;
}

__u64 stall_lost_ms(const struct stall_watch *sw, __u64 from_ms, __u64 to_ms)
{
	__u64 lost = 0, a, b;
	unsigned int i;

	/* A beat late by L says the loop did not run in the L ms before it. */
	for (i = 0; sw && i < XLB_STALL_RING; i++) {
		const struct stall_beat *bt = &sw->ring[i];

		if (bt->late_ms < XLB_STALL_LATE_MS)
			continue;
		a = bt->at_ms - bt->late_ms > from_ms ? bt->at_ms - bt->late_ms : from_ms;
		b = bt->at_ms < to_ms ? bt->at_ms : to_ms;
		if (b > a)
			lost += b - a;
	}
	return lost;
}

bool stall_spoilt(const struct stall_watch *sw, __u64 from_ms, __u64 to_ms)
{
	if (!sw)
		return false;
	return stall_overlaps(sw, from_ms, to_ms) ||
	       2 * stall_lost_ms(sw, from_ms, to_ms) >= (to_ms > from_ms ? to_ms - from_ms : 1);
}

__u64 stall_late_max(const struct stall_watch *sw)
{
	__u64 most = 0;

	for (unsigned int i = 0; i < XLB_STALL_RING; i++)
		if (sw->ring[i].late_ms > most)
			most = sw->ring[i].late_ms;
	return most;
}
