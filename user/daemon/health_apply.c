// SPDX-License-Identifier: GPL-2.0
/*
 * From probe results to the data path. A backend whose probes fail leaves
 * its VIP's table (its flows move); one that recovers comes back. When
 * every backend that could take traffic is down, the VIP's all_down policy
 * decides: keep the last healthy set in the table (default) or drop, with
 * the drops counted as drop_no_backend. Never a table pointing at nothing
 * uncounted, never a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "reconcile.h"
#include "service.h"
#include "xlbd.h"

static bool takes_traffic(const struct xlb_cfg_backend *be)
{
	return be->admin == XLB_ADMIN_UP && be->weight;
}

void health_overlay(struct xlbd *x, struct xlb_cfg_vip *vip)
{
	size_t i, healthy = 0, candidates = 0, kept = 0;

	for (i = 0; i < vip->nr_backends; i++) {
		struct xlb_cfg_backend *be = &vip->backends[i];
		struct probe_target *t = prober_find(&x->pr, vip->name, &be->addr);

		be->health_down = t && t->health.state == XLB_HEALTH_DOWN;
		if (!takes_traffic(be))
			continue;
		candidates++;
		healthy += !be->health_down;
	}
	if (healthy || !candidates) {
		/* Remember who is healthy now: the set to keep if all go down. */
		for (i = 0; i < vip->nr_backends; i++) {
			struct probe_target *t = prober_find(&x->pr, vip->name, &vip->backends[i].addr);

			if (t)
				t->in_last_healthy = !vip->backends[i].health_down;
		}
		return;
	}
	if (vip->all_down == XLB_ALL_DOWN_DROP)
		return;
	/* All down, policy keep: the last healthy set stays in the table. */
	for (i = 0; i < vip->nr_backends; i++) {
		struct xlb_cfg_backend *be = &vip->backends[i];
		struct probe_target *t = prober_find(&x->pr, vip->name, &be->addr);

		if (takes_traffic(be) && (!t || t->in_last_healthy)) {
			be->health_down = false;
			kept++;
		}
	}
	/* Nothing recorded (all were down from the start): keep them all. */
	for (i = 0; !kept && i < vip->nr_backends; i++)
		if (takes_traffic(&vip->backends[i]))
			vip->backends[i].health_down = false;
}

void health_changed(void *ctx, struct probe_target *t, enum xlb_health_change change)
{
	struct xlbd *x = ctx;
	struct xlb_cfg_vip *vip = x->effective ? xlb_cfg_find_vip(x->effective, t->vip) : NULL;
	struct xlb_vip_spec spec;
	char addr[XLB_ADDR_STRLEN];
	bool any = false, all_down = true;

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
	if (!vip)
		return;

	health_overlay(x, vip);
	for (size_t i = 0; i < vip->nr_backends; i++) {
		struct probe_target *o = prober_find(&x->pr, vip->name, &vip->backends[i].addr);

		if (!takes_traffic(&vip->backends[i]))
			continue;
		any = true;
		if (!o || o->health.state == XLB_HEALTH_UP)
			all_down = false;
	}
	if (any && all_down)
		pr_warn("every backend of VIP '%s' is down: %s\n", vip->name,
			vip->all_down == XLB_ALL_DOWN_DROP ?
			"its traffic is dropped and counted (all_down: drop)" :
			"keeping the last healthy set in the table (all_down: keep)");

	/* The VIP's new table in one step; ids are those already applied. */
	if (xlb_vip_spec_from_cfg(vip, &spec))
		return;
	if (xlb_service_apply(x->dp, &spec))
		pr_err("Couldn't apply the health of VIP '%s' to the data path\n", vip->name);
	free(spec.backends);
}
