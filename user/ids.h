/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a config's VIPs and backends sit in the data path: the slots that
 * reconcile hands out and keeps across changes, so that flows stay put.
 * Runtime state, kept beside a config in its order, never in it: the
 * config stays what the file said.
 */
#ifndef XLB_IDS_H
#define XLB_IDS_H

#include <stddef.h>
#include <linux/types.h>

struct xlb_cfg;

struct xlb_vip_ids {
	__u32 vip;		/* its Maglev table and counters */
	__u32 *backends;	/* in the VIP's backend order */
	size_t nr_backends;
};

struct xlb_ids {
	struct xlb_vip_ids *vips;	/* in the config's VIP order */
	size_t nr_vips;
};

/* Shaped like cfg, every id XLB_NO_BACKEND (none yet); NULL: no memory. */
struct xlb_ids *xlb_ids_new(const struct xlb_cfg *cfg);
void xlb_ids_free(struct xlb_ids *ids);

#endif /* XLB_IDS_H */
