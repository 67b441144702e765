/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every part of the data path shares: the loader's constants, the
 * maps, what parsing learnt about a packet (struct pkt), counting, and the
 * VIP lookups (stage 2 of xlb.bpf.c's list). Included first by xlb.bpf.c,
 * and by icmp.h, encap.h and the stage headers (parse_pkt.h, pick.h,
 * send.h), so that each stands alone.
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

/* Set by the loader before load. */
const volatile __u64 udp_idle_ns = XLB_DEFAULT_UDP_IDLE_SEC * 1000000000ull;
const volatile __u32 hash_seed = XLB_HASH_SEED_DEFAULT;
/* xlb_hash_v4_prefix(hash_seed): set with it (dataplane.c: set_hash_seed). */
const volatile __u32 hash_v4_prefix = XLB_HASH_V4_PREFIX_DEFAULT;
/*
 * A trace instance (xlbctl trace) shares the live maps but changes none of
 * them: it records its decision in trace_out instead. The flag is constant
 * at load, so in the live instance the verifier drops all of it.
 */
const volatile __u8 trace_mode = 0;
/* The VIP index's slots less one (a power of two less one); 0: no index, the VIP map alone. */
const volatile __u32 vip_index_mask = 0;
/* The per-CPU memo in use; 0 on CPUs that may reorder loads (dataplane.c: fast_paths_for_cpu). */
const volatile __u8 memo_on = 1;
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

/* The VIP map's services again, for a lookup without hashing; see xlb_shared.h. Sized by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xlb_vip_slot);
} vip_index SEC(".maps");

/* Each CPU's last table-sent flow; see xlb_shared.h. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_memo);
} memo SEC(".maps");

/* Each CPU's recent SYNs, for counting only; see xlb_shared.h. Not pinned: a restart starts it empty. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xlb_recent_syns);
} recent_syns SEC(".maps");

/* What memos must carry to be used: moved by xlbd after each write (xlb_shared.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u32);
} memo_epoch SEC(".maps");

/* UDP flows whose backend is not the table's choice; see xlb_shared.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XLB_DEFAULT_MOVED_FLOWS);
	__type(key, struct xlb_flow);
	__type(value, struct xlb_conn);
} moved SEC(".maps");

/*
 * Per-VIP Maglev tables. Slot 0 holds the table size M, slots 1..M the
 * backend ids (and XLB_SLOT_LOOK), then a TCP VIP's old table
 * (xlb_shared.h). Userspace builds a new inner map and swaps it in with
 * one update of the outer map, so no packet sees a half-written table and
 * size, contents and old table always change together.
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
_Static_assert(XLB_VIP_F_ALL <= 0xff, "VIP flags must fit a memo's byte");

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

/*
 * A stage's answer when the packet goes on to the next stage (xlb.bpf.c):
 * no XDP verdict is negative.
 */
#define STAGE_NEXT	(-1)

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
	__u8 memo_event;	/* a TCP flow sent by the table alone (XLB_R_TABLE_HIT) or its record (_LRU_HIT); 0 neither */
	__u32 outer_hash;	/* xlb_flow_hash with the source port; 0: not yet known */
	/* as the VIP sees it; 8-aligned: the memo compares it in 8-byte words */
	struct xlb_flow flow __attribute__((aligned(8)));
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

/* xlb_flow_hash, an IPv4 flow's from the seed's prefix (xlb_hash.h): three words fewer. */
static __always_inline __u32 flow_hash(const struct xlb_flow *f, int no_sport)
{
	if (!f->src.w[0] && !f->src.w[1] && f->src.w[2] == XLB_V4_MAPPED_W2)
		return xlb_flow_hash_tail(f, no_sport, hash_v4_prefix);
	return xlb_flow_hash(f, no_sport, hash_seed);
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

enum index_answer { INDEX_FOUND, INDEX_ABSENT, INDEX_UNSURE };

/*
 * The service (a, port, proto) in the VIP index (xlb_shared.h): found
 * (copied to *vip), surely absent, or unsure (look in the VIP map). The
 * seq is read before and after the slot: xlbd may be writing it.
 */
static __always_inline int index_lookup(const union xlb_addr *a, __be16 port, __u8 proto,
					struct xlb_vip *vip)
{
	__u32 home, idx, seq, i;
	struct xlb_vip_slot *s;

	if (!vip_index_mask)
		return INDEX_UNSURE;
	home = xlb_vip_slot_home(a, port, proto);
#pragma unroll
	for (i = 0; i < XLB_VIP_INDEX_WINDOW; i++) {
		idx = (home + i) & vip_index_mask;
		s = bpf_map_lookup_elem(&vip_index, &idx);
		if (!s)
			return INDEX_UNSURE;
		/*
		 * Ordering: seq, then the slot, then seq again. The compiler
		 * barriers keep the program's loads in that order; the CPU keeps
		 * them so only where loads are not reordered (x86). xlbd writes
		 * seq odd, the slot, seq even, each store after the last (x86
		 * stores are not reordered either). Elsewhere the loader sets no
		 * index (vip_index_mask 0, dataplane.c: fast_paths_for_cpu).
		 */
		seq = s->seq;
		asm volatile("" ::: "memory");
		if (seq & 1)
			return INDEX_UNSURE;
		if (s->state == XLB_SLOT_EMPTY) {
			asm volatile("" ::: "memory");
			return s->seq == seq ? INDEX_ABSENT : INDEX_UNSURE;
		}
		if (s->state != XLB_SLOT_USED || s->port != port || s->proto != proto ||
		    s->addr.w[0] != a->w[0] || s->addr.w[1] != a->w[1] ||
		    s->addr.w[2] != a->w[2] || s->addr.w[3] != a->w[3])
			continue;
		*vip = s->vip;
		asm volatile("" ::: "memory");
		return s->seq == seq ? INDEX_FOUND : INDEX_UNSURE;
	}
	return INDEX_UNSURE;
}

/* The service on (a, port, proto): the index, else the VIP map; 0 when found. */
static __always_inline int find_service(const union xlb_addr *a, __be16 port, __u8 proto,
					struct xlb_vip *vip)
{
	struct xlb_vip_key key = { .addr = *a, .port = port, .proto = proto };
	struct xlb_vip *v;
	int answer = index_lookup(a, port, proto, vip);

	if (answer != INDEX_UNSURE)
		return answer == INDEX_FOUND ? 0 : -1;
	v = bpf_map_lookup_elem(&vips, &key);
	if (!v)
		return -1;
	*vip = *v;
	return 0;
}

/*
 * The flow's VIP, copied to *vip (one snapshot of its flags); 0 when it
 * has one. The caller has asked the filter (surely_no_vip) first.
 */
static __always_inline int lookup_vip(const struct xlb_flow *f, struct xlb_vip *vip)
{
	if (!find_service(&f->dst, f->dport, f->proto, vip))
		return 0;
	return find_service(&f->dst, 0, f->proto, vip);
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
