/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flows whose backend is no longer the table's choice, held where a flood
 * of new flows cannot reach them (the moved-flow table, xlb_shared.h).
 *
 * UDP VIPs only: when a UDP VIP's table changes, every flow of the VIP in
 * the connection table whose backend still takes flows but is not the new
 * table's pick is copied to the moved-flow table; flows held there that the
 * new table sends home again, or whose backend is gone or down, are let
 * go. A periodic sweep lets go of idle flows and keeps
 * each VIP's XLB_VIP_F_MOVED flag (the data path looks in the table only
 * for flagged VIPs) true to what the table holds.
 */
#ifndef XLB_MOVED_H
#define XLB_MOVED_H

#include "service.h"

struct xlb_moved_result {
	__u32 held;		/* flows newly held */
	__u32 released;		/* flows let go */
	__u32 refused;		/* flows the full table could not take */
	__u32 vip_held;		/* flows of this VIP held after the change */
	__u32 walked;		/* entries looked at (connection table, or SYN ring) */
};

/*
 * The VIP's TCP flows an older build held in the moved-flow table become
 * records in the connection table (a TCP VIP keeps its moved flows by its
 * old table and records now, table_state.c).
 */
int xlb_moved_adopt_tcp(struct xlb_dp *dp, const struct xlb_vip_spec *vip);

/*
 * When vip's new table (m slots) has replaced old (old_m slots). The
 * connection table is walked only when the tables differ; old NULL (the
 * VIP had none, or its hash changed) walks it whatever the tables.
 */
int xlb_moved_on_table_change(struct xlb_dp *dp, const struct xlb_vip_spec *vip,
			      const __u32 *old, __u32 old_m, const __u32 *table, __u32 m,
			      struct xlb_moved_result *res);

/*
 * Lets go of flows whose backend no longer takes them, UDP flows idle past
 * udp_idle_ns, and TCP flows idle past XLB_MOVED_IDLE_SEC that the
 * connection table no longer has; sets or clears each VIP's flag. Returns
 * the number of flows let go, or a negative errno.
 */
int xlb_moved_sweep(struct xlb_dp *dp, __u64 udp_idle_ns);

#endif /* XLB_MOVED_H */
