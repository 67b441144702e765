/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP data path as userspace sees it: load with sizes set, attach,
 * pin, and write VIPs, backends, Maglev tables and settings into its maps.
 * Every call returns 0 or a negative errno and logs what failed.
 */
#ifndef XLB_DATAPLANE_H
#define XLB_DATAPLANE_H

#include <stdbool.h>
#include <linux/types.h>
#include "fingerprint.h"
#include "xlb_shared.h"

struct xlb_dp;

struct xlb_dp_opts {
	__u32 max_vips;		/* 0: XLB_DEFAULT_MAX_VIPS */
	__u32 max_backends;
	__u32 lru_entries;
	__u32 moved_flows;	/* moved-flow table; 0: XLB_DEFAULT_MOVED_FLOWS */
	__u32 udp_idle_ms;	/* 0: XLB_DEFAULT_UDP_IDLE_SEC */
	/* A TCP flow idle this long may lose its backend at a change (table_state.c); 0: default */
	__u32 tcp_idle_ms;
	__u32 hash_seed;	/* 0: XLB_HASH_SEED_DEFAULT */
	/*
	 * Reuse the maps pinned here (flows, tables, counters) instead of
	 * creating new ones; their sizes win over the ones above.
	 */
	const char *reuse_dir;
};

int xlb_dp_load(struct xlb_dp **dp, const struct xlb_dp_opts *opts);
/* Opens the maps pinned under dir by xlb_dp_pin (read and write, no program). */
int xlb_dp_open_pinned(struct xlb_dp **dp, const char *dir);
void xlb_dp_destroy(struct xlb_dp *dp);

/* mode: "native", "generic" or "auto". The link stays while dp lives or is pinned. */
int xlb_dp_attach(struct xlb_dp *dp, const char *ifname, const char *mode);
/*
 * The same for one of several interfaces (slot: its place in the config,
 * below XLB_MAX_IFACES); slot 0 is the link xlb_dp_attach makes. Every
 * link runs the one program over the one set of maps.
 */
int xlb_dp_attach_at(struct xlb_dp *dp, size_t slot, const char *ifname, const char *mode);
/*
 * Takes over slot's pinned link: the interface switches to this program in
 * one step (bpf_link_update), with no moment without XDP. -ENOLINK when
 * none is pinned for the slot or it is not on ifname now.
 */
int xlb_dp_adopt_link_at(struct xlb_dp *dp, size_t slot, const char *ifname, const char *dir);
/* Pins slot's link in place of the one pinned (a new attachment). */
int xlb_dp_repin_link_at(struct xlb_dp *dp, size_t slot, const char *dir);
/* Unpins links of interfaces other than keep's; returns how many. */
int xlb_dp_prune_links(const char *dir, const char *const *keep, size_t nr_keep);
int xlb_dp_pin(struct xlb_dp *dp, const char *dir);
/* True when dir holds a pinned link and maps from an earlier run. */
bool xlb_dp_pinned(const char *dir);
/* Detaches and removes everything pinned under dir: forwarding stops. */
int xlb_dp_unpin(const char *dir, bool keep_dir);

/*
 * Another build of xlb.bpf.o loaded on this data path's maps, with its
 * defaults (benchmarks compare builds on one state, in one process).
 * own_flows: but a flow table of its own, made by its own definition, to
 * compare flow-table layouts.
 */
struct bpf_object;
int xlb_dp_load_sibling(struct xlb_dp *dp, const char *path, bool own_flows,
			struct bpf_object **out);
int xlb_dp_prog_fd(const struct xlb_dp *dp);
__u32 xlb_dp_max_vips(const struct xlb_dp *dp);
__u32 xlb_dp_max_backends(const struct xlb_dp *dp);
__u32 xlb_dp_hash_seed(const struct xlb_dp *dp);
__u64 xlb_dp_tcp_idle_ns(const struct xlb_dp *dp);
/* Entries the connection table has room for. */
__u32 xlb_dp_flow_capacity(const struct xlb_dp *dp);
/*
 * When a change last made a slot of the VIP's old table and T differ
 * (CLOCK_MONOTONIC ns; this process's start, or when it first asked, if
 * it has not seen one): the old table goes the TCP idle time after.
 */
