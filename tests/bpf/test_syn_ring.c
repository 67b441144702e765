// SPDX-License-Identifier: GPL-2.0
/*
 * The SYN ring (include/xlb_shared.h): a consistent VIP's new TCP flow is
 * recorded there at its SYN, not in the LRU; its later packets keep the
 * backend; the ring keeps the newest flows a CPU recorded, sized by the
 * flow table or by its pin, and a flush forgets them. That a table change
 * holds the flows only the ring knows is test_consistent.c's
 * (test_consistent_weight_change_keeps_flows fails without the ring walk).
 */
#include <sys/stat.h>

#include "xdp_harness.h"

struct ring_seen {
	const struct xlb_flow *want;	/* NULL: count only */
	__u32 backend_id, found, total;
};

static int ring_visit(const struct xlb_flow *f, const struct xlb_conn *c, void *arg)
{
	struct ring_seen *rs = arg;

	rs->total++;
	if (rs->want && !memcmp(f, rs->want, sizeof(*f))) {
		rs->found++;
		rs->backend_id = c->backend_id;
	}
	return 0;
}

static struct ring_seen ring_find(struct xlb_dp *dp, const struct pkt_spec *s)
{
	struct xlb_flow flow;
	struct ring_seen rs = { .want = &flow };

	flow_of(s, &flow);
	xlb_dp_walk_ring(dp, ring_visit, &rs);
	return rs;
}

static __u32 ring_count(struct xlb_dp *dp)
{
	struct ring_seen rs = {};

	xlb_dp_walk_ring(dp, ring_visit, &rs);
	return rs.total;
}

void test_syn_ring_records_new_flows(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct xlb_flow flow;
	struct ring_seen rs;
	struct run r;
	__u32 first;
	int i, k;

	for (i = 0; i < 16; i++) {
		struct pkt_spec s = to_vip(vip, i, 35000 + i);

		s.tcp_flags = TCP_SYN;
		first = backend_id_for(f, vip, &s, &r);
		if (!ASSERT_TRUE(first != XLB_NO_BACKEND, "SYN forwarded"))
			return;
		flow_of(&s, &flow);
		ASSERT_TRUE(!xlb_dp_flow_in_lru(f->dp, &flow), "the LRU was not written");
		rs = ring_find(f->dp, &s);
		ASSERT_EQ(rs.found, 1, "the ring holds the flow");
		ASSERT_EQ(rs.backend_id, first, "with the backend its SYN got");
		s.tcp_flags = TCP_ACK;
		for (k = 0; k < 20; k++)
			ASSERT_EQ(backend_id_for(f, vip, &s, &r), first, "its packets follow");
		/* A retransmitted SYN: the same backend, recorded again. */
		s.tcp_flags = TCP_SYN;
		ASSERT_EQ(backend_id_for(f, vip, &s, &r), first, "a retransmitted SYN too");
		ASSERT_EQ(ring_find(f->dp, &s).found, 2, "recorded twice");
	}
	/* The trace tells the same story and writes nothing. */
	{
		struct pkt_spec s = to_vip(vip, 40, 35100);
		__u8 in[PKT_MAX], out[PKT_MAX + 256];
		__u32 verdict, out_len = sizeof(out);
		struct xlb_trace tr;
		size_t len;

		s.tcp_flags = TCP_SYN;
		len = pkt_build(&s, in, sizeof(in));
		ASSERT_EQ(xlb_dp_trace(f->dp, in, len, &tr, &verdict, out, &out_len), 0, "traced");
		ASSERT_EQ(tr.lru, XLB_TRACE_LRU_RING, "trace: recorded in the ring");
		ASSERT_EQ(ring_find(f->dp, &s).found, 0, "but not by the trace");
		ASSERT_EQ(backend_id_for(f, vip, &s, &r), tr.backend_id, "the backend the trace said");
	}
}

/* The ring keeps a CPU's newest flows, up to its size; a flush forgets them. */
void test_syn_ring_wraps_and_flushes(struct fixture *f)
{
	struct xlb_dp_opts opts = { .lru_entries = 256 };
	const int vip = V4_TCP_ENCAP, n = 1000;
	int cpus = libbpf_num_possible_cpus();
	struct pkt_spec s;
	struct fixture g;
	struct run r;
	__u32 total;
	int i;

	(void)f;
	if (!ASSERT_EQ(fixture_setup(&g, &opts), 0, "data path with a flow table of 256"))
		return;
	for (i = 0; i < n; i++) {
		s = to_vip(vip, i % 64, 20000 + i);
		s.tcp_flags = TCP_SYN;
		if (!ASSERT_TRUE(backend_id_for(&g, vip, &s, &r) != XLB_NO_BACKEND, "SYN forwarded"))
			break;
	}
	total = ring_count(g.dp);
	/* 256 over the CPUs, each a power of two: at most 256 rounded up per CPU. */
	ASSERT_TRUE(total <= (__u32)cpus * 256, "no more than the ring's size");
	ASSERT_TRUE(total >= 256 / (__u32)cpus, "at least one CPU's region full");
	ASSERT_EQ(ring_find(g.dp, &s).found, 1, "the newest flow kept");
	ASSERT_EQ(xlb_dp_flush_flows(g.dp), 0, "flushed");
	ASSERT_EQ(ring_count(g.dp), 0, "a flush forgets the ring's flows");
	fixture_teardown(&g);
}

/*
 * A restart adopts the pinned ring at its own size, whatever the flow
 * table's size asked for now: the program indexes the ring it was given.
 */
void test_pinned_ring_keeps_its_size(struct fixture *f)
{
	struct xlb_dp_opts small = { .lru_entries = 256 }, big = { .lru_entries = 1u << 16 };
	const int vip = V4_TCP_ENCAP;
	char dir[64];
	struct fixture g, h;
	struct pkt_spec s;
	struct run r;
	__u32 first = XLB_NO_BACKEND, in_h, in_g, total;
	int i;

	(void)f;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/xlb-test-ring-%d", getpid());
	if (!ASSERT_EQ(fixture_setup(&g, &small), 0, "data path with a flow table of 256"))
		return;
	if (mkdir(dir, 0700) || xlb_dp_pin(g.dp, dir)) {
		print_error("  %s: no bpffs to pin to (%s): %s\n", __func__, dir, strerror(errno));
		fixture_teardown(&g);
		rmdir(dir);
		skip();
	}
	big.reuse_dir = dir;
	if (!ASSERT_EQ(fixture_setup(&h, &big), 0, "restarted on the pins")) {
		xlb_dp_unpin(dir, false);
		fixture_teardown(&g);
		return;
	}
	for (i = 0; i < 600; i++) {
		s = to_vip(vip, i % 64, 24000 + i);
		s.tcp_flags = TCP_SYN;
		first = backend_id_for(&h, vip, &s, &r);
	}
	/* Read before the checks: a failed check ends the test, the pins must go. */
	in_h = ring_find(h.dp, &s).found;
	in_g = ring_find(g.dp, &s).found;
	total = ring_count(h.dp);
	fixture_teardown(&h);
	fixture_teardown(&g);
	xlb_dp_unpin(dir, false);
	ASSERT_TRUE(first != XLB_NO_BACKEND, "SYN forwarded");
	ASSERT_EQ(in_h, 1, "recorded in the adopted ring");
	ASSERT_TRUE(total <= (__u32)libbpf_num_possible_cpus() * 256, "within the pinned size");
	ASSERT_EQ(in_g, 1, "the one ring both see");
}
