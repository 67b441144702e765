/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stage 3 of the data path, pick a backend (xlb.bpf.c lists the stages):
 * the backend the flow-keeping contract (xlb_shared.h: a TCP VIP's table,
 * the moved-flow table) gives a packet of a VIP's flow, by one of the
 * routes below. Each route says when it applies, what it reads and what
 * it writes; pick_tcp and pick_udp try them in order. A route answers a
 * backend, or none: then the next route decides, or (where the composer
 * says so) the packet is dropped. The memo's route, which also skips the
 * VIP lookup, is in xlb.bpf.c (pick_by_memo).
 */
#ifndef XLB_BPF_PICK_H
#define XLB_BPF_PICK_H

#include "xlb.h"

/* Where the packet goes: the pick stage's answer, the send stage's input. */
struct target {
	struct xlb_backend *be;	/* NULL: no backend takes the packet */
	__u32 id;		/* be's id */
	int is_new;		/* a new flow, for the VIP's and the backend's counters */
};

/* What the routes learn on the way and pass on. */
struct pick_state {
	void *table;		/* the VIP's inner map (xlb_shared.h: its layout) */
	__u32 size;		/* M, T's size */
	__u32 hash;		/* the flow's hash as the VIP hashes it */
	__u32 slot;		/* T's slot as stored: a backend id and XLB_SLOT_LOOK */
	__u32 old;		/* O's choice (T's where there is no O): LOOK slots only */
	int new_flow;		/* TCP: a SYN (not an ICMP error), a connection's first */
	int stale;		/* a record was found (read only once it did not hold) */
};

/*
 * ICMP errors follow their flow. icmp.h (follow_quoted_flow) made p->flow
 * the flow an error quotes, reversed, and set is_icmp_err: the error takes
 * the routes below as a packet of that flow that is not a SYN, to the same
 * backend, but it is not the flow's own packet: it makes no record, counts
 * no new flow, and neither uses nor makes a memo (its l4_proto is ICMP:
 * xlb.bpf.c reads memos for TCP alone). A record it finds is refreshed as
 * the flow's packets refresh it.
 */
static __always_inline int own_packet(const struct pkt *p)
{
	return !p->is_icmp_err;
}

static __always_inline int backend_takes_flows(const struct xlb_backend *be,
					       __u32 vip_id)
{
	return be->vip_id == vip_id && xlb_be_takes_flows(be->state);
}

/*
 * Backend id, if it is the VIP's and takes the packet: UP, or DRAINING too
 * when new_flow is 0 (the packet opens no flow).
 */
static __always_inline struct xlb_backend *
vip_backend(__u32 id, const struct xlb_vip *vip, int new_flow)
{
	struct xlb_backend *be = bpf_map_lookup_elem(&backends, &id);

	if (!be || be->vip_id != vip->id)
		return NULL;
	if (new_flow ? xlb_be_takes_new_flows(be->state) : xlb_be_takes_flows(be->state))
		return be;
	return NULL;
}

/* VIP vip_id's table (xlb_shared.h) and its size M; NULL when it has none. */
static __always_inline void *table_of(__u32 vip_id, __u32 *size)
{
	__u32 zero = 0, *m;
	void *table;

	table = bpf_map_lookup_elem(&maglev_tables, &vip_id);
	if (!table)
		return NULL;
	m = bpf_map_lookup_elem(table, &zero);
	if (!m || !*m)
		return NULL;
	*size = *m;
	return table;
}

/* T's slot for hash, as stored: a backend id and XLB_SLOT_LOOK. */
static __always_inline __u32 table_slot(void *table, __u32 size, __u32 hash)
{
	__u32 slot = hash % size + 1, *v;

	if (trace_mode) {
		trace_out.hash = hash;
		trace_out.slot = slot - 1;
		trace_out.table_size = size;
	}
	v = bpf_map_lookup_elem(table, &slot);
	return v ? *v : XLB_SLOT_BACKEND;
}

/*
 * The flow's slot in T as stored, with the table, its size and the flow's
 * hash (which the old table's pick reuses) in s; the tunnel's source hash
 * set when it is the same. -1: the VIP has no table.
 */
static __always_inline int flow_slot(struct pkt *p, const struct xlb_vip *vip,
				     struct pick_state *s)
{
	s->table = table_of(vip->id, &s->size);
	if (!s->table)
		return -1;
	s->hash = flow_hash(&p->flow, vip->flags & XLB_VIP_F_HASH_NO_SPORT);
	if (!(vip->flags & XLB_VIP_F_HASH_NO_SPORT))
		p->outer_hash = s->hash;
	s->slot = table_slot(s->table, s->size, s->hash);
	return 0;
}

/*
 * The old table's choice for the flow (xlb_shared.h): where a flow that
 * has no record and was here before the last changes still is. T's choice
 * when the VIP keeps no old table. O may have been hashed otherwise (a
 * change of 'hash: { source_port }') and have another size.
 */
