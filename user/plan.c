// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "plan.h"

/* Could take new flows if healthy: admin up and a weight. */
static bool candidate(const struct xlb_cfg_backend *be)
{
	return be->admin == XLB_ADMIN_UP && be->weight;
}

int xlb_plan_vip(const struct xlb_cfg_vip *vip, const struct xlb_backend_health *health,
		 struct xlb_vip_plan *plan)
{
	size_t i, candidates = 0, healthy = 0, kept = 0;

	memset(plan, 0, sizeof(*plan));
	plan->be = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*plan->be));
	if (!plan->be)
		return -ENOMEM;
	plan->nr = vip->nr_backends;
	for (i = 0; i < plan->nr; i++) {
		plan->be[i].health_down = health && health[i].down;
		if (!candidate(&vip->backends[i]))
			continue;
		candidates++;
		healthy += !plan->be[i].health_down;
	}
	plan->all_down = candidates && !healthy;
	/*
	 * All down under all_down: keep: the last healthy set stays in the
	 * table; when none was ever recorded healthy, every candidate does.
	 * Under drop the table empties and the data path counts the drops.
	 */
	if (plan->all_down && vip->all_down == XLB_ALL_DOWN_KEEP) {
		for (i = 0; i < plan->nr; i++)
			if (candidate(&vip->backends[i]) && (!health || health[i].last_healthy))
				kept += plan->be[i].kept = true;
		for (i = 0; !kept && i < plan->nr; i++)
			plan->be[i].kept = candidate(&vip->backends[i]);
	}
	for (i = 0; i < plan->nr; i++) {
		const struct xlb_cfg_backend *be = &vip->backends[i];
		struct xlb_plan_backend *p = &plan->be[i];
		bool down = p->health_down && !p->kept;

		p->dp_state = xlb_effective_state(be->admin, down ? XLB_HEALTH_DOWN : XLB_HEALTH_UP,
						  be->weight);
		p->takes_new_flows = xlb_be_takes_new_flows(p->dp_state);
		p->weight = be->weight;
		/* Ramping: a part of its weight, never less than 1 (it takes flows). */
		if (health && health[i].ramp > 0 && health[i].ramp < 1 && p->takes_new_flows) {
			p->weight = be->weight * health[i].ramp + 0.5;
			if (!p->weight)
				p->weight = 1;
		}
		if (p->takes_new_flows)
			plan->total_weight += p->weight;
	}
	for (i = 0; i < plan->nr; i++)
		if (plan->be[i].takes_new_flows)
			plan->be[i].expected_share = (double)plan->be[i].weight / plan->total_weight;
	return 0;
}

double xlb_slow_start_ramp(__u64 elapsed_ms, __u32 duration_ms)
{
	__u64 step;

	if (!duration_ms || elapsed_ms >= duration_ms)
		return 1;
	step = elapsed_ms * XLB_RAMP_STEPS / duration_ms + 1;
	return (double)step / XLB_RAMP_STEPS;
}

bool xlb_plan_same(const struct xlb_vip_plan *a, const struct xlb_vip_plan *b)
{
	size_t i;

	if (a->nr != b->nr)
		return false;
	for (i = 0; i < a->nr; i++)
		if (a->be[i].dp_state != b->be[i].dp_state || a->be[i].weight != b->be[i].weight)
			return false;
	return true;
}

void xlb_vip_plan_free(struct xlb_vip_plan *plan)
{
	free(plan->be);
	memset(plan, 0, sizeof(*plan));
}

int xlb_vip_spec_from_plan(const struct xlb_cfg_vip *v, const struct xlb_vip_ids *ids,
			   const struct xlb_vip_plan *plan, struct xlb_vip_spec *spec)
{
	size_t i;

	memset(spec, 0, sizeof(*spec));
	spec->key = v->key;
	spec->id = ids ? ids->vip : 0;
	spec->flags = (v->encap ? XLB_VIP_F_ENCAP : 0) |
		      (v->hash_source_port ? 0 : XLB_VIP_F_HASH_NO_SPORT);
	spec->table_size = v->table_size;
	spec->echo_reply = v->echo_reply;
	spec->nr_backends = v->nr_backends;
	spec->backends = calloc(v->nr_backends ? v->nr_backends : 1, sizeof(*spec->backends));
	if (!spec->backends)
		return -ENOMEM;
	for (i = 0; i < v->nr_backends; i++) {
		struct xlb_backend_spec *b = &spec->backends[i];

		b->addr = v->backends[i].addr;
		b->weight = plan->be[i].weight;
		b->state = plan->be[i].dp_state;
		b->id = ids && i < ids->nr_backends ? ids->backends[i] : i;
		memcpy(b->mac, v->backends[i].mac, sizeof(b->mac));
	}
	return 0;
}
