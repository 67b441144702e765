/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface xlb runs on, watched over rtnetlink (libmnl). Deleting an
 * interface takes its XDP program with it, silently; here it is noticed
 * at once. Every link message, and every monitor tick, runs one decision:
 * is an interface of the configured name there, and is it the one xlb is
 * attached to? The owner is told when it went and when it came back.
 */
#ifndef XLBD_LINK_H
#define XLBD_LINK_H

#include <stdbool.h>
#include <net/if.h>
#include <time.h>
#include <systemd/sd-event.h>

struct link_watch;

/* gone: the interface xlb was attached to is no more. */
typedef void (*link_gone_fn)(void *ctx);
/* back: an interface of the name is there and xlb is not on it; 0 once attached. */
typedef int (*link_back_fn)(void *ctx, unsigned int ifindex);

int link_watch_start(struct link_watch **out, sd_event *e, const char *ifname,
		     link_gone_fn gone, link_back_fn back, void *ctx);
void link_watch_stop(struct link_watch *lw);
/* Looks again, without waiting for a message (a tick, a full socket buffer). */
void link_watch_check(struct link_watch *lw);
bool link_watch_attached(const struct link_watch *lw);
time_t link_watch_lost_at(const struct link_watch *lw);

#endif /* XLBD_LINK_H */
