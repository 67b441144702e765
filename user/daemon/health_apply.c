// SPDX-License-Identifier: GPL-2.0
/*
 * From probe results to the data path. A backend whose probes fail leaves
 * its VIP's table (its flows move); one that recovers comes back. When
 * every backend that could take traffic is down, the VIP's all_down policy
 * decides (see plan.c): keep the last healthy set in the table (default)
 * or drop, with the drops counted as drop_no_backend.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "reconcile.h"
#include "xlbd.h"

const struct xlb_vip_plan *xlbd_plan(const struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	size_t v = vip - x->effective->vips;

	return v < x->effective->nr_vips && x->plans ? &x->plans[v] : NULL;
}

int health_plan(struct xlbd *x, const struct xlb_cfg_vip *vip, struct xlb_vip_plan *plan)
{
	struct xlb_backend_health *h = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*h));
	size_t i;
	int err;

	if (!h)
		return -ENOMEM;
	for (i = 0; i < vip->nr_backends; i++) {
		struct probe_target *t = prober_find(&x->pr, vip->name, &vip->backends[i].addr);

		/* Not probed (yet): up, and so in the last healthy set. */
		h[i].down = t && t->health.state == XLB_HEALTH_DOWN;
		h[i].last_healthy = !t || t->in_last_healthy;
	}
	err = xlb_plan_vip(vip, h, plan);
	free(h);
	if (err || plan->all_down)
		return err;
	/* Remember who is healthy now: the set to keep if all go down. */
	for (i = 0; i < vip->nr_backends; i++) {
		struct probe_target *t = prober_find(&x->pr, vip->name, &vip->backends[i].addr);

		if (t)
			t->in_last_healthy = !plan->be[i].health_down;
	}
	return 0;
}

void health_changed(void *ctx, struct probe_target *t, enum xlb_health_change change)
{
	struct xlbd *x = ctx;
	struct xlb_cfg_vip *vip = x->effective ? xlb_cfg_find_vip(x->effective, t->vip) : NULL;
	char addr[XLB_ADDR_STRLEN];

	xlb_addr_str(&t->backend, addr, sizeof(addr));
	if (change == XLB_HEALTH_WENT_DOWN)
		pr_warn("backend %s of VIP '%s' is down: %s (%u failed %s probes in a row)\n",
			addr, t->vip, t->health.last_reason, t->health.fail_run,
			probe_type_name(t->p.type));
	else
		pr_info("backend %s of VIP '%s' is up: %u good %s probes in a row\n", addr,
			t->vip, t->health.ok_run, probe_type_name(t->p.type));
	journal_event(x, "health", json_pack("{s:s, s:s, s:s, s:s, s:s}", "vip", t->vip,
		      "backend", addr, "state", change == XLB_HEALTH_WENT_DOWN ? "down" : "up",
		      "reason", t->health.last_reason, "probe", probe_type_name(t->p.type)));
	if (vip && health_apply_vip(x, vip))
		x->health_retry = true;
}

int health_apply_vip(struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	struct xlb_vip_plan *plan = &x->plans[vip - x->effective->vips], next;
	int err;

	err = health_plan(x, vip, &next);
	if (err) {
		pr_err("Couldn't plan VIP '%s' after a health change: %s\n", vip->name, strerror(-err));
		return err;
	}
	if (next.all_down && !plan->all_down)
		pr_warn("every backend of VIP '%s' is down: %s\n", vip->name,
			vip->all_down == XLB_ALL_DOWN_DROP ?
			"its traffic is dropped and counted (all_down: drop)" :
			"keeping the last healthy set in the table (all_down: keep)");
	/* The VIP's new table in one step; ids are those already applied. */
	err = xlb_plan_same(plan, &next) ? 0 : xlb_apply_vip(x->dp, vip, &next);
	if (err) {
		pr_err("Couldn't apply the health of VIP '%s' to the data path: %s; the data path keeps its last table, xlbd tries again every second\n",
		       vip->name, strerror(-err));
		xlb_vip_plan_free(&next);
		return err;
	}
	xlb_vip_plan_free(plan);
	*plan = next;
	return 0;
}

void health_retry(struct xlbd *x)
{
	size_t v;

	x->health_retry = false;
	for (v = 0; x->effective && v < x->effective->nr_vips; v++)
		if (health_apply_vip(x, &x->effective->vips[v]))
			x->health_retry = true;
	if (!x->health_retry)
		pr_info("The data path follows health again\n");
}
