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

/*
 * A consistent VIP's TCP packets skip the LRU but for one in this many,
 * which keeps live flows' entries referenced (xlb.bpf.c: consistent_backend).
 */
#define XLB_LRU_SAMPLE_BITS	4
#define XLB_LRU_SAMPLE		(1u << XLB_LRU_SAMPLE_BITS)

/* Defaults; every map size is set at load time, these only fill gaps. */
#define XLB_DEFAULT_MAX_VIPS		64
/* Interfaces one xlbd attaches to, all sharing its maps (userspace only). */
#define XLB_MAX_IFACES			8
#define XLB_DEFAULT_MAX_BACKENDS	4096
#define XLB_DEFAULT_LRU_ENTRIES		(1u << 20)
#define XLB_DEFAULT_MOVED_FLOWS		65536
/* A held TCP flow not seen for this long (and gone from the LRU) is let go. */
#define XLB_MOVED_IDLE_SEC		3600
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
	XLB_VIP_F_MOVED		= 1u << 4, /* some of its flows are held in the moved table */
	/*
	 * Every flow of the VIP is on its table's choice or held in the moved
	 * table: xlbd walked the flow table when it last swapped the table in,
	 * and no flow was refused. Its TCP packets may then skip the LRU.
	 */
	XLB_VIP_F_CONSISTENT	= 1u << 5,
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
 * The SYN ring ("syn_ring"): where a consistent VIP's TCP flows are
 * recorded at their SYN, instead of in the LRU. An LRU insert is most of a
 * SYN's cost (a cold bucket, a cold entry, the free lists); a ring entry is
 * the next line of a CPU's own region. The LRU learns the flow at its
 * first packet that takes the LRU path (one in XLB_LRU_SAMPLE). The record
 * is needed only when the VIP's table changes: xlbd then holds the ring's
 * flows that the new table sends elsewhere, before the swap, as it holds
 * the LRU's after it. CPU c's entries are c * R .. c * R + R - 1, R a power
 * of two set by the loader; a CPU overwrites its oldest entry, so the ring
 * forgets flows in the order they came, as a full LRU evicts idle ones.
 */
struct xlb_ring_entry {
	struct xlb_flow flow;
	__u32 backend_id;
	__u32 outer_hash;
	/* 0 while being written, then the CPU's count of records: a reader
	 * keeps an entry only if it reads the same non-zero seq around it. */
	__u64 seq;
};

/*
 * The memo ("memo", one per CPU): the last flow a CPU sent by a
 * consistent VIP's table (or its moved-flow table), and where. A TCP
 * packet of that same flow, the next one on the CPU as a burst's packets
 * are, goes straight to that backend: no VIP lookup, no flow hash, no
 * table. It is taken only while "memo_epoch" still holds the epoch it was
 * made under: xlbd moves the epoch after every write to VIPs, backends or
 * tables, after letting held flows go, after a flush and at each load (a
 * hold keeps the flow's backend, the memo's), and the data path reads the
 * epoch before anything it could cache, so a memo made from state older
 * than a write is never used after it. The backend is read live (its
 * state, its VIP).
 *
 * It also counts the CPU's TCP packets that are not SYNs (tick): the one
 * in XLB_LRU_SAMPLE of them that looks in the LRU is the one whose tick
 * times the golden ratio has its top bits clear, a Weyl sequence that
 * comes out even whatever the pattern of flows (a random number costs a
 * helper call). A memo's own flow is sampled alike, so a flow sent only
 * by its memo keeps its LRU entry referenced.
 */
struct xlb_memo {
	struct xlb_flow flow;
	__u32 vip_id;
	__u32 backend_id;
	__u32 outer_hash;
	__u32 epoch;		/* memo_epoch's when made */
	__u32 tick;		/* the CPU's TCP packets but SYNs, memo or not */
	__u8 vip_flags;		/* enum xlb_vip_flags: all fit in a byte */
	__u8 event;		/* XLB_R_TABLE_HIT or XLB_R_MOVED_HIT: counted at each use */
	__u8 pad[2];
};

/*
 * The moved-flow table ("moved") holds the flows whose backend is no longer
 * the one the VIP's table picks: flows on a draining backend, and flows
 * whose table slot moved to another backend. Only xlbd writes it, when it
 * swaps a table in; the data path reads it after an LRU miss (a consistent
 * VIP's TCP packets: before its table), and only for VIPs flagged
 * XLB_VIP_F_MOVED. So a flood of new flows, which churns the
 * LRU, cannot push these flows out: every other flow's backend is the
 * table's choice, and losing its LRU entry costs nothing. Key struct
 * xlb_flow, value struct xlb_conn.
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
	XLB_R_MOVED_HIT,	/* found in the moved-flow table (after an LRU miss, or first) */
	XLB_R_TABLE_HIT,	/* TCP, consistent VIP: sent by the table, the LRU not looked at */
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
	XLB_TRACE_LRU_TABLE,	/* not looked up: a consistent VIP's TCP flow follows the table */
	XLB_TRACE_LRU_RING,	/* not looked up: a consistent VIP's SYN, recorded in the SYN ring */
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
