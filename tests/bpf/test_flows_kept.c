// SPDX-License-Identifier: GPL-2.0
/*
 * The contract (issue 25): a TCP flow stays on its backend through every
 * change, whatever came before it: a flood of new flows, a first packet
 * that is not a SYN, earlier changes, a change that moves more flows than
 * any table could hold. The data path keeps no flow state on slots no
 * change has moved, keeps the old table for the flows that were there
 * before a change, and records a flow only where the two tables disagree
 * (xlb_shared.h, user/table_state.c).
 */
#define _GNU_SOURCE
#include <sched.h>

#include "xdp_harness.h"

/* The other backend of the VIP's first two. */
static __u32 other_than(struct fixture *f, int vip, __u32 id)
{
	return f->vips[vip].backends[0].id == id ? f->vips[vip].backends[1].id
						  : f->vips[vip].backends[0].id;
}

/* Index of a VIP's backend by id; -1 if none. */
static int be_index(struct fixture *f, int vip, __u32 id)
{
	size_t i;

	for (i = 0; i < f->vips[vip].nr_backends; i++)
		if (f->vips[vip].backends[i].id == id)
			return i;
	return -1;
}

/* One packet of a flow, forwarded or not; no checks (floods). */
static void send_fast(struct fixture *f, const struct pkt_spec *s)
{
	__u8 in[PKT_MAX];
	struct run r;
	size_t len = pkt_build(s, in, sizeof(in));

	run_prog(f, in, len, &r);
}

static bool pin_cpu(cpu_set_t *before)
{
	cpu_set_t one;

	sched_getaffinity(0, sizeof(*before), before);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	return ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0, "pinned to CPU 0");
}

static __u32 look_slots(struct fixture *f, int vip)
{
	struct xlb_dp_table_info in = {};

	xlb_dp_table_info(f->dp, f->vips[vip].id, &in);
	return in.look;
}

/*
 * A slot no change has moved: every TCP packet, SYN or not, seen before
 * or not, is sent by the table alone; nothing is looked up or recorded.
 * UDP flows are recorded, as every UDP flow must be.
 */
void test_unmoved_slots_keep_no_flow_state(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP, n = 320;
	__u64 table0 = reason_count(f, XLB_R_TABLE_HIT);
	__u64 miss0 = reason_count(f, XLB_R_LRU_MISS);
	struct xlb_trace tr;
	__u8 in[PKT_MAX], out[PKT_MAX + 256];
	__u32 verdict, out_len = sizeof(out);
	size_t len;
	int i;

	ASSERT_EQ(look_slots(f, vip), 0, "a new VIP: no slot looked up");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 20000 + i);

		s.tcp_flags = i % 2 ? TCP_ACK : TCP_SYN;
		if (!send_and_check(f, vip, &s))
			return;
	}
	ASSERT_EQ(reason_count(f, XLB_R_TABLE_HIT) - table0, n, "each packet: the table alone");
	ASSERT_EQ(reason_count(f, XLB_R_LRU_MISS) - miss0, 0, "the LRU not looked at");
	{
		struct pkt_spec s = to_vip(vip, 3, 20003);

		s.tcp_flags = TCP_ACK;
		len = pkt_build(&s, in, sizeof(in));
		ASSERT_EQ(xlb_dp_trace(f->dp, in, len, &tr, &verdict, out, &out_len), 0, "traced");
		ASSERT_EQ(tr.lru, XLB_TRACE_LRU_TABLE, "trace: by the table");
	}
	{
		struct pkt_spec u = to_vip(V4_UDP_ENCAP, 1, 21000);
		__u64 m0 = reason_count(f, XLB_R_LRU_MISS), h0 = reason_count(f, XLB_R_LRU_HIT);

		send_and_check(f, V4_UDP_ENCAP, &u);
		send_and_check(f, V4_UDP_ENCAP, &u);
		ASSERT_EQ(reason_count(f, XLB_R_LRU_MISS) - m0, 1, "UDP: recorded at its first packet");
		ASSERT_EQ(reason_count(f, XLB_R_LRU_HIT) - h0, 1, "and found by its record");
	}
}

