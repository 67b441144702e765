/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dry run behind `xlbctl diff`: for each VIP, the share of new flows
 * each backend has now (the live table) and would have after (the table
 * its plan would build), and the fraction of new flows that would land
 * on another backend. Pure computation: xlbctl runs it, not xlbd.
 */
#ifndef XLB_DIFF_H
#define XLB_DIFF_H

#include <jansson.h>
#include "config.h"
#include "plan.h"

/* For each slot of a table, the backend's address. */
struct xlb_addr_table {
	union xlb_addr *slot;
	__u32 m;
};

/* The table vip would get under plan. */
int xlb_addr_table_build(const struct xlb_cfg_vip *vip, const struct xlb_vip_plan *plan,
			 struct xlb_addr_table *t);
/*
 * A table on the wire: {"size": M, "backends": [addresses], "slots": hex},
 * the slots as 4 hex digits each, an index into backends (ffff: none).
 */
json_t *xlb_addr_table_to_json(const __u32 *ids, __u32 m, const union xlb_addr *addr_of_id,
			       __u32 max_ids);
int xlb_addr_table_from_json(json_t *j, struct xlb_addr_table *t);
void xlb_addr_table_free(struct xlb_addr_table *t);

/*
 * One VIP: now or after may be NULL (a VIP added or removed). Rows are the
 * backends of both lists, once each.
 */
json_t *xlb_vip_diff(const char *name, const union xlb_addr *now_be, size_t nr_now,
		     const struct xlb_addr_table *now, const union xlb_addr *after_be,
		     size_t nr_after, const struct xlb_addr_table *after);

#endif /* XLB_DIFF_H */
