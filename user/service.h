/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VIP and its backends as one unit: writes the backends, builds the
 * weighted Maglev table from those that take new flows, swaps it in, and
 * only then publishes the VIP, so a VIP is never visible without a table.
 */
#ifndef XLB_SERVICE_H
#define XLB_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include "dataplane.h"

struct xlb_backend_spec {
	union xlb_addr addr;
	__u32 weight;		/* in the table while its state takes new flows */
	__u8 mac[6];		/* L2 DSR only */
	__u8 state;		/* enum xlb_backend_state: UP, DRAINING or DOWN, as planned */
	__u32 id;		/* backend id in the data path */
};

struct xlb_vip_spec {
	struct xlb_vip_key key;
	__u32 id;
	__u32 flags;		/* XLB_VIP_F_ENCAP, XLB_VIP_F_HASH_NO_SPORT */
	__u32 table_size;	/* prime, >= 100 x backends */
	bool echo_reply;	/* answer echo requests to the VIP address */
	struct xlb_backend_spec *backends;
	size_t nr_backends;
};

/* Builds the table the VIP should have (table_size slots). */
int xlb_service_build_table(const struct xlb_vip_spec *vip, __u32 *table);
int xlb_service_apply(struct xlb_dp *dp, const struct xlb_vip_spec *vip);

#endif /* XLB_SERVICE_H */