/*
 * Established flows (opened with a SYN) stay on their backend through a
 * weight change that moves slots, and through losing every record after
 * it, as a flood bigger than the table would make them.
 */
void test_weight_change_keeps_flows(struct fixture *f)
{
	const int vip = V6_TCP_ENCAP, n = 96;
	__u32 first[96];
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
	ASSERT_TRUE(look_slots(f, vip) > 0, "the change's slots are looked up");
	ASSERT_TRUE(look_slots(f, vip) < TABLE_SIZE, "the others are not");
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
	ASSERT_EQ(xlb_dp_flush_flows(f->dp), 0, "every record gone, as a flood would take them");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 30000 + i);

		s.tcp_flags = TCP_ACK;
		if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first[i],
			       "and without any record"))
			return;
	}
}

/*
 * The first case: a flow whose first packet here is not a SYN
 * (another node's, after an ECMP change; a restart's; an eviction's),
 * sent twice, then its backend drained: its next packet and an ICMP error
 * quoting it go to the same backend. Encap and DSR, IPv4 and IPv6.
 */
void test_first_packet_not_syn_survives_drain(struct fixture *f)
{
	static const int vips[] = { V4_TCP_ENCAP, V4_TCP_DSR, V6_TCP_ENCAP };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vips); i++) {
		int vip = vips[i], idx, k;
		struct pkt_spec s = to_vip(vip, 11, 46000 + i);
		const struct xlb_backend_spec *be;
		__u8 in[PKT_MAX];
		__u32 first;
		struct run r;
		size_t len;

		s.tcp_flags = TCP_ACK;
		first = backend_id_for(f, vip, &s, &r);
		ASSERT_EQ(backend_id_for(f, vip, &s, &r), first, "sent twice, same backend");
		idx = be_index(f, vip, first);
		if (!ASSERT_TRUE(idx >= 0, "a backend of the VIP"))
			return;
		set_state(f, vip, idx, XLB_BE_UP, 0);	/* xlbctl drain */
		for (k = 0; k < 5; k++)
			if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first,
				       "after the drain: still its backend"))
				return;
		len = build_icmp_error(&s, in, vips[i] == V6_TCP_ENCAP ? 2 : 3,
				       vips[i] == V6_TCP_ENCAP ? 0 : 4, 1400);
		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		ASSERT_EQ(r.retval, XDP_TX, "ICMP error forwarded");
		be = backend_of(f, vip, &r);
		ASSERT_TRUE(be && be->id == first, "the ICMP error quoting it: its backend too");
		/* New flows never go to the drained backend: the drain takes effect. */
		for (k = 0; k < 200; k++) {
			struct pkt_spec syn = to_vip(vip, 30 + k % 30, 47000 + k);

			syn.tcp_flags = TCP_SYN;
			if (!ASSERT_TRUE(backend_id_for(f, vip, &syn, &r) != first,
					 "no new flow to the drained backend"))
				return;
		}
		set_state(f, vip, idx, XLB_BE_UP, 1);
	}
}

/*
 * The second case, on one CPU: 20,000 flows each opened with a
 * SYN and sending 10 more packets, spread among 1,200,000 other new
 * flows; then a small weight change (14:10:10 to 10:10:10). 843 of the
 * 20,000 went elsewhere at 8a84e12 (the SYN ring wrapped, sampling missed
 * them); none may.
 */
