/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stage 1 of the data path, parse (xlb.bpf.c lists the stages): the frame
 * read into struct pkt, or its verdict when it goes no further. Reads the
 * packet and, for traffic it cannot forward, the VIP map's address entries
 * (is it a VIP address's?); writes nothing but struct pkt, and an echo
 * reply in place (icmp.h).
 */
#ifndef XLB_BPF_PARSE_PKT_H
#define XLB_BPF_PARSE_PKT_H

#include "xlb.h"
#include "icmp.h"

/* Parses IPv4 or IPv6 and fills the L3 part of p. */
static __always_inline int parse_l3(void *data, void *data_end, struct pkt *p)
{
	__u32 off = p->l2_len;

	if (off > XLB_L2_MAX)
		return PARSE_MALFORMED;

	if (p->is_v4) {
		struct iphdr *iph = data + off;
		__u32 hlen, tot;

		if ((void *)(iph + 1) > data_end)
			return PARSE_MALFORMED;
		/* Addresses first: a bad header to another host is not ours to drop. */
		set_v4_mapped(&p->flow.src, iph->saddr);
		set_v4_mapped(&p->flow.dst, iph->daddr);
		p->has_addrs = 1;
		if (iph->version != 4 || iph->ihl < 5)
			return PARSE_MALFORMED;
		hlen = iph->ihl * 4;
		tot = bpf_ntohs(iph->tot_len);
		if (tot < hlen || data + off + tot > data_end)
			return PARSE_MALFORMED;
		p->l3_len = tot;
		p->l4_off = off + hlen;
		p->l4_proto = iph->protocol;
		p->tos = iph->tos;
		p->df = !!(iph->frag_off & bpf_htons(IP_DF));
		p->is_frag = !!(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET));
	} else {
		struct ipv6hdr *ip6h = data + off;
		__u8 nexthdr;
		int i;

		if ((void *)(ip6h + 1) > data_end)
			return PARSE_MALFORMED;
		__builtin_memcpy(&p->flow.src, &ip6h->saddr, 16);
		__builtin_memcpy(&p->flow.dst, &ip6h->daddr, 16);
		if (is_v4_mapped(p->flow.dst.w))
			return PARSE_NOT_OURS;
		p->has_addrs = 1;
		if (ip6h->version != 6)
			return PARSE_MALFORMED;
		p->l3_len = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
		if (data + off + p->l3_len > data_end)
			return PARSE_MALFORMED;
		p->tos = (bpf_ntohl(*(__be32 *)ip6h) >> 20) & 0xff;
		p->df = 1; /* IPv6 routers never fragment */
		nexthdr = ip6h->nexthdr;
		off += sizeof(*ip6h);

#pragma unroll
		for (i = 0; i < XLB_IP6_EXT_WALKED; i++) {
			__u8 *ext = data + off;

			if (!ipv6_is_ext_hdr(nexthdr))
				break;
			if (nexthdr == IPPROTO_FRAGMENT) {
				p->is_frag = 1;
				break;
			}
			if ((void *)(ext + 2) > data_end)
				return PARSE_TRUNCATED_L4;
			nexthdr = ext[0];
			off += (ext[1] + 1) * 8;
			if (off > XLB_L4_OFF_MAX)
				return PARSE_TRUNCATED_L4;
		}
		if (ipv6_is_ext_hdr(nexthdr) && !p->is_frag)
			return PARSE_EXT_HEADERS;
		p->l4_off = off;
		p->l4_proto = nexthdr;
	}
	p->flow.proto = p->l4_proto;
	return PARSE_OK;
}

/* Ports of a TCP or UDP header at off; the header must fit the IP packet. */
static __always_inline int parse_ports(void *data, void *data_end, struct pkt *p)
{
	__u32 l3_end = p->l2_len + p->l3_len;
	__u32 off = p->l4_off;

	if (off > XLB_L4_OFF_MAX)
		return PARSE_TRUNCATED_L4;
	if (p->l4_proto == IPPROTO_TCP) {
		struct tcphdr *th = data + off;

		if ((void *)(th + 1) > data_end || off + sizeof(*th) > l3_end)
			return PARSE_TRUNCATED_L4;
		if (th->doff < 5 || off + th->doff * 4 > l3_end)
			return PARSE_TRUNCATED_L4;
		p->flow.sport = th->source;
		p->flow.dport = th->dest;
		p->syn = th->syn && !th->ack;
	} else {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > data_end || off + sizeof(*uh) > l3_end)
			return PARSE_TRUNCATED_L4;
		p->flow.sport = uh->source;
		p->flow.dport = uh->dest;
	}
	return PARSE_OK;
}

/*
 * Stage "parse". In: the frame. Out: STAGE_NEXT with p filled (p->flow is
 * the flow as the VIP sees it: a TCP or UDP packet's own, an ICMP error's
 * quoted flow reversed, with is_icmp_err set), or the packet's verdict and
 * *reason: not IP or to no VIP address (XDP_PASS, untouched), malformed,
 * a fragment or too many IPv6 extension headers to a VIP address
 * (XDP_DROP), ICMP answered or passed (icmp.h). A packet that goes on may
 * still be to no VIP: the next stage tells.
 */
static __always_inline int parse_packet(struct xdp_md *ctx, struct pkt *p, __u32 *reason)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__be16 eth_proto;
	int rc;

	rc = parse_l2(data, data_end, &p->l2_len, &eth_proto);
	if (rc == PARSE_NOT_IP) {
		*reason = XLB_R_PASS_NOT_IP;
		return XDP_PASS;
	}
	if (rc != PARSE_OK) {
		*reason = XLB_R_DROP_MALFORMED;
		return XDP_DROP;
	}
	p->is_v4 = eth_proto == bpf_htons(ETH_P_IP);

	rc = parse_l3(data, data_end, p);
	if (rc == PARSE_MALFORMED && p->has_addrs)
		return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
	if (rc == PARSE_MALFORMED) {
		/* Cut before its addresses: nobody's, and no use to anyone. */
		*reason = XLB_R_DROP_MALFORMED;
		return XDP_DROP;
	}
	if (rc == PARSE_NOT_OURS) {
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	if (rc == PARSE_EXT_HEADERS)
		return drop_if_vip_addr(p, XLB_R_DROP_EXT_HEADERS, reason);
	if (rc == PARSE_TRUNCATED_L4)
		return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
	if (p->is_frag)
		return drop_if_vip_addr(p, XLB_R_DROP_FRAGMENT, reason);

	switch (p->l4_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (parse_ports(data, data_end, p))
			return drop_if_vip_addr(p, XLB_R_DROP_MALFORMED, reason);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		rc = handle_icmp(ctx, p, reason);
		if (rc != ICMP_FOLLOW_FLOW)
			return rc;
		break;
	default:
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	return STAGE_NEXT;
}

#endif /* XLB_BPF_PARSE_PKT_H */
