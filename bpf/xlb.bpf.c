// SPDX-License-Identifier: GPL-2.0
/*
 * xlb: the XDP load balancer data path.
 *
 * Per packet: parse L2 (up to two VLAN tags) and L3/L4, look the VIP up,
 * find the flow in the LRU connection table or pick a backend from the VIP's
 * weighted Maglev table, then either encapsulate (IPIP, IP6IP6, 4in6, 6in4)
 * towards the next hop or rewrite the destination MAC (L2 DSR), and send the
 * packet back out with XDP_TX. Traffic that is not for a VIP is passed on
 * untouched. Every packet lands in exactly one verdict counter.
 */
#include "xlb.h"
#include "icmp.h"
#include "encap.h"

/* Parses IPv4 or IPv6 and fills the L3 part of p. */
static __always_inline int parse_l3(void *data, void *data_end, struct pkt *p)
{
	__u32 off = p->l2_len;

	if (off > XLB_L2_MAX)
		return PARSE_MALFORMED;

	if (p->is_v4) {
		struct iphdr *iph = data + off;
		__u32 hlen, tot;

		if ((void *)(iph + 1) > data_end)
			return PARSE_MALFORMED;
		/* Addresses first: a bad header to another host is not ours to drop. */
		set_v4_mapped(&p->flow.src, iph->saddr);
		set_v4_mapped(&p->flow.dst, iph->daddr);
		p->has_addrs = 1;
		if (iph->version != 4 || iph->ihl < 5)
			return PARSE_MALFORMED;
		hlen = iph->ihl * 4;
		tot = bpf_ntohs(iph->tot_len);
		if (tot < hlen || data + off + tot > data_end)
			return PARSE_MALFORMED;
		p->l3_len = tot;
		p->l4_off = off + hlen;
		p->l4_proto = iph->protocol;
		p->tos = iph->tos;
		p->df = !!(iph->frag_off & bpf_htons(IP_DF));
		p->is_frag = !!(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET));
	} else {
		struct ipv6hdr *ip6h = data + off;
		__u8 nexthdr;
		int i;

		if ((void *)(ip6h + 1) > data_end)
			return PARSE_MALFORMED;
		__builtin_memcpy(&p->flow.src, &ip6h->saddr, 16);
		__builtin_memcpy(&p->flow.dst, &ip6h->daddr, 16);
		if (is_v4_mapped(p->flow.dst.w))
			return PARSE_NOT_OURS;
		p->has_addrs = 1;
		if (ip6h->version != 6)
			return PARSE_MALFORMED;
		p->l3_len = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
		if (data + off + p->l3_len > data_end)
			return PARSE_MALFORMED;
		p->tos = (bpf_ntohl(*(__be32 *)ip6h) >> 20) & 0xff;
		p->df = 1; /* IPv6 routers never fragment */
		nexthdr = ip6h->nexthdr;
		off += sizeof(*ip6h);

#pragma unroll
		for (i = 0; i < XLB_IP6_EXT_WALKED; i++) {
			__u8 *ext = data + off;

			if (!ipv6_is_ext_hdr(nexthdr))
				break;
			if (nexthdr == IPPROTO_FRAGMENT) {
				p->is_frag = 1;
				break;
			}
			if ((void *)(ext + 2) > data_end)
				return PARSE_TRUNCATED_L4;
			nexthdr = ext[0];
			off += (ext[1] + 1) * 8;
			if (off > XLB_L4_OFF_MAX)
				return PARSE_TRUNCATED_L4;
		}
		if (ipv6_is_ext_hdr(nexthdr) && !p->is_frag)
			return PARSE_EXT_HEADERS;
		p->l4_off = off;
		p->l4_proto = nexthdr;
	}
	p->flow.proto = p->l4_proto;
	return PARSE_OK;
}

