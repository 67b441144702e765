/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The plan: what each backend of a VIP gets, decided in one place from the
 * effective config (weight, admin state) and health (probe results and the
 * VIP's all_down policy). The data path's set, the expected shares the skew
 * detector judges against, /metrics, show, top and diff all read it, so
 * they cannot disagree about a backend that is down, drained, disabled or
 * at weight 0.
 */
#ifndef XLB_PLAN_H
#define XLB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "ids.h"
#include "service.h"

/* Health of one backend, as the prober knows it; in the VIP's backend order. */
struct xlb_backend_health {
	bool down;		/* its probes say down */
	bool last_healthy;	/* in the last healthy set (for all_down: keep) */
	double ramp;		/* slow start: share of its weight it gets now; 0: all */
};

struct xlb_plan_backend {
	__u8 dp_state;		/* XLB_BE_UP, XLB_BE_DRAINING or XLB_BE_DOWN */
	bool health_down;	/* probes say down */
	bool kept;		/* down, yet kept in the table by all_down: keep */
	bool takes_new_flows;	/* has table slots: up, weight > 0 */
	__u32 weight;		/* in force: the config's, or less while it ramps up */
	__u64 ramp_start_ms;	/* slow start began (monotonic); 0: not ramping */
	double expected_share;	/* of the VIP's new flows: weight / takers' total */
};

struct xlb_vip_plan {
	struct xlb_plan_backend *be;	/* one per backend of the VIP */
	size_t nr;
	bool all_down;		/* every backend that could take flows is down */
	__u64 total_weight;	/* of the backends taking new flows */
};

/* health may be NULL: every backend healthy (not probed). */
int xlb_plan_vip(const struct xlb_cfg_vip *vip, const struct xlb_backend_health *health,
		 struct xlb_vip_plan *plan);
void xlb_vip_plan_free(struct xlb_vip_plan *plan);
/*
 * Slow start: the share of its weight a backend gets elapsed_ms after it
 * began taking new flows again, over duration_ms, in XLB_RAMP_STEPS steps
 * from 1/XLB_RAMP_STEPS (each step is one table change); 1 when done.
 */
#define XLB_RAMP_STEPS	10
double xlb_slow_start_ramp(__u64 elapsed_ms, __u32 duration_ms);

/* Would the data path see the same VIP under both (same config)? */
bool xlb_plan_same(const struct xlb_vip_plan *a, const struct xlb_vip_plan *b);

/*
 * The data path's view of a VIP under its plan, at the ids reconcile gave
 * it. ids NULL: VIP 0, backends numbered by their index (a table built only
 * to be read, never written).
 */
int xlb_vip_spec_from_plan(const struct xlb_cfg_vip *vip, const struct xlb_vip_ids *ids,
			   const struct xlb_vip_plan *plan, struct xlb_vip_spec *spec);

#endif /* XLB_PLAN_H */
