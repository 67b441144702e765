/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A backend's probe settings as they resolve (defaults, the VIP's, the
 * backend's), and which of them judge its health: the probe itself (type,
 * timing, rise and fall, where and what it asks) as against flap damping's
 * own (flap_changes, flap_window, flap_hold) and latency_interval, which
 * judge nothing. Shared by xlbd, which probes, and the config check.
 */
#ifndef XLB_PROBE_CFG_H
#define XLB_PROBE_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "config.h"

/* Probe waits vary over this share of the interval, centred on it. */
#define XLB_PROBE_JITTER_PERCENT	10

/* The probe settings a backend of a VIP gets (type NONE: not probed). */
void probe_resolve(const struct xlb_cfg_vip *vip, const struct xlb_cfg_backend *be,
		   struct xlb_cfg_probe *out);
const char *probe_type_name(enum xlb_probe_type t);

/*
 * The probe that judges health, as a number: equal for settings that judge
 * alike (flap damping's and latency_interval are left out), whatever the
 * build (it hashes values, not the struct's bytes): kept in the damping file.
 */
__u64 xlb_probe_key(const struct xlb_cfg_probe *p);
bool xlb_probe_judges_same(const struct xlb_cfg_probe *a, const struct xlb_cfg_probe *b);

/*
 * The fewest milliseconds in which a backend probed with p can make
 * flap_changes + 1 health changes (what damping needs to hold it out):
 * changes alternate, down after fall failures and up after rise successes,
 * each probe at least the interval less half its jitter after the one
 * before; the first change's result may come a timeout after its probe
 * started, the last one's at once. A flap_window no longer than this can
 * never hold a backend out.
 */
__u64 xlb_flap_fastest_ms(const struct xlb_cfg_probe *p);
/* The same in whole probe intervals (no jitter, no timeout): the nominal figure. */
__u32 xlb_flap_fastest_probes(const struct xlb_cfg_probe *p);

/* "interval 1s -> 2s, flap_hold 8s -> 10m": what differs between a and b (as written). */
void xlb_probe_changes_words(const struct xlb_cfg_probe *a, const struct xlb_cfg_probe *b,
			     char *buf, size_t len);

#endif /* XLB_PROBE_CFG_H */
