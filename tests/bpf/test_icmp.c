// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP: errors follow the flow they quote (and only to a VIP address),
 * mapped IPv6, quotes bounded by the IP length, trailing bytes, extension
 * headers, echo, too big.
 */
#include "xdp_harness.h"

void test_icmp_errors_follow_their_flow(struct fixture *f)
{
	static const struct { int vip; __u8 type, code; __u32 word; } cases[] = {
		{ V4_TCP_ENCAP, 3, 4, 1400 },	/* fragmentation needed */
		{ V4_UDP_ENCAP, 3, 3, 0 },	/* port unreachable */
		{ V6_TCP_ENCAP, 2, 0, 1400 },	/* packet too big */
		{ V6_UDP_DSR, 1, 4, 0 },	/* port unreachable */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int vip = cases[i].vip;
		struct pkt_spec s = to_vip(vip, 9, 47000 + i);
		struct pkt_spec cold = to_vip(vip, 10, 47100 + i);
		const struct xlb_backend_spec *be;
		struct xlb_flow flow;
		__u8 in[PKT_MAX];
		struct run r;
		size_t len;
		__u32 first, other;

		first = backend_id_for(f, vip, &s, &r);
		/* Move new flows elsewhere: the error must follow the LRU entry. */
		other = f->vips[vip].backends[0].id == first ?
			f->vips[vip].backends[1].id : f->vips[vip].backends[0].id;
		force_table(f, vip, other);
		len = build_icmp_error(&s, in, cases[i].type, cases[i].code, cases[i].word);
		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		ASSERT_EQ(r.retval, XDP_TX, "ICMP error forwarded");
		be = backend_of(f, vip, &r);
		ASSERT_TRUE(be && be->id == first, "ICMP error went to its flow's backend");
		if (be && (vip_defs[vip].flags & XLB_VIP_F_ENCAP)) {
			flow_of(&s, &flow);
			check_encap(f, in, len, &r, be, &flow);
		}

		/* A flow the LRU never saw: the error follows the table. */
		xlb_service_apply(f->dp, &f->vips[vip]);
		flow_of(&cold, &flow);
		len = build_icmp_error(&cold, in, cases[i].type, cases[i].code, cases[i].word);
		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		be = backend_of(f, vip, &r);
		ASSERT_TRUE(be && be == maglev_answer(f, vip, &flow),
			    "ICMP error for an unseen flow follows the Maglev answer");
	}
	ASSERT_TRUE(reason_count(f, XLB_R_TX_ICMP_ERROR) == 8, "counted as ICMP errors forwarded");
}

/* ---- the forwarding contract, as fuzzing broke it (issue 11) ------------ */

/* An ICMP error quoting a VIP flow but addressed elsewhere is not ours. */
void test_icmp_error_to_other_address_passes(struct fixture *f)
{
	struct pkt_spec s4 = to_vip(V4_TCP_ENCAP, 20, 51000), s6 = to_vip(V6_TCP_ENCAP, 20, 51001);
	__u8 in[PKT_MAX];
	size_t len;

	len = build_icmp_error_to(&s4, "198.18.0.5", in, 3, 4, 1400);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "frag-needed to a non-VIP address quoting a VIP flow passed");
	len = build_icmp_error_to(&s6, "2001:db8::5", in, 2, 0, 1400);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "packet-too-big to a non-VIP address quoting a VIP flow passed");
}

