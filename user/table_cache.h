/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Maglev table maps this process last wrote or read, by VIP id, each
 * under the id of the kernel map that holds it: every value as stored
 * (slot 0 the size, T with its LOOK bits, a TCP VIP's old table after it;
 * xlb_shared.h). Reading a table back from the
 * kernel copies slot by slot (13 ms for 65,537 slots on a busy 2-core VM),
 * and every apply and every status read one. A table map is never written
 * after the swap that puts it in (xlb_dp_set_table makes a new map each
 * time), so a map id names its contents for good: a cached table is used
 * only while the VIP's live map still has the cached id.
 *
 * The monitor's own read of the live table (xlb_dp_count_slots) does not
 * come here: it is the check that the kernel holds what xlbd meant.
 */
#ifndef XLB_TABLE_CACHE_H
#define XLB_TABLE_CACHE_H

#include <linux/types.h>

struct xlb_table_cache;

/* Room for VIP ids below nr_vips; NULL when out of memory. */
struct xlb_table_cache *xlb_table_cache_new(__u32 nr_vips);
void xlb_table_cache_free(struct xlb_table_cache *c);

/* A copy of VIP vip_id's map values (free it) if map map_id's are cached; -ENOENT otherwise. */
int xlb_table_cache_get(const struct xlb_table_cache *c, __u32 vip_id, __u32 map_id,
			__u32 **table, __u32 *m);
/* Keeps a copy of map map_id's m values for VIP vip_id; on failure nothing is kept. */
void xlb_table_cache_put(struct xlb_table_cache *c, __u32 vip_id, __u32 map_id,
			 const __u32 *table, __u32 m);
void xlb_table_cache_drop(struct xlb_table_cache *c, __u32 vip_id);

#endif /* XLB_TABLE_CACHE_H */
