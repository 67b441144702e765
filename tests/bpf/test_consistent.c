// SPDX-License-Identifier: GPL-2.0
/*
 * Consistent VIPs: once xlbd has walked the flow table at a table swap and
 * held every flow the table sends elsewhere, the table is the truth for a
 * VIP's other TCP flows, and their packets skip the LRU (issue 11, part 3).
 * These tests check that nothing established moves because of it.
 */
#include "xdp_harness.h"


static __u32 vip_flags(struct fixture *f, int vip)
{
	struct xlb_vip v = {};

	if (xlb_dp_get_vip(f->dp, &f->vips[vip].key, &v))
		return 0;
	return v.flags;
}

/* Flows never seen, not SYNs: the table's choice, mostly without the LRU. */
void test_consistent_vip_skips_lru(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP, n = 320;
	__u64 table0 = reason_count(f, XLB_R_TABLE_HIT);
	__u64 miss0 = reason_count(f, XLB_R_LRU_MISS);
	__u64 hit0 = reason_count(f, XLB_R_LRU_HIT);
	__u64 table, lru;
	struct xlb_trace tr;
	__u8 in[PKT_MAX], out[PKT_MAX + 256];
	__u32 verdict, out_len = sizeof(out);
	int i;

	ASSERT_TRUE(vip_flags(f, vip) & XLB_VIP_F_CONSISTENT, "VIP consistent once applied");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 20000 + i);

		s.tcp_flags = TCP_ACK;
		if (!send_and_check(f, vip, &s))
			return;
	}
	table = reason_count(f, XLB_R_TABLE_HIT) - table0;
	lru = reason_count(f, XLB_R_LRU_MISS) - miss0 + reason_count(f, XLB_R_LRU_HIT) - hit0;
	ASSERT_EQ(table + lru, n, "each packet: the table or the LRU");
	/* One in 16 takes the LRU: 20 expected; bounds far beyond chance. */
	ASSERT_TRUE(lru >= 3 && lru <= 60, "about one packet in 16 takes the LRU");

	/* The trace tells the same story, without sampling. */
	{
		struct pkt_spec s = to_vip(vip, 3, 20003);
		size_t len;

		s.tcp_flags = TCP_ACK;
		len = pkt_build(&s, in, sizeof(in));
		ASSERT_EQ(xlb_dp_trace(f->dp, in, len, &tr, &verdict, out, &out_len), 0, "traced");
		ASSERT_EQ(tr.lru, XLB_TRACE_LRU_TABLE, "trace: by the table");
	}

	/* UDP and SYNs still take the LRU. */
	{
		__u64 u0 = reason_count(f, XLB_R_TABLE_HIT);
		struct pkt_spec u = to_vip(V4_UDP_ENCAP, 1, 21000);
		struct pkt_spec syn = to_vip(vip, 1, 21001);

		syn.tcp_flags = TCP_SYN;
		send_and_check(f, V4_UDP_ENCAP, &u);
		send_and_check(f, vip, &syn);
		ASSERT_EQ(reason_count(f, XLB_R_TABLE_HIT) - u0, 0, "UDP and SYN: not by the table");
	}
}

/*
 * Established flows (opened with a SYN) stay on their backend through a
 * weight change that moves slots: the walk holds those the new table sends
 * elsewhere, and the VIP is consistent again after it.
 */
void test_consistent_weight_change_keeps_flows(struct fixture *f)
{
	const int vip = V6_TCP_ENCAP, n = 96;
	__u32 first[96];
	struct xlb_dp_moved_stats st;
	int i, k, moved = 0;
	struct run r;

	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 30000 + i);

		s.tcp_flags = TCP_SYN;
		first[i] = backend_id_for(f, vip, &s, &r);
		if (!ASSERT_TRUE(first[i] != XLB_NO_BACKEND, "SYN forwarded"))
			return;
	}
	set_state(f, vip, 0, XLB_BE_UP, 4);
	ASSERT_TRUE(vip_flags(f, vip) & XLB_VIP_F_CONSISTENT, "consistent after the change");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 30000 + i);
		struct xlb_flow flow;

		flow_of(&s, &flow);
		moved += maglev_answer(f, vip, &flow)->id != first[i];
		s.tcp_flags = TCP_ACK;
		for (k = 0; k < 20; k++)
			if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first[i],
				       "established flow stays on its backend"))
				return;
	}
	ASSERT_TRUE(moved > 0, "the change moved some flows' slots");
	xlb_dp_moved_stats(f->dp, &st);
	ASSERT_EQ(st.held, moved, "exactly those are held");
	ASSERT_EQ(xlb_dp_flush_flows(f->dp), 0, "LRU emptied, as a flood would");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 30000 + i);

		s.tcp_flags = TCP_ACK;
		if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first[i],
			       "and without its LRU entry"))
			return;
	}
}

/*
 * A VIP entry without the flag (written by an older build, or after a
 * refused hold) leaves the LRU in charge. An apply that changes nothing
 * leaves it so (a walk per VIP at start would be slow with a full table);
 * the next real change walks, holds the flows the LRU has elsewhere, and
 * only then sets the flag.
 */
