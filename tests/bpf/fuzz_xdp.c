// SPDX-License-Identifier: GPL-2.0
/* The packet fuzzer: test_xdp --fuzz N [SEED]. */
#include "xdp_harness.h"

/*
 * Mutated packets through the live program, configured like the tests,
 * with three invariants checked on every packet:
 *  - a packet whose IP destination is readable and not a VIP address
 *    passes, byte for byte untouched;
 *  - every XDP_TX output is well formed: encapsulated to a configured
 *    backend (outer checksum right, nothing after the inner packet), sent
 *    to a backend's MAC (L2 DSR), or an ICMP answer to the sender with
 *    right checksums;
 *  - every packet moves exactly one verdict counter (each packet on a
 *    sample, the total on every batch).
 */
static __u64 rng = 0x9e3779b97f4a7c15ull;

static __u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static __u64 verdicts_total(struct fixture *f, __u64 *each)
{
	__u64 total = 0;
	__u32 r;

	for (r = 0; r < XLB_R_VERDICT_MAX; r++) {
		__u64 c = reason_count(f, r);

		if (each)
			each[r] = c;
		total += c;
	}
	return total;
}

/* The L3 offset and family as the program sees them; 0 when not IP. */
static size_t frame_l3(const __u8 *p, size_t len, bool *v6)
{
	size_t off = 12;
	int i;

	for (i = 0; i <= 2 && off + 2 <= len; i++) {
		__u16 t = get_be16(p + off);

		if (t == ETH_P_IP || t == ETH_P_IPV6) {
			*v6 = t == ETH_P_IPV6;
			return off + 2;
		}
		if (i == 2 || (t != ETH_P_8021Q && t != ETH_P_8021AD))
			return 0;
		off += 4;
	}
	return 0;
}

/* An IPv4 address at any alignment, IPv4-mapped. */
static void v4_at(union xlb_addr *a, const __u8 *p)
{
	__be32 v4;

	memcpy(&v4, p, 4);
	xlb_addr_from_v4(a, v4);
}

/* -1: the destination cannot be read; 1: a VIP address; 0: another. */
static int to_vip_addr(const __u8 *p, size_t len)
{
	bool v6 = false;
	size_t l3 = frame_l3(p, len, &v6), i;
	union xlb_addr dst = {};

	if (!l3 || l3 + (v6 ? 40 : 20) > len)
		return -1;
	if (v6)
		memcpy(dst.b, p + l3 + 24, 16);
	else
		v4_at(&dst, p + l3 + 16);
	/* An IPv6 destination of IPv4-mapped form is never a VIP's. */
	if (v6 && xlb_addr_is_v4(&dst))
		return 0;
	for (i = 0; i < (size_t)NR_VIPS; i++) {
		union xlb_addr a;

		xlb_addr_parse(vip_defs[i].addr, &a);
		if (!xlb_addr_cmp(&a, &dst))
			return 1;
	}
	return 0;
}

static bool is_backend(struct fixture *f, const union xlb_addr *a, const __u8 *mac)
{
	size_t i;

	for (i = 0; i < NR_VIPS * BE_PER_VIP; i++)
		if ((a && !xlb_addr_cmp(&f->bes[i].addr, a)) || (mac && !memcmp(f->bes[i].mac, mac, 6)))
			return true;
	return false;
}

/* An ICMP message (after its IP header) with a right checksum. */
static bool icmp_ok(const __u8 *ip, bool v6, size_t avail)
{
	if (!v6) {
		size_t hl = (ip[0] & 15) * 4, tot = get_be16(ip + 2);

		return tot <= avail && tot > hl && pkt_csum(ip + hl, tot - hl, 0) == 0;
	}
	return 40 + (size_t)get_be16(ip + 4) <= avail && pkt_l4_csum(ip) == 0;
}

/* The L3 length an IP header at ip claims, headers included. */
static size_t ip_len(const __u8 *ip, bool v6)
{
	return v6 ? 40 + (size_t)get_be16(ip + 4) : get_be16(ip + 2);
}

/*
 * Why an XDP_TX output is not well formed, or NULL. Headers xlb writes
 * must have right checksums; headers it only changes (TTL, addresses,
 * echo type) must keep a checksum right if it was. xlb does not verify
 * input checksums (README), so a wrong one may stay wrong.
 */
