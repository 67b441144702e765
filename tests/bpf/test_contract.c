// SPDX-License-Identifier: GPL-2.0
/*
 * The forwarding contract on bad packets: truncated, malformed, fragments,
 * TTL, no backend; hashing without the source port; exact counters.
 */
#include "xdp_harness.h"

/* Every prefix of a valid packet is malformed: dropped, counted, never sent. */
void test_truncated_packets(struct fixture *f)
{
	struct pkt_spec specs[] = {
		to_vip(V4_TCP_ENCAP, 12, 49000),
		to_vip(V6_UDP_ENCAP, 12, 49001),
		to_vip(V4_TCP_DSR, 12, 49002),
		to_vip(V6_TCP_ENCAP, 12, 49003),
	};
	size_t i, cut;

	specs[0].ipv4_opt_len = 12;
	specs[2].vlans = 2;
	specs[3].vlans = 1;
	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		__u8 in[PKT_MAX];
		size_t len;

		specs[i].payload_len = 0;
		len = pkt_build(&specs[i], in, sizeof(in));
		/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header. */
		for (cut = ETH_HLEN; cut < len; cut++) {
			__u64 before = reason_count(f, XLB_R_DROP_MALFORMED);
			struct run r;

			ASSERT_EQ(run_prog(f, in, cut, &r), 0, "BPF_PROG_TEST_RUN");
			if (!ASSERT_EQ(r.retval, XDP_DROP, "truncated packet dropped") ||
			    !ASSERT_EQ(reason_count(f, XLB_R_DROP_MALFORMED) - before, 1,
				       "counted as malformed")) {
				fprintf(stderr, "    spec %zu cut at %zu of %zu\n", i, cut, len);
				return;
			}
		}
	}
}

void test_malformed_headers(struct fixture *f)
{
	struct pkt_spec v4 = to_vip(V4_TCP_ENCAP, 13, 50000);
	struct pkt_spec v6 = to_vip(V6_TCP_ENCAP, 13, 50000);
	__u8 in[PKT_MAX], bad[PKT_MAX];
	size_t len4 = pkt_build(&v4, in, sizeof(in)), len6;
	size_t l3 = pkt_l3_off(in);
	struct { const char *what; size_t off; __u8 val; } v4_cases[] = {
		{ "IPv4 ihl < 5", 0, 0x44 },
		{ "IPv4 version 5", 0, 0x55 },
		{ "IPv4 total length < header", 3, 8 },
		{ "IPv4 total length past the frame", 2, 0x10 },
		{ "TCP data offset < 5", 20 + 12, 0x40 },
		{ "TCP data offset past the packet", 20 + 12, 0xf0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v4_cases); i++) {
		memcpy(bad, in, len4);
		bad[l3 + v4_cases[i].off] = v4_cases[i].val;
		if (v4_cases[i].off == 3)
			bad[l3 + 2] = 0;
		expect_untouched(f, bad, len4, XDP_DROP, XLB_R_DROP_MALFORMED, v4_cases[i].what);
	}

	/* A TCP header cut by the IP length: malformed for a VIP, not ours otherwise. */
	memcpy(bad, in, len4);
	bad[l3 + 2] = 0;
	bad[l3 + 3] = 20 + 8;
	expect_untouched(f, bad, len4, XDP_DROP, XLB_R_DROP_MALFORMED, "TCP cut short to a VIP");
	bad[l3 + 19] = 99; /* 198.18.100.99: no VIP */
	expect_untouched(f, bad, len4, XDP_PASS, XLB_R_PASS_NOT_VIP, "TCP cut short elsewhere");

	len6 = pkt_build(&v6, in, sizeof(in));
	memcpy(bad, in, len6);
	bad[l3] = 0x40 | (bad[l3] & 0xf);
	expect_untouched(f, bad, len6, XDP_DROP, XLB_R_DROP_MALFORMED, "IPv6 version 4");
	memcpy(bad, in, len6);
	bad[l3 + 4] = 0x7f;
	expect_untouched(f, bad, len6, XDP_DROP, XLB_R_DROP_MALFORMED, "IPv6 payload past the frame");
}

void test_fragments_to_vips_dropped(struct fixture *f)
{
	struct pkt_spec first = to_vip(V4_TCP_ENCAP, 14, 51000);
	struct pkt_spec later = to_vip(V4_UDP_ENCAP, 14, 51000);
	struct pkt_spec v6 = to_vip(V6_UDP_ENCAP, 14, 51000);
	struct pkt_spec other = { .src = "198.18.0.9", .dst = "198.18.100.99",
				  .proto = IPPROTO_UDP, .frag = 0x2000 };
	__u8 in[PKT_MAX];
	size_t len;

	first.df = false;
	first.frag = 0x2000;		/* MF */
	later.df = false;
	later.frag = 0x0010;		/* offset 128 */
	v6.ipv6_frag_hdr = true;
	len = pkt_build(&first, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_FRAGMENT, "first IPv4 fragment");
	len = pkt_build(&later, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_FRAGMENT, "later IPv4 fragment");
	len = pkt_build(&v6, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_FRAGMENT, "IPv6 fragment");
	len = pkt_build(&other, in, sizeof(in));
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP, "fragment to no VIP");
}