void test_busy_minute_then_weight_change(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP, flows = 20000, rounds = 11, flood = 1200000;
	__u32 *first = calloc(flows, sizeof(*first));
	int i, k, sent = 0, moved = 0, lost = 0, slot_moved = 0;
	cpu_set_t before;
	struct run r;

	if (!ASSERT_TRUE(first != NULL, "memory") || !pin_cpu(&before))
		goto out;
	set_state(f, vip, 0, XLB_BE_UP, 14);
	set_state(f, vip, 1, XLB_BE_UP, 10);
	set_state(f, vip, 2, XLB_BE_UP, 10);
	for (k = 0; k < rounds; k++) {
		for (i = 0; i < flows; i++) {
			struct pkt_spec s = to_vip(vip, i % 10, 1000 + i / 10);
			int j, share = (long long)flood * (k * flows + i + 1) / (rounds * flows) - sent;

			s.tcp_flags = k ? TCP_ACK : TCP_SYN;
			if (!k)
				first[i] = backend_id_for(f, vip, &s, &r);
			else
				send_fast(f, &s);
			/* The flood, in between: new flows never seen again. */
			for (j = 0; j < share; j++, sent++) {
				struct pkt_spec fl = to_vip(vip, 10 + sent / 60000, 1 + sent % 60000);

				fl.tcp_flags = TCP_SYN;
				send_fast(f, &fl);
			}
		}
	}
	ASSERT_EQ(sent, flood, "1,200,000 other new flows sent");
	set_state(f, vip, 0, XLB_BE_UP, 10);	/* 14:10:10 -> 10:10:10 */
	for (i = 0; i < flows; i++) {
		struct pkt_spec s = to_vip(vip, i % 10, 1000 + i / 10);
		struct xlb_flow flow;
		__u32 now;

		flow_of(&s, &flow);
		slot_moved += maglev_answer(f, vip, &flow)->id != first[i];
		s.tcp_flags = TCP_ACK;
		now = backend_id_for(f, vip, &s, &r);
		lost += now == XLB_NO_BACKEND;
		moved += now != first[i];
	}
	ASSERT_TRUE(slot_moved > 0, "the change moved some of their slots");
	ASSERT_EQ(lost, 0, "every established flow forwarded");
	ASSERT_EQ(moved, 0, "no established flow moved by the change");
out:
	sched_setaffinity(0, sizeof(before), &before);
	free(first);
}

/*
 * The third case: a change that moves more flows than the old
 * moved-flow table's 65,536 (a drain of one of three backends under
 * 240,000 flows moves about 80,000): every flow stays, nothing is
 * refused, and the VIP's other slots stay on the path without flow state.
 */
void test_change_moving_many_flows_holds_all(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP, n = 240000;
	__u32 *first = calloc(n, sizeof(*first));
	struct xlb_dp_table_info in = {};
	int i, moved = 0, on_drained = 0;
	__u32 drained;
	__u64 table0;
	struct run r;

	if (!ASSERT_TRUE(first != NULL, "memory"))
		return;
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i / 60000, 1 + i % 60000);

		s.tcp_flags = TCP_SYN;
		first[i] = backend_id_for(f, vip, &s, &r);
	}
	drained = f->vips[vip].backends[1].id;
	set_state(f, vip, 1, XLB_BE_UP, 0);
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i / 60000, 1 + i % 60000);

		s.tcp_flags = TCP_ACK;
		on_drained += first[i] == drained;
		moved += backend_id_for(f, vip, &s, &r) != first[i];
	}
	ASSERT_TRUE(on_drained > 65536, "more flows to keep than the old moved-flow table held");
	ASSERT_EQ(moved, 0, "every flow stays on its backend");
	ASSERT_TRUE(xlb_dp_table_info(f->dp, f->vips[vip].id, &in), "table state known");
	ASSERT_TRUE(in.look < in.m / 2, "the drained backend's slots looked up, the rest not");
	/* Flows on the other slots: by the table alone still. */
	table0 = reason_count(f, XLB_R_TABLE_HIT);
	for (i = 0; i < 3000; i++) {
		struct pkt_spec s = to_vip(vip, 63, 1 + i);

		s.tcp_flags = TCP_SYN;
		send_fast(f, &s);
	}
	ASSERT_TRUE(reason_count(f, XLB_R_TABLE_HIT) - table0 > 1500,
		    "most new flows sent by the table alone after the change");
	free(first);
}

