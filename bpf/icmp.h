/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMP and ICMPv6 to a VIP address:
 *  - echo requests are answered here (the VIP need not be configured on the
 *    host), unless the address entry says to pass them to the stack;
 *  - errors that quote a VIP flow (unreachable, fragmentation needed, packet
 *    too big, time exceeded) are sent to the backend of that flow, so PMTU
 *    discovery works for the connection that caused them;
 *  - a packet that would exceed the MTU after encapsulation is answered with
 *    fragmentation-needed / packet-too-big.
 */
#ifndef XLB_BPF_ICMP_H
#define XLB_BPF_ICMP_H

#include "xlb.h"

/* handle_icmp's answer when the packet is to be routed like the flow it quotes. */
#define ICMP_FOLLOW_FLOW	(-1)
/* Bytes of the offending packet quoted in a too-big answer (<= 512 for csum_diff). */
#define XLB_ICMP_QUOTE		512

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline int echo_reply(void *data, void *data_end, struct pkt *p)
{
	__u32 l2_len = p->l2_len, l4_off = p->l4_off;
	struct ethhdr *eth = data;
	__be16 old;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (l2_len > XLB_L2_MAX || l4_off > XLB_L4_OFF_MAX)
		return -1;
	if (p->is_v4) {
		struct iphdr *iph = data + l2_len;
		struct icmphdr *ic = data + l4_off;
		__be32 addr;

		if ((void *)(iph + 1) > data_end || (void *)(ic + 1) > data_end)
			return -1;
		addr = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = addr;
		old = *(__be16 *)&iph->ttl;
		iph->ttl = XLB_OUTER_TTL;
		csum_replace2(&iph->check, old, *(__be16 *)&iph->ttl);
		old = *(__be16 *)ic;
		ic->type = ICMP_ECHOREPLY;
		csum_replace2(&ic->checksum, old, *(__be16 *)ic);
	} else {
		struct ipv6hdr *ip6h = data + l2_len;
		struct icmp6hdr *ic = data + l4_off;
		struct in6_addr addr;

		if ((void *)(ip6h + 1) > data_end || (void *)(ic + 1) > data_end)
			return -1;
		/* Swapping addresses leaves the pseudo-header sum as it was. */
		addr = ip6h->saddr;
		ip6h->saddr = ip6h->daddr;
		ip6h->daddr = addr;
		ip6h->hop_limit = XLB_OUTER_TTL;
		old = *(__be16 *)ic;
		ic->icmp6_type = ICMPV6_ECHO_REPLY;
		csum_replace2(&ic->icmp6_cksum, old, *(__be16 *)ic);
	}
	swap_macs(eth);
	return 0;
}

static __always_inline int handle_echo(struct xdp_md *ctx, struct pkt *p,
				       __u32 *reason)
{
	struct xlb_vip *entry = lookup_addr_entry(&p->flow.dst);

	if (!entry) {
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	/* Echo behind IPv6 extension headers is left to the stack. */
	if (!(entry->flags & XLB_VIP_F_ECHO_REPLY) ||
	    (!p->is_v4 && p->l4_off != p->l2_len + sizeof(struct ipv6hdr))) {
		*reason = XLB_R_PASS_ICMP;
		return XDP_PASS;
	}
	/* Bytes past the IP packet stay out of the answer too (headers first). */
	if (echo_reply((void *)(long)ctx->data, (void *)(long)ctx->data_end, p) ||
	    trim_to_ip(ctx, p)) {
		*reason = XLB_R_DROP_MALFORMED;
		return XDP_DROP;
	}
	*reason = XLB_R_TX_ECHO_REPLY;
	return XDP_TX;
}

/*
 * The quoted packet was sent by the VIP (a backend's reply), so the flow as
 * the VIP sees it is the quoted tuple reversed.
 */
static __always_inline int follow_quoted_flow(void *data, void *data_end,
					      struct pkt *p, __u32 *reason)
{
	/* Every read stays inside the IP packet, not merely the frame. */
	__u32 off = p->l4_off + 8, l3_end = p->l2_len + p->l3_len, l4;
	union xlb_addr outer_dst = p->flow.dst;
	__be16 *ports;
	__u8 proto;

	/* Addressed elsewhere, it is not ours whatever it quotes. */
	if (!lookup_addr_entry(&p->flow.dst)) {
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	if (off > XLB_L4_OFF_MAX)
		return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);

	if (p->is_v4) {
		struct iphdr *in = data + off;

		if ((void *)(in + 1) > data_end || off + sizeof(*in) > l3_end ||
		    in->version != 4 || in->ihl < 5)
			return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
		proto = in->protocol;
		l4 = off + in->ihl * 4;
		set_v4_mapped(&p->flow.src, in->daddr);
		set_v4_mapped(&p->flow.dst, in->saddr);
	} else {
		struct ipv6hdr *in = data + off;

		if ((void *)(in + 1) > data_end || off + sizeof(*in) > l3_end ||
		    in->version != 6)
			return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
		proto = in->nexthdr;
		l4 = off + sizeof(*in);
		__builtin_memcpy(&p->flow.src, &in->daddr, 16);
		__builtin_memcpy(&p->flow.dst, &in->saddr, 16);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		*reason = XLB_R_PASS_ICMP;
		return XDP_PASS;
	}
	/* The quoted packet came from the address the error is sent to. */
	if (p->flow.dst.w[0] != outer_dst.w[0] || p->flow.dst.w[1] != outer_dst.w[1] ||
	    p->flow.dst.w[2] != outer_dst.w[2] || p->flow.dst.w[3] != outer_dst.w[3]) {
		*reason = XLB_R_DROP_MALFORMED;
		return XDP_DROP;
	}
	if (l4 > XLB_L4_OFF_MAX || l4 + 4 > l3_end)
		return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
	ports = data + l4;
	if ((void *)(ports + 2) > data_end)
		return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
	p->flow.sport = ports[1];
	p->flow.dport = ports[0];
	p->flow.proto = proto;
	p->is_icmp_err = 1;
	return ICMP_FOLLOW_FLOW;
}

static __always_inline int handle_icmp(struct xdp_md *ctx, struct pkt *p,
				       __u32 *reason)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = p->l4_off;
	__u8 *ic, type;

	if (off > XLB_L4_OFF_MAX)
		return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
	ic = data + off;
	if ((void *)(ic + 8) > data_end || off + 8 > p->l2_len + p->l3_len)
		return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
	type = ic[0];

	if (p->is_v4 && p->l4_proto == IPPROTO_ICMP) {
		if (type == ICMP_ECHO)
			return handle_echo(ctx, p, reason);
		if (type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED)
			return follow_quoted_flow(data, data_end, p, reason);
	} else if (!p->is_v4 && p->l4_proto == IPPROTO_ICMPV6) {
		if (type == ICMPV6_ECHO_REQUEST)
			return handle_echo(ctx, p, reason);
		if (type == ICMPV6_DEST_UNREACH || type == ICMPV6_PKT_TOOBIG ||
		    type == ICMPV6_TIME_EXCEED)
			return follow_quoted_flow(data, data_end, p, reason);
	}
	*reason = lookup_addr_entry(&p->flow.dst) ? XLB_R_PASS_ICMP
						  : XLB_R_PASS_NOT_VIP;
	return XDP_PASS;
}

