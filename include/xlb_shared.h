/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layouts shared by the XDP program and userspace: map keys and values,
 * flags and counter indices. One definition, included by both sides.
 *
 * Addresses are always 16 bytes in network order. IPv4 addresses are stored
 * IPv4-mapped (::ffff:a.b.c.d) so that one key type serves both families and
 * an IPv4 key can never collide with an IPv6 one.
 */
#ifndef XLB_SHARED_H
#define XLB_SHARED_H

#include <linux/types.h>

/* Defaults; every map size is set at load time, these only fill gaps. */
#define XLB_DEFAULT_MAX_VIPS		64
/* Interfaces one xlbd attaches to, all sharing its maps (userspace only). */
#define XLB_MAX_IFACES			8
#define XLB_DEFAULT_MAX_BACKENDS	4096
#define XLB_DEFAULT_LRU_ENTRIES		(1u << 20)
#define XLB_DEFAULT_MOVED_FLOWS		65536
/* A held flow (TCP: an older build's) not seen this long and gone from the LRU is let go. */
#define XLB_MOVED_IDLE_SEC		3600
/*
 * A TCP flow idle this long may lose its backend at a table change: a TCP
 * VIP's old table goes this long after a change, records idle this long
 * go (user/table_state.c). 'tcp_idle_timeout' in the config.
 */
#define XLB_DEFAULT_TCP_IDLE_SEC	3600
#define XLB_DEFAULT_TABLE_SIZE		65537
#define XLB_MAX_TABLE_SIZE		16777213 /* largest prime < 2^24 */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define XLB_DEFAULT_UDP_IDLE_SEC	30
#define XLB_DEFAULT_MTU			1500
#define XLB_OUTER_TTL			64

/* An unused Maglev slot or an unset LRU value; never a valid backend id. */
#define XLB_NO_BACKEND			0xffffffffu

union xlb_addr {
	__u8 b[16];
	__be16 h[8];
	__be32 w[4];
};

/*
 * VIP lookup key. port 0 takes every port of (addr, proto). proto 0 is the
 * "address entry": present for every address that carries a VIP, so that
 * the data path can tell VIP traffic it cannot forward (fragments, truncated
 * L4 headers) from traffic that is not its business at all, and answer echo
 * requests.
 */