__u64 xlb_dp_old_since(struct xlb_dp *dp, __u32 vip_id);
void xlb_dp_set_old_since(struct xlb_dp *dp, __u32 vip_id, __u64 ns);
/* A VIP's table as this process last wrote or read it; false: not known. */
struct xlb_dp_table_info {
	__u32 m;		/* T's slots */
	__u32 look;		/* of which LOOK: their packets look for the flow's record */
	__u32 m_o;		/* the old table's slots; 0: none kept */
	bool known;
};
bool xlb_dp_table_info(const struct xlb_dp *dp, __u32 vip_id, struct xlb_dp_table_info *out);
/* The id of the VIP's live table map; -ENOENT when it has none. */
int xlb_dp_table_id(struct xlb_dp *dp, __u32 vip_id, __u32 *id);

int xlb_dp_set_settings(struct xlb_dp *dp, const struct xlb_settings *cfg);
int xlb_dp_set_vip(struct xlb_dp *dp, const struct xlb_vip_key *key,
		   const struct xlb_vip *vip);
/*
 * The VIP filter and the VIP index (xlb_shared.h) made true to the VIP map
 * again: the filter bits of addresses that left it are set, and the index
 * loses the keys it no longer has and gains any it lacks. xlb_dp_set_vip
 * and xlb_dp_delete_vip keep both themselves; this is for after
 * deletions, and at load.
 */
int xlb_dp_vip_sync(struct xlb_dp *dp);
/* The map's entry for key; -ENOENT when there is none. */
int xlb_dp_get_vip(struct xlb_dp *dp, const struct xlb_vip_key *key, struct xlb_vip *vip);
int xlb_dp_delete_vip(struct xlb_dp *dp, const struct xlb_vip_key *key);
/* Iterates VIP map entries (address entries too); prev NULL starts. 0 or -ENOENT at the end. */
int xlb_dp_next_vip(struct xlb_dp *dp, const struct xlb_vip_key *prev,
		    struct xlb_vip_key *key, struct xlb_vip *vip);
int xlb_dp_set_backend(struct xlb_dp *dp, __u32 id, const struct xlb_backend *be);
int xlb_dp_get_backend(struct xlb_dp *dp, __u32 id, struct xlb_backend *be);
/*
 * A VIP's table as the data path reads it (xlb_shared.h): T's m slots as
 * stored, a backend id (XLB_NO_BACKEND: none) with XLB_SLOT_LOOK where the
 * data path must look for the flow's record, and the old table O (m_o
 * slots, o_flags XLB_OLD_NO_SPORT; o NULL or m_o 0: none). legacy: read
 * from an older build's layout, which has neither LOOK nor O.
 */
struct xlb_table_state {
	__u32 *t;
	__u32 m;
	__u32 *o;
	__u32 m_o;
	__u32 o_flags;
	bool legacy;
};

/* Builds a fresh table map and swaps it in with one update. */
int xlb_dp_set_table_state(struct xlb_dp *dp, __u32 vip_id, const struct xlb_table_state *ts);
/* The live table state (free it with xlb_table_state_free); -ENOENT: none. */
int xlb_dp_get_table_state(struct xlb_dp *dp, __u32 vip_id, struct xlb_table_state *ts);
void xlb_table_state_free(struct xlb_table_state *ts);
/* The same with T alone: m backend ids, no LOOK, no O. */
int xlb_dp_set_table(struct xlb_dp *dp, __u32 vip_id, const __u32 *table, __u32 m);
/*
 * Table swaps between begin and end are queued, and so are the VIP entries
 * written after them; end swaps them all in one update (one RCU grace
 * period instead of one per VIP: 17 ms each here), then writes the VIP
 * entries in the order they came. Every XLB_DP_BATCH_MAX swaps are sent
 * on the way, so that no VIP waits long between its backends' write and
 * its table's. Reads of a queued VIP's table see the live one until end.
 * end returns the first error of any swap or write; 0 without a batch.
 */
#define XLB_DP_BATCH_MAX	256
void xlb_dp_batch_begin(struct xlb_dp *dp);
int xlb_dp_batch_end(struct xlb_dp *dp);
int xlb_dp_clear_table(struct xlb_dp *dp, __u32 vip_id);
/* Reads the live table's T into a new array of *m backend ids (free() it), LOOK dropped. */
int xlb_dp_get_table(struct xlb_dp *dp, __u32 vip_id, __u32 **table, __u32 *m);
/*
 * The slots each backend id holds in a VIP's live table (indexed by id,
 * xlb_dp_max_backends entries; caller frees), and the table size in *m
 * (0 when the VIP has no table). NULL when out of memory.
 */
