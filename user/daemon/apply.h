/* SPDX-License-Identifier: GPL-2.0 */
/* Applying configs (apply.c): what xlbd's start shares with its reloads. */
#ifndef XLBD_APPLY_H
#define XLBD_APPLY_H

#include <stddef.h>
#include "config.h"
#include "plan.h"

struct xlbd;

/* Loads and checks x's config file into x->base (its text too), printing its problems. */
int load_config(struct xlbd *x);
void plans_free(struct xlb_vip_plan *plans, size_t nr);
/* The config with the runtime changes laid over it is valid too (errors in d). */
int check_effective(struct xlb_cfg *eff, const struct xlb_cfg *was, struct xlb_diags *d);
/* What the config asks of this host: each interface exists, and its MTU fits. */
int check_system(const struct xlb_cfg *cfg, struct xlb_diags *d);
/* "eth0 (native), eth1 (generic)", for messages. */
void ifaces_str(const struct xlb_cfg *cfg, char *buf, size_t len);

struct xlb_overrides;

/*
 * Applies base + overrides. On any error nothing changes and the reasons
 * are in d: a bad config never reaches the data path.
 */
int xlbd_apply(struct xlbd *x, struct xlb_cfg *base, struct xlb_diags *d);
/*
 * A config file's text and its config (both consumed), read and parsed
 * (err: the parse's; then neither is applied), checked against what runs
 * and the host, applied for uid; a refusal is logged and journaled. The
 * caller records it in the history (reload.c).
 */
int xlbd_reload_parsed(struct xlbd *x, long uid, int err, char *text, size_t len,
		       struct xlb_cfg *cfg, struct xlb_diags *d);
/* The same for a text already parsed and checked as the file's. */
int xlbd_apply_parsed(struct xlbd *x, char *text, size_t len, struct xlb_cfg *cfg,
		      struct xlb_diags *d);
/*
 * Puts next (consumed) in force as the runtime changes, and the config
 * text (consumed; NULL: the base stays), persisted first; on any failure
 * nothing changed, in memory or on disk.
 */
int xlbd_apply_change(struct xlbd *x, struct xlb_overrides *next, char *text, size_t len,
		      struct xlb_diags *d);

#endif /* XLBD_APPLY_H */