struct xlb_vip_key {
	union xlb_addr addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

/*
 * The addresses that are surely no VIP's: one bit per bucket of a hash of
 * the destination address (xlb_vip_filter_bit), set while no VIP address
 * falls in the bucket. A packet to such an address is passed after one
 * array read instead of two hash lookups. A clear bit sends a packet to
 * the lookups, so a fresh map (all clear) costs time, never a VIP: xlbd
 * clears an address's bit before the address goes into the VIP map, and
 * sets the bits of addresses gone only after they left it.
 */
#define XLB_VIP_FILTER_BITS	4096
#define XLB_VIP_FILTER_SHIFT	(32 - 12)	/* log2(XLB_VIP_FILTER_BITS) = 12 */

struct xlb_vip_filter {
	__u64 none[XLB_VIP_FILTER_BITS / 64];
};

/*
 * The VIP index ("vip_index"): the VIP map's services (proto != 0) again,
 * in an array the data path reads without a hash-map lookup (inlined,
 * one line, no jhash, no bucket walk): open addressing, a key at one of
 * XLB_VIP_INDEX_WINDOW slots from its home (xlb_vip_slot_home). The VIP
 * map stays the truth: a packet whose key the window neither holds nor
 * rules out (every slot taken by others, or a slot being written) looks
 * there. Only xlbd writes it, through a mapping of the array, slot by
 * slot: seq odd, the fields, seq even again; a reader that saw an odd seq
 * or another seq after its read takes the VIP map. A slot once used is
 * never empty again (a removed key leaves XLB_SLOT_GONE), so an empty
 * slot in the window proves the key absent. Sized by the loader: a power
 * of two, XLB_VIP_INDEX_PER_VIP slots a VIP.
 */
#define XLB_VIP_INDEX_WINDOW	4
#define XLB_VIP_INDEX_PER_VIP	8

enum xlb_vip_slot_state {
	XLB_SLOT_EMPTY = 0,	/* never used: the key is not further on */
	XLB_SLOT_USED,
	XLB_SLOT_GONE,		/* its key was removed; the key may be further on */
};

enum xlb_vip_flags {
	XLB_VIP_F_ENCAP		= 1u << 0, /* IPIP/IP6IP6; without it, L2 DSR */
	XLB_VIP_F_HASH_NO_SPORT	= 1u << 1, /* leave the source port out of the hash */
	XLB_VIP_F_ADDR_ENTRY	= 1u << 2, /* address entry (proto 0), not a service */
	XLB_VIP_F_ECHO_REPLY	= 1u << 3, /* address entry: answer echo requests */
	XLB_VIP_F_MOVED		= 1u << 4, /* UDP: some of its flows are held in the moved table */
	/* 1u << 5 was XLB_VIP_F_CONSISTENT (the SYN ring's builds); ignored if found in a pin */
	XLB_VIP_F_ALL		= (1u << 6) - 1,	/* all fit in a memo's byte */
};

struct xlb_vip {
	__u32 id;		/* index into the table, VIP stats maps */
	__u32 flags;		/* enum xlb_vip_flags */
};

/* 32 bytes: a slot never spans two cache lines. */
struct xlb_vip_slot {
	__u32 seq;		/* odd while xlbd writes the slot */
	__u8 state;		/* enum xlb_vip_slot_state */
	__u8 proto;
	__be16 port;
	union xlb_addr addr;
	struct xlb_vip vip;
};

enum xlb_backend_state {
	XLB_BE_UNUSED = 0,	/* slot free: flows pinned here are re-picked */
	XLB_BE_UP,		/* in the table, takes new and existing flows */
	XLB_BE_DRAINING,	/* weight 0: keeps existing flows, gets no new ones */
	XLB_BE_DOWN,		/* loses its flows, which are picked again */
};

/*
 * What a state means, in one place for the data path and xlbd. Which state
 * a backend is in (weight 0 or drained: DRAINING) is decided by xlbd's plan
 * alone (user/health.c: xlb_effective_state).
 */
static inline int xlb_be_takes_flows(__u8 state)
{
	return state == XLB_BE_UP || state == XLB_BE_DRAINING;
}

static inline int xlb_be_takes_new_flows(__u8 state)
{
	return state == XLB_BE_UP;
}

/* Backend ids index this array. A backend belongs to exactly one VIP. */
struct xlb_backend {
	union xlb_addr addr;	/* IPv4-mapped for IPv4 backends */
	__u8 mac[6];		/* L2 DSR: destination MAC */
	__u8 state;		/* enum xlb_backend_state */
	__u8 is_v4;
	__u32 vip_id;		/* owner, checked on every LRU hit */
};

/* LRU connection table: the flow as seen by the VIP, mapped to a backend. */
struct xlb_flow {
	union xlb_addr src;
	union xlb_addr dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct xlb_conn {
	__u32 backend_id;
	__u32 outer_hash;	/* flow hash with the source port: the tunnel's source; 0 unknown */
	__u64 atime_ns;		/* last use; UDP entries (and held flows) expire on it */
};

/*
 * A TCP VIP's table as the data path reads it (an inner map of __u32):
 *
 *   [0]                 M, the size of the table for new flows ("T")
 *   [1 .. M]            T: a backend id, XLB_SLOT_LOOK set on slots where
 *                       a flow may not be on T's choice
 *   [M + 1]             the old table's header: its size M_O (low 24 bits;
 *                       0 or absent: no old table) and XLB_OLD_NO_SPORT
 *   [M + 2 .. M+1+M_O]  O, the old table: a backend id per slot
 *
 * The contract on a TCP VIP: every live flow either has a record in the
 * connection table ("conns") or is on O's choice (T's where there is no O).
 * A slot without XLB_SLOT_LOOK has no record and O's choice equal to T's:
 * its packets, SYN or not, go to T's choice with no flow state at all, so
 * a flood of new flows there costs nothing and forgets nothing. On a LOOK
 * slot a packet's record decides; without one, a SYN takes T's choice (and
 * is recorded if O's differs) and any other packet O's (recorded if T's
 * differs): a flow that was here before a change, or came mid-stream from
 * another node, stays where it was. xlbd builds T and O (user/table_state.c)
 * and never writes a table in place: a change swaps in a new map, so a
 * packet sees one table state whole.
 */
#define XLB_SLOT_LOOK		(1u << 31)
#define XLB_SLOT_BACKEND	(~XLB_SLOT_LOOK)
#define XLB_OLD_SIZE_MASK	0x00ffffffu
#define XLB_OLD_NO_SPORT	(1u << 24)	/* O's flows were hashed without the source port */

/*
 * The memo ("memo", one per CPU): the last TCP flow a CPU sent by a slot
 * without XLB_SLOT_LOOK, or by its record, and where. A packet of that
 * same flow, the next one on the CPU as a burst's packets are, goes
 * straight to that backend: no VIP lookup, no flow hash, no table. It is
 * taken only while "memo_epoch" still holds the epoch it was made under:
 * xlbd moves the epoch after every write to VIPs, backends or tables,
 * after a flush and at each load, and the data path reads the epoch
 * before anything it could cache, so a memo made from state older than a
 * write is never used after it. The backend is read live (its state, its
 * VIP). A flow on a slot without XLB_SLOT_LOOK needs no record, so a
 * packet sent by its memo skips nothing the contract needs; a flow found
 * by its record is looked up again every 2^XLB_MEMO_STAMP_SHIFT jiffies,
 * which keeps its record fresh (xlb.bpf.c: pick_by_memo).
 */
#define XLB_MEMO_STAMP_SHIFT	7

struct xlb_memo {
	struct xlb_flow flow;
	__u32 vip_id;
	__u32 backend_id;
	__u32 outer_hash;
	__u32 epoch;		/* memo_epoch's when made */
	__u32 stamp;		/* a record's flow: jiffies >> XLB_MEMO_STAMP_SHIFT when looked up */
	__u8 vip_flags;		/* enum xlb_vip_flags: all fit in a byte */
	__u8 event;		/* XLB_R_TABLE_HIT or XLB_R_LRU_HIT (by its record): counted at each use */
	__u8 pad[2];
};

/*
 * Recent SYNs ("recent_syns", one per CPU): what makes a SYN sent again on
 * the same 5-tuple (a retransmit, or a client re-sending one SYN at a
 * backend) one new flow for the counters, and for all that reads them
 * (the skew detector, the diagnosis, /metrics). Only counting reads it:
 * where a packet goes never depends on it. A TCP SYN counted as a new
 * flow (no record found) stores its key, the flow hash (with the source
 * port mixed in where the VIP hashes without it), and the time in jiffies,
 * as (key << 32 | jiffies), in set key % XLB_RECENT_SYN_SETS: a set is
 * XLB_RECENT_SYN_WAYS entries side by side (32 bytes, a cache line or
 * two), the newest first, the oldest pushed out. A SYN whose set holds its key from at most
 * XLB_RECENT_SYN_JIFFIES ago is a repeat: forwarded as any SYN, counted as
 * `syn_repeat`, not as a new flow. Each sighting stamps it again, so a
 * SYN re-sent for as long as it likes counts once.
 * Per CPU is enough: RSS sends a 5-tuple's packets to one queue, so to one
 * CPU, and no line is ever shared or locked. What it misses, one new flow
 * too many each time: a repeat that lands on another CPU (the queue's
 * interrupt moved, another interface), one after its entry was pushed out
 * (at R new flows a second on the CPU, after about XLB_RECENT_SYN_SETS *
 * XLB_RECENT_SYN_WAYS / R seconds: a client re-sending one SYN as fast as
 * it can counts about R / 4096 times a second, not once a packet), one
 * after the window, and one after a restart (the map is not pinned). One
 * too few: a new connection on the same 5-tuple within the window (a
 * record makes it not new too, with no window), and a flow whose key
 * another's equals (1 in 2^32).
 */
#define XLB_RECENT_SYN_SETS	1024	/* a power of two: 4,096 keys */
#define XLB_RECENT_SYN_WAYS	4	/* 32 bytes a set: 32 KiB a CPU, the most a per-CPU value may be */
#define XLB_RECENT_SYN_JIFFIES	4096	/* 4.1-41 s by HZ (16 s at Debian's 250) */

struct xlb_recent_syns {
	__u64 set[XLB_RECENT_SYN_SETS][XLB_RECENT_SYN_WAYS];
};

/*
 * The moved-flow table ("moved") holds UDP flows whose backend is no longer
 * the one the VIP's table picks: flows on a draining backend, and flows
 * whose table slot moved to another backend. Only xlbd writes it, when it
 * swaps a UDP VIP's table in; the data path reads it after an LRU miss,
 * and only for VIPs flagged XLB_VIP_F_MOVED. So a flood of new flows, which
 * churns the LRU, cannot push these flows out. (A TCP VIP needs none: its
 * old table keeps such flows, above.) Key struct xlb_flow, value struct
 * xlb_conn.
 */

/*
 * The data path's forwarding settings, the one entry of the "config" array
 * map (a pinned name, kept so that a restart adopts it). Not the parsed
 * config file: that is user/config.h's struct xlb_cfg.
 */
struct xlb_settings {
	__u8 nexthop_mac[6];	/* encapsulation: outer destination MAC */
	__u16 mtu;		/* largest outer L3 packet sent to a backend */
	/*
	 * Outer source addresses: the host bits below the mask are taken from
	 * the flow hash, so each flow gets its own source and the backend's
	 * RSS spreads flows over its queues.
	 */
	__be32 src4_net;
	__be32 src4_mask;
	union xlb_addr src6_net;
	__be32 src6_mask;	/* mask over the last 32 bits of src6_net */
};

/* Per-reason counters: every packet lands in exactly one verdict reason. */
enum xlb_reason {
	XLB_R_PASS_NOT_IP = 0,	/* not IPv4/IPv6 (ARP, LLDP, ...) */
	XLB_R_PASS_NOT_VIP,	/* IP, but no VIP for it */
	XLB_R_DROP_MALFORMED,	/* truncated or invalid header */
	XLB_R_DROP_FRAGMENT,	/* IP fragment to a VIP address */
	XLB_R_DROP_TOO_BIG,	/* over MTU after encapsulation, DF clear */
	XLB_R_TX_TOO_BIG,	/* answered with frag-needed / packet-too-big */
	XLB_R_DROP_NO_BACKEND,	/* VIP has no usable backend */
	XLB_R_DROP_ENCAP,	/* could not grow the packet */
	XLB_R_DROP_TTL,		/* TTL / hop limit would reach zero */
	XLB_R_TX_FORWARD,	/* forwarded to a backend */
	XLB_R_TX_ICMP_ERROR,	/* ICMP error sent after its flow's backend */
	XLB_R_TX_ECHO_REPLY,	/* echo request to a VIP answered */
	XLB_R_PASS_ICMP,	/* other ICMP to a VIP address */
	XLB_R_DROP_EXT_HEADERS,	/* to a VIP address, more IPv6 extension headers than walked */
	XLB_R_VERDICT_MAX,
	/* Event counters; not verdicts, a packet may move several. */
	XLB_R_LRU_HIT = XLB_R_VERDICT_MAX,
	XLB_R_LRU_MISS,
	XLB_R_LRU_STALE,	/* hit on a down/removed backend or expired UDP */
	XLB_R_LRU_UPDATE_FAIL,
	XLB_R_MOVED_HIT,	/* UDP: found in the moved-flow table after an LRU miss */
	XLB_R_TABLE_HIT,	/* TCP, a slot without XLB_SLOT_LOOK: by the table, no flow state */
	XLB_R_SYN_REPEAT,	/* TCP SYN of a 5-tuple seen lately (recent_syns): not a new flow */
	XLB_R_MAX,
	/* The counters map's size: room for reasons to come, so it keeps its shape. */
	XLB_R_SLOTS = 32,
};

struct xlb_counter {
	__u64 packets;
	__u64 bytes;
};

struct xlb_backend_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};

struct xlb_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 no_backend;	/* packets dropped: no usable backend */
};

