/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A TCP VIP's table through its changes: T, the old table O and the LOOK
 * slots (the contract: xlb_shared.h; how it is kept: table_state.c).
 */
#ifndef XLB_TABLE_STATE_H
#define XLB_TABLE_STATE_H

#include <stdbool.h>
#include "dataplane.h"
#include "service.h"

struct xlb_table_change {
	__u32 dirty;		/* slots where O's choice and the new T's differ */
	__u32 newly_dirty;	/* of those, slots that did not differ before */
	__u32 look;		/* slots the data path looks for records on */
};

/*
 * The state to swap in when T (m backend ids, for a VIP of flags) replaces
 * live (NULL: the VIP has no table; live_flags: the VIP's flags as live):
 * O kept, LOOK where O's and T's choices differ or records may be. out is
 * the caller's to free.
 */
int xlb_table_state_next(const struct xlb_table_state *live, __u32 live_flags,
			 const __u32 *t, __u32 m, __u32 flags,
			 struct xlb_table_state *out, struct xlb_table_change *res);
bool xlb_table_state_equal(const struct xlb_table_state *a, const struct xlb_table_state *b);

struct xlb_tidy_result {
	__u32 look_vips;	/* TCP VIPs with LOOK slots (before the tidy) */
	__u32 records;		/* TCP records looked at */
	__u32 forgotten;	/* records let go: idle, backend gone, or not needed */
	__u32 old_dropped;	/* VIPs whose old table was let go */
	__u32 look_cleared;	/* slots no longer LOOK */
	__u32 entries;		/* flow-table entries walked */
	__u32 old_kept_full;	/* old tables kept: the flow table near full */
};

/*
 * For the TCP VIPs of vips (as in force): lets go of each old table whose
 * time is up (xlb_dp_old_since, the data path's TCP idle time) and of TCP
 * records idle that long or of a backend gone, and clears LOOK on slots
 * that no longer need it. Walks the flow table only when a VIP has LOOK
 * slots.
 */
int xlb_table_tidy(struct xlb_dp *dp, const struct xlb_vip_spec *vips, size_t nr,
		   struct xlb_tidy_result *res);

#endif /* XLB_TABLE_STATE_H */