/*
 * Leaving the source port out of the hash (or putting it back) moves every
 * flow's slot though the table is unchanged: the old table, hashed as it
 * was, keeps the established flows where they are.
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
	ASSERT_EQ(look_slots(f, vip), TABLE_SIZE, "every slot looked up");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i, 32000 + i);

		s.tcp_flags = TCP_ACK;
		for (k = 0; k < 20; k++)
			if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first[i],
				       "established flow stays on its backend"))
				return;
	}
	/* And back: still where they were. */
	spec->flags &= ~XLB_VIP_F_HASH_NO_SPORT;
	ASSERT_EQ(xlb_service_apply(f->dp, spec), 0, "source port back in the hash");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i, 32000 + i);

		s.tcp_flags = TCP_ACK;
		if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first[i], "and after the way back"))
			return;
	}
}

/*
 * A new xlbd (a restart) knows nothing of when the last change was: the
 * old table's idle time starts at its first tidy, never before. It once
 * started after the tidy's own clock reading, and the difference, below
 * zero, let the old table go at the first tidy after every restart.
 */
void test_old_table_kept_across_restart(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct xlb_tidy_result res;
	struct pkt_spec s = to_vip(vip, 1, 41000);
	struct run r;
	__u32 first;

	s.tcp_flags = TCP_SYN;
	first = backend_id_for(f, vip, &s, &r);
	set_state(f, vip, 0, XLB_BE_UP, 0);
	/* As a fresh process finds it: no time known for the VIP. */
	xlb_dp_set_old_since(f->dp, f->vips[vip].id, 0);
	ASSERT_EQ(xlb_table_tidy(f->dp, f->vips, NR_VIPS, &res), 0, "tidied after the restart");
	ASSERT_EQ(res.old_dropped, 0, "the old table kept: its idle time starts now");
	s.tcp_flags = TCP_ACK;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), first, "an established flow keeps its backend");
}

/*
 * The old table goes the TCP idle time after the last change that moved
 * a slot: a flow that sent a packet meanwhile was recorded and stays; one
 * idle all that time follows the table. Records idle that long go too,
 * and the slots are back on the path without flow state.
 */
void test_old_table_goes_after_idle_time(struct fixture *f)
{
	struct xlb_dp_opts opts = { .tcp_idle_ms = 2000 };
	const int vip = V4_TCP_ENCAP, n = 600;
	__u32 first[600], drained;
	struct xlb_tidy_result res;
	int i, k, busy_kept = 0, busy = 0, idle = 0, idle_moved = 0;
	struct fixture g;
	struct run r;

	(void)f;
	if (!ASSERT_EQ(fixture_setup(&g, &opts), 0, "data path, TCP idle time 2 s"))
		return;
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 40000 + i);

		s.tcp_flags = TCP_SYN;
		first[i] = backend_id_for(&g, vip, &s, &r);
	}
	drained = g.vips[vip].backends[0].id;
	set_state(&g, vip, 0, XLB_BE_UP, 0);
	ASSERT_EQ(xlb_table_tidy(g.dp, g.vips, NR_VIPS, &res), 0, "tidied at once");
	ASSERT_EQ(res.old_dropped, 0, "the old table kept within the idle time");
	/*
	 * Even flows speak at once and 1.2 s later (a record's time moves at
	 * most once a second): recorded on the old table's choice, never idle
	 * for 2 s. Odd flows say nothing.
	 */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i += 2) {
			struct pkt_spec s = to_vip(vip, i % 64, 40000 + i);

			s.tcp_flags = TCP_ACK;
			backend_id_for(&g, vip, &s, &r);
		}
		usleep((k ? 1000 : 1200) * 1000);
	}
	ASSERT_EQ(xlb_table_tidy(g.dp, g.vips, NR_VIPS, &res), 0, "tidied after the idle time");
	ASSERT_EQ(res.old_dropped, 1, "the old table let go");
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(vip, i % 64, 40000 + i);

		if (first[i] != drained)
			continue;
		s.tcp_flags = TCP_ACK;
		if (i % 2) {
			idle++;
			idle_moved += backend_id_for(&g, vip, &s, &r) != drained;
		} else {
			busy++;
			busy_kept += backend_id_for(&g, vip, &s, &r) == drained;
		}
	}
	ASSERT_TRUE(busy > 0 && idle > 0, "flows of both kinds on the drained backend");
	ASSERT_EQ(busy_kept, busy, "a flow that spoke within the idle time stays");
	ASSERT_EQ(idle_moved, idle, "one idle all that time follows the table");
	/* Nobody speaks for another idle time: the records go, and LOOK with them. */
	usleep(2100 * 1000);
	ASSERT_EQ(xlb_table_tidy(g.dp, g.vips, NR_VIPS, &res), 0, "tidied again");
	ASSERT_TRUE(res.forgotten > 0, "idle records let go");
	ASSERT_EQ(look_slots(&g, vip), 0, "no slot looked up any more");
	fixture_teardown(&g);
}

