/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dirty set: VIPs whose plan may no longer be what the data path has.
 * Whatever may change a VIP's plan after it was applied (a probe result, a
 * slow start's step, a hold put back) marks it; one deferred handler plans
 * and writes every dirty VIP once, its table swaps in one batch, then
 * brings the announced routes in line once (systemd-networkd's
 * manager_dirty_handler is the model). A VIP whose write fails stays dirty
 * and is tried again after a backoff: nothing polls a flag.
 */
#ifndef XLBD_DIRTY_H
#define XLBD_DIRTY_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

struct xlbd;
struct xlb_cfg_vip;

/* Plans vip and writes it when it differs (force: even if not); 0 or -errno. */
typedef int (*dirty_write_fn)(struct xlbd *x, const struct xlb_cfg_vip *vip, bool force);

struct dirty {
	dirty_write_fn write;		/* health_apply_vip: given, not called by name */
	sd_event_source *run;		/* deferred: on while any VIP is dirty */
	sd_event_source *retry;		/* after a failed write, the backoff's timer */
	bool *vip;			/* by index in the config in force */
	bool *force;			/* written even if its plan looks the same */
	size_t nr, count;
	unsigned int backoff_ms;	/* 0: no write failing */
};

int dirty_init(struct xlbd *x, dirty_write_fn write);
void dirty_fini(struct xlbd *x);
/* vip (of the config in force) is to be planned and written again. */
void dirty_mark(struct xlbd *x, const struct xlb_cfg_vip *vip);
/* A config was applied, every VIP planned and written: none is dirty. */
void dirty_reset(struct xlbd *x);
/* How many VIPs wait, and whether writes are failing (status). */
size_t dirty_count(const struct xlbd *x);

#endif /* XLBD_DIRTY_H */