static __always_inline __u32 old_pick(const struct pkt *p, const struct xlb_vip *vip,
				      const struct pick_state *s)
{
	__u32 idx = s->size + 1, hash = s->hash, *hdr, m_o, *v;

	hdr = bpf_map_lookup_elem(s->table, &idx);
	if (!hdr)
		return s->slot & XLB_SLOT_BACKEND;
	m_o = *hdr & XLB_OLD_SIZE_MASK;
	if (!m_o)
		return s->slot & XLB_SLOT_BACKEND;
	if (!(*hdr & XLB_OLD_NO_SPORT) != !(vip->flags & XLB_VIP_F_HASH_NO_SPORT))
		hash = flow_hash(&p->flow, !!(*hdr & XLB_OLD_NO_SPORT));
	idx = s->size + 2 + hash % m_o;
	v = bpf_map_lookup_elem(s->table, &idx);
	return v ? *v : XLB_NO_BACKEND;
}

/*
 * A flow's entry (LRU or moved table) while its backend may still take it:
 * not gone, not down, and for UDP not idle past the timeout. Refreshes the
 * time at most once a second: writes bounce cache lines between CPUs.
 */
static __always_inline struct xlb_backend *
entry_backend(struct xlb_conn *conn, const struct pkt *p, __u32 vip_id, __u32 *be_id)
{
	struct xlb_backend *be;
	__u32 id = conn->backend_id;
	__u64 now = 0;

	if (p->flow.proto == IPPROTO_UDP || conn->atime_ns) {
		now = bpf_ktime_get_ns();
		if (p->flow.proto == IPPROTO_UDP && now - conn->atime_ns > udp_idle_ns)
			return NULL;
	}
	be = bpf_map_lookup_elem(&backends, &id);
	if (!be || !backend_takes_flows(be, vip_id))
		return NULL;
	if (!trace_mode && now && now - conn->atime_ns > 1000000000ull)
		conn->atime_ns = now;
	*be_id = id;
	return be;
}

/*
 * Records the flow on be_id in the connection table; 0 when done (a trace
 * writes nothing and says done). Every record carries the time: UDP ones
 * expire on it, TCP ones are let go by xlbd when idle (table_state.c).
 */
static __always_inline int remember(struct pkt *p, __u32 be_id)
{
	struct xlb_conn fresh = { .backend_id = be_id, .outer_hash = p->outer_hash };

	if (trace_mode)
		return 0;
	fresh.atime_ns = bpf_ktime_get_ns();
	if (!bpf_map_update_elem(&conns, &p->flow, &fresh, BPF_ANY))
		return 0;
	count_reason(XLB_R_LRU_UPDATE_FAIL, 0);
	return -1;
}

/*
 * Whether a SYN the table or the old table sent (no record found) counts as
 * a new flow: not when this CPU saw a SYN of the same 5-tuple within
 * XLB_RECENT_SYN_JIFFIES (xlb_shared.h: recent_syns). It reads and writes
 * its own map alone: where the packet goes is decided before and without
 * it. hash: the flow's, as the VIP hashes it. A trace writes nothing, and
 * counts nothing either.
 */
static __always_inline int syn_first_seen(const struct pkt *p, const struct xlb_vip *vip,
					  __u32 hash)
{
	struct xlb_recent_syns *rs;
	__u32 zero = 0, now, key = hash;
	__u64 *w;
	int i;

	if (trace_mode)
		return 1;
	rs = bpf_map_lookup_elem(&recent_syns, &zero);
	if (!rs)
		return 1;
	/* The source port apart from the hash: mixed in (a bijection: distinct ports, distinct keys). */
	if (vip->flags & XLB_VIP_F_HASH_NO_SPORT)
		key = xlb_hash_final(hash, p->flow.sport);
	w = rs->set[key & (XLB_RECENT_SYN_SETS - 1)];
	/* Jiffies, not the clock: a load (the memo's reason, xlb.bpf.c: pick_by_memo). */
	now = bpf_jiffies64();
#pragma unroll
	for (i = 0; i < XLB_RECENT_SYN_WAYS; i++) {
		__u64 e = w[i];

		if ((__u32)(e >> 32) != key)
			continue;
		w[i] = (__u64)key << 32 | now;
		if (now - (__u32)e > XLB_RECENT_SYN_JIFFIES)
			return 1;
		count_reason(XLB_R_SYN_REPEAT, 0);
		return 0;
	}
#pragma unroll
	for (i = XLB_RECENT_SYN_WAYS - 1; i > 0; i--)
		w[i] = w[i - 1];
	w[0] = (__u64)key << 32 | now;
	return 1;
}