static const char *tx_problem(struct fixture *f, const __u8 *in, size_t in_len,
			      const __u8 *out, size_t out_len)
{
	bool in_v6 = false, v6 = false;
	size_t l3 = frame_l3(out, out_len, &v6), in_l3 = frame_l3(in, in_len, &in_v6);
	bool in_hdr_ok, in_icmp_ok;
	union xlb_addr dst;
	__u8 proto;

	if (!l3 || l3 + (v6 ? 40 : 20) > out_len)
		return "not an IP packet";
	if (l3 + ip_len(out + l3, v6) != out_len)
		return "bytes after the IP packet";
	if (!in_l3 || in_l3 + (in_v6 ? 40 : 20) > in_len)
		return "sent, though its own IP header is not whole";
	in_hdr_ok = in_v6 || !pkt_ipv4_hdr_csum(in + in_l3);
	in_icmp_ok = icmp_ok(in + in_l3, in_v6, in_len - in_l3);
	if (v6)
		memcpy(dst.b, out + l3 + 24, 16);
	else
		v4_at(&dst, out + l3 + 16);
	proto = v6 ? out[l3 + 6] : out[l3 + 9];

	/* Encapsulated: the outer header is xlb's, to a configured backend. */
	if ((proto == IPPROTO_IPIP || proto == IPPROTO_IPV6) && is_backend(f, &dst, NULL)) {
		size_t inner = l3 + (v6 ? 40 : 20);
		bool inner_v6 = proto == IPPROTO_IPV6;

		if (!v6 && pkt_ipv4_hdr_csum(out + l3))
			return "outer IPv4 header checksum wrong";
		if (inner + (inner_v6 ? 40 : 20) > out_len ||
		    inner + ip_len(out + inner, inner_v6) != out_len)
			return "the inner packet does not fill the tunnel exactly";
		if (!inner_v6 && in_hdr_ok && pkt_ipv4_hdr_csum(out + inner))
			return "a right inner IPv4 header checksum made wrong";
		return NULL;
	}
	/* L2 DSR: to a backend's MAC, the IP header as it came but the TTL. */
	if (is_backend(f, NULL, out)) {
		if (!v6 && in_hdr_ok && pkt_ipv4_hdr_csum(out + l3))
			return "a right IPv4 header checksum made wrong";
		return NULL;
	}
	/* An answer to the sender: an echo reply, or too big (xlb's own). */
	if (in_v6 == v6 && !memcmp(out + l3 + (v6 ? 24 : 16), in + in_l3 + (v6 ? 8 : 12), v6 ? 16 : 4) &&
	    proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		__u8 type = out[l3 + (v6 ? 40 : (out[l3] & 15) * 4)];
		bool echo = type == (v6 ? 129 : 0);

		if (!v6 && (echo ? in_hdr_ok : true) && pkt_ipv4_hdr_csum(out + l3))
			return "the answer's IPv4 header checksum is wrong";
		if ((echo ? in_icmp_ok : true) && !icmp_ok(out + l3, v6, out_len - l3))
			return "the answer's ICMP checksum is wrong";
		return NULL;
	}
	return "sent to neither a backend nor the sender";
}

