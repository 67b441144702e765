// SPDX-License-Identifier: GPL-2.0
/*
 * Forwarding: each mode and family, VLANs and options, what is not ours,
 * flows across table changes, drain, down, UDP expiry.
 */
#include "xdp_harness.h"

void test_forward_each_mode_and_family(struct fixture *f)
{
	static const int vips[] = {
		V4_TCP_ENCAP, V4_UDP_ENCAP, V6_TCP_ENCAP, V6_UDP_ENCAP,
		V4_TCP_DSR, V6_UDP_DSR, V4_IN_V6, V6_IN_V4, V4_ANY_PORT_DSR,
	};
	size_t i;
	int c;

	for (i = 0; i < ARRAY_SIZE(vips); i++) {
		/* Many clients, so that every backend is seen. */
		for (c = 0; c < 24; c++) {
			struct pkt_spec s = to_vip(vips[i], c, 40000 + c);

			send_and_check(f, vips[i], &s);
		}
	}
}

void test_ipv4_options_and_vlans(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_ENCAP, 1, 41000);
	int vlans;

	s.ipv4_opt_len = 40;	/* ihl 15, the most there is */
	send_and_check(f, V4_TCP_ENCAP, &s);
	s.ipv4_opt_len = 4;
	send_and_check(f, V4_TCP_DSR, &(struct pkt_spec){ .src = s.src,
		.dst = vip_defs[V4_TCP_DSR].addr, .proto = IPPROTO_TCP,
		.sport = 41001, .dport = 80, .ipv4_opt_len = 8, .ttl = 9 });
	for (vlans = 1; vlans <= 2; vlans++) {
		struct pkt_spec v6 = to_vip(V6_TCP_ENCAP, 2, 42000 + vlans);
		struct pkt_spec in4 = to_vip(V4_IN_V6, 3, 42010 + vlans);

		v6.vlans = vlans;
		in4.vlans = vlans;
		s.vlans = vlans;
		send_and_check(f, V6_TCP_ENCAP, &v6);
		send_and_check(f, V4_IN_V6, &in4);
		send_and_check(f, V4_TCP_ENCAP, &s);
	}
}

void test_not_for_a_vip_passes_untouched(struct fixture *f)
{
	static const __u8 arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0xc6, 0x12, 0x00, 0x01,
		0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x00, 0xc6, 0x12, 0x00, 0x01, 198, 18, 0, 1,
		0, 0, 0, 0, 0, 0, 198, 18, 100, 10,
	};
	struct pkt_spec specs[] = {
		{ .src = "198.18.0.1", .dst = "198.18.100.99", .proto = IPPROTO_TCP, .sport = 1, .dport = 80 },
		/* VIP address, port with no VIP */
		{ .src = "198.18.0.1", .dst = "198.18.100.10", .proto = IPPROTO_TCP, .sport = 1, .dport = 81 },
		/* VIP address and port, other protocol */
		{ .src = "198.18.0.1", .dst = "198.18.100.10", .proto = IPPROTO_UDP, .sport = 1, .dport = 80 },
		{ .src = "2001:db8::1", .dst = "2001:db8:100::99", .proto = IPPROTO_UDP, .sport = 1, .dport = 53 },
		{ .src = "2001:db8::1", .dst = "2001:db8:100::10", .proto = IPPROTO_TCP, .sport = 1, .dport = 443, .vlans = 2 },
		/* Echo to an address without VIP */
		{ .src = "198.18.0.1", .dst = "198.18.100.99", .proto = IPPROTO_ICMP, .icmp_type = 8 },
	};
	__u8 in[PKT_MAX];
	size_t i, len;

	expect_untouched(f, arp, sizeof(arp), XDP_PASS, XLB_R_PASS_NOT_IP, "ARP passes");
	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		len = pkt_build(&specs[i], in, sizeof(in));
		expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP, "non-VIP passes");
	}
}

void test_sticky_when_table_changes(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_ENCAP, 5, 43000);
	struct pkt_spec fresh = to_vip(V4_TCP_ENCAP, 6, 43001);
	struct run r;
	__u32 first, other;

	first = backend_id_for(f, V4_TCP_ENCAP, &s, &r);
	if (!ASSERT_TRUE(first != XLB_NO_BACKEND, "flow forwarded"))
		return;
	other = first == 0 ? 1 : 0;
	ASSERT_EQ(force_table(f, V4_TCP_ENCAP, other), 0, "table swapped");
	s.tcp_flags = TCP_ACK;	/* the flow's packets after its SYN */
	ASSERT_EQ(backend_id_for(f, V4_TCP_ENCAP, &s, &r), first,
		  "existing flow stays on its backend");
	ASSERT_EQ(backend_id_for(f, V4_TCP_ENCAP, &fresh, &r), other,
		  "new flow follows the new table");
}

void test_drain_keeps_flows_takes_no_new(struct fixture *f)
{
	const int vip = V6_TCP_ENCAP;
	__u32 victim = f->vips[vip].backends[0].id;
	int c = client_for_backend(f, vip, victim), i;
	struct pkt_spec s = to_vip(vip, c, 44000);
	struct run r;

	if (!ASSERT_TRUE(c >= 0, "found a flow on the victim"))
		return;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "flow lands on victim");
	set_state(f, vip, 0, XLB_BE_UP, 0); /* weight 0: draining */
	s.tcp_flags = TCP_ACK;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "draining keeps its flow");
	for (i = 0; i < 200; i++) {
		struct pkt_spec n = to_vip(vip, i % 64, 45000 + i);

		if (!ASSERT_TRUE(backend_id_for(f, vip, &n, &r) != victim,
				 "no new flow on a draining backend"))
			break;
	}
}