/*
 * Route "the slot without LOOK" (TCP). Applies: T's slot for the flow has
 * no XLB_SLOT_LOOK, so no flow on it has a record and O's choice is T's.
 * Reads: T's backend. Writes: no flow state, whatever came before (a
 * flood, another node's flows, a first packet that is not a SYN); a SYN's
 * key in recent_syns (counting only). Answer: T's backend if it takes the
 * packet, else none, and the packet is dropped. Counts table_hit; the
 * memo may repeat it (p->memo_event).
 */
static __always_inline struct xlb_backend *
pick_by_slot(struct pkt *p, const struct xlb_vip *vip, const struct pick_state *s,
	     struct target *t)
{
	struct xlb_backend *be;

	t->id = s->slot & XLB_SLOT_BACKEND;
	be = vip_backend(t->id, vip, s->new_flow);
	if (be) {
		count_reason(XLB_R_TABLE_HIT, 0);
		p->memo_event = XLB_R_TABLE_HIT;
		t->is_new = s->new_flow && syn_first_seen(p, vip, s->hash);
	}
	return be;
}

/*
 * Route "the flow's record" in the connection table (conns). Applies: a
 * TCP flow on a LOOK slot, and every UDP flow, before any other route.
 * Reads: the record, its backend. Writes: the record's time, at most once
 * a second (UDP records expire on it; xlbd lets idle TCP ones go);
 * s->stale. Answer: the record's backend while it takes the flow (UP or
 * DRAINING, and a UDP record not idle past udp_idle_ns), with the tunnel
 * source the flow was sent with; else none. Counts lru_hit, lru_miss or
 * lru_stale.
 */
static __always_inline struct xlb_backend *
pick_by_record(struct pkt *p, const struct xlb_vip *vip, struct pick_state *s,
	       struct target *t)
{
	struct xlb_backend *be;
	struct xlb_conn *conn;

	conn = bpf_map_lookup_elem(&conns, &p->flow);
	s->stale = !!conn;
	if (!conn) {
		count_reason(XLB_R_LRU_MISS, 0);
		return NULL;
	}
	be = entry_backend(conn, p, vip->id, &t->id);
	if (!be) {
		count_reason(XLB_R_LRU_STALE, 0);
		return NULL;
	}
	count_reason(XLB_R_LRU_HIT, 0);
	p->outer_hash = conn->outer_hash;
	return be;
}

/*
 * Route "the old table's choice" (TCP). Applies: a LOOK slot, no record
 * that holds, a packet that is not a SYN (an ICMP error too): a flow that
 * was here before the last change, or came mid-stream from another node,
 * stays where it was. Reads: O's backend (s->old). Writes: a record of
 * O's choice where T's differs (not for an ICMP error), so that the flow
 * keeps its backend when O goes. Answer: O's backend while it takes the
 * flow (UP or DRAINING), else none: the flow moves to T's choice
 * (pick_by_new_table).
 */
static __always_inline struct xlb_backend *
pick_by_old_table(struct pkt *p, const struct xlb_vip *vip, const struct pick_state *s,
		  struct target *t)
{
	__u32 t_choice = s->slot & XLB_SLOT_BACKEND;
	struct xlb_backend *be;

	be = vip_backend(s->old, vip, 0);
	if (!be)
		return NULL;
	if (trace_mode && s->old != t_choice)
		trace_out.lru = XLB_TRACE_LRU_OLD;
	if (s->old != t_choice && own_packet(p))
		remember(p, s->old);
	t->id = s->old;
	return be;
}

/*
 * Route "the new table's choice on a LOOK slot" (TCP). Applies: a LOOK
 * slot, no record that holds, and a SYN, or a packet whose O's backend no
 * longer takes it. Reads: T's backend. Writes: a record of T's choice
 * where O's differs or a record was found stale (not for an ICMP error),
 * so that the flow's later packets, which are no SYNs, find it; a SYN's
 * key in recent_syns (counting only). Answer: T's backend if it takes the
 * packet, else none, and the packet is dropped. A SYN whose record could
 * not be written goes to O's choice instead, where its unrecorded later
 * packets will go, and is dropped if O's backend takes no new flows.
 */
static __always_inline struct xlb_backend *
pick_by_new_table(struct pkt *p, const struct xlb_vip *vip, const struct pick_state *s,
		  struct target *t)
{
	struct xlb_backend *be;

	t->id = s->slot & XLB_SLOT_BACKEND;
	be = vip_backend(t->id, vip, s->new_flow);
	if (!be)
		return NULL;
	t->is_new = s->new_flow && syn_first_seen(p, vip, s->hash);
	if ((s->old != t->id || s->stale) && own_packet(p) && remember(p, t->id) &&
	    s->new_flow) {
		be = vip_backend(s->old, vip, 1);
		if (be)
			t->id = s->old;
	}
	return be;
}

