/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Header parsing shared by the XDP programs. Every read is bounds-checked
 * against data_end; a header that does not fit is reported, never guessed.
 */
#ifndef XLB_BPF_PARSE_H
#define XLB_BPF_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define XLB_MAX_VLANS		2
/* Ethernet + two VLAN tags: the largest L2 header the programs handle. */
#define XLB_L2_MAX		(ETH_HLEN + XLB_MAX_VLANS * 4)
/* IPv6 extension headers walked; a longer chain to a VIP is dropped and counted. */
#define XLB_IP6_EXT_WALKED	8
/* Extension headers beyond this offset are not walked (and not forwarded). */
#define XLB_L4_OFF_MAX		512

#ifndef IP_MF
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff
#endif
#ifndef IP_DF
#define IP_DF		0x4000
#endif

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_IP,		/* ARP, LLDP, ...: not ours */
	PARSE_MALFORMED,	/* truncated or invalid L2/L3 header */
	PARSE_TRUNCATED_L4,	/* L3 fine, L4 cut short or unparsable */
	PARSE_NOT_OURS,		/* IP, but never a VIP's (IPv4-mapped IPv6) */
	PARSE_EXT_HEADERS,	/* more IPv6 extension headers than walked */
};

/*
 * ::ffff:a.b.c.d. IPv4 keys are stored in this form, so an IPv6 packet to
 * such an address would match an IPv4 VIP; it is never ours (RFC 4291
 * keeps these off the wire).
 */
static __always_inline int is_v4_mapped(const __be32 *w)
{
	return !w[0] && !w[1] && w[2] == bpf_htonl(0xffff);
}

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* Returns the L2 header length (14, 18 or 22) and the inner ethertype. */
static __always_inline int parse_l2(void *data, void *data_end, __u32 *l2_len,
				    __be16 *proto)
{
	struct ethhdr *eth = data;
	struct vlan_tag *tag;
	__u32 off = ETH_HLEN;
	__be16 p;
	int i;

	if ((void *)(eth + 1) > data_end)
		return PARSE_MALFORMED;
	p = eth->h_proto;

#pragma unroll
	for (i = 0; i < XLB_MAX_VLANS; i++) {
		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		tag = data + off;
		if ((void *)(tag + 1) > data_end)
			return PARSE_MALFORMED;
		p = tag->proto;
		off += sizeof(*tag);
	}
	*l2_len = off;
	*proto = p;
	if (p != bpf_htons(ETH_P_IP) && p != bpf_htons(ETH_P_IPV6))
		return PARSE_NOT_IP;
	return PARSE_OK;
}

/* The last ethertype of an L2 header of l2_len bytes, or NULL. */
static __always_inline __be16 *ethertype_ptr(void *data, void *data_end,
					     __u32 l2_len)
{
	__u64 off = (__u64)l2_len - sizeof(__be16);
	__be16 *p;

	/* Bounds the verifier can see: the offset is known to be >= 12. */
	if (off < ETH_HLEN - 2 || off > XLB_L2_MAX - 2)
		return NULL;
	p = data + off;
	/* Keep the check below: clang can prove it, the verifier cannot. */
	asm volatile("" : "+r"(p));
	if ((void *)(p + 1) > data_end)
		return NULL;
	return p;
}

/*
 * Makes room for len bytes of new headers between L2 and L3: grows the head
 * and moves the L2 header (VLAN tags included) to the new front. l2 gets a
 * copy of the original. XLB_L2_MAX bytes are moved whatever the L2 length,
 * so the verifier sees fixed sizes; the bytes past l2_len that came along
 * belong to the old L3 header and the caller writes its headers over them.
 * Returns the Ethernet header at the new front, or NULL.
 */
static __always_inline struct ethhdr *push_below_l2(struct xdp_md *ctx, __u32 len,
						    __u8 l2[XLB_L2_MAX])
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + XLB_L2_MAX > data_end)
		return NULL;
	__builtin_memcpy(l2, data, XLB_L2_MAX);
	if (bpf_xdp_adjust_head(ctx, -(int)len))
		return NULL;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + XLB_L2_MAX > data_end)
		return NULL;
	__builtin_memcpy(data, l2, XLB_L2_MAX);
	return data;
}

static __always_inline int ipv6_is_ext_hdr(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT;
}

#endif /* XLB_BPF_PARSE_H */
