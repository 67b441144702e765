/* SPDX-License-Identifier: GPL-2.0 */
/* Makes the data path's maps say what a config, under its plans, says. */
#ifndef XLB_RECONCILE_H
#define XLB_RECONCILE_H

#include "config.h"
#include "dataplane.h"
#include "ids.h"
#include "plan.h"

/*
 * Everything: ids kept by key (so flows survive) and written into ids
 * (xlb_ids_new(cfg)), every VIP written, what is gone removed. plans[i]
 * is the plan of cfg->vips[i].
 */
int xlb_reconcile(struct xlb_dp *dp, const struct xlb_cfg *cfg,
		  const struct xlb_vip_plan *plans, struct xlb_ids *ids);
/*
 * Only what changed, when no VIP or backend came or went (a weight, a
 * drain, a health change, a reload that moves weights): ids carry over
 * from old_ids into ids and only the VIPs the data path would see
 * differently are written, each in one step. -EAGAIN when the change
 * needs xlb_reconcile.
 */
int xlb_reconcile_changed(struct xlb_dp *dp, const struct xlb_cfg *old,
			  const struct xlb_ids *old_ids, const struct xlb_vip_plan *old_plans,
			  const struct xlb_cfg *cfg, const struct xlb_vip_plan *plans,
			  struct xlb_ids *ids, size_t *written);
/* One VIP under its plan at its ids, in one step (backends, table, then the VIP). */
int xlb_apply_vip(struct xlb_dp *dp, const struct xlb_cfg_vip *vip,
		  const struct xlb_vip_ids *ids, const struct xlb_vip_plan *plan);

#endif /* XLB_RECONCILE_H */
