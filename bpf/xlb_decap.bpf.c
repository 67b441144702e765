// SPDX-License-Identifier: GPL-2.0
/*
 * xlb decap: runs on a backend and strips the outer IPv4/IPv6 header of
 * IPIP, IP6IP6, IPv4-in-IPv6 and IPv6-in-IPv4 packets, so that backends
 * without the kernel's tunnel modules get the inner packet. Everything else
 * passes untouched. The inner packet keeps its own TTL and checksums.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xlb_shared.h"
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DR_MAX);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} decap_stats SEC(".maps");

static __always_inline void count(__u32 reason, __u64 bytes)
{
	struct xlb_counter *c = bpf_map_lookup_elem(&decap_stats, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* Length of the outer header to strip and the inner ethertype, or 0. */
static __always_inline __u32 outer_header(void *data, void *data_end,
					  __u32 l2_len, __be16 proto,
					  __be16 *inner_proto)
{
	__u8 next;
	__u32 len;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = data + l2_len;

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return 0;
		/* A fragmented tunnel packet is left to the stack to reassemble. */
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return 0;
		next = iph->protocol;
		len = iph->ihl * 4;
	} else {
		struct ipv6hdr *ip6h = data + l2_len;

		if ((void *)(ip6h + 1) > data_end)
			return 0;
		next = ip6h->nexthdr;
		len = sizeof(*ip6h);
	}
	if (next == IPPROTO_IPIP)
		*inner_proto = bpf_htons(ETH_P_IP);
	else if (next == IPPROTO_IPV6)
		*inner_proto = bpf_htons(ETH_P_IPV6);
	else
		return 0;
	return len;
}

SEC("xdp")
int xlb_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	__be16 proto, inner_proto = 0;
	__u32 l2_len, outer_len;
	__u8 l2[XLB_L2_MAX];
	__be16 *ethertype;

	if (parse_l2(data, data_end, &l2_len, &proto) != PARSE_OK)
		goto pass;
	outer_len = outer_header(data, data_end, l2_len, proto, &inner_proto);
	if (!outer_len || outer_len > 60)
		goto pass;
	/* The inner header must at least be there before we cut. */
	if (data + l2_len + outer_len + sizeof(struct iphdr) > data_end ||
	    data + XLB_L2_MAX > data_end || l2_len > XLB_L2_MAX) {
		count(XLB_DR_MALFORMED, bytes);
		return XDP_DROP;
	}
	__builtin_memcpy(l2, data, XLB_L2_MAX);
	if (bpf_xdp_adjust_head(ctx, (int)outer_len)) {
		count(XLB_DR_MALFORMED, bytes);
		return XDP_DROP;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + l2_len > data_end || data + XLB_L2_MAX > data_end) {
		count(XLB_DR_MALFORMED, bytes);
		return XDP_DROP;
	}
	/* Exactly l2_len bytes: what follows them is the inner packet now. */
	if (l2_len == ETH_HLEN)
		__builtin_memcpy(data, l2, ETH_HLEN);
	else if (l2_len == ETH_HLEN + 4)
		__builtin_memcpy(data, l2, ETH_HLEN + 4);
	else
		__builtin_memcpy(data, l2, ETH_HLEN + 8);
	ethertype = ethertype_ptr(data, data_end, l2_len);
	if (!ethertype)
		return XDP_DROP;
	*ethertype = inner_proto;
	count(XLB_DR_DECAP, bytes);
	return XDP_PASS;
pass:
	count(XLB_DR_PASS, bytes);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
