/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packets built in C: test packets, and the ones xlbctl trace runs through
 * the live program. Plus checksum checks that do not trust the data path.
 */
#ifndef XLB_PACKET_H
#define XLB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xlb_shared.h"

#define PKT_MAX		2048

struct pkt_spec {
	const char *src, *dst;		/* both IPv4 or both IPv6 */
	__u8 proto;			/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	__u16 sport, dport;		/* TCP/UDP; ICMP echo id for ICMP */
	__u8 tcp_flags;			/* 0: SYN */
	__u8 icmp_type, icmp_code;
	__u32 icmp_word;		/* rest of the ICMP header (MTU, ...) */
	const __u8 *payload;		/* NULL: zero-filled */
	size_t payload_len;
	__u8 ttl;			/* 0: 64 */
	__u8 tos;
	bool df;
	__u16 frag;			/* IPv4 frag_off bits (host order) */
	bool ipv6_frag_hdr;
	size_t ipv4_opt_len;		/* bytes of IPv4 options, multiple of 4 */
	int vlans;			/* 0, 1 or 2 tags */
};

extern const __u8 pkt_client_mac[6];	/* source MAC of test packets */
extern const __u8 pkt_lb_mac[6];		/* destination MAC of test packets */

/* Writes Ethernet + IP + L4 into buf; returns the length, 0 on bad spec. */
size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap);
bool pkt_is_v6(const struct pkt_spec *s);

/* Big-endian stores and loads at any alignment. */
static inline void put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put_be32(__u8 *p, __u32 v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v & 0xffff);
}

static inline __u16 get_be16(const __u8 *p)
{
	return (p[0] << 8) | p[1];
}

static inline __u32 get_be32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

__u16 pkt_csum(const void *data, size_t len, __u32 sum);
/* 0 when the IPv4 header checksum is right. */
__u16 pkt_ipv4_hdr_csum(const __u8 *ip);
/* 0 when the L4 checksum of the IP packet at ip (v4 or v6) is right. */
__u16 pkt_l4_csum(const __u8 *ip);

/* Offset of the IP header after Ethernet and VLAN tags. */
size_t pkt_l3_off(const __u8 *frame);

#endif /* XLB_PACKET_H */
