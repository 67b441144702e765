/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Encapsulation towards a backend: IPIP, IP6IP6, IPv4-in-IPv6 and
 * IPv6-in-IPv4, chosen by the families of the packet and the backend.
 * The outer header keeps the inner TOS / traffic class, carries a fresh
 * TTL, and takes a per-flow source address (and IPv6 flow label) so that
 * the backend's RSS and any ECMP on the way spread the flows.
 */
#ifndef XLB_BPF_ENCAP_H
#define XLB_BPF_ENCAP_H

#include "xlb.h"
#include "icmp.h"

static __always_inline __u32 encap_overhead(const struct xlb_backend *be)
{
	return be->is_v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
}

static __always_inline int over_mtu(const struct pkt *p,
				    const struct xlb_backend *be,
				    const struct xlb_settings *cfg)
{
	return p->l3_len + encap_overhead(be) > cfg->mtu;
}

/*
 * Too big to encapsulate: tell the sender when it can act on it (DF set,
 * not itself an ICMP error), otherwise drop under a reason of its own.
 */
static __always_inline int answer_too_big(struct xdp_md *ctx, struct pkt *p,
					  const struct xlb_backend *be,
					  const struct xlb_settings *cfg,
					  __u32 *reason)
{
	if (p->is_icmp_err || !p->df ||
	    send_too_big(ctx, p, cfg->mtu - encap_overhead(be))) {
		*reason = XLB_R_DROP_TOO_BIG;
		return XDP_DROP;
	}
	*reason = XLB_R_TX_TOO_BIG;
	return XDP_TX;
}

static __always_inline int encapsulate(struct xdp_md *ctx, struct pkt *p,
				       const struct xlb_backend *be,
				       const struct xlb_settings *cfg)
{
	__u32 l2_len = p->l2_len, outer_len = encap_overhead(be);
	__u8 inner_proto = p->is_v4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	__u32 hash = p->outer_hash ? p->outer_hash : flow_hash(&p->flow, 0);
	__u8 l2[XLB_L2_MAX];
	void *data, *data_end;
	struct ethhdr *eth;
	__be16 *ethertype;

	if (l2_len > XLB_L2_MAX)
		return -1;
	eth = push_below_l2(ctx, outer_len, l2);
	if (!eth)
		return -1;
	data = eth;
	data_end = (void *)(long)ctx->data_end;
	__builtin_memcpy(eth->h_source, l2, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, cfg->nexthop_mac, ETH_ALEN);
	ethertype = ethertype_ptr(data, data_end, l2_len);
	if (!ethertype)
		return -1;
	*ethertype = be->is_v4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);

	if (be->is_v4) {
		struct iphdr *iph = data + l2_len, ip = {};

		if ((void *)(iph + 1) > data_end)
			return -1;
		ip.version = 4;
		ip.ihl = 5;
		ip.tos = p->tos;
		ip.tot_len = bpf_htons(p->l3_len + sizeof(ip));
		/* Never fragmented on the way: packets over the MTU stop here. */
		ip.frag_off = bpf_htons(IP_DF);
		ip.ttl = XLB_OUTER_TTL;
		ip.protocol = inner_proto;
		ip.saddr = (cfg->src4_net & cfg->src4_mask) | (hash & ~cfg->src4_mask);
		ip.daddr = be->addr.w[3];
		ip.check = ipv4_csum20(&ip);
		*iph = ip;
	} else {
		struct ipv6hdr *ip6h = data + l2_len, ip6 = {};

		if ((void *)(ip6h + 1) > data_end)
			return -1;
		*(__be32 *)&ip6 = bpf_htonl((6u << 28) | ((__u32)p->tos << 20) |
					    (hash & 0xfffff));
		ip6.payload_len = bpf_htons(p->l3_len);
		ip6.nexthdr = inner_proto;
		ip6.hop_limit = XLB_OUTER_TTL;
		__builtin_memcpy(&ip6.saddr, &cfg->src6_net, 16);
		ip6.saddr.in6_u.u6_addr32[3] =
			(cfg->src6_net.w[3] & cfg->src6_mask) | (hash & ~cfg->src6_mask);
		__builtin_memcpy(&ip6.daddr, &be->addr, 16);
		*ip6h = ip6;
	}
	return 0;
}

#endif /* XLB_BPF_ENCAP_H */