/* IPv6 to ::ffff:a.b.c.d must never be taken for IPv4 to a.b.c.d. */
void test_mapped_ipv6_is_not_ipv4(struct fixture *f)
{
	struct pkt_spec tcp = to_vip(V6_TCP_ENCAP, 21, 51100);
	struct pkt_spec echo = { .src = "2001:db8::7", .dst = "2001:db8:100::10",
				 .proto = IPPROTO_ICMPV6, .icmp_type = 128, .sport = 7,
				 .payload_len = 56 };
	struct pkt_spec frag = tcp;
	__u8 in[PKT_MAX];
	size_t len;

	len = pkt_build(&tcp, in, sizeof(in));
	set_mapped_dst(in, vip_defs[V4_TCP_ENCAP].addr);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "TCP over IPv6 to the IPv4-mapped VIP address passed");
	len = pkt_build(&echo, in, sizeof(in));
	set_mapped_dst(in, vip_defs[V4_TCP_ENCAP].addr);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "ICMPv6 echo to the IPv4-mapped VIP address not answered");
	frag.ipv6_frag_hdr = true;
	len = pkt_build(&frag, in, sizeof(in));
	set_mapped_dst(in, vip_defs[V4_TCP_ENCAP].addr);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "IPv6 fragment to the IPv4-mapped VIP address not dropped as ours");
}

/* The quoted ports lie in the frame's padding, past the IP total length. */
void test_icmp_quote_bounded_by_ip_length(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_ENCAP, 22, 51200);
	__u8 in[PKT_MAX];
	size_t len, l3;

	len = build_icmp_error(&s, in, 3, 4, 1400);
	l3 = pkt_l3_off(in);
	/* IP 20 + ICMP 8 + the quoted IP header 20: the ports are not in the packet. */
	put_be16(in + l3 + 2, 48);
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_MALFORMED,
			 "ICMP error whose quoted ports are past the IP length dropped");
}

/* Bytes past the IP total length (padding, garbage) stay out of the tunnel. */
void test_trailing_bytes_not_tunnelled(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_ENCAP, 23, 51300), s6 = to_vip(V6_UDP_ENCAP, 23, 51301);
	struct pkt_spec *specs[] = { &s, &s6 };
	size_t i;

	for (i = 0; i < 2; i++) {
		__u8 in[PKT_MAX];
		size_t len = pkt_build(specs[i], in, sizeof(in)), l3 = pkt_l3_off(in);
		size_t ip_len = len - l3, outer = pkt_is_v6(specs[i]) ? 40 : 20;
		struct run r;

		memset(in + len, 0xa5, 200);
		ASSERT_EQ(run_prog(f, in, len + 200, &r), 0, "BPF_PROG_TEST_RUN");
		ASSERT_EQ(r.retval, XDP_TX, "forwarded");
		ASSERT_EQ(r.out_len, l3 + outer + ip_len, "no trailing bytes in the tunnel");
	}
}

/* The data path walks this many IPv6 extension headers (bpf/parse.h). */
#define EXT_HEADERS_WALKED	8

/* A realistic chain of extension headers is walked; a longer one is counted apart. */
void test_ipv6_extension_header_chain(struct fixture *f)
{
	struct pkt_spec s = to_vip(V6_TCP_ENCAP, 24, 51400);
	__u8 in[PKT_MAX];
	size_t len;
	struct run r;

	len = add_ext_headers(in, pkt_build(&s, in, sizeof(in)), EXT_HEADERS_WALKED);
	ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
	ASSERT_EQ(r.retval, XDP_TX, "8 extension headers walked and forwarded");
	len = add_ext_headers(in, pkt_build(&s, in, sizeof(in)), EXT_HEADERS_WALKED + 1);
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_EXT_HEADERS,
			 "9 extension headers dropped and counted apart");
}

