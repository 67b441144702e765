// SPDX-License-Identifier: GPL-2.0
/*
 * New flows counted once (issue 26): a SYN sent again on the same 5-tuple
 * (a retransmit, or a client re-sending one SYN to aim at a backend) is
 * one new flow for the VIP's and the backend's counters, which the skew
 * detector, the diagnosis and /metrics read; distinct SYNs each count;
 * and every packet still goes where it went before. The tests run on one
 * CPU (pinned): what remembers a SYN is per CPU, as RSS keeps a 5-tuple's
 * packets on one CPU.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "xdp_harness.h"

static bool pin_to(int cpu, cpu_set_t *before)
{
	cpu_set_t one;

	if (before)
		sched_getaffinity(0, sizeof(*before), before);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0, "pinned to one CPU");
}

static __u64 vip_new(struct fixture *f, int vip)
{
	struct xlb_vip_stats vs = {};

	xlb_dp_vip_stats(f->dp, f->vips[vip].id, &vs);
	return vs.new_flows;
}

static __u64 be_new(struct fixture *f, __u32 id)
{
	struct xlb_backend_stats bs = {};

	xlb_dp_backend_stats(f->dp, id, &bs);
	return bs.new_flows;
}

/* Every backend's new flows of a VIP, by backend index. */
static void be_new_all(struct fixture *f, int vip, __u64 *out)
{
	size_t i;

	for (i = 0; i < BE_PER_VIP; i++)
		out[i] = be_new(f, f->vips[vip].backends[i].id);
}

static int be_index(struct fixture *f, int vip, __u32 id)
{
	size_t i;

	for (i = 0; i < BE_PER_VIP; i++)
		if (f->vips[vip].backends[i].id == id)
			return i;
	return -1;
}

/*
 * On a table no change has moved (every slot sent by the table alone):
 * one SYN sent 100 times is one new flow, on the VIP and on its backend,
 * and every copy is forwarded, byte for byte, to the Maglev answer; an
 * ACK in between (which makes the flow's memo) changes nothing. 40
 * distinct SYNs, each sent 3 times in turns, are 40. IPv4 and IPv6,
 * tunnel and L2 DSR, and a VIP that hashes without the source port,
 * whose distinct source ports share a hash and still count apart.
 */
void test_syn_repeats_count_once(struct fixture *f)
{
	static const int vips[] = { V4_TCP_ENCAP, V6_TCP_ENCAP, V4_TCP_DSR, V4_NOSPORT };
	cpu_set_t before;
	size_t v;

	if (!pin_to(0, &before))
		return;
	for (v = 0; v < ARRAY_SIZE(vips); v++) {
		const int vip = vips[v], n = 40;
		struct pkt_spec s = to_vip(vip, 5, 41000);
		const struct xlb_backend_spec *be, *got;
		__u64 v0 = vip_new(f, vip), b0, want[BE_PER_VIP] = {}, was[BE_PER_VIP], now[BE_PER_VIP];
		int i, k;

		s.tcp_flags = TCP_SYN;
		be = send_and_check(f, vip, &s);
		if (!ASSERT_TRUE(be != NULL, "the SYN forwarded"))
			goto out;
		b0 = be_new(f, be->id) - 1;
		for (i = 1; i < 100; i++) {
			if (i == 50) {
				s.tcp_flags = TCP_ACK;	/* the flow's memo made */
				send_and_check(f, vip, &s);
				s.tcp_flags = TCP_SYN;
			}
			got = send_and_check(f, vip, &s);
			if (!ASSERT_TRUE(got == be, "every copy of the SYN: the same backend"))
				goto out;
		}
		ASSERT_EQ(vip_new(f, vip) - v0, 1, "one SYN sent 100 times: one new flow of the VIP");
		ASSERT_EQ(be_new(f, be->id) - b0, 1, "and one of its backend");

		/* Distinct SYNs, each 3 times in turns: each counts, once. */
		v0 = vip_new(f, vip);
		be_new_all(f, vip, was);
		for (k = 0; k < 3; k++) {
			for (i = 0; i < n; i++) {
				/* The VIP without the source port: one client, many ports. */
				struct pkt_spec d = to_vip(vip, vip == V4_NOSPORT ? 6 : 6 + i % 30,
							   42000 + i);

				d.tcp_flags = TCP_SYN;
				got = send_and_check(f, vip, &d);
				if (!ASSERT_TRUE(got != NULL, "forwarded to the Maglev answer"))
					goto out;
				want[be_index(f, vip, got->id)] += !k;
			}
		}
		be_new_all(f, vip, now);
		ASSERT_EQ(vip_new(f, vip) - v0, n, "40 distinct SYNs, 3 times each: 40 new flows");
		for (i = 0; i < BE_PER_VIP; i++)
			ASSERT_EQ(now[i] - was[i], want[i], "each backend: its distinct SYNs once");
	}
out:
	sched_setaffinity(0, sizeof(before), &before);
}

