// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/if_ether.h>

#include "packet.h"

const __u8 pkt_client_mac[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0x01 };
const __u8 pkt_lb_mac[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0x02 };

bool pkt_is_v6(const struct pkt_spec *s)
{
	return strchr(s->src, ':') != NULL;
}

__u16 pkt_csum(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

__u16 pkt_ipv4_hdr_csum(const __u8 *ip)
{
	return pkt_csum(ip, (ip[0] & 0xf) * 4, 0);
}

static __u32 pseudo_sum(const __u8 *ip, __u8 proto, __u32 l4_len)
{
	__u32 sum = proto + l4_len;
	size_t alen = (ip[0] >> 4) == 4 ? 4 : 16;
	const __u8 *src = (ip[0] >> 4) == 4 ? ip + 12 : ip + 8;
	size_t i;

	/* src and dst are adjacent in both headers. */
	for (i = 0; i < 2 * alen; i += 2)
		sum += (src[i] << 8) | src[i + 1];
	return sum;
}

__u16 pkt_l4_csum(const __u8 *ip)
{
	__u8 proto;
	__u32 hlen, l4_len;

	if ((ip[0] >> 4) == 4) {
		hlen = (ip[0] & 0xf) * 4;
		l4_len = ((ip[2] << 8) | ip[3]) - hlen;
		proto = ip[9];
	} else {
		hlen = 40;
		l4_len = (ip[4] << 8) | ip[5];
		proto = ip[6];
	}
	if (proto == IPPROTO_ICMP)
		return pkt_csum(ip + hlen, l4_len, 0);
	return pkt_csum(ip + hlen, l4_len, pseudo_sum(ip, proto, l4_len));
}

size_t pkt_l3_off(const __u8 *frame)
{
	size_t off = 12;

	while (((frame[off] << 8) | frame[off + 1]) == ETH_P_8021Q ||
	       ((frame[off] << 8) | frame[off + 1]) == ETH_P_8021AD)
		off += 4;
	return off + 2;
}

static size_t put_l2(const struct pkt_spec *s, __u8 *buf, __u16 ethertype)
{
	size_t off = 12;
	int i;

	memcpy(buf, pkt_lb_mac, 6);
	memcpy(buf + 6, pkt_client_mac, 6);
	for (i = 0; i < s->vlans; i++) {
		__u16 tpid = i == 0 && s->vlans == 2 ? ETH_P_8021AD : ETH_P_8021Q;

		buf[off] = tpid >> 8;
		buf[off + 1] = tpid & 0xff;
		buf[off + 2] = 0;
		buf[off + 3] = 100 + i;	/* VLAN id */
		off += 4;
	}
	buf[off] = ethertype >> 8;
	buf[off + 1] = ethertype & 0xff;
	return off + 2;
}

static size_t l4_header_len(const struct pkt_spec *s)
{
	return s->proto == IPPROTO_TCP ? 20 : 8;
}

/* L4 header and payload at p; checksum filled in by the caller. */
static void put_l4(const struct pkt_spec *s, __u8 *p)
{
	size_t hl = l4_header_len(s);

	memset(p, 0, hl);
	if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) {
		put_be16(p, s->sport);
		put_be16(p + 2, s->dport);
	}
	if (s->proto == IPPROTO_TCP) {
		put_be32(p + 4, 1000);
		p[12] = 5 << 4;
		p[13] = s->tcp_flags ? s->tcp_flags : 0x02; /* SYN unless told */
		put_be16(p + 14, 65535);
	} else if (s->proto == IPPROTO_UDP) {
		put_be16(p + 4, hl + s->payload_len);
	} else {
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		put_be32(p + 4, s->icmp_word);
	}
	if (s->payload)
		memcpy(p + hl, s->payload, s->payload_len);
	else
		memset(p + hl, 0, s->payload_len);
}

static __u8 *checksum_field(const struct pkt_spec *s, __u8 *l4)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		return l4 + 16;
	case IPPROTO_UDP:
		return l4 + 6;
	default:
		return l4 + 2;
	}
}

size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap)
{
	bool v6 = pkt_is_v6(s);
	size_t l2, l3_hlen, l4_len = l4_header_len(s) + s->payload_len, total;
	__u8 *ip, *l4, *csum;
	__u16 sum;

	l3_hlen = v6 ? 40 + (s->ipv6_frag_hdr ? 8 : 0) : 20 + s->ipv4_opt_len;
	total = 14 + 4 * s->vlans + l3_hlen + l4_len;
	if (total > cap || s->ipv4_opt_len > 40 || s->ipv4_opt_len % 4)
		return 0;
	memset(buf, 0, total);
	l2 = put_l2(s, buf, v6 ? ETH_P_IPV6 : ETH_P_IP);
	ip = buf + l2;
	l4 = ip + l3_hlen;
	put_l4(s, l4);

	if (!v6) {
		ip[0] = 0x40 | (l3_hlen / 4);
		ip[1] = s->tos;
		put_be16(ip + 2, l3_hlen + l4_len);
		put_be16(ip + 4, 0x1234);
		put_be16(ip + 6, (s->df ? 0x4000 : 0) | s->frag);
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		/* Options: NOPs then end-of-list; legal and easy to check. */
		memset(ip + 20, 1, s->ipv4_opt_len);
		if (s->ipv4_opt_len)
			ip[20 + s->ipv4_opt_len - 1] = 0;
		sum = pkt_csum(ip, l3_hlen, 0);
		ip[10] = sum >> 8;
		ip[11] = sum & 0xff;
	} else {
		put_be32(ip, (6u << 28) | ((__u32)s->tos << 20) | 0x12345);
		put_be16(ip + 4, l3_hlen - 40 + l4_len);
		ip[6] = s->ipv6_frag_hdr ? IPPROTO_FRAGMENT : s->proto;
		ip[7] = s->ttl ? s->ttl : 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		if (s->ipv6_frag_hdr) {
			ip[40] = s->proto;
			put_be16(ip + 42, 1); /* offset 0, more fragments */
		}
	}
	csum = checksum_field(s, l4);
	if (!v6 && s->proto == IPPROTO_ICMP)
		sum = pkt_csum(l4, l4_len, 0);
	else
		sum = pkt_csum(l4, l4_len, pseudo_sum(ip, s->proto, l4_len));
	csum[0] = sum >> 8;
	csum[1] = sum & 0xff;
	return total;
}