/* The pseudo-header and ICMPv6 header, summed together in one csum_diff. */
struct icmp6_csum_block {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be32 len;
	__be32 nexthdr;
	struct icmp6hdr icmp;
};

/*
 * Turns the packet into fragmentation-needed (IPv4) or packet-too-big
 * (IPv6) back to its sender, quoting the first XLB_ICMP_QUOTE bytes of it.
 * Packets only get here when longer than the MTU minus the tunnel overhead,
 * and userspace keeps that above XLB_ICMP_QUOTE.
 */
static __always_inline int send_too_big(struct xdp_md *ctx, struct pkt *p,
					__u32 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l2_len = p->l2_len, hdr_len;
	__u8 l2[XLB_L2_MAX];
	struct ethhdr *eth;
	__u32 quote_sum;
	void *l3;
	int delta;

	if (l2_len > XLB_L2_MAX)
		return -1;
	l3 = data + l2_len;
	if (l3 + XLB_ICMP_QUOTE > data_end)
		return -1;
	quote_sum = bpf_csum_diff(NULL, 0, l3, XLB_ICMP_QUOTE, 0);

	delta = (int)(l2_len + XLB_ICMP_QUOTE) - (int)(data_end - data);
	if (bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	hdr_len = p->is_v4 ? sizeof(struct iphdr) + sizeof(struct icmphdr)
			   : sizeof(struct ipv6hdr) + sizeof(struct icmp6hdr);
	eth = push_below_l2(ctx, hdr_len, l2);
	if (!eth)
		return -1;
	data = eth;
	data_end = (void *)(long)ctx->data_end;
	swap_macs(eth);

	if (p->is_v4) {
		struct iphdr *iph = data + l2_len, ip = {};
		struct icmphdr *ic = (void *)(iph + 1), icmp = {};

		if ((void *)(ic + 1) > data_end)
			return -1;
		ip.version = 4;
		ip.ihl = 5;
		ip.tot_len = bpf_htons(sizeof(ip) + sizeof(icmp) + XLB_ICMP_QUOTE);
		ip.ttl = XLB_OUTER_TTL;
		ip.protocol = IPPROTO_ICMP;
		ip.saddr = p->flow.dst.w[3];
		ip.daddr = p->flow.src.w[3];
		ip.check = ipv4_csum20(&ip);
		icmp.type = ICMP_DEST_UNREACH;
		icmp.code = ICMP_FRAG_NEEDED;
		icmp.un.frag.mtu = bpf_htons(mtu);
		icmp.checksum = csum_fold(bpf_csum_diff(NULL, 0, (void *)&icmp,
						sizeof(icmp), quote_sum));
		*iph = ip;
		*ic = icmp;
	} else {
		struct ipv6hdr *ip6h = data + l2_len, ip6 = {};
		struct icmp6hdr *ic = (void *)(ip6h + 1);
		struct icmp6_csum_block blk = {};
		__u32 len = sizeof(struct icmp6hdr) + XLB_ICMP_QUOTE;

		if ((void *)(ic + 1) > data_end)
			return -1;
		ip6.version = 6;
		ip6.payload_len = bpf_htons(len);
		ip6.nexthdr = IPPROTO_ICMPV6;
		ip6.hop_limit = XLB_OUTER_TTL;
		__builtin_memcpy(&ip6.saddr, &p->flow.dst, 16);
		__builtin_memcpy(&ip6.daddr, &p->flow.src, 16);
		blk.saddr = ip6.saddr;
		blk.daddr = ip6.daddr;
		blk.len = bpf_htonl(len);
		blk.nexthdr = bpf_htonl(IPPROTO_ICMPV6);
		blk.icmp.icmp6_type = ICMPV6_PKT_TOOBIG;
		blk.icmp.icmp6_mtu = bpf_htonl(mtu);
		blk.icmp.icmp6_cksum = csum_fold(bpf_csum_diff(NULL, 0, (void *)&blk,
						sizeof(blk), quote_sum));
		*ip6h = ip6;
		*ic = blk.icmp;
	}
	return 0;
}

#endif /* XLB_BPF_ICMP_H */
