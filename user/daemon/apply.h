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
int check_effective(struct xlb_cfg *eff, struct xlb_diags *d);
/* What the config asks of this host: each interface exists, and its MTU fits. */
int check_system(const struct xlb_cfg *cfg, struct xlb_diags *d);
/* "eth0 (native), eth1 (generic)", for messages. */
void ifaces_str(const struct xlb_cfg *cfg, char *buf, size_t len);

#endif /* XLBD_APPLY_H */
