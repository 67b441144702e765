/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "Was it the balancer?" Once a second, per VIP, from each backend's probe
 * latency (latency.h) and its share of new flows (skew.h), one verdict:
 *
 *   overload      one or a few backends are markedly slower than their
 *                 peers AND get more than their fair share of new flows
 *                 (their share at the peers' median weight): the balancer
 *                 overloads them. The cause is the skew classifier's:
 *                 configuration, data path or traffic concentration.
 *   shared        (nearly) all backends slowed down together against their
 *                 own baselines, none stands out, shares match the weights:
 *                 not the balancer; something they share.
 *   sick          one or a few backends are slow or failing at a normal
 *                 share: a host problem. Says what health did about it.
 *                 Slow for most of its requests: its lower quartile, not
 *                 only its median, is markedly above its peers'. A server
 *                 whose latency has two modes (idle, or one request ahead
 *                 of the probe) flips its median between them by chance;
 *                 that is not a sick host.
 *   insufficient  no verdict can be given; says what is missing.
 *   none          enough data and nothing wrong.
 *
 * "Markedly slower" is a median slow_ratio above the peers' AND at least
 * min_delta above it AND a Mann-Whitney z of at least z against the
 * peers' samples; "slowed" is the same against the backend's own baseline
 * (a sign test). Every backend judged needs min_samples in the window. A
 * verdict (overload, shared, sick) takes effect after raise_after
 * evaluations in a row agree, and gives way to none after clear_after
 * clean ones: no verdict flaps on noise.
 */
#ifndef XLB_DIAGNOSIS_H
#define XLB_DIAGNOSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "skew.h"

struct xlb_diag_cfg {
	__u32 window_ms;	/* latency samples judged: 10 s */
	double slow_ratio;	/* slower by this factor: 2.0 */
	__u32 min_delta_us;	/* and by at least this: 5 ms */
	double z;		/* significance: 3.0 */
	__u32 min_samples;	/* per backend in the window: 8 */
	__u32 raise_after;	/* evaluations in a row: 3 */
	__u32 clear_after;	/* clean evaluations in a row: 10 */
	double shared_fraction;	/* of the backends, slowed together: 0.75 */
};

enum xlb_diag_kind {
	XLB_DIAG_NONE = 0,
	XLB_DIAG_INSUFFICIENT,
	XLB_DIAG_OVERLOAD,
	XLB_DIAG_SHARED,
	XLB_DIAG_SICK,
	XLB_DIAG_KINDS,
};

/* One backend at one evaluation. */
struct xlb_diag_input {
	const char *name;		/* its address, as messages name it */
	bool judged;			/* takes new flows: latency and share count */
	bool health_down;		/* taken out by its probes (flapping included) */
	bool flapping;			/* ... held out as flapping, not down */
	const char *health;		/* what health did, in words */
	bool probed;			/* has probes that time it */
	const __u32 *lat;		/* latency samples in the window, µs */
	size_t n, failed;
	__u32 baseline_us;		/* 0: none yet */
	__u32 weight;			/* in force (ramping included) */
	const struct xlb_skew_backend *share;	/* NULL: no share known */
};

struct xlb_diag_vip {
	enum xlb_diag_kind kind;	/* in force */
	char message[1024];		/* in force, refreshed every evaluation */
	enum xlb_skew_cause cause;	/* of an overload */
	char named[256];		/* the backends the verdict names */
	__u64 since_ms;
	/* Building up to a change. */
	enum xlb_diag_kind pending;
	__u32 pending_run, clean_run;
	/* Last evaluation's numbers: medians over judged backends, µs. */
	__u32 median_us, baseline_us;
};

enum xlb_diag_event { XLB_DIAG_SAME = 0, XLB_DIAG_RAISED, XLB_DIAG_CLEARED };

void xlb_diag_cfg_default(struct xlb_diag_cfg *cfg);
void xlb_diag_vip_init(struct xlb_diag_vip *v, __u64 now_ms);
/*
 * One evaluation of a VIP's nr backends; skew and window_flows are the
 * skew detector's, for the shares. Returns what happened to the verdict.
 */
enum xlb_diag_event xlb_diag_evaluate(const struct xlb_diag_cfg *cfg,
				      const struct xlb_skew_cfg *skew, __u64 window_flows,
				      struct xlb_diag_vip *v, const struct xlb_diag_input *in,
				      size_t nr, __u64 now_ms);
const char *xlb_diag_kind_name(enum xlb_diag_kind k);
/* Alert kinds: a verdict that something is wrong. */
bool xlb_diag_is_alert(enum xlb_diag_kind k);

#endif /* XLB_DIAGNOSIS_H */
