/* SPDX-License-Identifier: GPL-2.0 */
/* Applying a config to the data path's maps, keeping ids and flows. */
#ifndef XLB_RECONCILE_H
#define XLB_RECONCILE_H

#include "config.h"
#include "dataplane.h"
#include "service.h"

/* Fills cfg's VIP and backend ids and makes the maps match cfg. */
int xlb_reconcile(struct xlb_dp *dp, struct xlb_cfg *cfg);
/* The data path's view of a configured VIP; spec->backends is allocated. */
int xlb_vip_spec_from_cfg(const struct xlb_cfg_vip *vip, struct xlb_vip_spec *spec);

#endif /* XLB_RECONCILE_H */