/* One of a few shapes of packet, then 0 to 4 mutations of it. */
static size_t fuzz_packet(__u8 *buf)
{
	static const __u8 interesting[] = { 0, 1, 4, 5, 6, 17, 41, 58, 0x45, 0x60, 0x7f, 0x80, 0xff };
	struct pkt_spec s;
	int vip = rnd() % NR_VIPS, n, i;
	size_t len, l3, cut;
	bool v6;

	s = to_vip(vip, rnd() % 64, 1024 + rnd() % 60000);
	s.payload_len = rnd() % 300;
	switch (rnd() % 8) {
	case 0:
		len = build_icmp_error(&s, buf, pkt_is_v6(&s) ? 2 : 3, pkt_is_v6(&s) ? 0 : 4, 1400);
		break;
	case 1:
		s.dst = pkt_is_v6(&s) ? "2001:db8:77::1" : "198.18.77.1";
		len = pkt_build(&s, buf, PKT_MAX);
		break;
	case 2:
		s.proto = pkt_is_v6(&s) ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		s.icmp_type = pkt_is_v6(&s) ? 128 : 8;
		len = pkt_build(&s, buf, PKT_MAX);
		break;
	case 3:
		s.vlans = 1 + rnd() % 2;
		s.ipv4_opt_len = pkt_is_v6(&s) ? 0 : 4 * (rnd() % 11);
		len = pkt_build(&s, buf, PKT_MAX);
		break;
	case 4:
		len = pkt_build(&s, buf, PKT_MAX);
		if (pkt_is_v6(&s))
			len = add_ext_headers(buf, len, rnd() % 10);
		break;
	default:
		len = pkt_build(&s, buf, PKT_MAX);
	}
	n = rnd() % 5;
	l3 = frame_l3(buf, len, &v6);
	for (i = 0; i < n && len > ETH_HLEN; i++) {
		size_t at = rnd() % (len < 128 ? len : 128);

		switch (rnd() % 6) {
		case 0:
			buf[at] ^= 1 << (rnd() % 8);
			break;
		case 1:
			buf[at] = interesting[rnd() % sizeof(interesting)];
			break;
		case 2:
			cut = ETH_HLEN + rnd() % (len - ETH_HLEN);
			len = cut;
			break;
		case 3:
			cut = 1 + rnd() % 200;
			for (size_t k = 0; k < cut && len < PKT_MAX; k++)
				buf[len++] = rnd();
			break;
		case 4:	/* the IP destination: another VIP, a mapped form, anything */
			if (l3 && l3 + 40 <= len && v6) {
				if (rnd() % 2)
					set_mapped_dst(buf, vip_defs[V4_TCP_ENCAP].addr);
				else
					buf[l3 + 39] = rnd();
			} else if (l3 && l3 + 20 <= len) {
				buf[l3 + 19] ^= rnd() % 2 ? 0x0a : 0;
			}
			break;
		default: /* IP lengths */
			if (l3 && l3 + 6 <= len)
				put_be16(buf + l3 + (v6 ? 4 : 2), rnd() % 1600);
		}
	}
	return len;
}

__u64 fuzz_count = 200000, fuzz_seed = 1;

void test_fuzz_xdp(struct fixture *f)
{
	const __u64 count = fuzz_count, seed = fuzz_seed;
	__u8 in[PKT_MAX + 256];
	__u64 i, total0, sampled = 0, by_verdict[5] = {};
	__u64 before[XLB_R_VERDICT_MAX], after[XLB_R_VERDICT_MAX];
	int bad = 0;

	/* Any seed, never the all-zero state xorshift cannot leave. */
	rng = (seed + 1) * 0x9e3779b97f4a7c15ull | 1;
	total0 = verdicts_total(f, NULL);
	for (i = 0; i < count && bad < 10; i++) {
		size_t len = fuzz_packet(in);
		int to_vip_address = to_vip_addr(in, len);
		bool sample = !(i % 16);
		struct run r;
		const char *why = NULL;
		__u32 changed = 0, k;

		if (sample)
			verdicts_total(f, before);
		if (run_prog(f, in, len, &r)) {
			why = "BPF_PROG_TEST_RUN failed";
		} else if (to_vip_address == 0 &&
			   (r.retval != XDP_PASS || r.out_len != len || memcmp(r.out, in, len))) {
			why = "not addressed to a VIP address, yet not passed untouched";
		} else if (r.retval == XDP_TX) {
			why = tx_problem(f, in, len, r.out, r.out_len);
		}
		if (r.retval < 5)
			by_verdict[r.retval]++;
		if (sample && !why) {
			verdicts_total(f, after);
			for (k = 0; k < XLB_R_VERDICT_MAX; k++)
				changed += after[k] - before[k];
			if (changed != 1)
				why = "moved other than one verdict counter";
			sampled++;
		}
		if (!why && (i + 1) % 4096 == 0) {
			if (verdicts_total(f, NULL) - total0 != i + 1)
				why = "verdict counters do not add up to the packets run";
		}
		if (why) {
			bad++;
			fprintf(stderr, "    packet %llu (seed %llu, verdict %u, %zu bytes): %s\n",
				(unsigned long long)i, (unsigned long long)seed, r.retval, len, why);
			for (k = 0; k < len && k < 96; k++)
				fprintf(stderr, "%02x%s", in[k], k % 32 == 31 ? "\n" : "");
			fprintf(stderr, "\n");
		}
	}
	printf("  %llu packets (seed %llu): %llu passed, %llu dropped, %llu sent; %llu checked packet by packet for one verdict\n",
	       (unsigned long long)i, (unsigned long long)seed,
	       (unsigned long long)by_verdict[XDP_PASS], (unsigned long long)by_verdict[XDP_DROP],
	       (unsigned long long)by_verdict[XDP_TX], (unsigned long long)sampled);
	ASSERT_EQ(bad, 0, "packets that broke the contract");
}