void test_unwalked_vip_keeps_lru_in_charge(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct pkt_spec s = to_vip(vip, 9, 31000);
	struct xlb_backend_spec bes[BE_PER_VIP];
	struct xlb_vip_spec same = f->vips[vip];
	__u32 first, other, i;
	struct run r;
	int k;

	s.tcp_flags = TCP_SYN;
	first = backend_id_for(f, vip, &s, &r);
	if (!ASSERT_TRUE(first != XLB_NO_BACKEND, "SYN forwarded"))
		return;
	other = f->vips[vip].backends[0].id == first ? f->vips[vip].backends[1].id :
						       f->vips[vip].backends[0].id;
	/* A table swapped behind the walk's back: force_table clears the flag. */
	ASSERT_EQ(force_table(f, vip, other), 0, "table swapped");
	ASSERT_EQ(vip_flags(f, vip) & XLB_VIP_F_CONSISTENT, 0, "not consistent");
	s.tcp_flags = TCP_ACK;
	for (k = 0; k < 40; k++)
		if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first, "the LRU keeps the flow"))
			return;

	/* A spec whose table is the one in place: every slot on other. */
	memcpy(bes, same.backends, sizeof(bes));
	same.backends = bes;
	same.table_size = 1009;
	for (i = 0; i < same.nr_backends; i++)
		bes[i].weight = bes[i].id == other;
	ASSERT_EQ(xlb_service_apply(f->dp, &same), 0, "applied, table unchanged");
	ASSERT_EQ(vip_flags(f, vip) & XLB_VIP_F_CONSISTENT, 0, "still not consistent");
	for (k = 0; k < 40; k++)
		if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first, "the LRU still keeps it"))
			return;

	/* A real change (another size, every slot still on other) is walked. */
	same.table_size = 1013;
	ASSERT_EQ(xlb_service_apply(f->dp, &same), 0, "applied, table changed");
	ASSERT_TRUE(vip_flags(f, vip) & XLB_VIP_F_CONSISTENT, "consistent after the walk");
	ASSERT_TRUE(vip_flags(f, vip) & XLB_VIP_F_MOVED, "and holding the flow");
	/* Drained, not down: the flow stays on its backend. */
	for (k = 0; k < 40; k++)
		if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first,
			       "held by the walk, not moved by the table"))
			return;
}

/*
 * A moved-flow table too small for a change: the flows it refuses live in
 * the LRU alone, so the VIP must not become consistent, and they stay.
 */
void test_refused_hold_keeps_lru_in_charge(struct fixture *f)
{
	struct xlb_dp_opts opts = { .moved_flows = 1024 };
	const int vip = V4_TCP_ENCAP, n = 4000;
	struct fixture g;
	__u32 *first = calloc(n, sizeof(*first));
	struct xlb_dp_moved_stats st;
	struct run r;
	int i, wrong = 0;

	(void)f;
	if (!ASSERT_TRUE(first != NULL, "memory"))
		return;
	if (!ASSERT_EQ(fixture_setup(&g, &opts), 0, "data path with 1024 moved flows")) {
		free(first);
		return;
	}
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 10000 + i);

		s.tcp_flags = TCP_SYN;
		first[i] = backend_id_for(&g, vip, &s, &r);
	}
	/* Drain one of three: about 1,333 flows to hold, 1024 fit. */
	set_state(&g, vip, 1, XLB_BE_UP, 0);
	xlb_dp_moved_stats(g.dp, &st);
	ASSERT_EQ(st.held, 1024, "the moved-flow table is full");
	ASSERT_EQ(vip_flags(&g, vip) & XLB_VIP_F_CONSISTENT, 0, "refusals: not consistent");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 10000 + i);

		s.tcp_flags = TCP_ACK;
		wrong += backend_id_for(&g, vip, &s, &r) != first[i];
	}
	ASSERT_EQ(wrong, 0, "every flow, held or refused, stays on its backend");
	fixture_teardown(&g);
	free(first);
}

/*
 * Leaving the source port out of the hash (or putting it back) moves flows
 * as a new table would, though the table itself is unchanged: the change
 * must be walked, and the established flows held where they are.
 */
void test_hash_change_keeps_flows(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP, n = 64;
	struct xlb_vip_spec *spec = &f->vips[vip];
	__u32 first[64];
	struct run r;
	int i, k;

	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i, 32000 + i);

		s.tcp_flags = TCP_SYN;
		first[i] = backend_id_for(f, vip, &s, &r);
		if (!ASSERT_TRUE(first[i] != XLB_NO_BACKEND, "SYN forwarded"))
			return;
	}
	spec->flags |= XLB_VIP_F_HASH_NO_SPORT;
	ASSERT_EQ(xlb_service_apply(f->dp, spec), 0, "source port left out of the hash");
	ASSERT_TRUE(vip_flags(f, vip) & XLB_VIP_F_CONSISTENT, "consistent after the walk");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i, 32000 + i);

		s.tcp_flags = TCP_ACK;
		for (k = 0; k < 20; k++)
			if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first[i],
				       "established flow stays on its backend"))
				return;
	}
}