/*
 * What a trace-mode instance of the program decided for one packet
 * (xlbctl trace). Trace mode writes no flow entries and no counters.
 */
enum xlb_trace_lru {
	XLB_TRACE_LRU_NONE = 0,	/* not looked up (not a VIP flow) */
	XLB_TRACE_LRU_HIT,
	XLB_TRACE_LRU_MISS,
	XLB_TRACE_LRU_STALE,	/* entry found, backend no longer takes it */
	XLB_TRACE_LRU_MOVED,	/* not in the LRU, held in the moved-flow table */
	XLB_TRACE_LRU_TABLE,	/* not looked up: a TCP flow on a slot without XLB_SLOT_LOOK */
	XLB_TRACE_LRU_OLD,	/* not in the LRU: a TCP packet not a SYN stays on the old table's choice */
};

struct xlb_trace {
	__u32 reason;		/* enum xlb_reason of the verdict */
	__u32 vip_id;
	__u32 backend_id;
	__u32 lru;		/* enum xlb_trace_lru */
	__u32 hash;		/* flow hash, when the table was used */
	__u32 slot;		/* table slot (0-based), when the table was used */
	__u32 table_size;
	__u32 vip_found;
};

/* Decap program counters. */
enum xlb_decap_reason {
	XLB_DR_PASS = 0,	/* not a tunnel packet */
	XLB_DR_DECAP,		/* outer header stripped */
	XLB_DR_MALFORMED,	/* tunnel packet with a bad inner header */
	XLB_DR_MAX,
};

#endif /* XLB_SHARED_H */
