/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Skew detection: is a backend getting a share of a VIP's traffic that its
 * configuration does not explain, or that its configuration explains only
 * because the configuration is off? And if so, why?
 *
 * Three shares per backend are compared:
 *   expected e: its weight over the weights of the backends taking new flows,
 *   table t:    its slots in the programmed Maglev table over the table size,
 *   observed o: its new flows (and, apart, packets) over the VIP's, in a
 *               sliding window.
 * A backend is flagged when o departs from e by more than `ratio` either
 * way, or when o is in line with e but e itself is `config_ratio` above the
 * share the backend would have at its peers' median weight. A flag counts
 * only when it is statistically significant for the volume seen (binomial
 * z-test, at least min_flows in the window), and raises an alert only
 * after raise_after flagged evaluations in a row; it clears after
 * clear_after clean ones. While the window holds fewer than min_flows the
 * state stays as it is: silence proves nothing either way. When the
 * expected shares change (weights, backends in or out) the window starts
 * over: traffic from before is not judged by the shares of after.
 *
 * The cause is named from the three shares: t differs from e and o
 * follows t: the data path does not match the config; o follows e but e
 * is out of line with the peers: configuration; o follows neither:
 * traffic concentration (few heavy clients, or a hash without the source
 * port). "Follows": within ratio of it.
 */
#ifndef XLB_SKEW_H
#define XLB_SKEW_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define XLB_SKEW_MAX_WINDOW	120	/* samples kept per backend */

struct xlb_skew_cfg {
	__u32 window;		/* samples (one per evaluation) in the window: 5 */
	double ratio;		/* observed vs expected: 1.5 */
	double config_ratio;	/* expected vs peer share: 2.0 */
	double z;		/* significance: 4.0 */
	__u32 min_flows;	/* VIP new flows in the window: 100 */
	__u32 raise_after;	/* consecutive flagged evaluations: 3 */
	__u32 clear_after;	/* consecutive clean evaluations: 10 */
	double table_tolerance;	/* |t/e - 1| above this: data path: 0.05 */
};

enum xlb_skew_cause {
	XLB_SKEW_NONE = 0,
	XLB_SKEW_CONFIGURATION,
	XLB_SKEW_DATA_PATH,
	XLB_SKEW_TRAFFIC,
};

/* One backend's numbers at one evaluation. */
struct xlb_skew_input {
	__u64 new_flows;	/* cumulative counter */
	__u64 packets;		/* cumulative counter */
	__u32 weight;		/* 0 or not taking new flows: not judged */
	bool takes_new_flows;
	double table_share;
};

struct xlb_skew_backend {
	/* Deltas per evaluation, a ring of the last `window` ones. */
	__u64 flows[XLB_SKEW_MAX_WINDOW], packets[XLB_SKEW_MAX_WINDOW];
	__u64 last_flows, last_packets;
	bool primed;
	__u32 flagged_run, clean_run;
	bool raised;
	enum xlb_skew_cause cause;
	/* Last evaluation, for metrics and messages. */
	double expected, observed, observed_packets, table, peer, z;
	__u64 window_flows;
};

struct xlb_skew_vip {
	struct xlb_skew_backend *be;
	size_t nr;
	__u32 pos;		/* ring position */
	__u32 filled;		/* evaluations so far, up to window */
	__u64 window_flows;	/* the VIP's new flows in the window */
	bool hash_source_port;
	__u64 expectation;	/* what the expected shares were computed from */
	__u32 median_weight;	/* of the backends taking new flows, last evaluation */
	__u32 *scratch;		/* nr weights: no VLA for a million backends */
};

enum xlb_skew_event { XLB_SKEW_NO_CHANGE = 0, XLB_SKEW_RAISED, XLB_SKEW_CLEARED };

void xlb_skew_cfg_default(struct xlb_skew_cfg *cfg);
int xlb_skew_vip_init(struct xlb_skew_vip *v, size_t nr_backends);
void xlb_skew_vip_free(struct xlb_skew_vip *v);
/*
 * One evaluation with in[0..nr-1]; events[i] says what happened to backend
 * i's alert. Returns the number of raise/clear events.
 */
size_t xlb_skew_evaluate(const struct xlb_skew_cfg *cfg, struct xlb_skew_vip *v,
			 const struct xlb_skew_input *in, enum xlb_skew_event *events);
const char *xlb_skew_cause_name(enum xlb_skew_cause c);
/*
 * From a backend's last numbers: does it get significantly more than its
 * fair share (its share at the median weight of its peers)? And what
 * explains a share above it: the table off the weights (data path), a
 * weight out of line with its peers' (configuration), or neither (traffic
 * concentration). The diagnosis asks these; the alert keeps its own rule.
 */
bool xlb_skew_over_fair(const struct xlb_skew_cfg *cfg, const struct xlb_skew_backend *b,
			__u64 window_flows);
enum xlb_skew_cause xlb_skew_explain(const struct xlb_skew_cfg *cfg,
				     const struct xlb_skew_backend *b);
/* A sentence with the numbers: "backend ... gets 80.1% of new flows ...". */
void xlb_skew_describe(const struct xlb_skew_vip *v, size_t i, const char *vip,
		       const char *backend, __u32 weight, __u32 median_weight,
		       char *buf, size_t len);

#endif /* XLB_SKEW_H */
