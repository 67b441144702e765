/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VIP routes for BIRD to export (config 'announce:').
 *
 * Each VIP address that this node can serve is a /32 or /128 route in a
 * kernel table of its own (announce.table), on a point-to-point device that
 * xlbd's process holds open (announce.device, a TUN device without an
 * owner on disk). BIRD's kernel protocol learns the table and its BGP
 * protocol exports what it learnt. No 'ip rule' reads the table, so the
 * routes steer nothing on this host.
 *
 * An address is announced while all of these hold, decided here alone:
 * - some VIP on it has a backend taking new flows (its table is not empty;
 *   under all_down: keep the kept set counts, under drop it does not);
 * - the data path is attached to the interface;
 * - the node is not drained (xlbctl drain-node);
 * - xlbd runs: the device goes with xlbd's process, on a stop as on a
 *   crash or kill -9, and the kernel takes its routes with it.
 */
#ifndef XLBD_ANNOUNCE_H
#define XLBD_ANNOUNCE_H

#include <stdbool.h>
#include <time.h>
#include <jansson.h>

#include "config.h"

struct xlbd;

enum node_state {
	NODE_SERVING,		/* announcing what it can serve */
	NODE_DRAINING,		/* withdrawn, forwarding while the routers move away */
	NODE_DRAINED,		/* withdrawn, the grace period over; still forwarding */
};

const char *node_state_name(enum node_state s);

/* Makes the device when the config asks for announcements; 0 when it does not. */
int announce_open(struct xlbd *x);
/* Withdraws everything: the device goes, and its routes with it. */
void announce_close(struct xlbd *x);
/*
 * Brings the routes in line with what the node can serve now; logs and
 * journals each route that comes or goes with its reason. Cheap when
 * nothing changed: called after every apply, health change and tick.
 */
void announce_sync(struct xlbd *x);
/* Is the VIP's address announced now? False when announcing is off. */
bool announce_vip_announced(const struct xlbd *x, const struct xlb_cfg_vip *vip);
bool announce_enabled(const struct xlbd *x);
enum node_state announce_node_state(const struct xlbd *x);

/* xlbctl drain-node / resume-node; grace_ms UINT32_MAX: the config's. */
int announce_drain_node(struct xlbd *x, __u32 grace_ms, char *err, size_t err_len);
int announce_resume_node(struct xlbd *x, char *err, size_t err_len);

/* status: node state, device, table, routes announced. */
json_t *announce_json(const struct xlbd *x);

#endif /* XLBD_ANNOUNCE_H */
