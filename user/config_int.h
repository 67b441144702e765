/* SPDX-License-Identifier: GPL-2.0 */
/* Between the parts of the config module: not for its users. */
#ifndef XLB_CONFIG_INT_H
#define XLB_CONFIG_INT_H

#include "config.h"

/* Every default a config starts from, before the file's values. */
void xlb_cfg_defaults(struct xlb_cfg *cfg);

#endif /* XLB_CONFIG_INT_H */
