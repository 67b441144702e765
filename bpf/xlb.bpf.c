// SPDX-License-Identifier: GPL-2.0
/*
 * xlb: the XDP load balancer data path. A packet goes through four stages,
 * each a function that says what it takes, reads, writes and answers:
 *
 * 1. parse        parse_packet (parse_pkt.h): L2, L3 and L4 into struct
 *                 pkt. Not IP: XDP_PASS. What cannot be forwarded
 *                 (malformed, a fragment, another L4): XDP_DROP if to a
 *                 VIP address, else XDP_PASS, untouched. ICMP to a VIP
 *                 address answered or passed (icmp.h: handle_icmp); an
 *                 error quoting a VIP flow goes on as that flow
 *                 (follow_quoted_flow).
 * 2. look up VIP  surely_no_vip, then lookup_vip (xlb.h): the filter, the
 *                 VIP index, the VIP map; no VIP: XDP_PASS, untouched.
 *                 A memo hit (memo_find, pick_by_memo, here) answers
 *                 stages 2 and 3 at once.
 * 3. pick         pick_backend (pick.h), by one of these routes:
 *                   pick_by_memo       TCP: this CPU's last flow (here)
 *                   pick_by_slot       TCP: T's slot without LOOK
 *                   pick_by_record     TCP on a LOOK slot, and UDP: the
 *                                      flow's record in the connection table
 *                   pick_by_old_table  TCP, LOOK, not a SYN: O's choice
 *                   pick_by_new_table  TCP, LOOK, a SYN or O's backend
 *                                      gone: T's choice, recorded
 *                   pick_by_moved      UDP: the moved-flow table
 *                   pick_by_udp_table  UDP: T's choice, recorded
 *                 ICMP errors take their flow's routes, writing no record
 *                 (pick.h: own_packet). No backend: XDP_DROP.
 * 4. send         send_to_backend (send.h): trim, MTU (encap.h:
 *                 answer_too_big), TTL, encapsulate or L2 DSR; XDP_TX.
 *
 * Counting: a VIP's packets in count_vip (here), its new flows and drops
 * for lack of a backend in handle, a backend's in send_to_backend, and
 * every packet's verdict, exactly one, in xlb_xdp (count_reason). The
 * routes' events (lru_hit, table_hit, ...) are counted where they happen.
 * The flow-keeping contract the routes keep: xlb_shared.h (a TCP VIP's
 * table, the memo, the moved-flow table) and docs/architecture.md.
 */
#include "xlb.h"
#include "parse_pkt.h"
#include "pick.h"
#include "send.h"

/* This CPU's memo, for a packet that may use or make one. */
struct memo_ref {
	struct xlb_memo *m;	/* NULL: none is used or made */
	__u32 epoch;		/* memo_epoch's, read before the VIP and the tables */
};

/*
 * This CPU's memo (xlb_shared.h) and, in *epoch, the epoch now: read before
 * the VIP and the tables, so that a memo made from them carries an epoch
 * no newer than what it saw. NULL in trace mode (a trace writes nothing).
 */
static __always_inline struct xlb_memo *memo_get(__u32 *epoch)
{
	__u32 zero = 0, *e;

	if (trace_mode || !memo_on)
		return NULL;
	e = bpf_map_lookup_elem(&memo_epoch, &zero);
	if (!e)
		return NULL;
	/*
	 * Ordering: the epoch is loaded before the VIP, the tables and the
	 * backend that a memo made now would cache; xlbd moves it after its
	 * write is in (a locked add on x86, a full barrier). The compiler
	 * barrier keeps the program's loads in order, and the CPU keeps them
	 * so only where loads are not reordered (x86); elsewhere the loader
	 * turns the memo off (memo_on 0, dataplane.c: fast_paths_for_cpu).
	 */
	*epoch = *e;
	asm volatile("" ::: "memory");
	return bpf_map_lookup_elem(&memo, &zero);
}

static __always_inline int memo_holds(const struct xlb_memo *m, const struct xlb_flow *f,
				      __u32 epoch)
{
	const __u64 *a = (const void *)&m->flow, *b = (const void *)f;

	return m->epoch == epoch && a[0] == b[0] && a[1] == b[1] && a[2] == b[2] &&
	       a[3] == b[3] && a[4] == b[4];
}

/*
 * Whether this CPU's memo holds p's flow under the epoch now. Only a TCP
 * packet that is not a SYN uses or makes a memo (an ICMP error's l4_proto
 * is ICMP, so only the flow's own packets do): mr->m stays NULL for the
 * others, and is set for memo_make whether or not it holds.
 */
static __always_inline int memo_find(const struct pkt *p, struct memo_ref *mr)
{
	if (p->l4_proto != IPPROTO_TCP || p->syn)
		return 0;
	mr->m = memo_get(&mr->epoch);
	return mr->m && memo_holds(mr->m, &p->flow, mr->epoch);
}

/*
 * Route "the memo" (TCP), stages 2 and 3 at once. Applies: this CPU's memo
 * holds the flow under the epoch now (memo_find); it was made when the
 * flow was sent by a slot without LOOK (pick_by_slot) or by its record
 * (pick_by_record), and a record's memo serves only until 128 jiffies
 * pass. Reads: the memo, its backend live. Writes: no flow state. Answer:
 * the memo's backend while it takes the VIP's flows, with the memo's VIP
 * (id, flags) in *vip and its tunnel source; else none, and the packet
 * takes the VIP lookup and stage 3. Counts table_hit or lru_hit, as the
 * route it repeats.
 */