void test_ttl_expiry_and_no_backend(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_DSR, 15, 52000);
	struct xlb_vip_stats vs;
	__u8 in[PKT_MAX];
	size_t len, b;

	s.ttl = 1;
	len = pkt_build(&s, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_TTL, "TTL 1 is not forwarded");

	for (b = 0; b < BE_PER_VIP; b++)
		f->vips[V4_TCP_DSR].backends[b].state = XLB_BE_DOWN;
	ASSERT_EQ(xlb_service_apply(f->dp, &f->vips[V4_TCP_DSR]), 0, "all backends down");
	s.ttl = 64;
	s.sport++;
	len = pkt_build(&s, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_NO_BACKEND, "no backend: dropped");
	ASSERT_EQ(xlb_dp_vip_stats(f->dp, V4_TCP_DSR, &vs), 0, "VIP stats read");
	ASSERT_EQ(vs.no_backend, 1, "VIP counts the drop");
}

void test_source_port_left_out(struct fixture *f)
{
	struct run r;
	__u32 first;
	int p;

	struct pkt_spec s = to_vip(V4_NOSPORT, 16, 53000);

	first = backend_id_for(f, V4_NOSPORT, &s, &r);
	for (p = 1; p < 50; p++) {
		s.sport = 53000 + p * 7;
		if (!ASSERT_EQ(backend_id_for(f, V4_NOSPORT, &s, &r), first,
			       "every source port of a client, one backend"))
			break;
	}
}

void test_counters_exact(struct fixture *f)
{
	__u64 want_pkts[NR_VIPS * BE_PER_VIP] = {}, want_bytes[NR_VIPS * BE_PER_VIP] = {};
	__u64 want_new[NR_VIPS * BE_PER_VIP] = {}, vip_pkts = 0, vip_bytes = 0;
	struct xlb_vip_stats vs;
	struct xlb_counter fwd, pass;
	__u8 in[PKT_MAX];
	int c, k, i;

	for (c = 0; c < 40; c++) {
		/* Each flow sends 1..3 packets of varying size. */
		for (k = 0; k <= c % 3; k++) {
			struct pkt_spec s = to_vip(V6_TCP_ENCAP, c, 54000);
			const struct xlb_backend_spec *be;
			size_t len;

			/* A SYN, then what follows it (a SYN sent again would count once). */
			s.tcp_flags = k ? TCP_ACK : TCP_SYN;
			s.payload_len = 10 * c + k;
			len = pkt_build(&s, in, sizeof(in));
			be = send_and_check(f, V6_TCP_ENCAP, &s);
			if (!be)
				return;
			want_pkts[be->id]++;
			want_bytes[be->id] += len;
			want_new[be->id] += k == 0;
			vip_pkts++;
			vip_bytes += len;
		}
	}
	for (i = 0; i < 7; i++) {
		struct pkt_spec s = { .src = "2001:db8::9", .dst = "2001:db8:100::99",
				      .proto = IPPROTO_UDP, .sport = 9, .dport = 9 };
		size_t len = pkt_build(&s, in, sizeof(in));
		struct run r;

		run_prog(f, in, len, &r);
	}
	for (i = 0; i < BE_PER_VIP; i++) {
		__u32 id = f->vips[V6_TCP_ENCAP].backends[i].id;
		struct xlb_backend_stats bs;

		ASSERT_EQ(xlb_dp_backend_stats(f->dp, id, &bs), 0, "backend stats read");
		ASSERT_EQ(bs.packets, want_pkts[id], "backend packets");
		ASSERT_EQ(bs.bytes, want_bytes[id], "backend bytes");
		ASSERT_EQ(bs.new_flows, want_new[id], "backend new flows");
	}
	ASSERT_EQ(xlb_dp_vip_stats(f->dp, V6_TCP_ENCAP, &vs), 0, "VIP stats read");
	ASSERT_EQ(vs.packets, vip_pkts, "VIP packets");
	ASSERT_EQ(vs.bytes, vip_bytes, "VIP bytes");
	ASSERT_EQ(vs.new_flows, 40, "VIP new flows");
	/* No change moved a slot: every packet by the table alone, none looked up. */
	ASSERT_EQ(reason_count(f, XLB_R_TABLE_HIT), vip_pkts, "one table event a packet");
	ASSERT_EQ(reason_count(f, XLB_R_LRU_MISS) + reason_count(f, XLB_R_LRU_HIT), 0,
		  "no flow looked up");
	xlb_dp_reason_stats(f->dp, XLB_R_TX_FORWARD, &fwd);
	xlb_dp_reason_stats(f->dp, XLB_R_PASS_NOT_VIP, &pass);
	ASSERT_EQ(fwd.packets, vip_pkts, "forwarded packets");
	ASSERT_EQ(fwd.bytes, vip_bytes, "forwarded bytes");
	ASSERT_EQ(pass.packets, 7, "passed packets");
}
