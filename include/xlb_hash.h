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
 * The second word of every IPv4-mapped address as stored (::ffff:0:0/96,
 * in network order, on the little-endian hosts supported).
 */
#define XLB_V4_MAPPED_W2	0xffff0000u

/*
 * The flow hash after its first three words, the ones an IPv4 flow's
 * source always has (0, 0, XLB_V4_MAPPED_W2): a constant of the seed, which
 * the loader gives the data path (.rodata hash_v4_prefix) so that an IPv4
 * flow is hashed from its fourth word on. The default seed's is
 * XLB_HASH_V4_PREFIX_DEFAULT (a unit test keeps them one).
 */
#define XLB_HASH_V4_PREFIX_DEFAULT	0x154f1bc5u

XLB_HASH_INLINE __u32 xlb_hash_v4_prefix(__u32 seed)
{
	return xlb_mix_word(xlb_mix_word(xlb_mix_word(seed, 0), 0), XLB_V4_MAPPED_W2);
}

/* The flow hash from h, the hash of the source's first three words, on. */
XLB_HASH_INLINE __u32 xlb_flow_hash_tail(const struct xlb_flow *f, int no_sport, __u32 h)
{
	__u32 ports;

	h = xlb_mix_word(h, f->src.w[3]);
	h = xlb_hash_addr(&f->dst, h);
	ports = ((__u32)(no_sport ? 0 : f->sport) << 16) | f->dport;
	h = xlb_mix_word(h, ports);
	h = xlb_mix_word(h, f->proto);
	return xlb_hash_final(h, 40);
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

	h = xlb_mix_word(h, f->src.w[0]);
	h = xlb_mix_word(h, f->src.w[1]);
	h = xlb_mix_word(h, f->src.w[2]);
	return xlb_flow_hash_tail(f, no_sport, h);
}

/* The address's bit in the VIP filter (xlb_shared.h): a multiplicative hash. */
XLB_HASH_INLINE __u32 xlb_vip_filter_bit(const union xlb_addr *a)
{
	return ((a->w[0] ^ a->w[1] ^ a->w[2] ^ a->w[3]) * 0x9e3779b1u) >> XLB_VIP_FILTER_SHIFT;
}

/* A service key's home slot in the VIP index (xlb_shared.h), before the mask. */
XLB_HASH_INLINE __u32 xlb_vip_slot_home(const union xlb_addr *a, __be16 port, __u8 proto)
{
	__u32 h = (a->w[0] ^ a->w[1] ^ a->w[2] ^ a->w[3]) * 0x9e3779b1u;

	h = (h ^ ((__u32)port << 8) ^ proto) * 0x85ebca6bu;
	return h ^ (h >> 16);
}

#endif /* XLB_HASH_H */
