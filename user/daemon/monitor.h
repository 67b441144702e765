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
#include "fingerprint.h"
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
	__u32 *table_slots;		/* backend i's slots in the live table, */
	__u32 table_m;			/* of table_m, as last read in full */
	struct xlb_fp fp;		/* of that table and the plan then */
	__u64 fp_ms;			/* when; 0: not read yet */
	size_t nr;
};

/*
 * The live tables are read back a part at a time: at most this many slots
 * a tick (40-100 ms here), so that a table of 16 M slots takes two minutes to
 * read but never stalls the loop. Smaller tables are read whole on demand.
 */
#define MONITOR_TABLE_READ_SLOTS	(1u << 17)

/* The state of the read under way, across ticks. */
struct table_read {
	bool active;
	size_t vip;			/* index into monitor.vips */
	__u32 from, table_id;
	__u32 *counts;			/* by backend id */
	__u64 *owner;			/* by backend id: its address, folded */
	struct xlb_fp_table fp;		/* of the VIP being read */
};

#define MONITOR_MAX_HOOKS	16

struct monitor {
	struct xlb_skew_cfg cfg;
	struct vip_monitor *vips;
	size_t nr, last_found;		/* monitor_vip's last answer */
	__u64 ticks, last_sample_ms;
	bool refresh_pending;		/* a config was applied: read the tables */
	struct table_read rd;
	struct xlb_child *hooks[MONITOR_MAX_HOOKS];	/* running hook commands */
	struct xlb_backend_stats *stats;	/* every backend's, read once a tick */
	__u32 nr_stats;
	__u64 hook_started_ms[MONITOR_MAX_HOOKS];
};

/* Each second (heartbeat.c): skew, diagnosis, samples, table reads, hooks. */
void monitor_tick(struct xlbd *x, __u64 now_ms);
int monitor_init(struct xlbd *x);
void monitor_fini(struct xlbd *x);
/* After a config is applied: VIPs and backends to watch, thresholds. */
void monitor_sync(struct xlbd *x);
/*
 * The skew state of vip's backend at addr, for metrics and xlbctl; NULL if
 * unknown. hint: its index in the VIP, looked at first.
 */
const struct xlb_skew_backend *monitor_backend(struct xlbd *x, const char *vip, size_t hint,
					       const union xlb_addr *addr);
/* Its slots in the live table as last read in full, of *m in all. */
__u32 monitor_table_slots(struct xlbd *x, const char *vip, size_t hint,
			  const union xlb_addr *addr, __u32 *m);
const struct vip_monitor *monitor_vip(struct xlbd *x, const char *vip);
/* One digest over every VIP's fingerprint, by name: the node's. "" while any is unread. */
const char *monitor_node_fingerprint(struct xlbd *x, char *buf);

#endif /* XLBD_MONITOR_H */
