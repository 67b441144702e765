/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Health probes on xlbd's sd-event loop: no thread per probe. Each target
 * owns its sources (a timer for its next start or its deadline, an I/O
 * source for its socket, its child for exec), so an event can only reach
 * a live target. HTTP and HTTPS go through libcurl's multi-socket
 * interface on the same loop.
 *
 * A probe judges its backend, never xlbd: a probe xlbd could not start
 * (EMFILE, ENOBUFS, a failed spawn) is "unknown" and logged as xlbd's
 * problem; a failure while xlbd itself was stalled is not judged; replies
 * are read before deadlines (I/O sources have the higher priority).
 */
#ifndef XLBD_PROBE_H
#define XLBD_PROBE_H

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "health.h"
#include "latency.h"
#include "probe_cfg.h"
#include "child.h"
#include "stall.h"

/* Priorities on the loop: probe replies, then timers, then clients. */
#define XLB_PRIO_PROBE_IO	-20
#define XLB_PRIO_TIMER		0
#define XLB_PRIO_CLIENT		10

struct prober;

enum probe_result {
	PROBE_OK,
	PROBE_FAIL,		/* the backend's answer, or its silence */
	PROBE_UNKNOWN,		/* xlbd could not run it: not the backend's fault */
};

struct probe_target {
	char vip[XLB_NAME_MAX];
	union xlb_addr backend;		/* with vip: the identity */
	struct xlb_cfg_probe p;		/* resolved: defaults, VIP, backend */
	union xlb_addr addr;		/* where the probe goes */
	__u16 port;
	struct xlb_health health;
	struct xlb_latency lat;		/* every probe's times */
	bool in_last_healthy;		/* for the all_down: keep policy */

	__u64 due_ms;			/* next health probe, monotonic */
	__u64 lat_due_ms;		/* next latency probe (latency_interval) */
	__u64 started_ms, deadline_ms;	/* while in flight */
	__u64 started_us, finished_ms;
	bool in_flight;
	bool judges_health;		/* the one in flight is a health probe */
	bool local_error;		/* xlbd failed to open a socket for curl */
	int fd;
	sd_event_source *timer, *io;
	struct xlb_child *child;
	void *curl;			/* CURL * while an HTTP(S) probe runs */
	void *curl_resolve;		/* its CURLOPT_RESOLVE list, kept as long */
	char unknown_reason[96];	/* the last probe xlbd could not run */
	bool kept_restored;		/* held again from prober->kept: not told yet */
	struct prober *pr;
};

/*
 * The damping of a target gone from the config (held out as flapping, or
 * with health changes counted), kept for when a target for the same backend
 * comes back: a removal rolled back, a reload without it then with it, a
 * VIP renamed. Matched by the backend's address and where and how it is
 * probed (type, probe address, port), not the VIP's name: a renamed VIP
 * (same address, same backends) must find it, and the same backend probed
 * the same way is judged the same whichever VIP names it. Times on the
 * monotonic clock (s as xlb_health_save gives them with both clocks the
 * same); until_ms: dropped then (its hold and window are over).
 */
struct probe_kept {
	struct xlb_flap_saved s;
	bool held;
	__u64 sig;			/* type, probe address, port; 0: unknown (from
					 * the damping file): s.probe_key must match */
	__u64 until_ms;
};
#define PROBER_KEPT_MAX	256

typedef void (*probe_change_fn)(void *ctx, struct probe_target *t,
				enum xlb_health_change change);

/* Probe start lateness over windows of LATE_WINDOW_MS: recent, and since start. */
#define LATE_WINDOW_MS	10000

#define XLB_PROBE_LATE_BUCKETS	1001

struct prober {
	sd_event *event;
	void *multi;			/* CURLM * */
	sd_event_source *curl_timer;
	struct probe_target **targets;	/* sorted by (vip, backend) */
	size_t nr;
	probe_change_fn on_change;
	void *ctx;
	const struct stall_watch *stall;
	__u64 started, late_ms_max, late_ms_sum;
	__u64 late_window_start, late_max_now, late_max_prev;
	__u64 unknown, not_judged;
	__u64 last_unknown_log_ms;
	struct probe_kept *kept;	/* gone from the config, for a while */
	size_t kept_nr;
	/* Starts by lateness: 1 ms buckets, the last one for all later; ever,
	 * and in the window now and the one before (as late_max_now/prev). */
	__u64 late_hist[XLB_PROBE_LATE_BUCKETS];
	__u64 late_hist_now[XLB_PROBE_LATE_BUCKETS], late_hist_prev[XLB_PROBE_LATE_BUCKETS];
};

int prober_init(struct prober *pr, sd_event *e, const struct stall_watch *stall,
		probe_change_fn fn, void *ctx);
void prober_fini(struct prober *pr);
/*
 * Makes the targets match cfg: a backend keeps its health, new ones start
 * up, gone ones are dropped (their probes ended). A backend whose probe
 * changed is judged by the new one from now (xlb_health_new_probe).
 */
int prober_sync(struct prober *pr, const struct xlb_cfg *cfg);
struct probe_target *prober_find(const struct prober *pr, const char *vip,
				 const union xlb_addr *backend);
/* Kept entries whose time is over are dropped. */
void prober_kept_prune(struct prober *pr, __u64 now_ms);
/* A held-out entry from the damping file with no target now: kept. */
void prober_keep_saved(struct prober *pr, const struct xlb_flap_saved *s, __u32 hold_ms,
		       __u64 now_ms, __u64 now_wall_ms);
/* A backend of vip not probed yet that prober_sync will hold out again. */
bool prober_kept_holds(const struct prober *pr, const struct xlb_cfg_vip *vip,
		       const struct xlb_cfg_backend *be);
/* What the prober has done, for status and /metrics. */
struct prober_summary {
	size_t targets, down, in_flight;
	__u64 started;			/* probes that judged health */
	__u64 late_ms_max, late_ms_recent;	/* start lateness: ever, last 10-20 s */
	double late_ms_mean;
	__u64 late_ms_p99;		/* 99 % of starts were this late or less (ever) */
	__u64 late_ms_p99_recent;	/* the same over the last 10-20 s */
	__u64 unknown, not_judged;	/* could not run; ran but judged nothing */
};
void prober_summary(const struct prober *pr, struct prober_summary *out);
/* The flap damping a target's probe settings ask for. */
struct xlb_flap_cfg probe_flap_cfg(const struct probe_target *t);

#endif /* XLBD_PROBE_H */
