/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ICMPv4 header. <linux/icmp.h> pulls in glibc's socket headers, which
 * do not build for the BPF target, so the few definitions used are here.
 */
#ifndef XLB_BPF_ICMP_DEFS_H
#define XLB_BPF_ICMP_DEFS_H

#include <linux/types.h>

#define ICMP_ECHOREPLY		0
#define ICMP_DEST_UNREACH	3
#define ICMP_ECHO		8
#define ICMP_TIME_EXCEEDED	11
#define ICMP_FRAG_NEEDED	4

struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 gateway;
		struct {
			__be16 __unused;
			__be16 mtu;
		} frag;
	} un;
};

#endif /* XLB_BPF_ICMP_DEFS_H */
