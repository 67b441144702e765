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
#include "damping.h"
#include "events.h"
#include "health_apply.h"
#include "log.h"
#include "reconcile.h"
#include "announce.h"
#include "xlbd.h"

const struct xlb_vip_plan *xlbd_plan(const struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	size_t v = vip - x->effective->vips;

	return v < x->effective->nr_vips && x->plans ? &x->plans[v] : NULL;
}

const struct xlb_vip_ids *xlbd_ids(const struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	size_t v = vip - x->effective->vips;

	return x->ids && v < x->ids->nr_vips ? &x->ids->vips[v] : NULL;
}

__u32 xlbd_vip_id(const struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	const struct xlb_vip_ids *ids = xlbd_ids(x, vip);

	return ids ? ids->vip : XLB_NO_BACKEND;
}

__u32 xlbd_backend_id(const struct xlbd *x, const struct xlb_cfg_vip *vip,
		      const struct xlb_cfg_backend *be)
{
	const struct xlb_vip_ids *ids = xlbd_ids(x, vip);
	size_t b = be - vip->backends;

	return ids && b < ids->nr_backends ? ids->backends[b] : XLB_NO_BACKEND;
}

/*
 * The plan in force for a backend of a VIP, by name and address (looked
 * for first at index hint, where it is unless backends moved); NULL if none.
 */
static const struct xlb_plan_backend *plan_in_force(const struct xlbd *x, const char *vip,
						    size_t hint, const union xlb_addr *addr)
{
	struct xlb_cfg_vip *v = x->effective ? xlb_cfg_find_vip(x->effective, vip) : NULL;
	struct xlb_cfg_backend *be = v ? xlb_cfg_backend_near(v, hint, addr) : NULL;
	const struct xlb_vip_plan *p = v ? xlbd_plan(x, v) : NULL;

	return be && p ? &p->be[be - v->backends] : NULL;
}

/*
 * Slow start: a backend that takes new flows now and did not under the
 * plan in force (back from down, enabled, added) ramps up from now; one
 * that ramps keeps its start. A VIP without a plan in force (xlbd
 * starting, a new VIP) starts at full weight: nothing to protect yet.
 * Returns whether any backend ramps.
 */
static bool ramps(struct xlbd *x, const struct xlb_cfg_vip *vip, struct xlb_vip_plan *plan,
		  struct xlb_backend_health *h)
{
	bool known = x->effective && xlb_cfg_find_vip(x->effective, vip->name);
	__u64 now = monotonic_ms();
	bool any = false;
	size_t i;

	if (!vip->slow_start_ms || !known)
		return false;
	for (i = 0; i < vip->nr_backends; i++) {
		const struct xlb_plan_backend *was = plan_in_force(x, vip->name, i,
								   &vip->backends[i].addr);
		__u64 start;

		if (!plan->be[i].takes_new_flows)
			continue;
		start = was && was->takes_new_flows ? was->ramp_start_ms : now;
		if (start && xlb_slow_start_ramp(now - start, vip->slow_start_ms) >= 1)
			start = 0;
		plan->be[i].ramp_start_ms = start;
		h[i].ramp = start ? xlb_slow_start_ramp(now - start, vip->slow_start_ms) : 0;
		any |= start != 0;
	}
	return any;
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

		/* Not probed (yet): up, and so in the last healthy set; unless
		 * held out as flapping when it left the config (prober_sync
		 * holds it again once its target is made). */
		h[i].down = t ? xlb_health_is_down(&t->health) :
			    prober_kept_holds(&x->pr, vip, &vip->backends[i]);
		h[i].last_healthy = !t || t->in_last_healthy;
	}
	err = xlb_plan_vip(vip, h, plan);
	if (!err && ramps(x, vip, plan, h)) {
		struct xlb_vip_plan ramped;

		/* Again with the ramps: weights and expected shares as in force. */
		err = xlb_plan_vip(vip, h, &ramped);
		for (i = 0; !err && i < vip->nr_backends; i++)
			ramped.be[i].ramp_start_ms = plan->be[i].ramp_start_ms;
		if (!err) {
			xlb_vip_plan_free(plan);
			*plan = ramped;
		}
	}
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

static bool plan_ramps(const struct xlb_vip_plan *p)
{
	for (size_t i = 0; p && i < p->nr; i++)
		if (p->be[i].ramp_start_ms)
			return true;
	return false;
}

