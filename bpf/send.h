/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stage 4 of the data path, send (xlb.bpf.c lists the stages): the packet
 * to the backend the pick stage (or the memo) chose, encapsulated towards
 * the next hop (encap.h) or by L2 DSR, with XDP_TX; or answered as too big.
 */
#ifndef XLB_BPF_SEND_H
#define XLB_BPF_SEND_H

#include "xlb.h"
#include "encap.h"
#include "pick.h"

/* L2 DSR: the packet goes to the backend's MAC, IP headers untouched but TTL. */
static __always_inline int send_dsr(struct xdp_md *ctx, struct pkt *p,
				    const struct xlb_backend *be)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	return 0;
}

/* Decrements TTL / hop limit; returns -1 when it would reach zero. */
static __always_inline int decrement_ttl(void *data, void *data_end, struct pkt *p)
{
	__u32 l2_len = p->l2_len;

	if (l2_len > XLB_L2_MAX)
		return -1;
	if (p->is_v4) {
		struct iphdr *iph = data + l2_len;
		__be16 old;

		if ((void *)(iph + 1) > data_end || iph->ttl <= 1)
			return -1;
		old = *(__be16 *)&iph->ttl;
		iph->ttl--;
		csum_replace2(&iph->check, old, *(__be16 *)&iph->ttl);
	} else {
		struct ipv6hdr *ip6h = data + l2_len;

		if ((void *)(ip6h + 1) > data_end || ip6h->hop_limit <= 1)
			return -1;
		ip6h->hop_limit--;
	}
	return 0;
}

/*
 * Stage "send". In: the packet as it came (p), its VIP, t from the pick
 * stage or the memo (t->be not NULL), bytes (the frame's length as it
 * came). Does: bytes past the IP packet trimmed, then an encapsulating
 * VIP's packet over the MTU answered (answer_too_big: no backend counted),
 * the TTL or hop limit decremented, the tunnel header pushed or the MACs
 * rewritten. Out: XDP_TX and tx_forward (tx_icmp_error for an ICMP error),
 * the backend's counters moved; or a drop and its reason.
 */
static __always_inline int send_to_backend(struct xdp_md *ctx, struct pkt *p,
					   const struct xlb_vip *vip, const struct target *t,
					   __u64 bytes, __u32 *reason)
{
	struct xlb_backend_stats *bs;
	struct xlb_settings *cfg = NULL;
	__u32 be_id = t->id, zero = 0;
	int err;

	/* Bytes past the IP packet (padding, garbage) are not the backend's. */
	if (trim_to_ip(ctx, p)) {
		*reason = XLB_R_DROP_ENCAP;
		return XDP_DROP;
	}
	if (vip->flags & XLB_VIP_F_ENCAP) {
		cfg = bpf_map_lookup_elem(&config, &zero);
		if (!cfg) {
			*reason = XLB_R_DROP_ENCAP;
			return XDP_DROP;
		}
		if (over_mtu(p, t->be, cfg))
			return answer_too_big(ctx, p, t->be, cfg, reason);
	}
	if (decrement_ttl((void *)(long)ctx->data,
			  (void *)(long)ctx->data_end, p)) {
		*reason = XLB_R_DROP_TTL;
		return XDP_DROP;
	}
	if (cfg)
		err = encapsulate(ctx, p, t->be, cfg);
	else
		err = send_dsr(ctx, p, t->be);
	if (err) {
		*reason = XLB_R_DROP_ENCAP;
		return XDP_DROP;
	}

	if (trace_mode)
		trace_out.backend_id = be_id;
	bs = trace_mode ? NULL : bpf_map_lookup_elem(&backend_stats, &be_id);
	if (bs) {
		bs->packets++;
		bs->bytes += bytes;
		bs->new_flows += t->is_new;
	}
	*reason = p->is_icmp_err ? XLB_R_TX_ICMP_ERROR : XLB_R_TX_FORWARD;
	return XDP_TX;
}

#endif /* XLB_BPF_SEND_H */
