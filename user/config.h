/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xlb config file: parsed with libyaml, checked strictly (every value as
 * a string, unknown keys named with the nearest valid one) and semantically
 * (duplicates, table sizes, weights). Problems are collected, not stopped
 * at: a check reports every one, each with file:line:column.
 */
#ifndef XLB_CONFIG_H
#define XLB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>
#include "xlb_shared.h"
#include "defaults.h"
#include "diags.h"
#include "diagnosis.h"
#include "skew.h"

#define XLB_NAME_MAX		64
#define XLB_MAX_WEIGHT		65535
#define XLB_PATH_MAX		256

/*
 * What a config may cost to read. Past each, the file is refused with an
 * error naming the limit: no check is slower than n log n in what is left.
 */
/*
 * The largest config the maps allow must fit: 1,048,576 backends written
 * '{ address: 2001:db8::1:2, weight: 10, mac: 02:00:00:00:00:01 }' are 7
 * nodes (the mapping, three keys, three values) and 60 bytes each.
 */
#define XLB_CFG_MAX_BYTES	(64u << 20)	/* the file, read whole or refused */
#define XLB_CFG_MAX_DEPTH	32		/* nested lists and mappings */
#define XLB_CFG_MAX_NODES	8000000		/* values, lists and mappings, aliases expanded */
#define XLB_CFG_MAX_ANCHORS	1000		/* &anchors in one file */

enum xlb_admin_state {
	XLB_ADMIN_UP = 0,
	XLB_ADMIN_DRAIN,	/* keeps existing flows, no new ones */
	XLB_ADMIN_DISABLED,	/* out: its flows move */
};

enum xlb_probe_type {
	XLB_PROBE_UNSET = 0,		/* not given: inherit, or the default */
	XLB_PROBE_NONE,			/* no probing: always healthy */
	XLB_PROBE_TCP,
	XLB_PROBE_HTTP,
	XLB_PROBE_HTTPS,
	XLB_PROBE_UDP,
	XLB_PROBE_EXEC,
};

/* Probe settings: per VIP defaults, per backend overrides (issue 4 runs them). */
struct xlb_cfg_probe {
	enum xlb_probe_type type;
	__u32 interval_ms, timeout_ms, rise, fall;
	__u32 latency_interval_ms;	/* light probes timing the backend; 0: none */
	__u32 flap_changes;		/* flap damping (health.h); 0: off ... */
	bool flap_changes_set;		/* ... when given: 0 is a value */
	__u32 flap_window_ms, flap_hold_ms;
	__u16 port;			/* 0: the service port */
	union xlb_addr address;		/* probe here instead of the backend */
	bool has_address;
	char path[XLB_PATH_MAX];	/* HTTP(S) */
	char send[XLB_NAME_MAX];	/* UDP: payload to send */
	char expect[XLB_NAME_MAX];	/* UDP: the reply must start with this */
	char host[XLB_NAME_MAX];	/* HTTP Host / SNI */
	char command[XLB_PATH_MAX];	/* exec */
	__u32 expect_status;		/* HTTP(S): 0 means 200-399 */
	bool set;			/* present in the file */
};


struct xlb_cfg_backend {
	union xlb_addr addr;
	__u32 weight;
	__u8 mac[6];
	bool has_mac;
	enum xlb_admin_state admin;
	/* Its own probe fields over the VIP's, field by field; NULL: none. Owned
	 * by the config (xlb_cfg_dup copies it, xlb_cfg_free frees it): a
	 * pointer, so that 100,000 backends without one cost 5 MB, not 80. */
	struct xlb_cfg_probe *probe;
	struct xlb_pos pos, weight_pos;
	bool invalid;			/* had parse errors: no semantic checks */
};

/* /metrics per backend (all), per VIP only with the backends' sums (aggregate), or neither. */
enum xlb_metrics_backends {
	XLB_METRICS_BACKENDS_ALL = 0,
	XLB_METRICS_BACKENDS_AGGREGATE,
	XLB_METRICS_BACKENDS_NONE,
};

enum xlb_all_down_policy {
	XLB_ALL_DOWN_KEEP = 0,		/* keep the last healthy set in the table */
	XLB_ALL_DOWN_DROP,		/* empty table: drop and count */
};

struct xlb_cfg_vip {
	char name[XLB_NAME_MAX];
	enum xlb_all_down_policy all_down;
	struct xlb_vip_key key;
	bool encap;
	bool hash_source_port;
	bool echo_reply;
	__u32 table_size;
	__u32 slow_start_ms;		/* a returning backend's weight ramps up; 0: off */
	struct xlb_cfg_probe probe;
	struct xlb_cfg_backend *backends;
	size_t nr_backends;
	struct xlb_pos pos, table_pos;
	bool invalid;			/* had parse errors: no semantic checks */
};

/*
 * Route announcements (announce.h): each VIP address as a route in a kernel
 * table of its own, on a device that lives as long as xlbd's process, for
 * BIRD to learn and export. Off unless the config has 'announce:'.
 */
#define XLB_ANNOUNCE_DEVICE	"xlb-vips"
#define XLB_ANNOUNCE_GRACE_MS	30000
struct xlb_cfg_announce {
	bool on;
	__u32 table;			/* 0: not given (an error when on) */
	bool table_given;		/* even if refused: one error, not two */
	char device[IF_NAMESIZE];
	__u32 drain_grace_ms;		/* drain-node: withdrawn, still forwarding */
	struct xlb_pos pos;
};