/*
 * A flow on a draining backend survives the loss of every record (a flood
 * evicts them): the old table keeps it. Putting the backend back sends
 * new flows there again, and the flow stays where it always was.
 */
void test_drained_flow_survives_lru_loss(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	__u32 victim = f->vips[vip].backends[2].id;
	int c = client_for_backend(f, vip, victim);
	struct pkt_spec s = to_vip(vip, c, 47000);
	struct pkt_spec other = to_vip(vip, c, 47001);
	struct run r;

	if (!ASSERT_TRUE(c >= 0, "found a flow on the victim"))
		return;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "flow lands on victim");
	set_state(f, vip, 2, XLB_BE_UP, 0); /* weight 0: draining */
	ASSERT_EQ(xlb_dp_flush_flows(f->dp), 0, "LRU emptied, as a flood would");
	s.tcp_flags = TCP_ACK;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "drained flow still reaches its backend");
	ASSERT_EQ(xlb_dp_flush_flows(f->dp), 0, "its record gone again");
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "and still");
	ASSERT_TRUE(backend_id_for(f, vip, &other, &r) != victim,
		    "a new flow (SYN) is not sent to the draining backend");

	set_state(f, vip, 2, XLB_BE_UP, 1);
	ASSERT_EQ(xlb_dp_flush_flows(f->dp), 0, "LRU emptied again");
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "back in the table: the flow where it was");
}

void test_down_loses_flows(struct fixture *f)
{
	const int vip = V4_UDP_ENCAP;
	__u32 victim = f->vips[vip].backends[1].id, now;
	int c = client_for_backend(f, vip, victim);
	struct pkt_spec s = to_vip(vip, c, 44000);
	__u64 stale;
	struct run r;

	if (!ASSERT_TRUE(c >= 0, "found a flow on the victim"))
		return;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "flow lands on victim");
	stale = reason_count(f, XLB_R_LRU_STALE);
	set_state(f, vip, 1, XLB_BE_DOWN, 1);
	now = backend_id_for(f, vip, &s, &r);
	ASSERT_TRUE(now != victim && now != XLB_NO_BACKEND, "flow moved off the down backend");
	ASSERT_EQ(reason_count(f, XLB_R_LRU_STALE) - stale, 1, "stale LRU hit counted");
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), now, "and sticks to its new backend");
}

void test_udp_entries_expire(struct fixture *f)
{
	struct xlb_dp_opts opts = { .udp_idle_ms = 100 };
	struct fixture g;
	struct pkt_spec s = to_vip(V4_UDP_ENCAP, 7, 46000);
	struct pkt_spec t = to_vip(V4_TCP_ENCAP, 7, 46000);
	__u32 first, first_tcp, other;
	struct run r;

	(void)f;
	if (!ASSERT_EQ(fixture_setup(&g, &opts), 0, "data path with 100 ms UDP idle"))
		return;
	first = backend_id_for(&g, V4_UDP_ENCAP, &s, &r);
	first_tcp = backend_id_for(&g, V4_TCP_ENCAP, &t, &r);
	other = first == 3 ? 4 : 3;
	force_table(&g, V4_UDP_ENCAP, other);
	force_table(&g, V4_TCP_ENCAP, first_tcp == 0 ? 1 : 0);
	t.tcp_flags = TCP_ACK;
	ASSERT_EQ(backend_id_for(&g, V4_UDP_ENCAP, &s, &r), first, "UDP sticky while active");
	usleep(250 * 1000);
	ASSERT_EQ(backend_id_for(&g, V4_UDP_ENCAP, &s, &r), other, "idle UDP entry expired");
	ASSERT_EQ(backend_id_for(&g, V4_TCP_ENCAP, &t, &r), first_tcp, "TCP entry does not expire");
	fixture_teardown(&g);
}

/*
 * A seed of its own: the data path hashes as userspace does, IPv4 flows
 * from the seed's prefix (xlb_hash.h) and IPv6 ones from the seed, for the
 * table's choice and the tunnel's source alike (send_and_check checks both).
 */
void test_hash_seed_set_by_the_loader(struct fixture *f)
{
	struct xlb_dp_opts opts = { .hash_seed = 0x12345678 };
	struct fixture g;
	int v, c;

	(void)f;
	ASSERT_EQ(xlb_hash_v4_prefix(XLB_HASH_SEED_DEFAULT), XLB_HASH_V4_PREFIX_DEFAULT,
		  "the default seed's prefix is the data path's default");
	if (!ASSERT_EQ(fixture_setup(&g, &opts), 0, "data path with a seed of its own"))
		return;
	for (v = 0; v < NR_VIPS; v++)
		for (c = 0; c < 8; c++) {
			struct pkt_spec s = to_vip(v, c, 46100 + c);

			if (!ASSERT_TRUE(send_and_check(&g, v, &s) != NULL, "forwarded as userspace says"))
				goto out;
		}
out:
	fixture_teardown(&g);
}
