/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every part of the data path shares: the loader's constants, the
 * maps, what parsing learnt about a packet (struct pkt), counting, and the
 * VIP lookups. Included first by xlb.bpf.c, and by icmp.h and encap.h, so
 * that each stands alone.
 */
#ifndef XLB_BPF_XLB_H
#define XLB_BPF_XLB_H

#include <linux/bpf.h>
#include "icmp_defs.h"
#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xlb_shared.h"
#include "xlb_hash.h"
#include "csum.h"
#include "parse.h"

/*
 * A consistent VIP's TCP packets skip the LRU but for one in this many,
 * which keeps live flows' entries referenced (xlb.bpf.c: consistent_backend).
 */
#define XLB_LRU_SAMPLE	16

/* Set by the loader before load. */
const volatile __u64 udp_idle_ns = XLB_DEFAULT_UDP_IDLE_SEC * 1000000000ull;
const volatile __u32 hash_seed = XLB_HASH_SEED_DEFAULT;
/*
 * A trace instance (xlbctl trace) shares the live maps but changes none of
 * them: it records its decision in trace_out instead. The flag is constant
 * at load, so in the live instance the verifier drops all of it.
 */
const volatile __u8 trace_mode = 0;
/* Entries per CPU in the SYN ring (a power of two); 0: no ring, SYNs go to the LRU. */
const volatile __u32 ring_per_cpu = 0;
struct xlb_trace trace_out = {};

/* Address entries live next to the VIPs, hence twice the VIP count. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * XLB_DEFAULT_MAX_VIPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xlb_vip_key);
	__type(value, struct xlb_vip);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_backend);
} backends SEC(".maps");

/*
 * One hash with the common LRU (per-CPU free lists, one shared list for
 * rotation). The per-CPU LRU (BPF_F_NO_COMMON_LRU) was dearer on new flows
 * on this 2-core VM, most of all once deletions had scattered its free
 * nodes (BENCHMARKS.md: aged table); its gain, no shared lock when the
 * lists rotate, matters on hosts with many cores and was not measurable
 * here. A flow that moves CPU is found either way.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XLB_DEFAULT_LRU_ENTRIES);
	__type(key, struct xlb_flow);
	__type(value, struct xlb_conn);
} conns SEC(".maps");

/* The addresses that are surely no VIP's; see xlb_shared.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_vip_filter);
} vip_filter SEC(".maps");

/* Consistent VIPs' flows recorded at their SYN; see xlb_shared.h. Sized by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xlb_ring_entry);
} syn_ring SEC(".maps");

/* Each CPU's count of SYN ring records: where its next one goes (pinned). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} syn_ring_head SEC(".maps");

/* Flows whose backend is not the table's choice; see xlb_shared.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DEFAULT_MOVED_FLOWS);
	__type(key, struct xlb_flow);
	__type(value, struct xlb_conn);
} moved SEC(".maps");

/*
 * Per-VIP Maglev tables. Slot 0 holds the table size M, slots 1..M the
 * backend ids. Userspace builds a new inner map and swaps it in with one
 * update of the outer map, so no packet sees a half-written table and size
 * and contents always change together.
 */
struct maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, __u32);
	__array(values, struct maglev_table);
} maglev_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_settings);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_R_SLOTS);
	__type(key, __u32);
	__type(value, struct xlb_counter);
} reason_stats SEC(".maps");

_Static_assert(XLB_R_MAX <= XLB_R_SLOTS, "more counters than the map has slots");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct xlb_vip_stats);
} vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_DEFAULT_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct xlb_backend_stats);
} backend_stats SEC(".maps");

/* What parsing learnt about the packet; offsets are from ctx->data. */
struct pkt {
	__u32 l2_len;
	__u32 l3_len;		/* IP total length, headers included */
	__u32 l4_off;
	__u8 is_v4;
	__u8 is_frag;
	__u8 is_icmp_err;	/* ICMP error routed after the flow it quotes */
	__u8 tos;		/* IPv4 TOS / IPv6 traffic class */
	__u8 df;
	__u8 l4_proto;		/* outer L4 protocol (ICMP for ICMP errors) */
	__u8 has_addrs;		/* the IP addresses were read */
	__u8 syn;		/* TCP SYN without ACK: a connection's first packet */
	__u32 outer_hash;	/* xlb_flow_hash with the source port; 0: not yet known */
	struct xlb_flow flow;	/* as the VIP sees it */
};

static __always_inline void count_reason(__u32 reason, __u64 bytes)
{
	struct xlb_counter *c;

	if (trace_mode) {
		if (reason < XLB_R_VERDICT_MAX)
			trace_out.reason = reason;
		else if (reason == XLB_R_LRU_HIT)
			trace_out.lru = XLB_TRACE_LRU_HIT;
		else if (reason == XLB_R_LRU_MISS)
			trace_out.lru = XLB_TRACE_LRU_MISS;
		else if (reason == XLB_R_LRU_STALE)
			trace_out.lru = XLB_TRACE_LRU_STALE;
		else if (reason == XLB_R_MOVED_HIT)
			trace_out.lru = XLB_TRACE_LRU_MOVED;
		else if (reason == XLB_R_TABLE_HIT)
			trace_out.lru = XLB_TRACE_LRU_TABLE;
		return;
	}
	c = bpf_map_lookup_elem(&reason_stats, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline void set_v4_mapped(union xlb_addr *a, __be32 v4)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = bpf_htonl(0xffff);
	a->w[3] = v4;
}

/* No VIP has this address: its bit in the filter is set (an array read, inlined). */
static __always_inline int surely_no_vip(const union xlb_addr *dst)
{
	__u32 zero = 0, bit = xlb_vip_filter_bit(dst);
	struct xlb_vip_filter *f = bpf_map_lookup_elem(&vip_filter, &zero);

	return f && (f->none[(bit / 64) % (XLB_VIP_FILTER_BITS / 64)] >> (bit % 64)) & 1;
}

static __always_inline struct xlb_vip *lookup_addr_entry(const union xlb_addr *dst)
{
	struct xlb_vip_key key = { .addr = *dst };

	if (surely_no_vip(dst))
		return NULL;
	return bpf_map_lookup_elem(&vips, &key);
}

static __always_inline struct xlb_vip *lookup_vip(const struct xlb_flow *f)
{
	struct xlb_vip_key key = {
		.addr = f->dst,
		.port = f->dport,
		.proto = f->proto,
	};
	struct xlb_vip *vip;

	if (surely_no_vip(&f->dst))
		return NULL;
	vip = bpf_map_lookup_elem(&vips, &key);
	if (vip)
		return vip;
	key.port = 0;
	return bpf_map_lookup_elem(&vips, &key);
}

/* VIP traffic we cannot forward is dropped; anything else is not ours. */
static __always_inline int drop_if_vip_addr(struct pkt *p, __u32 drop_reason,
					    __u32 *reason)
{
	if (lookup_addr_entry(&p->flow.dst)) {
		*reason = drop_reason;
		return XDP_DROP;
	}
	*reason = XLB_R_PASS_NOT_VIP;
	return XDP_PASS;
}

static __always_inline int trim_to_ip(struct xdp_md *ctx, const struct pkt *p)
{
	__u32 frame = ctx->data_end - ctx->data, want = p->l2_len + p->l3_len;

	if (frame <= want)
		return 0;
	return bpf_xdp_adjust_tail(ctx, -(int)(frame - want));
}

#endif /* XLB_BPF_XLB_H */
