/* SPDX-License-Identifier: GPL-2.0 */
/* Applying configs (apply.c): what xlbd's start shares with its reloads. */
#ifndef XLBD_APPLY_H
#define XLBD_APPLY_H

#include <stddef.h>
#include "config.h"
#include "plan.h"

/* Loads and checks a config file, printing its problems to stderr. */
int load_config(const char *path, struct xlb_cfg **cfg);
void plans_free(struct xlb_vip_plan *plans, size_t nr);
/* What the config asks of this host: each interface exists, and its MTU fits. */
int check_system(const struct xlb_cfg *cfg, struct xlb_diags *d);
/* "eth0 (native), eth1 (generic)", for messages. */
void ifaces_str(const struct xlb_cfg *cfg, char *buf, size_t len);

#endif /* XLBD_APPLY_H */
