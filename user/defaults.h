/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where xlbd and xlbctl look when told nothing: one place for each path and
 * port. Map sizes live in xlb_shared.h (the data path sees them), probe
 * defaults in health.h, skew and diagnosis defaults beside their detectors
 * (xlb_skew_cfg_default, xlb_diag_cfg_default).
 */
#ifndef XLB_DEFAULTS_H
#define XLB_DEFAULTS_H

#define XLB_DEFAULT_CONFIG		"/etc/xlb/xlb.yaml"
#define XLB_DEFAULT_STATE		"/var/lib/xlb/state.json"
#define XLB_DEFAULT_JOURNAL		"/var/lib/xlb/journal.jsonl"
#define XLB_DEFAULT_JOURNAL_MAX_MB	64
#define XLB_DEFAULT_PIN			"/sys/fs/bpf/xlb"
#define XLB_DEFAULT_SOCKET		"/run/xlb/xlb.sock"
#define XLB_DEFAULT_METRICS_ADDR	"127.0.0.1"
#define XLB_DEFAULT_METRICS_PORT	9742

#endif /* XLB_DEFAULTS_H */
