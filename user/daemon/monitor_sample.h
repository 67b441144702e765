/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The journal's "sample" event, built a VIP at a time as the monitor's
 * pass judges them and written once at its end: the same line as when it
 * was built at once. A line past XLB_JOURNAL_EVENT_MAX is summarised by
 * the journal as {"truncated": true, "bytes": N}; once the VIPs so far
 * are past it their rows are let go and only their size is counted, so
 * that 100,000 rows are never held or written out at once (10 MB, 100 ms
 * here) to be thrown away.
 */
#ifndef XLBD_MONITOR_SAMPLE_H
#define XLBD_MONITOR_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct xlbd;

struct monitor_sample {
	bool on;		/* this pass samples */
	json_t *vips;		/* the VIPs' objects while the line fits; NULL past it */
	size_t bytes;		/* the line's, as json_dumps would make it */
	size_t nr;
};

void monitor_sample_begin(struct monitor_sample *s);
/* One VIP's object ({"vip": ..., "backends": [...]}), consumed. */
void monitor_sample_add(struct monitor_sample *s, json_t *vip);
/* Journals the sample (nothing if off) and ends it. */
void monitor_sample_end(struct xlbd *x, struct monitor_sample *s);
/* Ends it without a word (xlbd stopping). */
void monitor_sample_drop(struct monitor_sample *s);

#endif /* XLBD_MONITOR_SAMPLE_H */
