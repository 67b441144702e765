/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Once a second xlbd reads the counters, feeds the skew detector, and on a
 * raise or a clear writes a log line and a journal event and runs the hook.
 * Every sample_interval it journals per-backend counters, from which
 * incident reports compute shares before, during and after.
 */
#ifndef XLBD_MONITOR_H
#define XLBD_MONITOR_H

#include <sys/types.h>

#include "config.h"
#include "event.h"
#include "journal.h"
#include "skew.h"

struct xlbd;

struct vip_monitor {
	char name[XLB_NAME_MAX];
	struct xlb_skew_vip skew;
	union xlb_addr *addrs;		/* backend i of skew is addrs[i] */
	double *table_share;		/* from the live table, refreshed */
	size_t nr;
};

#define MONITOR_MAX_HOOKS	16

struct monitor {
	int timerfd;
	struct ev_handler ev;
	struct xlb_skew_cfg cfg;
	struct vip_monitor *vips;
	size_t nr;
	__u64 ticks, last_sample_ms;
	struct xlb_journal journal;
	pid_t hooks[MONITOR_MAX_HOOKS];	/* running hook commands, reaped each tick */
	time_t hook_started[MONITOR_MAX_HOOKS];
};

int monitor_init(struct xlbd *x);
void monitor_fini(struct xlbd *x);
/* After a config is applied: VIPs and backends to watch, thresholds. */
void monitor_sync(struct xlbd *x);
/* The skew state of a backend, for metrics and xlbctl; NULL if unknown. */
const struct xlb_skew_backend *monitor_backend(struct xlbd *x, const char *vip,
					       const union xlb_addr *addr);
const struct vip_monitor *monitor_vip(struct xlbd *x, const char *vip);
/* Appends to the event journal (fields consumed). */
void journal_event(struct xlbd *x, const char *type, json_t *fields);

#endif /* XLBD_MONITOR_H */
