/* SPDX-License-Identifier: GPL-2.0 */
/* Diagnostics as a JSON list of lines (xlbd's answers, xlbctl -j). */
#ifndef XLB_DIAGS_JSON_H
#define XLB_DIAGS_JSON_H

#include <jansson.h>
#include "config.h"

json_t *xlb_diags_json(const struct xlb_diags *d);

#endif /* XLB_DIAGS_JSON_H */
