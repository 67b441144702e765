/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Once a second xlbd reads the counters, feeds the skew detector and then
 * the diagnosis (diagnosis.h) with the probes' latency, and on a raise or
 * a clear of either writes a log line and a journal event and runs the hook.
 * Every sample_interval it journals per-backend counters, from which
 * incident reports compute shares before, during and after.
 */
#ifndef XLBD_MONITOR_H
#define XLBD_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "journal.h"
#include "diagnosis.h"
#include "skew.h"
#include "child.h"

struct xlbd;

struct vip_monitor {
	char name[XLB_NAME_MAX];
	struct xlb_skew_vip skew;
	struct xlb_diag_vip diag;		/* "was it the balancer?" */
	union xlb_addr *addrs;		/* backend i of skew is addrs[i] */
	double *table_share;		/* from the live table, refreshed */
	size_t nr;
};

#define MONITOR_MAX_HOOKS	16

struct monitor {
	sd_event_source *tick;
	struct xlb_skew_cfg cfg;
	struct vip_monitor *vips;
	size_t nr;
	__u64 ticks, last_sample_ms;
	bool refresh_pending;		/* a config was applied: read the tables */
	struct xlb_journal journal;
	bool journal_open;
	struct xlb_child *hooks[MONITOR_MAX_HOOKS];	/* running hook commands */
	__u64 hook_started_ms[MONITOR_MAX_HOOKS];
};

/* The event journal, opened before anything touches the data path. */
int monitor_open_journal(struct xlbd *x);
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