/* Says when a slow start begins and ends, from the plans before and after. */
void slow_start_note(struct xlbd *x, const struct xlb_cfg_vip *vip, const struct xlb_vip_plan *next)
{
	struct xlb_cfg_vip *was = x->effective ? xlb_cfg_find_vip(x->effective, vip->name) : NULL;
	char addr[XLB_ADDR_STRLEN];
	size_t i;

	/* Nothing ramps before or after: nothing begins or ends (most VIPs, most changes). */
	if (!plan_ramps(next) && !plan_ramps(was ? xlbd_plan(x, was) : NULL))
		return;
	for (i = 0; i < vip->nr_backends; i++) {
		const struct xlb_plan_backend *was = plan_in_force(x, vip->name, i,
								   &vip->backends[i].addr);
		const struct xlb_plan_backend *now = &next->be[i];
		bool began = now->ramp_start_ms && (!was || was->ramp_start_ms != now->ramp_start_ms);
		bool done = was && was->ramp_start_ms && !now->ramp_start_ms && now->takes_new_flows;

		if (!began && !done)
			continue;
		xlb_addr_str(&vip->backends[i].addr, addr, sizeof(addr));
		if (began)
			pr_info("backend %s of VIP '%s' takes new flows again: slow start at weight %u of %u, full in %u s\n",
				addr, vip->name, now->weight, vip->backends[i].weight,
				vip->slow_start_ms / 1000);
		else
			pr_info("backend %s of VIP '%s': slow start done, weight %u\n", addr, vip->name,
				now->weight);
		journal_event(x, "slow_start", json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}",
			      "vip", vip->name, "backend", addr, "state", began ? "started" : "done",
			      "weight", (int)now->weight, "config_weight", (int)vip->backends[i].weight,
			      "duration_s", (int)(vip->slow_start_ms / 1000)));
	}
}

/* Every second: VIPs with a backend ramping up take their next step. */
void slow_start_tick(struct xlbd *x)
{
	size_t v, i;

	for (v = 0; x->effective && x->plans && v < x->effective->nr_vips; v++) {
		const struct xlb_vip_plan *p = &x->plans[v];

		for (i = 0; i < p->nr && !p->be[i].ramp_start_ms; i++)
			;
		if (i < p->nr)
			dirty_mark(x, &x->effective->vips[v]);
	}
}

/* Let back: how it stands now. */
static void steady_words(const struct probe_target *t, __u64 now, char *buf, size_t len)
{
	unsigned long long same = (now - t->health.last_change_ms) / 1000;

	if (!t->p.flap_changes)
		snprintf(buf, len, "flap damping is off (flap_changes 0): no longer held out; %s by its probes",
			 xlb_health_state_name(t->health.state));
	else
		snprintf(buf, len, "up, health unchanged for %llu s (flap_hold %u s): let back", same,
			 t->p.flap_hold_ms / 1000);
}

void health_changed(void *ctx, struct probe_target *t, enum xlb_health_change change)
{
	struct xlbd *x = ctx;
	struct xlb_cfg_vip *vip = x->effective ? xlb_cfg_find_vip(x->effective, t->vip) : NULL;
	struct xlb_flap_cfg flap = probe_flap_cfg(t);
	char addr[XLB_ADDR_STRLEN], why[256] = "";
	__u64 now = monotonic_ms();
	const char *state;
	json_t *ev;

	xlb_addr_str(&t->backend, addr, sizeof(addr));
	switch (change) {
	case XLB_HEALTH_WENT_DOWN:
		pr_warn("backend %s of VIP '%s' is down: %s (%u failed %s probes in a row)\n",
			addr, t->vip, t->health.last_reason, t->health.fail_run,
			probe_type_name(t->p.type));
		state = "down";
		break;
	case XLB_HEALTH_WENT_UP:
		if (t->health.flapping)
			snprintf(why, sizeof(why), "still held out as flapping: let back in %u s if it stays up",
				 flap.hold_ms / 1000);
		pr_info("backend %s of VIP '%s' is up: %u good %s probes in a row%s%s\n", addr,
			t->vip, t->health.ok_run, probe_type_name(t->p.type), why[0] ? "; " : "", why);
		state = "up";
		break;
	case XLB_HEALTH_FLAPPING:
		xlb_health_flap_words(&t->health, &flap, now, why, sizeof(why));
		pr_warn("backend %s of VIP '%s' is flapping: held out: %s\n", addr, t->vip, why);
		state = "flapping";
		break;
	default:
		steady_words(t, now, why, sizeof(why));
		pr_info("backend %s of VIP '%s' is steady again: %s\n", addr, t->vip, why);
		state = "steady";
	}
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "vip", t->vip, "backend", addr, "state", state,
		       "reason", why[0] ? why : t->health.last_reason,
		       "probe", probe_type_name(t->p.type));
	/* Up (or down) while held out: no recovery, and no new hold either. */
	if (ev && t->health.flapping && change != XLB_HEALTH_FLAPPING)
		json_object_set_new(ev, "held_out", json_true());
	journal_event(x, "health", ev);
	if (vip)
		dirty_mark(x, vip);
	/* Held out, let back, or its hold moved: the damping file follows. */
	if (t->health.flapping || change == XLB_HEALTH_STEADY)
		damping_save(x);
}

int health_apply_vip(struct xlbd *x, const struct xlb_cfg_vip *vip, bool force)
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
	err = xlb_plan_same(plan, &next) && !force ? 0 :
	      xlb_apply_vip(x->dp, vip, xlbd_ids(x, vip), &next);
	if (err) {
		pr_err("Couldn't apply the health of VIP '%s' to the data path: %s; the data path keeps its last table, xlbd tries again\n",
		       vip->name, strerror(-err));
		xlb_vip_plan_free(&next);
		return err;
	}
	slow_start_note(x, vip, &next);
	xlb_vip_plan_free(plan);
	*plan = next;
	return 0;
}
