// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "maglev.h"
#include "moved.h"
#include "service.h"

__u8 xlb_backend_effective_state(const struct xlb_backend_spec *be)
{
	if (be->state == XLB_BE_UP && !be->weight)
		return XLB_BE_DRAINING;
	return be->state;
}

int xlb_service_build_table(const struct xlb_vip_spec *vip, __u32 *table)
{
	struct maglev_backend *mb;
	size_t i;
	int err;

	mb = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*mb));
	if (!mb)
		return -ENOMEM;
	for (i = 0; i < vip->nr_backends; i++) {
		const struct xlb_backend_spec *be = &vip->backends[i];

		mb[i].addr = be->addr;
		mb[i].id = be->id;
		/* Only backends that take new flows get slots. */
		mb[i].weight = xlb_backend_effective_state(be) == XLB_BE_UP ? be->weight : 0;
	}
	err = maglev_build(mb, vip->nr_backends, vip->table_size, table);
	free(mb);
	return err;
}

static int apply_backends(struct xlb_dp *dp, const struct xlb_vip_spec *vip)
{
	size_t i;
	int err;

	for (i = 0; i < vip->nr_backends; i++) {
		const struct xlb_backend_spec *spec = &vip->backends[i];
		struct xlb_backend be = {
			.addr = spec->addr,
			.state = xlb_backend_effective_state(spec),
			.is_v4 = xlb_addr_is_v4(&spec->addr),
			.vip_id = vip->id,
		};

		memcpy(be.mac, spec->mac, sizeof(be.mac));
		err = xlb_dp_set_backend(dp, spec->id, &be);
		if (err)
			return err;
	}
	return 0;
}

int xlb_service_apply(struct xlb_dp *dp, const struct xlb_vip_spec *vip)
{
	struct xlb_vip_key addr_key = { .addr = vip->key.addr };
	struct xlb_vip addr_entry = {
		.flags = XLB_VIP_F_ADDR_ENTRY |
			 (vip->echo_reply ? XLB_VIP_F_ECHO_REPLY : 0),
	};
	struct xlb_vip v = { .id = vip->id, .flags = vip->flags }, now;
	struct xlb_moved_result moved, ring = {};
	char buf[XLB_ADDR_STRLEN];
	__u32 *table, *old = NULL, old_m = 0;
	bool have, consistent, same_hash, same_table, changed;
	const char *why;
	int err;

	err = maglev_check_size(vip->table_size, vip->nr_backends, &why);
	if (err) {
		pr_err("Couldn't build table for VIP '%s': %s (size %u, %zu backends)\n",
		       xlb_addr_str(&vip->key.addr, buf, sizeof(buf)), why,
		       vip->table_size, vip->nr_backends);
		return err;
	}
	table = malloc(vip->table_size * sizeof(*table));
	if (!table)
		return -ENOMEM;
	err = xlb_service_build_table(vip, table);
	if (!err)
		err = apply_backends(dp, vip);
	if (!err && xlb_dp_get_table(dp, vip->id, &old, &old_m))
		old = NULL;
	have = !xlb_dp_get_vip(dp, &vip->key, &now) && now.id == vip->id;
	consistent = have && (now.flags & XLB_VIP_F_CONSISTENT);
	/* A flow's pick is its table's slot by its hash: both must stay. */
	same_hash = have && !((now.flags ^ v.flags) & XLB_VIP_F_HASH_NO_SPORT);
	same_table = old && old_m == vip->table_size &&
		     !memcmp(old, table, old_m * sizeof(*table));
	changed = !same_hash || !same_table;
	/*
	 * While the new table goes in and the flow table is walked, the LRU
	 * decides: a flow it has on another backend must not follow the new
	 * table before the walk has held it. Once the wait returns, no packet
	 * that saw the flag still runs, so none puts a SYN of the VIP in the
	 * ring any more.
	 */
	if (!err && consistent && changed) {
		now.flags &= ~XLB_VIP_F_CONSISTENT;
		err = xlb_dp_set_vip(dp, &vip->key, &now);
		err = err ?: xlb_dp_quiesce(dp, vip->id);
	}
	/*
	 * A flow only the SYN ring knows has no LRU entry to keep it on its
	 * backend once the new table is in: it is held before the swap, and
	 * the VIP flagged so that its packets look in the moved-flow table.
	 */
	if (!err && have && changed)
		err = xlb_moved_hold_ring(dp, vip, table, vip->table_size, &ring);
	if (!err && ring.held && !(now.flags & XLB_VIP_F_MOVED)) {
		now.flags |= XLB_VIP_F_MOVED;
		err = xlb_dp_set_vip(dp, &vip->key, &now);
	}
	/*
	 * The live table stays when it is already this one: filling a new map
	 * costs 9 ms for 65537 slots and the swap an RCU grace period, for
	 * each VIP at every start that adopts pinned maps.
	 */
	if (!err && !same_table)
		err = xlb_dp_set_table(dp, vip->id, table, vip->table_size);
	/* Flows the new table takes elsewhere are held; walked unless nothing changed. */
	if (!err)
		err = xlb_moved_on_table_change(dp, vip, same_hash ? old : NULL, old_m, table,
						vip->table_size, &moved);
	if (!err && (moved.held || ring.held || moved.released))
		pr_info("VIP %s: %u flows held whose backend is no longer the table's choice, %u let go (%u held, %u connection-table and %u SYN-ring entries looked at)\n",
			xlb_addr_str(&vip->key.addr, buf, sizeof(buf)), moved.held + ring.held,
			moved.released, moved.vip_held, moved.walked, ring.walked);
	if (!err && moved.vip_held)
		v.flags |= XLB_VIP_F_MOVED;
	/*
	 * Only a walk makes a VIP consistent, and a refused flow lives in the
	 * LRU alone: the LRU keeps deciding until a change is walked without
	 * one. An entry without the flag and nothing changed (an older build's,
	 * or after a refusal) waits for its next change: walking the flow table
	 * for it here would cost 0.3-0.7 s a VIP at start with a full table.
	 */
	if (!err && (changed ? !moved.refused : consistent))
		v.flags |= XLB_VIP_F_CONSISTENT;
	if (!err)
		err = xlb_dp_set_vip(dp, &vip->key, &v);
	if (!err)
		err = xlb_dp_set_vip(dp, &addr_key, &addr_entry);
	free(old);
	free(table);
	return err;
}
