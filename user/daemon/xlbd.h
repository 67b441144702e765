/* SPDX-License-Identifier: GPL-2.0 */
/* xlbd: the control daemon. Its state, and the pieces its files share. */
#ifndef XLBD_H
#define XLBD_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>
#include <systemd/sd-event.h>

#include "config.h"
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
	bool health_retry;		/* a health change did not reach the maps yet */
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

/*
 * Applies base + overrides. On any error nothing changes and the reasons
 * are in d: a bad config never reaches the data path.
 */
int xlbd_apply(struct xlbd *x, struct xlb_cfg *base, struct xlb_diags *d);
/*
 * Re-reads the config file and applies it (SIGHUP, xlbctl reload) for
 * uid; the caller records it in the history (xlbd_reload_change).
 */
int xlbd_reload(struct xlbd *x, long uid, struct xlb_diags *d);
/*
 * Puts next (consumed) in force as the runtime changes, and the config
 * text (consumed; NULL: the base stays), persisted first; on any failure
 * nothing changed, in memory or on disk.
 */
int xlbd_apply_change(struct xlbd *x, struct xlb_overrides *next, char *text, size_t len,
		      struct xlb_diags *d);

/* The plan in force for a VIP of x->effective. */
const struct xlb_vip_plan *xlbd_plan(const struct xlbd *x, const struct xlb_cfg_vip *vip);
/* Its data-path ids, and one backend's (be one of vip's); XLB_NO_BACKEND: none yet. */
const struct xlb_vip_ids *xlbd_ids(const struct xlbd *x, const struct xlb_cfg_vip *vip);
__u32 xlbd_vip_id(const struct xlbd *x, const struct xlb_cfg_vip *vip);
__u32 xlbd_backend_id(const struct xlbd *x, const struct xlb_cfg_vip *vip,
		      const struct xlb_cfg_backend *be);
/* A VIP's plan from its config and what the prober knows of its backends. */
int health_plan(struct xlbd *x, const struct xlb_cfg_vip *vip, struct xlb_vip_plan *plan);
/* A probe result changed a backend's health: log it, rebuild its VIP. */
void health_changed(void *ctx, struct probe_target *t, enum xlb_health_change change);
/* A VIP's plan from health, to the data path when it succeeds. */
int health_apply_vip(struct xlbd *x, const struct xlb_cfg_vip *vip);
/* Slow start: log and journal ramps that begin or end under next. */
void slow_start_note(struct xlbd *x, const struct xlb_cfg_vip *vip, const struct xlb_vip_plan *next);
/* Every second: ramping backends take their next step. */
void slow_start_tick(struct xlbd *x);
/* After a failed write: every VIP planned and written again. */
void health_retry(struct xlbd *x);

/*
 * Flap damping across a restart (damping.c): <state>.damping read at start
 * (a damaged one kept as .bad: no holds), its holds put back on the probe
 * targets before the first plan, and written (or removed) when they change.
 */
void damping_load(struct xlbd *x);
void damping_restore(struct xlbd *x);
void damping_save(struct xlbd *x);
/* Targets held again by prober_sync from what was kept while they were out
 * of the config: logged and journaled. */
void damping_kept_note(struct xlbd *x);
/* xlbd --discard-runtime-changes: the file goes too. 0 or -errno. */
int damping_discard(const char *state);

/* The changes between two configs, as sentences (JSON array). */
json_t *config_changes(struct xlb_cfg *old, struct xlb_cfg *new);

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