/*
 * After a change every slot is LOOK (a table of another size, as a change
 * of 'hash: { source_port }' or of the table's size makes): a SYN with no
 * record goes to T's choice and is recorded only where the old table's
 * choice differs. Either way, sent 4 times it is one new flow, and every
 * copy goes to T's choice. A weight change (LOOK on the moved slots) too.
 */
void test_syn_repeats_count_once_after_a_change(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP, n = 60;
	__u32 to = f->vips[vip].backends[2].id;
	int i, k, same = 0, differ = 0;
	struct xlb_dp_table_info in = {};
	__u64 v0, b0, was[BE_PER_VIP], now[BE_PER_VIP], want[BE_PER_VIP] = {};
	cpu_set_t before;
	struct run r;

	if (!pin_to(0, &before))
		return;
	if (!ASSERT_EQ(force_table(f, vip, to), 0, "every slot to one backend, another size"))
		goto out;
	ASSERT_TRUE(xlb_dp_table_info(f->dp, f->vips[vip].id, &in), "table state known");
	ASSERT_EQ(in.look, in.m, "every slot LOOK");
	v0 = vip_new(f, vip);
	b0 = be_new(f, to);
	for (k = 0; k < 4; k++) {
		for (i = 0; i < n; i++) {
			struct pkt_spec s = to_vip(vip, i % 20, 43000 + i);
			struct xlb_flow flow;

			s.tcp_flags = TCP_SYN;
			if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), to, "a SYN: T's choice"))
				goto out;
			if (k)
				continue;
			flow_of(&s, &flow);
			/* The old table's choice: the fixture's table, before the change. */
			if (maglev_answer(f, vip, &flow)->id == to)
				same++;
			else
				differ++;
		}
	}
	ASSERT_TRUE(same > 0 && differ > 0, "flows where O's choice is T's (no record) and where not");
	ASSERT_EQ(vip_new(f, vip) - v0, n, "60 SYNs sent 4 times each: 60 new flows of the VIP");
	ASSERT_EQ(be_new(f, to) - b0, n, "and 60 of the backend they went to");

	/* A weight change: LOOK on the slots it moved, T's choice for a SYN there. */
	set_state(f, vip, 0, XLB_BE_UP, 3);
	v0 = vip_new(f, vip);
	be_new_all(f, vip, was);
	for (k = 0; k < 4; k++) {
		for (i = 0; i < n; i++) {
			struct pkt_spec s = to_vip(vip, 20 + i % 20, 44000 + i);
			const struct xlb_backend_spec *got;

			s.tcp_flags = TCP_SYN;
			got = send_and_check(f, vip, &s);
			if (!ASSERT_TRUE(got != NULL, "a SYN: T's choice, the Maglev answer"))
				goto out;
			want[be_index(f, vip, got->id)] += !k;
		}
	}
	be_new_all(f, vip, now);
	ASSERT_EQ(vip_new(f, vip) - v0, n, "after a weight change: 60 new flows");
	for (i = 0; i < BE_PER_VIP; i++)
		ASSERT_EQ(now[i] - was[i], want[i], "each backend: its distinct SYNs once");
out:
	sched_setaffinity(0, sizeof(before), &before);
}

/* CPU cpu's recent SYNs, every entry's time moved back by ago jiffies. */
static bool age_recent_syns(struct fixture *f, int cpu, __u32 ago)
{
	int fd = prog_map_fd(f->prog_fd, "recent_syns"), n = libbpf_num_possible_cpus(), s, w;
	struct xlb_recent_syns *all = calloc(n, sizeof(*all));
	__u32 zero = 0;
	bool ok = fd >= 0 && all && !bpf_map_lookup_elem(fd, &zero, all);

	for (s = 0; ok && s < XLB_RECENT_SYN_SETS; s++)
		for (w = 0; w < XLB_RECENT_SYN_WAYS; w++) {
			__u64 *e = &all[cpu].set[s][w];

			*e = (*e & ~0xffffffffull) | (__u32)((__u32)*e - ago);
		}
	ok = ok && !bpf_map_update_elem(fd, &zero, all, 0);
	free(all);
	if (fd >= 0)
		close(fd);
	return ASSERT_TRUE(ok, "recent SYNs read and written back, aged");
}

/* Sends s (a SYN) k times, each to want; the VIP's new flows it made. */
static __u64 syn_times(struct fixture *f, int vip, const struct pkt_spec *s, int k, __u32 want)
{
	__u64 v0 = vip_new(f, vip);
	struct run r;

	while (k--)
		if (!ASSERT_EQ(backend_id_for(f, vip, s, &r), want, "the SYN: its backend"))
			break;
	return vip_new(f, vip) - v0;
}