/*
 * A TCP VIP's routes (the contract: xlb_shared.h, a TCP VIP's table). A
 * slot without LOOK: the table alone. A LOOK slot: the flow's record, else
 * O's choice for a packet that is not a SYN, else T's; each recorded where
 * the other table differs, so that the flow keeps its backend when O goes
 * (user/table_state.c: O goes only after every slot has been LOOK long
 * enough for live flows to have been recorded). A SYN without a record is
 * a new flow for the counters once per 5-tuple (syn_first_seen); that
 * never changes where it goes.
 */
static __always_inline struct xlb_backend *
pick_tcp(struct pkt *p, const struct xlb_vip *vip, struct target *t)
{
	struct pick_state s = { .new_flow = p->syn && own_packet(p) };
	struct xlb_backend *be;

	if (flow_slot(p, vip, &s))
		return NULL;
	if (!(s.slot & XLB_SLOT_LOOK))
		return pick_by_slot(p, vip, &s, t);
	be = pick_by_record(p, vip, &s, t);
	if (be) {
		p->memo_event = XLB_R_LRU_HIT;
		return be;
	}
	s.old = old_pick(p, vip, &s);
	if (!s.new_flow) {
		be = pick_by_old_table(p, vip, &s, t);
		if (be)
			return be;
		/* Its backend is gone or down: the flow moves, pinned where it went. */
	}
	return pick_by_new_table(p, vip, &s, t);
}

/*
 * Route "the moved-flow table" (UDP). Applies: a VIP flagged
 * XLB_VIP_F_MOVED, a flow with no record that holds. Reads: the flow's
 * entry in "moved", which only xlbd writes (at a table change, the flows
 * the new table sends elsewhere), so a flood cannot push it out; its
 * backend. Writes: the entry's time, at most once a second. Answer: the
 * entry's backend while it takes the flow, else none. Counts moved_hit.
 */
static __always_inline struct xlb_backend *
pick_by_moved(struct pkt *p, const struct xlb_vip *vip, struct target *t)
{
	struct xlb_backend *be;
	struct xlb_conn *conn;

	if (!(vip->flags & XLB_VIP_F_MOVED))
		return NULL;
	conn = bpf_map_lookup_elem(&moved, &p->flow);
	be = conn ? entry_backend(conn, p, vip->id, &t->id) : NULL;
	if (be) {
		count_reason(XLB_R_MOVED_HIT, 0);
		p->outer_hash = conn->outer_hash;
	}
	return be;
}

/*
 * Route "the table, recorded" (UDP). Applies: a flow with neither record
 * nor moved entry that holds: a new flow, or one idle past udp_idle_ns.
 * Reads: T's slot (its LOOK bit, a TCP VIP's, is not read), its backend.
 * Writes: a record of T's choice (not for an ICMP error). Answer: T's
 * backend if it is UP, else none, and the packet is dropped. A new flow
 * for the counters, unless an ICMP error.
 */
static __always_inline struct xlb_backend *
pick_by_udp_table(struct pkt *p, const struct xlb_vip *vip, struct pick_state *s,
		  struct target *t)
{
	struct xlb_backend *be;

	if (flow_slot(p, vip, s))
		return NULL;
	t->id = s->slot & XLB_SLOT_BACKEND;
	be = vip_backend(t->id, vip, 1);
	if (!be)
		return NULL;
	t->is_new = own_packet(p);
	if (own_packet(p))
		remember(p, t->id);
	return be;
}

/*
 * A UDP VIP's routes: UDP has no first packet to tell a new flow by, so
 * every flow is recorded at its first packet and found by its record, as
 * in a connection-table balancer; flows a table change would move are
 * held in the moved-flow table, out of a flood's reach.
 */
static __always_inline struct xlb_backend *
pick_udp(struct pkt *p, const struct xlb_vip *vip, struct target *t)
{
	struct pick_state s = {};
	struct xlb_backend *be;

	be = pick_by_record(p, vip, &s, t);
	if (be)
		return be;
	be = pick_by_moved(p, vip, t);
	if (be)
		return be;
	return pick_by_udp_table(p, vip, &s, t);
}

/*
 * Stage "pick a backend". In: p, a packet of a VIP's TCP or UDP flow (or
 * an ICMP error quoting one), and its VIP. Out: t (the backend, its id,
 * whether a new flow) and t->be, NULL when no backend takes the packet;
 * p->outer_hash (the tunnel's source, where known) and p->memo_event (a
 * route the memo may repeat). Writes flow state only as the routes say.
 */
static __always_inline struct xlb_backend *
pick_backend(struct pkt *p, const struct xlb_vip *vip, struct target *t)
{
	t->be = p->flow.proto == IPPROTO_TCP ? pick_tcp(p, vip, t) : pick_udp(p, vip, t);
	return t->be;
}

#endif /* XLB_BPF_PICK_H */