__u32 *xlb_dp_slot_counts(struct xlb_dp *dp, __u32 vip_id, __u32 *m);
/*
 * The same, a part at a time, so that a table of millions of slots is read
 * over several calls rather than in one long stall: adds the owners of at
 * most max slots from *from on to counts (by id, xlb_dp_max_backends
 * entries) and moves *from on. *m is the table's size and *table_id the id
 * of the map read: another id on a later call means the table was swapped
 * in between and the count must start again. With fp, each slot is also
 * folded into the table's fingerprint as owner[id] (by id, as counts).
 * Returns 1 once the end is reached, 0 before, -errno on failure.
 */
int xlb_dp_count_slots(struct xlb_dp *dp, __u32 vip_id, __u32 *from, __u32 max,
		       __u32 *counts, __u32 *m, __u32 *table_id, const __u64 *owner,
		       struct xlb_fp_table *fp);

/*
 * Runs a packet through a trace instance of the program: same code, same
 * (live) maps, but it writes nothing; what it decided comes back in *tr,
 * the verdict in *verdict and the packet it would send in out.
 */
int xlb_dp_trace(struct xlb_dp *dp, const void *pkt, __u32 len, struct xlb_trace *tr,
		 __u32 *verdict, void *out, __u32 *out_len);

/*
 * The moved-flow table (see xlb_shared.h). hold adds an entry if the flow
 * has none (-E2BIG when the table is full, counted in refused); release
 * removes it. held counts the entries as this process knows them; a full
 * walk sets it exactly with xlb_dp_moved_count.
 */
struct xlb_dp_moved_stats {
	__u32 held;
	__u32 capacity;
	__u64 refused;		/* flows that found the table full */
};

int xlb_dp_hold_flow(struct xlb_dp *dp, const struct xlb_flow *f, const struct xlb_conn *c);
int xlb_dp_refresh_held(struct xlb_dp *dp, const struct xlb_flow *f, const struct xlb_conn *c);
int xlb_dp_release_flow(struct xlb_dp *dp, const struct xlb_flow *f);
/* The moved-flow table's entry for f; -ENOENT when none. */
int xlb_dp_held_flow(struct xlb_dp *dp, const struct xlb_flow *f, struct xlb_conn *c);
/* Writes f's record in the connection table, over any it had. */
int xlb_dp_record_flow(struct xlb_dp *dp, const struct xlb_flow *f, const struct xlb_conn *c);
bool xlb_dp_flow_in_lru(struct xlb_dp *dp, const struct xlb_flow *f);
void xlb_dp_moved_stats(struct xlb_dp *dp, struct xlb_dp_moved_stats *out);
void xlb_dp_moved_count(struct xlb_dp *dp, __u32 held);

/*
 * Calls fn for every entry of the connection table (moved false) or the
 * moved-flow table, in batches; stops at fn's first non-zero return. fn
 * must not delete from the map being walked.
 */
typedef int (*xlb_dp_flow_fn)(const struct xlb_flow *f, const struct xlb_conn *c, void *arg);
int xlb_dp_walk_flows(struct xlb_dp *dp, bool moved, xlb_dp_flow_fn fn, void *arg);
/* Takes a flow's record out of the connection table; -ENOENT when it had none. */
int xlb_dp_forget_flow(struct xlb_dp *dp, const struct xlb_flow *f);
/* Puts a flow in the connection table unless it is there: 0 either way. */
int xlb_dp_learn_flow(struct xlb_dp *dp, const struct xlb_flow *f, const struct xlb_conn *c);
/* Forgets every flow in the connection table (benchmarks, tests, --reset). */
int xlb_dp_flush_flows(struct xlb_dp *dp);
/* The same for any map shaped like it (xdp_bench: another build's own table). */
int xlb_flush_flow_map(int fd);

/* Counters, summed over CPUs. */
int xlb_dp_reason_stats(struct xlb_dp *dp, __u32 reason, struct xlb_counter *out);
int xlb_dp_vip_stats(struct xlb_dp *dp, __u32 vip_id, struct xlb_vip_stats *out);
int xlb_dp_backend_stats(struct xlb_dp *dp, __u32 id, struct xlb_backend_stats *out);
/*
 * Every backend id's counters at once (*n of them, *out the caller's to
 * free): a batch read per 4,096 ids, where one syscall per backend made a
 * pass over 50,000 backends take 100 ms of the loop. 0 or -errno.
 */
int xlb_dp_backend_stats_all(struct xlb_dp *dp, struct xlb_backend_stats **out, __u32 *n);
/* Ids from..to (inclusive, within the map) into by_id[id], a batch read per 1,024. */
int xlb_dp_backend_stats_range(struct xlb_dp *dp, __u32 from, __u32 to,
			       struct xlb_backend_stats *by_id);
const char *xlb_reason_name(__u32 reason);

#endif /* XLB_DATAPLANE_H */