/* Ports of a TCP or UDP header at off; the header must fit the IP packet. */
static __always_inline int parse_ports(void *data, void *data_end, struct pkt *p)
{
	__u32 l3_end = p->l2_len + p->l3_len;
	__u32 off = p->l4_off;

	if (off > XLB_L4_OFF_MAX)
		return PARSE_TRUNCATED_L4;
	if (p->l4_proto == IPPROTO_TCP) {
		struct tcphdr *th = data + off;

		if ((void *)(th + 1) > data_end || off + sizeof(*th) > l3_end)
			return PARSE_TRUNCATED_L4;
		if (th->doff < 5 || off + th->doff * 4 > l3_end)
			return PARSE_TRUNCATED_L4;
		p->flow.sport = th->source;
		p->flow.dport = th->dest;
		p->syn = th->syn && !th->ack;
	} else {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > data_end || off + sizeof(*uh) > l3_end)
			return PARSE_TRUNCATED_L4;
		p->flow.sport = uh->source;
		p->flow.dport = uh->dest;
	}
	return PARSE_OK;
}

static __always_inline int backend_takes_flows(const struct xlb_backend *be,
					       __u32 vip_id)
{
	return be->vip_id == vip_id &&
	       (be->state == XLB_BE_UP || be->state == XLB_BE_DRAINING);
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
 * The flow's slot in T as stored (a backend id and XLB_SLOT_LOOK), with
 * the table, its size and the flow's hash (which the old table's pick
 * reuses); the tunnel's source hash set when it is the same. -1: no table.
 */
static __always_inline int flow_slot(struct pkt *p, const struct xlb_vip *vip, void **table,
				     __u32 *size, __u32 *hash, __u32 *v)
{
	*table = table_of(vip->id, size);
	if (!*table)
		return -1;
	*hash = flow_hash(&p->flow, vip->flags & XLB_VIP_F_HASH_NO_SPORT);
	if (!(vip->flags & XLB_VIP_F_HASH_NO_SPORT))
		p->outer_hash = *hash;
	*v = table_slot(*table, *size, *hash);
	return 0;
}

/*
 * The old table's choice for the flow (xlb_shared.h): where a flow that
 * has no record and was here before the last changes still is. be_new
 * (T's choice) when the VIP keeps no old table. O may have been hashed
 * otherwise (a change of 'hash: { source_port }') and have another size.
 */
