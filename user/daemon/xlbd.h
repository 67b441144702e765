/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbd: the control daemon's state, what is global to it (systemd-networkd's
 * Manager). Each part declares its own functions in its own header.
 */
#ifndef XLBD_H
#define XLBD_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>
#include <systemd/sd-event.h>

#include "change_queue.h"
#include "config.h"
#include "dirty.h"
#include "dataplane.h"
#include "history.h"
#include "ids.h"
#include "link.h"
#include "monitor.h"
#include "overrides.h"
#include "plan.h"
#include "probe.h"
#include "stall.h"

#define XLB_VERSION		"0.7.0"

/* Parts xlbd holds by pointer: their files include their headers. */
struct control;
struct metrics;
struct announcer;

/* One interface of the config: its watch, and the way back to xlbd. */
struct xlbd_iface {
	struct xlbd *x;
	size_t slot;			/* in base->ifaces, and the data path's link slot */
	struct link_watch *watch;	/* attached, lost, back */
};

struct xlbd {
	const char *config_path, *state_path, *pin_dir, *socket_path;
	const char *journal_path;	/* --journal; else the config's */
	long acting_uid;		/* who the change being applied is for; -1: nobody */
	struct xlb_cfg *base;		/* the config file as last applied */
	char *base_text;		/* its text, as read */
	size_t base_len;
	__u64 base_hash;		/* text_hash of it: which text is in force */
	struct xlb_cfg *effective;	/* base + runtime overrides */
	struct xlb_vip_plan *plans;	/* one per VIP of effective, same order */
	struct xlb_ids *ids;		/* where effective's VIPs and backends sit in the maps */
	struct xlb_overrides ov;
	struct xlb_dp *dp;
	bool adopted;			/* took over pinned state at start */
	int pin_lock;			/* the pin directory, flock'ed: one owner */
	bool pin_made;			/* this start made the pin directory */
	struct dirty dirty;		/* dirty.c: VIPs to plan and write again */
	struct reloader *reload;	/* reload.c: the file read off the loop */
	struct change_queue changes;	/* change_queue.c: runtime changes, together */
	time_t started, applied;
	sd_event *event;
	struct stall_watch stall;
	struct control *ctl;
	struct prober pr;
	struct monitor mon;
	sd_event_source *heartbeat;	/* heartbeat.c: the one-second tick */
	struct xlb_journal journal;	/* events.c: every part records here */
	bool journal_open;
	struct metrics *metrics;
	struct xlbd_iface ifaces[XLB_MAX_IFACES];	/* as base->ifaces */
	size_t nr_watched;		/* watches started: 0 until xlbd runs */
	struct announcer *ann;		/* VIP routes for BIRD; NULL: not announcing */
	struct history hist;		/* the last changes, to undo; guarded ones watched */
	/* damping.c: backends held out as flapping, across a restart */
	struct xlb_flap_saved *damp_saved;	/* read at start, until restored */
	size_t damp_nr;
	bool damp_file;			/* <state>.damping is there, as damp_sig says */
	__u64 damp_sig;
};

/* Is xlb attached to at least one interface (all: every one)? */
static inline bool xlbd_attached_any(const struct xlbd *x)
{
	for (size_t i = 0; i < x->nr_watched; i++)
		if (link_watch_attached(x->ifaces[i].watch))
			return true;
	return false;
}

static inline bool xlbd_attached_all(const struct xlbd *x)
{
	for (size_t i = 0; i < x->nr_watched; i++)
		if (!link_watch_attached(x->ifaces[i].watch))
			return false;
	return x->nr_watched > 0;
}

#endif /* XLBD_H */
