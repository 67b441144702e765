/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event journal: one JSON object per line, appended, with a UTC
 * timestamp. Config changes (with their diff and the uid that made them),
 * CLI actions, health transitions, skew raised and cleared, daemon start
 * and stop, and periodic per-backend samples for incident reports. It
 * survives restarts and bounds its size: past max_bytes the file moves to
 * FILE.1 (FILE.1 to FILE.2, and so on; past FILE.3 the oldest is dropped)
 * and a new one starts. An event is at most XLB_JOURNAL_EVENT_MAX bytes.
 * Write failures are counted; an event cut by a full disk is taken back,
 * so the file holds whole events only.
 */
#ifndef XLB_JOURNAL_H
#define XLB_JOURNAL_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>
#include "defaults.h"

#define XLB_DEFAULT_JOURNAL_MAX		(XLB_DEFAULT_JOURNAL_MAX_MB << 20)
#define XLB_JOURNAL_KEEP		3		/* rotated files: FILE.1 .. FILE.3 */
#define XLB_JOURNAL_EVENT_MAX		(64u << 10)	/* one line; larger ones are summarised */

struct xlb_journal {
	char path[256];
	size_t max_bytes;
	int fd;
	gid_t gid;		/* the read group's, or -1 */
	bool broken_line;	/* the last write was cut: start the next on a new line */
	unsigned long long write_errors, truncated;
	int last_error;		/* errno of the last failed write */
};

/*
 * The file is mode 0640; with read_group set, that group owns it, so its
 * members' xlbctl reads it directly (events, report) instead of asking xlbd.
 */
int xlb_journal_open(struct xlb_journal *j, const char *path, size_t max_bytes,
		     const char *read_group);
void xlb_journal_close(struct xlb_journal *j);
/* Appends {"time": ..., "type": type, ...fields}; fields is consumed. */
int xlb_journal_add(struct xlb_journal *j, const char *type, json_t *fields);

/* Events in [since, until] (0: open end), oldest first, from FILE.3 .. FILE. */
json_t *xlb_journal_read(const char *path, time_t since, time_t until);

/* "2026-11-21T09:40:00Z", a Unix time, or an age like "90s", "15m", "2h", "1d". */
int xlb_time_parse(const char *s, time_t now, time_t *out);
void xlb_time_format(time_t t, char *buf, size_t len);

#endif /* XLB_JOURNAL_H */
