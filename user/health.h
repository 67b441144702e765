/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Backend health from probe results: rise consecutive successes bring a
 * down backend up, fall consecutive failures take an up one down. Counts
 * are of consecutive results, not cumulative: one success in a run of
 * failures starts the failure count again. A backend starts up, so that
 * a restarting daemon does not empty its tables before the first probes.
 */
#ifndef XLB_HEALTH_H
#define XLB_HEALTH_H

#include <stdbool.h>
#include <linux/types.h>
#include "config.h"

#define XLB_PROBE_DEFAULT_INTERVAL_MS	2000
#define XLB_PROBE_DEFAULT_TIMEOUT_MS	1000
#define XLB_PROBE_DEFAULT_RISE		2
#define XLB_PROBE_DEFAULT_FALL		3

enum xlb_health_state {
	XLB_HEALTH_UP = 0,
	XLB_HEALTH_DOWN,
};

enum xlb_health_change {
	XLB_HEALTH_SAME = 0,
	XLB_HEALTH_WENT_UP,
	XLB_HEALTH_WENT_DOWN,
};

struct xlb_health {
	enum xlb_health_state state;
	__u32 ok_run, fail_run;		/* current runs of results */
	bool last_ok;
	char last_reason[96];		/* "ok", "timeout", "refused", "status 503", ... */
	__u64 last_probe_ms, last_change_ms;
	__u64 probes, failures;
};

void xlb_health_init(struct xlb_health *h, __u64 now_ms);
enum xlb_health_change xlb_health_record(struct xlb_health *h, bool ok, const char *reason,
					 __u32 rise, __u32 fall, __u64 now_ms);

/* What the data path gets from admin state and health together. */
enum xlb_backend_state xlb_effective_state(enum xlb_admin_state admin,
					   enum xlb_health_state health, __u32 weight);

const char *xlb_health_state_name(enum xlb_health_state s);

#endif /* XLB_HEALTH_H */