/*
 * What the memory of recent SYNs keeps and what it misses, as documented
 * (xlb_shared.h): a repeat is counted under `syn_repeat`; past the window
 * a SYN counts again, once; so does one whose entry four newer SYNs of
 * its set pushed out, and one on another CPU. A trace sends as the live
 * path does and moves nothing. UDP needs none of it: a flow is recorded
 * at its first packet and found by its record, so it counts once.
 */
void test_syn_repeats_what_is_kept_and_missed(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct pkt_spec s = to_vip(vip, 3, 45000), u = to_vip(V4_UDP_ENCAP, 3, 45000);
	const __u32 seed = xlb_dp_hash_seed(f->dp);
	struct xlb_flow flow;
	struct xlb_trace tr;
	__u8 in[PKT_MAX], out[PKT_MAX + 256];
	__u32 be, verdict, out_len = sizeof(out), set;
	__u64 rep0, v0;
	cpu_set_t before;
	size_t len;
	int i, found;

	if (!pin_to(0, &before))
		return;
	s.tcp_flags = TCP_SYN;
	flow_of(&s, &flow);
	be = maglev_answer(f, vip, &flow)->id;
	rep0 = reason_count(f, XLB_R_SYN_REPEAT);
	ASSERT_EQ(syn_times(f, vip, &s, 10, be), 1, "10 times: one new flow");
	ASSERT_EQ(reason_count(f, XLB_R_SYN_REPEAT) - rep0, 9, "9 counted as repeats");

	/* A trace: the same backend, nothing counted, nothing remembered. */
	len = pkt_build(&s, in, sizeof(in));
	rep0 = reason_count(f, XLB_R_SYN_REPEAT);
	ASSERT_EQ(xlb_dp_trace(f->dp, in, len, &tr, &verdict, out, &out_len), 0, "traced");
	ASSERT_EQ(tr.backend_id, be, "trace: the same backend");
	ASSERT_EQ(reason_count(f, XLB_R_SYN_REPEAT) - rep0, 0, "a trace counts no repeat");

	/* Past the window: a new flow again, once. */
	if (!age_recent_syns(f, 0, XLB_RECENT_SYN_JIFFIES + 1))
		goto out;
	ASSERT_EQ(syn_times(f, vip, &s, 5, be), 1, "past the window: one new flow again");
	if (!age_recent_syns(f, 0, XLB_RECENT_SYN_JIFFIES - 64))
		goto out;
	ASSERT_EQ(syn_times(f, vip, &s, 5, be), 0, "within it: none");

	/* Four newer SYNs of its set (other flows) push it out: it counts again. */
	set = xlb_flow_hash(&flow, 0, seed) % XLB_RECENT_SYN_SETS;
	for (i = 0, found = 0; i < 60000 && found < XLB_RECENT_SYN_WAYS; i++) {
		struct pkt_spec o = to_vip(vip, 4, 1 + i);
		struct xlb_flow of;

		flow_of(&o, &of);
		if (xlb_flow_hash(&of, 0, seed) % XLB_RECENT_SYN_SETS != set)
			continue;
		o.tcp_flags = TCP_SYN;
		ASSERT_EQ(syn_times(f, vip, &o, 1, maglev_answer(f, vip, &of)->id), 1,
			  "another flow of its set: a new flow");
		found++;
	}
	ASSERT_EQ(found, XLB_RECENT_SYN_WAYS, "four flows of the same set found");
	ASSERT_EQ(syn_times(f, vip, &s, 5, be), 1, "pushed out: one new flow again");

	/* Another CPU remembers its own: a repeat there counts, once. */
	if (libbpf_num_possible_cpus() > 1 && pin_to(1, NULL)) {
		ASSERT_EQ(syn_times(f, vip, &s, 5, be), 1, "on another CPU: one new flow more");
		pin_to(0, NULL);
		ASSERT_EQ(syn_times(f, vip, &s, 5, be), 0, "back on the first: none");
	}

	/* UDP: recorded at its first packet, found by its record: once. */
	v0 = vip_new(f, V4_UDP_ENCAP);
	for (i = 0; i < 50; i++)
		if (!send_and_check(f, V4_UDP_ENCAP, &u))
			goto out;
	for (i = 0; i < 20; i++) {
		struct pkt_spec d = to_vip(V4_UDP_ENCAP, 3, 45100 + i);

		send_and_check(f, V4_UDP_ENCAP, &d);
		send_and_check(f, V4_UDP_ENCAP, &d);
	}
	ASSERT_EQ(vip_new(f, V4_UDP_ENCAP) - v0, 21, "UDP: one datagram 50 times and 20 flows twice: 21");
out:
	sched_setaffinity(0, sizeof(before), &before);
}
