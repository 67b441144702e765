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
#include "xlb_shared.h"

struct xlb_dp;

struct xlb_dp_opts {
	__u32 max_vips;		/* 0: XLB_DEFAULT_MAX_VIPS */
	__u32 max_backends;
	__u32 lru_entries;
	__u32 udp_idle_ms;	/* 0: XLB_DEFAULT_UDP_IDLE_SEC */
	__u32 hash_seed;	/* 0: XLB_HASH_SEED_DEFAULT */
};

int xlb_dp_load(struct xlb_dp **dp, const struct xlb_dp_opts *opts);
/* Opens the maps pinned under dir by xlb_dp_pin (read and write, no program). */
int xlb_dp_open_pinned(struct xlb_dp **dp, const char *dir);
void xlb_dp_destroy(struct xlb_dp *dp);

/* mode: "native", "generic" or "auto". The link stays while dp lives or is pinned. */
int xlb_dp_attach(struct xlb_dp *dp, const char *ifname, const char *mode);
int xlb_dp_pin(struct xlb_dp *dp, const char *dir);

int xlb_dp_prog_fd(const struct xlb_dp *dp);
__u32 xlb_dp_max_vips(const struct xlb_dp *dp);
__u32 xlb_dp_max_backends(const struct xlb_dp *dp);
__u32 xlb_dp_hash_seed(const struct xlb_dp *dp);

int xlb_dp_set_config(struct xlb_dp *dp, const struct xlb_config *cfg);
int xlb_dp_set_vip(struct xlb_dp *dp, const struct xlb_vip_key *key,
		   const struct xlb_vip *vip);
int xlb_dp_set_backend(struct xlb_dp *dp, __u32 id, const struct xlb_backend *be);
int xlb_dp_get_backend(struct xlb_dp *dp, __u32 id, struct xlb_backend *be);
/* Builds a fresh table map of m slots and swaps it in with one update. */
int xlb_dp_set_table(struct xlb_dp *dp, __u32 vip_id, const __u32 *table, __u32 m);
/* Reads the live table; *m gets its size, table must hold max_m entries. */
int xlb_dp_get_table(struct xlb_dp *dp, __u32 vip_id, __u32 *table, __u32 max_m,
		     __u32 *m);

/* Counters, summed over CPUs. */
int xlb_dp_reason_stats(struct xlb_dp *dp, __u32 reason, struct xlb_counter *out);
int xlb_dp_vip_stats(struct xlb_dp *dp, __u32 vip_id, struct xlb_vip_stats *out);
int xlb_dp_backend_stats(struct xlb_dp *dp, __u32 id, struct xlb_backend_stats *out);
const char *xlb_reason_name(__u32 reason);

#endif /* XLB_DATAPLANE_H */
