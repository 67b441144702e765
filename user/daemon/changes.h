/* SPDX-License-Identifier: GPL-2.0 */
#ifndef XLBD_CHANGES_H
#define XLBD_CHANGES_H

#include <jansson.h>
#include "config.h"

/* The changes between two configs, as sentences (JSON array). */
json_t *config_changes(struct xlb_cfg *old, struct xlb_cfg *new);

#endif /* XLBD_CHANGES_H */