/*
 * Pins of an older build: its table has no LOOK and no old table, its
 * flows are in the LRU and its moved-flow table. The first apply of the
 * new build looks up every slot and turns the held flows into records:
 * none moves.
 */
void test_older_build_table_adopted(struct fixture *f)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	const int vip = V4_TCP_ENCAP;
	struct pkt_spec a = to_vip(vip, 12, 48000), b = to_vip(vip, 13, 48001);
	int outer = prog_map_fd(f->prog_fd, "maglev_tables"), inner = -1;
	__u32 m = 1009, i, key = vip, be_a, be_b, elsewhere;
	struct xlb_flow fa, fb;
	struct xlb_conn c = {};
	struct run r;
	bool ok;

	flow_of(&a, &fa);
	flow_of(&b, &fb);
	a.tcp_flags = b.tcp_flags = TCP_SYN;
	be_a = backend_id_for(f, vip, &a, &r);
	be_b = backend_id_for(f, vip, &b, &r);
	elsewhere = other_than(f, vip, be_a);
	/* The older build's state: a table of T alone, all on one backend... */
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "old_table", 4, 4, m + 1, &opts);
	ok = outer >= 0 && inner >= 0;
	for (i = 0; ok && i <= m; i++) {
		__u32 v = i ? elsewhere : m;

		ok = !bpf_map_update_elem(inner, &i, &v, 0);
	}
	ok = ok && !bpf_map_update_elem(outer, &key, &inner, 0);
	/* ...flow a in its LRU, flow b held in its moved-flow table. */
	c.backend_id = be_a;
	ok = ok && !xlb_dp_record_flow(f->dp, &fa, &c);
	c.backend_id = be_b;
	ok = ok && !xlb_dp_hold_flow(f->dp, &fb, &c);
	if (inner >= 0)
		close(inner);
	if (outer >= 0)
		close(outer);
	if (!ASSERT_TRUE(ok, "an older build's state written"))
		return;
	ASSERT_EQ(xlb_service_apply(f->dp, &f->vips[vip]), 0, "applied by this build");
	a.tcp_flags = b.tcp_flags = TCP_ACK;
	ASSERT_EQ(backend_id_for(f, vip, &a, &r), be_a, "the LRU's flow stays");
	ASSERT_EQ(backend_id_for(f, vip, &b, &r), be_b, "the held flow stays");
	ASSERT_TRUE(xlb_dp_held_flow(f->dp, &fb, &c) == -ENOENT, "and is a record now");
}

/*
 * Every state a busy edge is in, one after another, on a small flow table
 * (65,536 entries): aged (filled and emptied), a UDP VIP's refused hold
 * (a moved-flow table of 1,024 for about 1,300 flows), a table change,
 * TCP flows opened by a SYN and others arriving mid-stream (their first
 * packet here an ACK), a flood of 100,000 new flows, then a drain: no
 * TCP flow and no UDP flow changes backend. batched: every change written
 * as xlbd writes them, its table swap in a batch (dp_tables.c).
 */