static __always_inline __u32 old_pick(void *table, __u32 size, const struct pkt *p,
				      const struct xlb_vip *vip, __u32 hash, __u32 be_new)
{
	__u32 idx = size + 1, *hdr, m_o, *v;

	hdr = bpf_map_lookup_elem(table, &idx);
	if (!hdr)
		return be_new;
	m_o = *hdr & XLB_OLD_SIZE_MASK;
	if (!m_o)
		return be_new;
	if (!(*hdr & XLB_OLD_NO_SPORT) != !(vip->flags & XLB_VIP_F_HASH_NO_SPORT))
		hash = flow_hash(&p->flow, !!(*hdr & XLB_OLD_NO_SPORT));
	idx = size + 2 + hash % m_o;
	v = bpf_map_lookup_elem(table, &idx);
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

/* The connection table's backend for the flow, if it has one that still takes it. */
static __always_inline struct xlb_backend *
recorded_backend(struct pkt *p, const struct xlb_vip *vip, __u32 *be_id, int *stale)
{
	struct xlb_backend *be;
	struct xlb_conn *conn;

	conn = bpf_map_lookup_elem(&conns, &p->flow);
	*stale = !!conn;
	if (!conn) {
		count_reason(XLB_R_LRU_MISS, 0);
		return NULL;
	}
	be = entry_backend(conn, p, vip->id, be_id);
	if (!be) {
		count_reason(XLB_R_LRU_STALE, 0);
		return NULL;
	}
	count_reason(XLB_R_LRU_HIT, 0);
	p->outer_hash = conn->outer_hash;
	return be;
}

static __always_inline struct xlb_backend *
vip_backend(__u32 id, const struct xlb_vip *vip, int new_flow)
{
	struct xlb_backend *be = bpf_map_lookup_elem(&backends, &id);

	if (!be || be->vip_id != vip->id)
		return NULL;
	if (be->state == XLB_BE_UP || (!new_flow && be->state == XLB_BE_DRAINING))
		return be;
	return NULL;
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
	/* Jiffies, not the clock: a load (the memo's reason, forward_memo). */
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
 * Stage "select backend" of a TCP VIP (the contract: xlb_shared.h, table
 * layout). A slot without XLB_SLOT_LOOK: T's choice, no flow state read or
 * written, whatever came before (a flood, another node's flows, a first
 * packet that is not a SYN). A LOOK slot: the flow's record, else a SYN
 * takes T's choice and any other packet O's, the backend of a flow that was
 * here before the change; each is recorded where the other table differs,
 * so that it keeps its backend when O goes (user/table_state.c: O goes
 * only after every slot has been LOOK long enough for live flows to have
 * been recorded). ICMP errors follow the same choice and record nothing.
 * A SYN without a record is a new flow for the counters once per 5-tuple
 * (syn_first_seen); that never changes where it goes.
 */
static __always_inline struct xlb_backend *
tcp_backend(struct pkt *p, const struct xlb_vip *vip, __u32 *be_id, int *is_new)
{
	int new_flow = p->syn && !p->is_icmp_err, stale;
	struct xlb_backend *be;
	__u32 size, hash, v, o;
	void *table;

	if (flow_slot(p, vip, &table, &size, &hash, &v))
		return NULL;
	*be_id = v & XLB_SLOT_BACKEND;
	if (!(v & XLB_SLOT_LOOK)) {
		be = vip_backend(*be_id, vip, new_flow);
		if (be) {
			count_reason(XLB_R_TABLE_HIT, 0);
			p->memo_event = XLB_R_TABLE_HIT;
			*is_new = new_flow && syn_first_seen(p, vip, hash);
		}
		return be;
	}

	be = recorded_backend(p, vip, be_id, &stale);
	if (be) {
		p->memo_event = XLB_R_LRU_HIT;
		return be;
	}
	o = old_pick(table, size, p, vip, hash, *be_id);
	if (!new_flow) {
		be = vip_backend(o, vip, 0);
		if (be) {
			if (trace_mode && o != *be_id)
				trace_out.lru = XLB_TRACE_LRU_OLD;
			if (o != *be_id && !p->is_icmp_err)
				remember(p, o);
			*be_id = o;
			return be;
		}
		/* Its backend is gone or down: the flow moves, pinned where it went. */
	}
	be = vip_backend(*be_id, vip, new_flow);
	if (!be)
		return NULL;
	*is_new = new_flow && syn_first_seen(p, vip, hash);
	if ((o != *be_id || stale) && !p->is_icmp_err && remember(p, *be_id) && new_flow) {
		/* Unrecorded, the flow's next packet would go to O's choice: send it there. */
		be = vip_backend(o, vip, 1);
		if (be)
			*be_id = o;
	}
	return be;
}

/* A UDP flow the moved-flow table holds, if the VIP has any there. */
static __always_inline struct xlb_backend *
moved_backend(struct pkt *p, const struct xlb_vip *vip, __u32 *be_id)
{
	struct xlb_backend *be;
	struct xlb_conn *conn;

	if (!(vip->flags & XLB_VIP_F_MOVED))
		return NULL;
	conn = bpf_map_lookup_elem(&moved, &p->flow);
	be = conn ? entry_backend(conn, p, vip->id, be_id) : NULL;
	if (be) {
		count_reason(XLB_R_MOVED_HIT, 0);
		p->outer_hash = conn->outer_hash;
	}
	return be;
}

/*
 * Stage "select backend" of a UDP VIP: UDP has no first packet to tell a
 * new flow by, so every flow is recorded at its first packet and found by
 * its record (refreshed at most once a second; idle past udp_idle_ns, it
 * is a new flow), as in a connection-table balancer; flows a table change
 * would move are held in the moved-flow table, out of a flood's reach.
 * ICMP errors make no records.
 */
static __always_inline struct xlb_backend *
udp_backend(struct pkt *p, const struct xlb_vip *vip, __u32 *be_id, int *is_new)
{
	struct xlb_backend *be;
	__u32 size, hash, v;
	void *table;
	int stale;

	be = recorded_backend(p, vip, be_id, &stale);
	if (be)
		return be;
	be = moved_backend(p, vip, be_id);
	if (be)
		return be;
	if (flow_slot(p, vip, &table, &size, &hash, &v))
		return NULL;
	*be_id = v & XLB_SLOT_BACKEND;
	be = vip_backend(*be_id, vip, 1);
	if (!be)
		return NULL;
	*is_new = !p->is_icmp_err;
	if (!p->is_icmp_err)
		remember(p, *be_id);
	return be;
}

/* L2 DSR: the packet goes to the backend's MAC, IP headers untouched but TTL. */
static __always_inline int send_dsr(struct xdp_md *ctx, struct pkt *p,
				    const struct xlb_backend *be)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	return 0;
}

/* Decrements TTL / hop limit; returns -1 when it would reach zero. */
static __always_inline int decrement_ttl(void *data, void *data_end, struct pkt *p)
{
	__u32 l2_len = p->l2_len;

	if (l2_len > XLB_L2_MAX)
		return -1;
	if (p->is_v4) {
		struct iphdr *iph = data + l2_len;
		__be16 old;

		if ((void *)(iph + 1) > data_end || iph->ttl <= 1)
			return -1;
		old = *(__be16 *)&iph->ttl;
		iph->ttl--;
		csum_replace2(&iph->check, old, *(__be16 *)&iph->ttl);
	} else {
		struct ipv6hdr *ip6h = data + l2_len;

		if ((void *)(ip6h + 1) > data_end || ip6h->hop_limit <= 1)
			return -1;
		ip6h->hop_limit--;
	}
	return 0;
}

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

/* What the consistent path chose for this flow, made this CPU's memo. */
static __always_inline void memo_make(struct xlb_memo *m, const struct pkt *p,
				      const struct xlb_vip *vip, __u32 be_id, __u32 epoch)
{
	m->flow = p->flow;
	m->vip_id = vip->id;
	m->vip_flags = vip->flags;
	m->backend_id = be_id;
	m->outer_hash = p->outer_hash;
	m->epoch = epoch;
	m->event = p->memo_event;
	/* A record's flow: its record is looked up again within 128 jiffies (forward_memo). */
	m->stamp = p->memo_event == XLB_R_LRU_HIT ? bpf_jiffies64() >> XLB_MEMO_STAMP_SHIFT : 0;
}

static __always_inline int forward(struct xdp_md *ctx, struct pkt *p,
				   const struct xlb_vip *vip, __u64 bytes,
				   __u32 *reason, struct xlb_backend *be, __u32 be_id,
				   struct xlb_memo *m, __u32 epoch);

/*
 * A packet of the memo's flow: sent to its backend while that still takes
 * the VIP's flows; -1 when it does not: the full path then decides.
 */
static __always_inline int forward_memo(struct xdp_md *ctx, struct pkt *p,
					struct xlb_memo *m, __u64 bytes, __u32 *reason)
{
	struct xlb_vip vip = { .id = m->vip_id, .flags = m->vip_flags };
	__u32 be_id = m->backend_id;
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
		return -1;
	be = bpf_map_lookup_elem(&backends, &be_id);
	if (!be || !backend_takes_flows(be, vip.id))
		return -1;
	count_reason(m->event == XLB_R_LRU_HIT ? XLB_R_LRU_HIT : XLB_R_TABLE_HIT, 0);
	p->outer_hash = m->outer_hash;
	return forward(ctx, p, &vip, bytes, reason, be, be_id, NULL, 0);
}

/*
 * Sends the packet to be (be_id), or, be NULL, to the backend the flow
 * has; m (NULL: none) becomes the memo of a flow the consistent path sent.
 */
static __always_inline int forward(struct xdp_md *ctx, struct pkt *p,
				   const struct xlb_vip *vip, __u64 bytes,
				   __u32 *reason, struct xlb_backend *be, __u32 be_id,
				   struct xlb_memo *m, __u32 epoch)
{
	struct xlb_backend_stats *bs;
	struct xlb_vip_stats *vs;
	struct xlb_settings *cfg = NULL;
	__u32 vip_id = vip->id, zero = 0;
	int is_new = 0, err;

	if (trace_mode) {
		trace_out.vip_found = 1;
		trace_out.vip_id = vip_id;
	}
	vs = trace_mode ? NULL : bpf_map_lookup_elem(&vip_stats, &vip_id);
	if (vs) {
		vs->packets++;
		vs->bytes += bytes;
	}

	if (!be) {
		be = p->flow.proto == IPPROTO_TCP ? tcp_backend(p, vip, &be_id, &is_new)
						    : udp_backend(p, vip, &be_id, &is_new);
		if (!be) {
			if (vs)
				vs->no_backend++;
			*reason = XLB_R_DROP_NO_BACKEND;
			return XDP_DROP;
		}
		if (is_new && vs)
			vs->new_flows++;
		if (m && p->memo_event)
			memo_make(m, p, vip, be_id, epoch);
	}

	/* Bytes past the IP packet (padding, garbage) are not the backend's. */
	if (trim_to_ip(ctx, p)) {
		*reason = XLB_R_DROP_ENCAP;
		return XDP_DROP;
	}
	if (vip->flags & XLB_VIP_F_ENCAP) {
		cfg = bpf_map_lookup_elem(&config, &zero);
		if (!cfg) {
			*reason = XLB_R_DROP_ENCAP;
			return XDP_DROP;
		}
		if (over_mtu(p, be, cfg))
			return answer_too_big(ctx, p, be, cfg, reason);
	}
	if (decrement_ttl((void *)(long)ctx->data,
			  (void *)(long)ctx->data_end, p)) {
		*reason = XLB_R_DROP_TTL;
		return XDP_DROP;
	}
	if (cfg)
		err = encapsulate(ctx, p, be, cfg);
	else
		err = send_dsr(ctx, p, be);
	if (err) {
		*reason = XLB_R_DROP_ENCAP;
		return XDP_DROP;
	}

	if (trace_mode)
		trace_out.backend_id = be_id;
	bs = trace_mode ? NULL : bpf_map_lookup_elem(&backend_stats, &be_id);
	if (bs) {
		bs->packets++;
		bs->bytes += bytes;
		bs->new_flows += is_new;
	}
	*reason = p->is_icmp_err ? XLB_R_TX_ICMP_ERROR : XLB_R_TX_FORWARD;
	return XDP_TX;
}

static __always_inline int handle(struct xdp_md *ctx, __u64 bytes, __u32 *reason)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct pkt p = {};
	struct xlb_memo *m = NULL;
	struct xlb_vip vip;
	__u32 epoch = 0;
	__be16 eth_proto;
	int rc;

	rc = parse_l2(data, data_end, &p.l2_len, &eth_proto);
	if (rc == PARSE_NOT_IP) {
		*reason = XLB_R_PASS_NOT_IP;
		return XDP_PASS;
	}
	if (rc != PARSE_OK) {
		*reason = XLB_R_DROP_MALFORMED;
		return XDP_DROP;
	}
	p.is_v4 = eth_proto == bpf_htons(ETH_P_IP);

	rc = parse_l3(data, data_end, &p);
	if (rc == PARSE_MALFORMED && p.has_addrs)
		return drop_if_vip_addr(&p, XLB_R_DROP_MALFORMED, reason);
	if (rc == PARSE_MALFORMED) {
		/* Cut before its addresses: nobody's, and no use to anyone. */
		*reason = XLB_R_DROP_MALFORMED;
		return XDP_DROP;
	}
	if (rc == PARSE_NOT_OURS) {
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	if (rc == PARSE_EXT_HEADERS)
		return drop_if_vip_addr(&p, XLB_R_DROP_EXT_HEADERS, reason);
	if (rc == PARSE_TRUNCATED_L4)
		return drop_if_vip_addr(&p, XLB_R_DROP_MALFORMED, reason);
	if (p.is_frag)
		return drop_if_vip_addr(&p, XLB_R_DROP_FRAGMENT, reason);

	switch (p.l4_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (parse_ports(data, data_end, &p))
			return drop_if_vip_addr(&p, XLB_R_DROP_MALFORMED, reason);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		rc = handle_icmp(ctx, &p, reason);
		if (rc != ICMP_FOLLOW_FLOW)
			return rc;
		break;
	default:
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}

	if (surely_no_vip(&p.flow.dst)) {
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	/* ICMP errors have l4_proto ICMP: only the flow's own packets use memos. */
	if (p.l4_proto == IPPROTO_TCP && !p.syn) {
		m = memo_get(&epoch);
		if (m && memo_holds(m, &p.flow, epoch)) {
			rc = forward_memo(ctx, &p, m, bytes, reason);
			if (rc >= 0)
				return rc;
		}
	}
	if (lookup_vip(&p.flow, &vip)) {
		*reason = XLB_R_PASS_NOT_VIP;
		return XDP_PASS;
	}
	return forward(ctx, &p, &vip, bytes, reason, NULL, 0, m, epoch);
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
