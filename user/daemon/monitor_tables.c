// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "health_apply.h"
#include "monitor.h"
#include "monitor_tables.h"
#include "plan.h"
#include "xlbd.h"

/*
 * vm's VIP in the effective config: vips[] follows its order (monitor_sync),
 * so it is at the same index unless a change is not synced yet.
 */
struct xlb_cfg_vip *monitor_vm_vip(struct xlbd *x, const struct vip_monitor *vm)
{
	size_t v = vm - x->mon.vips;

	if (v < x->effective->nr_vips && !strcmp(x->effective->vips[v].name, vm->name))
		return &x->effective->vips[v];
	return xlb_cfg_find_vip(x->effective, vm->name);
}

/* Before VIP rd->vip's first slot: its backends' addresses by id, for the fingerprint. */
static void begin_table(struct xlbd *x, struct table_read *rd, const struct xlb_cfg_vip *vip)
{
	__u32 max = xlb_dp_max_backends(x->dp);
	size_t b;

	for (b = 0; b < vip->nr_backends; b++) {
		__u32 id = xlbd_backend_id(x, vip, &vip->backends[b]);

		if (id < max)
			rd->owner[id] = xlb_fp_addr(&vip->backends[b].addr);
	}
	xlb_fp_table_init(&rd->fp);
}

/*
 * The fingerprint of what was read, with the config part from the plan in
 * force: the backends that take new flows, at their weights in force.
 */
static void fingerprint(struct xlbd *x, struct vip_monitor *vm, const struct xlb_cfg_vip *vip,
			const struct xlb_fp_table *t)
{
	const struct xlb_vip_plan *plan = xlbd_plan(x, vip);
	union xlb_addr *addrs = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*addrs));
	__u32 *weights = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*weights));
	size_t b;

	if (addrs && weights && plan) {
		for (b = 0; b < vip->nr_backends; b++) {
			addrs[b] = vip->backends[b].addr;
			weights[b] = plan->be[b].takes_new_flows ? plan->be[b].weight : 0;
		}
		xlb_fp_finish(&vm->fp, xlb_fp_config(addrs, weights, vip->nr_backends,
						     vip->table_size, vip->hash_source_port), t);
		vm->fp_ms = monotonic_ms();
	}
	free(addrs);
	free(weights);
}

/* The count of VIP rd->vip is complete: its backends' slots, by index. */
static void publish_table(struct xlbd *x, struct table_read *rd, __u32 m)
{
	struct vip_monitor *vm = &x->mon.vips[rd->vip];
	struct xlb_cfg_vip *vip = monitor_vm_vip(x, vm);
	__u32 max = xlb_dp_max_backends(x->dp);
	__u64 seen = 0;
	size_t b;

	for (b = 0; b < vm->nr; b++) {
		struct xlb_cfg_backend *be = vip ? xlb_cfg_backend_near(vip, b, &vm->addrs[b]) : NULL;
		__u32 id = be ? xlbd_backend_id(x, vip, be) : XLB_NO_BACKEND;

		vm->table_slots[b] = id < max ? rd->counts[id] : 0;
		seen += vm->table_slots[b];
		if (id < max) {
			rd->counts[id] = 0;
			rd->owner[id] = XLB_FP_EMPTY;
		}
	}
	vm->table_m = m;
	if (vip)
		fingerprint(x, vm, vip, &rd->fp);
	/* Slots of ids not its own (a damaged table) are left: clear them all. */
	if (seen != m)
		memset(rd->counts, 0, max * sizeof(*rd->counts));
}

/*
 * Reads the live tables on, VIP after VIP, at most MONITOR_TABLE_READ_SLOTS
 * slots a call. A table swapped during its read is counted again.
 */
void monitor_tables_read(struct xlbd *x)
{
	struct monitor *mon = &x->mon;
	struct table_read *rd = &mon->rd;
	__u32 budget = MONITOR_TABLE_READ_SLOTS, max = xlb_dp_max_backends(x->dp), b;

	if (!rd->counts)
		rd->counts = calloc(max ? max : 1, sizeof(*rd->counts));
	if (!rd->owner) {
		rd->owner = malloc((max ? max : 1) * sizeof(*rd->owner));
		for (b = 0; rd->owner && b < max; b++)
			rd->owner[b] = XLB_FP_EMPTY;
	}
	if (!rd->counts || !rd->owner) {
		rd->active = false;
		return;
	}
	while (rd->active && rd->vip < mon->nr && budget) {
		struct vip_monitor *vm = &mon->vips[rd->vip];
		struct xlb_cfg_vip *vip = monitor_vm_vip(x, vm);
		__u32 before = rd->from, m = 0, id = 0;
		int r;

		if (vip && !rd->from)
			begin_table(x, rd, vip);
		r = vip ? xlb_dp_count_slots(x->dp, xlbd_vip_id(x, vip), &rd->from, budget, rd->counts,
					     &m, &id, rd->owner, &rd->fp) : -ENOENT;

		if (r >= 0 && before && id != rd->table_id) {
			memset(rd->counts, 0, max * sizeof(*rd->counts));
			rd->from = 0;
			budget -= budget < 1024 ? budget : 1024;	/* still bounded */
			continue;
		}
		rd->table_id = id;
		budget -= rd->from - before < budget ? rd->from - before : budget;
		if (r == 0)
			continue;
		/* No table (all down, or unreadable): it holds no slots. */
		publish_table(x, rd, r == 1 ? m : 0);
		rd->vip++;
		rd->from = 0;
	}
	if (rd->vip >= mon->nr)
		rd->active = false;
}

/* Starts reading the tables anew, from the first VIP. */
void monitor_tables_start(struct xlbd *x)
{
	struct table_read *rd = &x->mon.rd;

	if (rd->counts)
		memset(rd->counts, 0, xlb_dp_max_backends(x->dp) * sizeof(*rd->counts));
	rd->active = true;
	rd->vip = 0;
	rd->from = 0;
}