struct xlb_cfg_iface {
	char name[IF_NAMESIZE];
	char xdp_mode[8];		/* native, generic, auto */
	struct xlb_pos pos;
};

struct xlb_cfg {
	/* 'interface:' (one) or 'interfaces:' (a list); the first pins as before. */
	struct xlb_cfg_iface ifaces[XLB_MAX_IFACES];
	size_t nr_ifaces;
	bool ifaces_given;		/* even if refused: one error, not two */
	bool has_nexthop;
	bool has_src4, has_src6;
	struct xlb_settings dp;		/* next hop, MTU, tunnel sources */
	__u32 max_vips, max_backends, lru_entries, moved_flows, udp_idle_ms, tcp_idle_ms;
	/* Prometheus /metrics: libmicrohttpd on xlbd's loop; port 0: off. */
	union xlb_addr metrics_address;
	__u16 metrics_port;
	enum xlb_metrics_backends metrics_backends;	/* per-backend series or not */
	/* The event journal. */
	char journal_path[XLB_PATH_MAX];
	__u32 journal_max_mb;
	__u32 sample_interval_ms;	/* per-backend samples for reports */
	/* Skew detection, as the detector takes it (window: seconds, one evaluation each). */
	struct xlb_skew_cfg skew;
	char skew_hook[XLB_PATH_MAX];	/* run on raise and clear, of skew and diagnosis */
	struct xlb_diag_cfg diagnosis;	/* "was it the balancer?" (diagnosis.h) */
	struct xlb_cfg_announce announce;
	char admin_group[XLB_NAME_MAX];	/* may change things over the socket */
	char read_group[XLB_NAME_MAX];	/* may read */
	struct xlb_cfg_vip *vips;
	size_t nr_vips;
	/* xlb_cfg_find_vip's index by name (names.h): built on first use,
	 * for the struct at names_owner alone (a copy by value has another
	 * address: it neither uses nor frees it). */
	struct xlb_names *names;
	const struct xlb_cfg *names_owner;
};




/* Parses and checks; returns 0 and a config when there is no error. */
int xlb_cfg_load_file(const char *path, struct xlb_cfg **cfg, struct xlb_diags *d);
/* The file's bytes as they are (NUL-terminated), or an error in d: never a prefix. */
int xlb_cfg_read_file(const char *path, char **text, size_t *len, struct xlb_diags *d);
int xlb_cfg_load_buf(const char *name, const char *buf, size_t len,
		     struct xlb_cfg **cfg, struct xlb_diags *d);
void xlb_cfg_free(struct xlb_cfg *cfg);
/* The semantic checks alone, for a config changed in memory. -EINVAL on errors. */
int xlb_cfg_check(struct xlb_cfg *cfg, struct xlb_pos top, struct xlb_diags *d);


const char *xlb_admin_state_name(enum xlb_admin_state s);
int xlb_admin_state_parse(const char *s, enum xlb_admin_state *out);
/* "web", or "198.18.100.10:80/tcp" for a VIP without a name. */
void xlb_vip_label(const struct xlb_cfg_vip *vip, char *buf, size_t len);
struct xlb_cfg_vip *xlb_cfg_find_vip(struct xlb_cfg *cfg, const char *name);
/*
 * Does a VIP differ between two configs in anything that is in force (not
 * its name or where the file says it)? NULL differs from anything. Used
 * for a reload's scope and for the changes a reload names: a false "yes"
 * only widens them.
 */
bool xlb_cfg_vip_differs(const struct xlb_cfg_vip *a, const struct xlb_cfg_vip *b);
/*
 * The same VIPs in the same order, each with the same backends (addresses,
 * MACs) in the same order and the same probes: they may differ in weights
 * and states alone, as runtime changes of weights and states make them.
 */
bool xlb_cfg_same_shape(const struct xlb_cfg *a, const struct xlb_cfg *b);
/*
 * The checks a config can fail that was (valid, xlb_cfg_same_shape) did
 * not: those of each VIP that differs. -EINVAL on errors.
 */
int xlb_cfg_check_changed(struct xlb_cfg *cfg, const struct xlb_cfg *was, struct xlb_diags *d);
/* Two backends' own probes (NULL: none) say the same. */
bool xlb_cfg_probe_same(const struct xlb_cfg_probe *a, const struct xlb_cfg_probe *b);
struct xlb_cfg_backend *xlb_cfg_find_backend(struct xlb_cfg_vip *vip,
					     const union xlb_addr *addr);
/*
 * The same, looking first at index hint: where a caller that keeps its own
 * list in the VIP's order (the monitor) saw it. O(1) while nothing moved,
 * so that a tick over a VIP of many backends is linear, not quadratic.
 */
struct xlb_cfg_backend *xlb_cfg_backend_near(struct xlb_cfg_vip *vip, size_t hint,
					     const union xlb_addr *addr);
/*
 * The one rule for a weight (0 to XLB_MAX_WEIGHT), for the config, the
 * state file, the control socket and xlbctl: a number as JSON gives it, or
 * a word as typed (0 on success).
 */
static inline bool xlb_weight_ok(long long w)
{
	return w >= 0 && w <= XLB_MAX_WEIGHT;
}
int xlb_weight_parse(const char *s, __u32 *w);
/* A deep copy, for changes that must not touch the original. */
struct xlb_cfg *xlb_cfg_dup(const struct xlb_cfg *cfg);

#endif /* XLB_CONFIG_H */
