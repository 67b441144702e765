/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Knows when xlbd itself did not run: a heartbeat at the loop's highest
 * priority, so after any stall (SIGSTOP, a starved CPU, swap, a handler
 * that ran long) it is the first source dispatched and the stall is on
 * record before any probe result of that period is judged. A probe that
 * failed while xlbd was stalled says nothing about its backend.
 */
#ifndef XLBD_STALL_H
#define XLBD_STALL_H

#include <stdbool.h>
#include <linux/types.h>
#include <systemd/sd-event.h>

#define XLB_STALL_BEAT_MS	100	/* heartbeat period */
#define XLB_STALL_MS		250	/* a beat this late means xlbd was stalled */

struct stall_watch {
	sd_event_source *beat;
	__u64 last_beat_ms;		/* the loop ran then */
	__u64 start_ms, end_ms;		/* the latest stall */
	__u64 stalls, longest_ms;
};

int stall_watch_start(sd_event *e, struct stall_watch *sw);
void stall_watch_stop(struct stall_watch *sw);
/* Did xlbd stall at any time between from and to (monotonic ms)? */
bool stall_overlaps(const struct stall_watch *sw, __u64 from_ms, __u64 to_ms);
__u64 monotonic_ms(void);
__u64 monotonic_us(void);

#endif /* XLBD_STALL_H */
