/* SPDX-License-Identifier: GPL-2.0 */
/* Internet checksum helpers for the XDP programs (RFC 1071, RFC 1624). */
#ifndef XLB_BPF_CSUM_H
#define XLB_BPF_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * One 16-bit word changed from old to new: HC' = HC + old + ~new, in one's
 * complement. Unlike RFC 1624 eqn. 3 this never yields 0x0000, which Linux
 * rejects when the data sums to zero (an all-zero echo reply, say); it is
 * the update the kernel's ip_decrease_ttl() makes.
 */
static __always_inline void csum_replace2(__sum16 *check, __be16 old, __be16 new)
{
	__u32 sum = *check;

	sum += old;
	sum += (__u16)~new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*check = sum;
}

/* Checksum of a 20-byte IPv4 header held on the stack, check field zero. */
static __always_inline __u16 ipv4_csum20(const void *hdr)
{
	const __u16 *w = hdr;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	return csum_fold(sum);
}

#endif /* XLB_BPF_CSUM_H */
