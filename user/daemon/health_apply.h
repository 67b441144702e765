/* SPDX-License-Identifier: GPL-2.0 */
/* From probe results to plans (health_apply.c), and the ids a VIP has in the maps. */
#ifndef XLBD_HEALTH_APPLY_H
#define XLBD_HEALTH_APPLY_H

#include <stdbool.h>
#include "config.h"
#include "health.h"
#include "ids.h"
#include "plan.h"

struct xlbd;
struct probe_target;

/* The plan in force for a VIP of x->effective. */
const struct xlb_vip_plan *xlbd_plan(const struct xlbd *x, const struct xlb_cfg_vip *vip);
/* Its data-path ids, and one backend's (be one of vip's); XLB_NO_BACKEND: none yet. */
const struct xlb_vip_ids *xlbd_ids(const struct xlbd *x, const struct xlb_cfg_vip *vip);
__u32 xlbd_vip_id(const struct xlbd *x, const struct xlb_cfg_vip *vip);
__u32 xlbd_backend_id(const struct xlbd *x, const struct xlb_cfg_vip *vip,
		      const struct xlb_cfg_backend *be);
/* A VIP's plan from its config and what the prober knows of its backends. */
int health_plan(struct xlbd *x, const struct xlb_cfg_vip *vip, struct xlb_vip_plan *plan);
/* A probe result changed a backend's health: log it, rebuild its VIP. */
void health_changed(void *ctx, struct probe_target *t, enum xlb_health_change change);
/*
 * A VIP's plan from health, to the data path when it differs from the plan
 * in force (force: even if it does not). For the dirty set's handler: in
 * its batch, a table swap is only queued when this returns.
 */
int health_apply_vip(struct xlbd *x, const struct xlb_cfg_vip *vip, bool force);
/* Slow start: log and journal ramps that begin or end under next. */
void slow_start_note(struct xlbd *x, const struct xlb_cfg_vip *vip, const struct xlb_vip_plan *next);
/* Every second: ramping backends take their next step. */
void slow_start_tick(struct xlbd *x);

#endif /* XLBD_HEALTH_APPLY_H */
