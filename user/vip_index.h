/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbd's side of the VIP index (xlb_shared.h): the VIP map's services
 * again, in an array the data path reads without hashing. The VIP map
 * stays the truth; the index only spares the data path its lookup, and a
 * key that finds no room in its window is simply left out of it (the
 * data path then looks in the VIP map). Written through a mapping of the
 * array, each slot under its seq, by one writer: the process that owns
 * the data path.
 */
#ifndef XLB_VIP_INDEX_H
#define XLB_VIP_INDEX_H

#include <linux/types.h>
#include "xlb_shared.h"

struct xlb_vip_index;

/* Slots for max_vips services: a power of two, XLB_VIP_INDEX_PER_VIP a VIP. */
__u32 xlb_vip_index_slots(__u32 max_vips);
/* The data path's mask for an index of this many slots; 0 (no index) when unusable. */
__u32 xlb_vip_index_mask(__u32 slots);

/*
 * The index map fd's mapping; NULL when fd < 0 or it cannot be mapped (the
 * data path trusts the index, so dataplane.c then writes no VIPs).
 */
struct xlb_vip_index *xlb_vip_index_open(int fd);
void xlb_vip_index_close(struct xlb_vip_index *ix);

/* A service put in (or its value changed), or taken out; address entries are not kept. */
void xlb_vip_index_put(struct xlb_vip_index *ix, const struct xlb_vip_key *key,
		       const struct xlb_vip *vip);
void xlb_vip_index_del(struct xlb_vip_index *ix, const struct xlb_vip_key *key);

/* Made true to the VIP map: keys it no longer has go, and every service it has is put. */
int xlb_vip_index_sync(struct xlb_vip_index *ix, int vips_fd);

#endif /* XLB_VIP_INDEX_H */