static void every_churn_state_then_drain(bool batched)
{
	struct xlb_dp_opts opts = { .lru_entries = 65536, .moved_flows = 1024 };
	const int tcp = V4_TCP_ENCAP, udp = V4_UDP_ENCAP, n = 2000, nu = 4000;
	__u32 *first = calloc(n, sizeof(*first)), *ufirst = calloc(nu, sizeof(*ufirst));
	struct xlb_dp_moved_stats st;
	int i, moved = 0, umoved = 0, idx;
	struct fixture g;
	struct run r;

	if (!ASSERT_TRUE(first && ufirst, "memory") ||
	    !ASSERT_EQ(fixture_setup(&g, &opts), 0, "data path: 65,536 flows, 1,024 moved"))
		goto out;
	g.batched = batched;
	/* Aged: filled past its size by UDP flows, then emptied. */
	for (i = 0; i < 80000; i++) {
		struct pkt_spec s = to_vip(udp, 40 + i / 60000, 1 + i % 60000);

		send_fast(&g, &s);
	}
	ASSERT_EQ(xlb_dp_flush_flows(g.dp), 0, "aged: emptied once");
	/* A refused hold: a UDP backend drained under more flows than the moved-flow table takes. */
	for (i = 0; i < nu; i++) {
		struct pkt_spec s = to_vip(udp, i % 64, 20000 + i);

		ufirst[i] = backend_id_for(&g, udp, &s, &r);
	}
	set_state(&g, udp, 1, XLB_BE_UP, 0);
	xlb_dp_moved_stats(g.dp, &st);
	ASSERT_TRUE(st.refused > 0, "the UDP hold was refused in part");
	/* An earlier change on the TCP VIP, then flows of both kinds. */
	set_state(&g, tcp, 0, XLB_BE_UP, 2);
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(tcp, i % 64, 30000 + i);

		s.tcp_flags = i % 2 ? TCP_ACK : TCP_SYN;
		first[i] = backend_id_for(&g, tcp, &s, &r);
		if (i % 2 == 0) {
			s.tcp_flags = TCP_ACK;
			backend_id_for(&g, tcp, &s, &r);
		}
	}
	/* A flood of new flows. */
	for (i = 0; i < 100000; i++) {
		struct pkt_spec s = to_vip(tcp, 10 + i / 60000, 1 + i % 60000);

		s.tcp_flags = TCP_SYN;
		send_fast(&g, &s);
	}
	/* Then a drain of the backend holding the first flow. */
	idx = be_index(&g, tcp, first[0]);
	if (!ASSERT_TRUE(idx >= 0, "a backend of the VIP"))
		goto teardown;
	set_state(&g, tcp, idx, XLB_BE_UP, 0);
	for (i = 0; i < n; i++) {
		struct pkt_spec s = to_vip(tcp, i % 64, 30000 + i);

		s.tcp_flags = TCP_ACK;
		moved += backend_id_for(&g, tcp, &s, &r) != first[i];
	}
	for (i = 0; i < nu; i++) {
		struct pkt_spec s = to_vip(udp, i % 64, 20000 + i);

		umoved += backend_id_for(&g, udp, &s, &r) != ufirst[i];
	}
	ASSERT_EQ(moved, 0, "no TCP flow moved (opened by a SYN or mid-stream)");
	ASSERT_EQ(umoved, 0, "no UDP flow moved, held or refused");
teardown:
	fixture_teardown(&g);
out:
	free(first);
	free(ufirst);
}

void test_every_churn_state_then_drain(struct fixture *f)
{
	(void)f;
	every_churn_state_then_drain(false);
}

void test_every_churn_state_then_drain_batched(struct fixture *f)
{
	(void)f;
	every_churn_state_then_drain(true);
}
