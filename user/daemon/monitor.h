/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Once a second xlbd reads the counters, feeds the skew detector and then
 * the diagnosis (diagnosis.h) with the probes' latency, and on a raise or
 * a clear of either writes a log line and a journal event and runs the hook.
 * Every sample_interval it journals per-backend counters, from which
 * incident reports compute shares before, during and after.
 *
 * That second's work is a pass cut into slices (issue 27: at 100,000
 * backends it held the loop 280 ms at once). The heartbeat starts it; a
 * deferred source runs one slice per turn of the loop, below clients in
 * priority, so probes, the control socket and /metrics are served between
 * slices. A slice is bounded by work, not by the clock: moved flows swept,
 * or the tables tidied (every 10th pass), or MONITOR_TABLE_READ_SLOTS
 * slots of the tables read (MONITOR_TABLE_STEPS steps a pass), or whole
 * VIPs judged until their backends reach MONITOR_SLICE_BACKENDS (fewer in
 * a pass that samples), their counters read for that slice just before.
 * Each VIP is judged once a pass; VIP k a few ms after VIP 1. When the
 * pass is done the heartbeat's callback runs (guards, on its verdicts).
 * A pass still running at the next beat goes on, ahead of clients; that
 * beat starts none (said in the log, at most once a minute).
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
#include "monitor_counters.h"
#include "monitor_sample.h"

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
	__u64 judged;			/* the pass that last judged it */
	size_t nr;
};

/*
 * The live tables are read back a part at a time: at most this many slots
 * a step (3-7 ms here), MONITOR_TABLE_STEPS steps a pass: 131,072 slots a
 * second, so that a table of 16 M slots takes two minutes to read but never
 * stalls the loop. Smaller tables are read whole on demand.
 */
#define MONITOR_TABLE_READ_SLOTS	(1u << 14)
#define MONITOR_TABLE_STEPS		8
/*
 * Backends a slice judges, in whole VIPs (one larger VIP is a slice of its
 * own), each VIP weighing as MONITOR_SLICE_VIP_COST more: 3-4 ms here, at
 * 100 or 10 backends a VIP; a pass that samples builds and measures a
 * journal row per backend too, about three times the work a backend.
 */
#define MONITOR_SLICE_BACKENDS		8192
#define MONITOR_SLICE_BACKENDS_SAMPLE	2048
#define MONITOR_SLICE_VIP_COST		4

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

typedef void (*monitor_done_fn)(struct xlbd *x);

enum monitor_step { PASS_SWEEP, PASS_TIDY, PASS_TABLES, PASS_JUDGE };

/* The pass under way, across turns of the loop. */
struct monitor_pass {
	sd_event_source *run;		/* deferred: on while a pass is under way */
	bool active;
	enum monitor_step step;
	__u64 seq;			/* this pass; vip_monitor.judged says who it judged */
	size_t next;			/* the VIP to look at next */
	unsigned int table_steps;	/* left to this pass */
	struct monitor_sample sample;
	bool counters_failed;		/* said once a pass */
	__u32 *ids;			/* the slice's backend ids */
	size_t ids_room;
	__u64 begun_ms;
	__u64 skipped, said_ms;		/* beats that found it running; when last said */
	monitor_done_fn done;		/* the heartbeat's: after the pass */
};

struct monitor {
	struct xlb_skew_cfg cfg;
	struct vip_monitor *vips;
	size_t nr, last_found;		/* monitor_vip's last answer */
	__u64 ticks, last_sample_ms;
	bool refresh_pending;		/* a config was applied: read the tables */
	struct table_read rd;
	struct monitor_pass pass;
	struct xlb_child *hooks[MONITOR_MAX_HOOKS];	/* running hook commands */
	struct monitor_counters counters;	/* by backend id, read a slice at a time */
	__u64 hook_started_ms[MONITOR_MAX_HOOKS];
};

/*
 * Each second (heartbeat.c): starts a pass (skew, diagnosis, samples, table
 * reads, hooks), which runs on over the next turns of the loop and calls
 * done when it is over. With a pass still under way none is started and
 * done is left to it.
 */
void monitor_tick(struct xlbd *x, __u64 now_ms, monitor_done_fn done);
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
