/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Knows when xlbd itself did not run: a heartbeat at the loop's highest
 * priority, so after any stall (SIGSTOP, a starved CPU, swap, a handler
 * that ran long) it is the first source dispatched and the stall is on
 * record before any probe result of that period is judged. A probe that
 * failed while xlbd was stalled says nothing about its backend.
 *
 * Shorter delays add up too: an HTTP probe takes several turns of the
 * loop (connect, send, read), and a loop that is late by 150 ms at each
 * of them, under a flood of control requests on a busy CPU, fails a
 * 300 ms probe though no single delay was a stall. So each beat's
 * lateness is kept, and a probe during which xlbd was late to run for
 * half of its time is not judged either.
 */
#ifndef XLBD_STALL_H
#define XLBD_STALL_H

#include <stdbool.h>
#include <linux/types.h>
#include <systemd/sd-event.h>

#define XLB_STALL_BEAT_MS	100	/* heartbeat period */
#define XLB_STALL_MS		250	/* a beat this late means xlbd was stalled */
/* Lateness under this is the loop's ordinary work, not counted as lost. */
#define XLB_STALL_LATE_MS	10
/* Beats whose lateness is kept: 12.8 s; a longer probe is judged on the latest. */
#define XLB_STALL_RING		128

struct stall_beat {
	__u64 at_ms, late_ms;		/* ran at at_ms, late_ms after it was due */
};

struct stall_watch {
	sd_event_source *beat;
	__u64 last_beat_ms;		/* the loop ran then */
	__u64 start_ms, end_ms;		/* the latest stall */
	__u64 stalls, longest_ms;
	struct stall_beat ring[XLB_STALL_RING];
	unsigned int next;
};

int stall_watch_start(sd_event *e, struct stall_watch *sw);
void stall_watch_stop(struct stall_watch *sw);
/* A beat due at due_ms ran at now_ms (the beat's bookkeeping; tests call it). */
void stall_note_beat(struct stall_watch *sw, __u64 due_ms, __u64 now_ms);
/* For how much of from..to (monotonic ms) xlbd was late to run, by its beats. */
__u64 stall_lost_ms(const struct stall_watch *sw, __u64 from_ms, __u64 to_ms);
/*
 * Does a probe that ran from..to say nothing of its backend? xlbd stalled
 * during it, or was late to run for half of it or more.
 */
bool stall_spoilt(const struct stall_watch *sw, __u64 from_ms, __u64 to_ms);
/* The most any beat of the ring was late: how long the loop was busy at once, lately. */
__u64 stall_late_max(const struct stall_watch *sw);
__u64 monotonic_ms(void);
__u64 monotonic_us(void);

#endif /* XLBD_STALL_H */