void test_echo_requests_answered(struct fixture *f)
{
	struct pkt_spec specs[] = {
		{ .src = "198.18.0.7", .dst = "198.18.100.10", .proto = IPPROTO_ICMP,
		  .icmp_type = 8, .sport = 77, .payload_len = 56, .ttl = 17 },
		{ .src = "2001:db8::7", .dst = "2001:db8:100::10", .proto = IPPROTO_ICMPV6,
		  .icmp_type = 128, .payload_len = 56, .vlans = 1 },
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		__u8 in[PKT_MAX];
		size_t len = pkt_build(&specs[i], in, sizeof(in)), l3 = pkt_l3_off(in);
		bool v6 = i == 1;
		struct run r;
		const __u8 *ip;

		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		ASSERT_EQ(r.retval, XDP_TX, "echo request answered");
		ASSERT_EQ(r.out_len, len, "reply as long as the request");
		ASSERT_MEMEQ(r.out, in + 6, 6, "reply to the sender's MAC");
		ASSERT_MEMEQ(r.out + 6, in, 6, "from our MAC");
		ip = r.out + l3;
		if (!v6) {
			ASSERT_MEMEQ(ip + 12, in + l3 + 16, 4, "source is the VIP");
			ASSERT_MEMEQ(ip + 16, in + l3 + 12, 4, "destination is the sender");
			ASSERT_EQ(ip[20], 0, "type echo reply");
			ASSERT_EQ(pkt_ipv4_hdr_csum(ip), 0, "IPv4 checksum valid");
		} else {
			ASSERT_MEMEQ(ip + 8, in + l3 + 24, 16, "source is the VIP");
			ASSERT_MEMEQ(ip + 24, in + l3 + 8, 16, "destination is the sender");
			ASSERT_EQ(ip[40], 129, "type echo reply");
		}
		ASSERT_EQ(pkt_l4_csum(ip), 0, "ICMP checksum valid");
	}
	ASSERT_EQ(reason_count(f, XLB_R_TX_ECHO_REPLY), 2, "counted as echo replies");
}

void test_too_big_answered(struct fixture *f)
{
	static const struct { int vip; bool df; __u32 verdict, mtu; } cases[] = {
		{ V4_TCP_ENCAP, true, XDP_TX, 1480 },
		{ V4_TCP_ENCAP, false, XDP_DROP, 0 },
		{ V6_TCP_ENCAP, true, XDP_TX, 1460 },
		{ V4_IN_V6, true, XDP_TX, 1460 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pkt_spec s = to_vip(cases[i].vip, 11, 48000);
		bool v6 = strchr(vip_defs[cases[i].vip].addr, ':');
		__u8 in[PKT_MAX];
		size_t len, l3;
		struct run r;
		const __u8 *ip, *icmp;
		__u64 too_big = reason_count(f, XLB_R_DROP_TOO_BIG);

		s.df = cases[i].df;
		/* A full 1500-byte IP packet: too big once the tunnel header is added. */
		s.payload_len = 1500 - (v6 ? 40 : 20) - 20;
		len = pkt_build(&s, in, sizeof(in));
		l3 = pkt_l3_off(in);
		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		if (!ASSERT_EQ(r.retval, cases[i].verdict, "verdict on an over-MTU packet"))
			continue;
		if (cases[i].verdict == XDP_DROP) {
			ASSERT_EQ(reason_count(f, XLB_R_DROP_TOO_BIG) - too_big, 1,
				  "DF-clear packet counted as too big");
			continue;
		}
		ip = r.out + l3;
		icmp = ip + (v6 ? 40 : 20);
		ASSERT_EQ(r.out_len, l3 + (v6 ? 48 : 28) + 512, "answer quotes 512 bytes");
		ASSERT_MEMEQ(r.out, in + 6, 6, "answer to the sender's MAC");
		if (!v6) {
			ASSERT_EQ(pkt_ipv4_hdr_csum(ip), 0, "IPv4 checksum valid");
			ASSERT_MEMEQ(ip + 16, in + l3 + 12, 4, "to the sender");
			ASSERT_EQ(icmp[0], 3, "destination unreachable");
			ASSERT_EQ(icmp[1], 4, "fragmentation needed");
			ASSERT_EQ((icmp[6] << 8) | icmp[7], cases[i].mtu, "next-hop MTU");
		} else {
			ASSERT_MEMEQ(ip + 24, in + l3 + 8, 16, "to the sender");
			ASSERT_EQ(icmp[0], 2, "packet too big");
			ASSERT_EQ(get_be32(icmp + 4), cases[i].mtu, "MTU");
		}
		ASSERT_MEMEQ(icmp + 8, in + l3, 512, "quotes the offending packet");
		ASSERT_EQ(pkt_l4_csum(ip), 0, "ICMP checksum valid");
	}
	ASSERT_EQ(reason_count(f, XLB_R_TX_TOO_BIG), 3, "answers counted");
}
