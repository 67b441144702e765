/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data path's handle as its own files see it (dataplane.c: loading,
 * pins, links, VIPs, backends, flows, counters; dp_tables.c: the Maglev
 * tables). Nothing outside them includes this.
 */
#ifndef XLB_DATAPLANE_INT_H
#define XLB_DATAPLANE_INT_H

#include <net/if.h>

#include "dataplane.h"

struct xlb;
struct xlb_dp_batch;

/* Map fds by role; from the skeleton when loaded, from pins when opened. */
struct xlb_dp {
	struct xlb *skel;	/* NULL when opened from pins */
	struct xlb *trace;	/* trace instance, loaded on first use */
	__u32 udp_idle_ms, tcp_idle_ms;
	__u64 *old_since;		/* by VIP id: see xlb_dp_old_since; 0 unknown */
	struct xlb_dp_table_info *info;	/* by VIP id: as last written or read */
	/* XDP links, one per interface slot; -1 when not attached here. */
	int link_fd[XLB_MAX_IFACES];
	char link_if[XLB_MAX_IFACES][IF_NAMESIZE];
	int vips_fd, backends_fd, conns_fd, tables_fd, config_fd;
	int reason_stats_fd, vip_stats_fd, backend_stats_fd, moved_fd, vip_filter_fd;
	int vip_index_fd, memo_fd, memo_epoch_fd;
	struct xlb_vip_index *vip_index;	/* its mapping; NULL: none */
	__u32 *memo_epoch;		/* memo_epoch's value, mapped; NULL: none */
	__u32 max_vips, max_backends, hash_seed, moved_capacity;
	struct xlb_dp_moved_stats moved;
	int nr_cpus;
	struct xlb_table_cache *tables;	/* see table_cache.h; NULL: none kept */
	struct xlb_dp_batch *batch;	/* dp_tables.c: swaps queued; NULL: none open */
};

/*
 * After a write to VIPs, backends, tables or held flows: no memo made
 * before it is used after it (xlb_shared.h).
 */
void dp_memo_forget(struct xlb_dp *dp);
/* bpf_map_update_elem, its failure logged with the map's name; -errno. */
int dp_map_update(int fd, const char *map, const void *key, const void *val);
/*
 * The one way to write what a memo rests on (VIPs, backends, tables, held
 * flows let go): the write, then the memo's epoch moved, whatever the
 * write's outcome, so that no caller can forget it. A delete of a key not
 * there is no error. (A batch of table swaps moves it once, after.)
 */
int dp_state_update(struct xlb_dp *dp, int fd, const char *map, const void *key,
		    const void *val);
int dp_state_delete(struct xlb_dp *dp, int fd, const void *key);
__u32 dp_map_capacity(int fd);
/* A map's kernel id; 0 (never an id) when it cannot be read. */
__u32 dp_map_id(int fd);
/* What a table state written or read says, kept for /metrics and status. */
void dp_info_of(const struct xlb_table_state *ts, struct xlb_dp_table_info *in);
void dp_note_info(struct xlb_dp *dp, __u32 vip_id, const struct xlb_table_state *ts);
/* dp_tables.c: a VIP entry written after the batch's swaps; 0 or -errno. */
int dp_batch_queue_vip(struct xlb_dp *dp, const struct xlb_vip_key *key,
		       const struct xlb_vip *vip);
/* Whatever a batch left queued is dropped, its maps closed (xlb_dp_destroy). */
void dp_batch_free(struct xlb_dp *dp);

#endif /* XLB_DATAPLANE_INT_H */