static __always_inline struct xlb_backend *
pick_by_memo(struct pkt *p, const struct xlb_memo *m, struct xlb_vip *vip,
	     struct target *t)
{
	__u32 be_id = m->backend_id, vip_id = m->vip_id;
	struct xlb_backend *be;

	/*
	 * A flow that lives by its record must keep it fresh: the LRU evicts
	 * the unreferenced first, and xlbd lets records idle past the TCP idle
	 * time go (table_state.c). So every 128 jiffies (0.13-1.3 s by HZ) the
	 * full path looks the record up, which refreshes it, and makes the memo
	 * again. Jiffies, not the clock: a load, where reading the clock cost
	 * a same-flow hit twice its time in a VM.
	 */
	if (m->event == XLB_R_LRU_HIT &&
	    (__u32)(bpf_jiffies64() >> XLB_MEMO_STAMP_SHIFT) != m->stamp)
		return NULL;
	be = bpf_map_lookup_elem(&backends, &be_id);
	if (!be || !backend_takes_flows(be, vip_id))
		return NULL;
	count_reason(m->event == XLB_R_LRU_HIT ? XLB_R_LRU_HIT : XLB_R_TABLE_HIT, 0);
	p->outer_hash = m->outer_hash;
	vip->id = vip_id;
	vip->flags = m->vip_flags;
	t->be = be;
	t->id = be_id;
	return be;
}

/*
 * After stage 3: the flow this CPU just sent by a route the memo may
 * repeat (p->memo_event: a slot without LOOK, or the flow's record)
 * becomes its memo, under the epoch read before the VIP and the tables.
 */
static __always_inline void memo_make(const struct memo_ref *mr, const struct pkt *p,
				      const struct xlb_vip *vip, const struct target *t)
{
	struct xlb_memo *m = mr->m;

	if (!m || !p->memo_event)
		return;
	m->flow = p->flow;
	m->vip_id = vip->id;
	m->vip_flags = vip->flags;
	m->backend_id = t->id;
	m->outer_hash = p->outer_hash;
	m->epoch = mr->epoch;
	m->event = p->memo_event;
	/* A record's flow: its record is looked up again within 128 jiffies (pick_by_memo). */
	m->stamp = p->memo_event == XLB_R_LRU_HIT ? bpf_jiffies64() >> XLB_MEMO_STAMP_SHIFT : 0;
}

/*
 * The VIP's counters for a packet to it: packets and bytes here; handle
 * adds a drop for lack of a backend or a new flow through the entry
 * returned (NULL in a trace, which records the VIP and counts nothing).
 */
static __always_inline struct xlb_vip_stats *count_vip(const struct xlb_vip *vip,
						       __u64 bytes)
{
	struct xlb_vip_stats *vs;
	__u32 vip_id = vip->id;

	if (trace_mode) {
		trace_out.vip_found = 1;
		trace_out.vip_id = vip_id;
		return NULL;
	}
	vs = bpf_map_lookup_elem(&vip_stats, &vip_id);
	if (vs) {
		vs->packets++;
		vs->bytes += bytes;
	}
	return vs;
}

/* The stages in order (the list at the top of this file); the verdict's reason in *reason. */
static __always_inline int handle(struct xdp_md *ctx, __u64 bytes, __u32 *reason)
{
	struct memo_ref mr = {};
	struct target t = {};
	struct xlb_vip_stats *vs;
	struct pkt p = {};
	struct xlb_vip vip;
	int rc;

	/* 1. Parse. */
	rc = parse_packet(ctx, &p, reason);
	if (rc != STAGE_NEXT)
		return rc;

	/* 2. Look up the VIP; the filter first: most other traffic leaves after one array read. */
	if (surely_no_vip(&p.flow.dst)) {
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	/* Read after the filter, so that traffic to no VIP does not pay for it. */
	if (memo_find(&p, &mr) && pick_by_memo(&p, mr.m, &vip, &t)) {
		count_vip(&vip, bytes);
		return send_to_backend(ctx, &p, &vip, &t, bytes, reason);
	}
	if (lookup_vip(&p.flow, &vip)) {
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	vs = count_vip(&vip, bytes);

	/* 3. Pick a backend. */
	if (!pick_backend(&p, &vip, &t)) {
		if (vs)
			vs->no_backend++;
		*reason = XLB_R_DROP_NO_BACKEND;
		return XDP_DROP;
	}
	if (t.is_new && vs)
		vs->new_flows++;
	memo_make(&mr, &p, &vip, &t);

	/* 4. Send. */
	return send_to_backend(ctx, &p, &vip, &t, bytes, reason);
}

SEC("xdp")
int xlb_xdp(struct xdp_md *ctx)
{
	__u64 bytes = ctx->data_end - ctx->data;
	__u32 reason = XLB_R_DROP_MALFORMED;
	int verdict;

	verdict = handle(ctx, bytes, &reason);
	count_reason(reason, bytes);
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
