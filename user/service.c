// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "addr.h"
#include "log.h"
#include "maglev.h"
#include "moved.h"
#include "service.h"
#include "table_state.h"

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
		mb[i].weight = xlb_be_takes_new_flows(be->state) ? be->weight : 0;
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
			.state = spec->state,
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

/*
 * A TCP VIP's new table: O kept, LOOK where it must be (table_state.c). A
 * change holds no flow and walks no flow table, so it cannot be refused;
 * nothing is swapped when the live state is already this one.
 */
static int apply_tcp_table(struct xlb_dp *dp, const struct xlb_vip_spec *vip,
			   const __u32 *table, bool have, __u32 live_flags)
{
	struct xlb_table_state live = {}, next = {};
	struct xlb_table_change ch;
	char buf[XLB_ADDR_STRLEN];
	struct timespec ts;
	bool has_live;
	int err;

	has_live = have && !xlb_dp_get_table_state(dp, vip->id, &live);
	err = xlb_table_state_next(has_live ? &live : NULL, live_flags, table, vip->table_size,
				   vip->flags, &next, &ch);
	/* An older build held some of the VIP's flows apart: they become records. */
	if (!err && has_live && live.legacy)
		err = xlb_moved_adopt_tcp(dp, vip);
	if (!err && !(has_live && xlb_table_state_equal(&live, &next)))
		err = xlb_dp_set_table_state(dp, vip->id, &next);
	if (!err && ch.newly_dirty) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		xlb_dp_set_old_since(dp, vip->id, ts.tv_sec * 1000000000ull + ts.tv_nsec);
		pr_info("VIP %s: new flows now go elsewhere on %u of %u slots; the flows already there keep their backend (%u slots looked up)\n",
			xlb_addr_str(&vip->key.addr, buf, sizeof(buf)), ch.dirty, vip->table_size,
			ch.look);
	}
	xlb_table_state_free(&live);
	xlb_table_state_free(&next);
	return err;
}

/*
 * A UDP VIP's new table: every UDP flow has a record; those the new table
 * sends elsewhere are held apart from the LRU's floods (moved.c).
 */
static int apply_udp_table(struct xlb_dp *dp, const struct xlb_vip_spec *vip,
			   const __u32 *table, bool same_hash)
{
	struct xlb_moved_result moved;
	char buf[XLB_ADDR_STRLEN];
	__u32 *old = NULL, old_m = 0;
	bool same_table;
	int err;

	if (xlb_dp_get_table(dp, vip->id, &old, &old_m))
		old = NULL;
	same_table = old && old_m == vip->table_size &&
		     !memcmp(old, table, old_m * sizeof(*table));
	/*
	 * The live table stays when it is already this one: filling a new map
	 * costs 9 ms for 65537 slots and the swap an RCU grace period, for
	 * each VIP at every start that adopts pinned maps.
	 */
	err = same_table ? 0 : xlb_dp_set_table(dp, vip->id, table, vip->table_size);
	/* Flows the new table takes elsewhere are held; walked unless nothing changed. */
	if (!err)
		err = xlb_moved_on_table_change(dp, vip, same_hash ? old : NULL, old_m, table,
						vip->table_size, &moved);
	if (!err && (moved.held || moved.released))
		pr_info("VIP %s: %u flows held whose backend is no longer the table's choice, %u let go (%u held, %u connection-table entries looked at)\n",
			xlb_addr_str(&vip->key.addr, buf, sizeof(buf)), moved.held,
			moved.released, moved.vip_held, moved.walked);
	free(old);
	return err ? err : moved.vip_held > 0;
}

int xlb_service_apply(struct xlb_dp *dp, const struct xlb_vip_spec *vip)
{
	struct xlb_vip_key addr_key = { .addr = vip->key.addr };
	struct xlb_vip addr_entry = {
		.flags = XLB_VIP_F_ADDR_ENTRY |
			 (vip->echo_reply ? XLB_VIP_F_ECHO_REPLY : 0),
	};
	struct xlb_vip v = { .id = vip->id, .flags = vip->flags }, now;
	char buf[XLB_ADDR_STRLEN];
	bool have, same_hash;
	__u32 *table;
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
	have = !xlb_dp_get_vip(dp, &vip->key, &now) && now.id == vip->id;
	/* A flow's pick is its table's slot by its hash: both must stay. */
	same_hash = have && !((now.flags ^ v.flags) & XLB_VIP_F_HASH_NO_SPORT);
	if (!err && vip->key.proto == IPPROTO_TCP) {
		err = apply_tcp_table(dp, vip, table, have, have ? now.flags : 0);
	} else if (!err) {
		err = apply_udp_table(dp, vip, table, same_hash);
		if (err > 0)
			v.flags |= XLB_VIP_F_MOVED;
		err = err > 0 ? 0 : err;
	}
	if (!err)
		err = xlb_dp_set_vip(dp, &vip->key, &v);
	if (!err)
		err = xlb_dp_set_vip(dp, &addr_key, &addr_entry);
	free(table);
	return err;
}
