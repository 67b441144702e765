/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow hash, compiled into both the XDP program and userspace so that
 * userspace can say which backend a flow gets without asking the kernel.
 * MurmurHash3 (x86, 32-bit) over 32-bit words: cheap, no tables, no loops
 * the verifier has to think about, and good avalanche on small inputs.
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#include <linux/types.h>
#include "xlb_shared.h"

#define XLB_HASH_SEED_DEFAULT	0x5eed1e55u

/* In the XDP program, inline: a BPF-to-BPF call costs more than the hash. */
#ifdef __bpf__
#define XLB_HASH_INLINE	static inline __attribute__((always_inline))
#else
#define XLB_HASH_INLINE	static inline
#endif

XLB_HASH_INLINE __u32 xlb_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

XLB_HASH_INLINE __u32 xlb_mix_word(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51u;
	k = xlb_rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = xlb_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

XLB_HASH_INLINE __u32 xlb_hash_final(__u32 h, __u32 len_bytes)
{
	h ^= len_bytes;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

XLB_HASH_INLINE __u32 xlb_hash_addr(const union xlb_addr *a, __u32 h)
{
	h = xlb_mix_word(h, a->w[0]);
	h = xlb_mix_word(h, a->w[1]);
	h = xlb_mix_word(h, a->w[2]);
	return xlb_mix_word(h, a->w[3]);
}

/*
 * Hash of a flow as the VIP sees it. Words are taken in network order as
 * stored, so the result is the same on hosts of either endianness only if
 * they agree on byte order; all supported targets are little endian.
 */
XLB_HASH_INLINE __u32 xlb_flow_hash(const struct xlb_flow *f, int no_sport,
				  __u32 seed)
{
	__u32 h = seed;
	__u32 ports;

	h = xlb_hash_addr(&f->src, h);
	h = xlb_hash_addr(&f->dst, h);
	ports = ((__u32)(no_sport ? 0 : f->sport) << 16) | f->dport;
	h = xlb_mix_word(h, ports);
	h = xlb_mix_word(h, f->proto);
	return xlb_hash_final(h, 40);
}

/* The address's bit in the VIP filter (xlb_shared.h): a multiplicative hash. */
XLB_HASH_INLINE __u32 xlb_vip_filter_bit(const union xlb_addr *a)
{
	return ((a->w[0] ^ a->w[1] ^ a->w[2] ^ a->w[3]) * 0x9e3779b1u) >> XLB_VIP_FILTER_SHIFT;
}

#endif /* XLB_HASH_H */
