// SPDX-License-Identifier: GPL-2.0
/*
 * The semantic checks of a parsed config: duplicates (found by sorting),
 * table sizes, weights that look like typos, modes and families, maps big
 * enough. Each problem once, against the first of its kind.
 */
#define _GNU_SOURCE	/* qsort_r */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <netinet/in.h>

#include "config.h"
#include "addr.h"
#include "maglev.h"
#include "health.h"
#include "probe_cfg.h"
#include "stats.h"

/* ---- semantic checks -------------------------------------------------- */

void xlb_vip_label(const struct xlb_cfg_vip *vip, char *buf, size_t len)
{
	char a[XLB_ADDR_STRLEN];

	if (vip->name[0])
		snprintf(buf, len, "%s", vip->name);
	else
		snprintf(buf, len, xlb_addr_is_v4(&vip->key.addr) ? "%s:%u/%s" : "[%s]:%u/%s",
			 xlb_addr_str(&vip->key.addr, a, sizeof(a)), ntohs(vip->key.port),
			 vip->key.proto == IPPROTO_UDP ? "udp" : "tcp");
}

/* Valid but likely a mistake: one weight far from its peers, one backend with most traffic. */
static void check_weights(struct xlb_diags *d, const struct xlb_cfg_vip *vip, const char *label)
{
	__u32 *w = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*w)), median, total = 0;
	char a[XLB_ADDR_STRLEN];
	size_t i, n = 0;

	if (!w)
		return;
	for (i = 0; i < vip->nr_backends; i++) {
		if (vip->backends[i].admin == XLB_ADMIN_UP && vip->backends[i].weight) {
			w[n++] = vip->backends[i].weight;
			total += vip->backends[i].weight;
		}
	}
	if (!n) {
		xlb_diag_add(d, XLB_SEV_ERROR, vip->pos,
			     "VIP '%s' has no backend that takes traffic: every weight is 0 or every backend is drained or disabled",
			     label);
		goto out;
	}
	median = xlb_median_u32(w, n);
	/* Two backends have no median to stand out from: compare them. */
	if (n == 2 && (w[0] > 10ull * w[1] || w[1] > 10ull * w[0])) {
		__u32 big = w[0] > w[1] ? w[0] : w[1], small = w[0] > w[1] ? w[1] : w[0];

		for (i = 0; i < vip->nr_backends; i++) {
			const struct xlb_cfg_backend *be = &vip->backends[i];

			if (be->admin == XLB_ADMIN_UP && be->weight == big) {
				xlb_diag_add(d, XLB_SEV_WARNING, be->weight_pos,
					     "weight %u of backend %s is %.1fx the weight %u of the other backend of VIP '%s'; a typo?",
					     big, xlb_addr_str(&be->addr, a, sizeof(a)),
					     (double)big / small, small, label);
				break;
			}
		}
	}
	for (i = 0; i < vip->nr_backends && n >= 3; i++) {
		const struct xlb_cfg_backend *be = &vip->backends[i];

		if (be->admin != XLB_ADMIN_UP || !be->weight ||
		    (be->weight <= 10ull * median && 2ull * be->weight <= total))
			continue;
		xlb_addr_str(&be->addr, a, sizeof(a));
		if (be->weight > 10ull * median)
			xlb_diag_add(d, XLB_SEV_WARNING, be->weight_pos,
				     "weight %u of backend %s is %.1fx the median weight %u of VIP '%s'; a typo?",
				     be->weight, a, (double)be->weight / median, median, label);
		else if (2ull * be->weight > total)
			xlb_diag_add(d, XLB_SEV_WARNING, be->weight_pos,
				     "backend %s would take %.0f%% of VIP '%s' (weight %u of %u) though it has %zu backends",
				     a, 100.0 * be->weight / total, label, be->weight, total, n);
	}
out:
	free(w);
}

/*
 * Duplicates are found by sorting, never by comparing all pairs: each one
 * is reported once, against the first of its kind, in n log n.
 */
struct dup_item {
	const void *key;	/* what must be unique */
	size_t idx;		/* where it stands: earlier sorts first */
};

/* The key's length comes with the sort: configs are checked on two threads (reload.c). */
static int dup_by_bytes(const void *a, const void *b, void *len)
{
	const struct dup_item *x = a, *y = b;
	int c = memcmp(x->key, y->key, *(size_t *)len);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int dup_by_string(const void *a, const void *b, void *len)
{
	const struct dup_item *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	(void)len;

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/*
 * Sorts n items by key; report(first, dup) is called for each item equal
 * to an earlier one, with the index of the first of them.
 */
static void find_duplicates(struct dup_item *items, size_t n, size_t key_len,
			    void (*report)(void *ctx, size_t first, size_t dup), void *ctx)
{
	size_t i, first = 0;

	qsort_r(items, n, sizeof(*items), key_len ? dup_by_bytes : dup_by_string, &key_len);
	for (i = 1; i < n; i++) {
		bool same = key_len ? !memcmp(items[i].key, items[first].key, key_len) :
				      !strcmp(items[i].key, items[first].key);

		if (same)
			report(ctx, items[first].idx, items[i].idx);
		else
			first = i;
	}
}

struct dup_ctx {
	struct xlb_diags *d;
	const struct xlb_cfg *cfg;
	const struct xlb_cfg_vip *vip;
	const char *label;
	bool *reported;
};

static void dup_backend(void *ctx, size_t first, size_t dup)
{
	struct dup_ctx *c = ctx;
	char a[XLB_ADDR_STRLEN];

	xlb_diag_add(c->d, XLB_SEV_ERROR, c->vip->backends[dup].pos,
		     "duplicate backend %s in VIP '%s' (also at line %d)",
		     xlb_addr_str(&c->vip->backends[dup].addr, a, sizeof(a)), c->label,
		     c->vip->backends[first].pos.line);
}

static void check_duplicate_backends(struct xlb_diags *d, const struct xlb_cfg_vip *vip,
				     const char *label)
{
	struct dup_item *items = calloc(vip->nr_backends + 1, sizeof(*items));
	struct dup_ctx c = { .d = d, .vip = vip, .label = label };
	size_t i, n = 0;

	if (!items)
		return;
	for (i = 0; i < vip->nr_backends; i++)
		if (!vip->backends[i].invalid)
			items[n++] = (struct dup_item){ &vip->backends[i].addr, i };
	find_duplicates(items, n, sizeof(union xlb_addr), dup_backend, &c);
	free(items);
}

static void dup_vip_key(void *ctx, size_t first, size_t dup)
{
	struct dup_ctx *c = ctx;
	char label[96];

	xlb_vip_label(&c->cfg->vips[dup], label, sizeof(label));
	xlb_diag_add(c->d, XLB_SEV_ERROR, c->cfg->vips[dup].pos,
		     "duplicate VIP '%s': same address, port and protocol as the VIP at line %d",
		     label, c->cfg->vips[first].pos.line);
	c->reported[dup] = true;
}

static void dup_vip_name(void *ctx, size_t first, size_t dup)
{
	struct dup_ctx *c = ctx;

	if (!c->reported[dup])
		xlb_diag_add(c->d, XLB_SEV_ERROR, c->cfg->vips[dup].pos,
			     "duplicate VIP name '%s' (also at line %d)", c->cfg->vips[dup].name,
			     c->cfg->vips[first].pos.line);
}

static void check_duplicate_vips(struct xlb_diags *d, const struct xlb_cfg *cfg)
{
	struct dup_item *items = calloc(cfg->nr_vips + 1, sizeof(*items));
	bool *reported = calloc(cfg->nr_vips + 1, sizeof(*reported));
	struct dup_ctx c = { .d = d, .cfg = cfg, .reported = reported };
	size_t i, n = 0;

	if (!items || !reported)
		goto out;
	for (i = 0; i < cfg->nr_vips; i++)
		if (!cfg->vips[i].invalid)
			items[n++] = (struct dup_item){ &cfg->vips[i].key, i };
	find_duplicates(items, n, sizeof(struct xlb_vip_key), dup_vip_key, &c);
	for (i = n = 0; i < cfg->nr_vips; i++)
		if (!cfg->vips[i].invalid && cfg->vips[i].name[0])
			items[n++] = (struct dup_item){ cfg->vips[i].name, i };
	find_duplicates(items, n, 0, dup_vip_name, &c);
out:
	free(items);
	free(reported);
}

/*
 * Flap damping that can never hold a backend out: its window is no longer
 * than the least time in which its probe lets flap_changes + 1 health
 * changes happen (probe_cfg.h). Valid, but the damping is not there.
 */
static void check_flap_window(struct xlb_diags *d, const struct xlb_cfg_vip *vip,
			      const char *label)
{
	char who[XLB_ADDR_STRLEN + 112], said[XLB_ADDR_STRLEN + 112] = "";
	struct xlb_cfg_probe p, shared;
	bool have_shared = false;
	size_t i;

	for (i = 0; i < vip->nr_backends; i++) {
		const struct xlb_cfg_backend *be = &vip->backends[i];
		char a[XLB_ADDR_STRLEN];

		if (be->invalid)
			continue;
		/* A backend without a probe of its own has the VIP's: resolved once. */
		if (be->probe) {
			probe_resolve(vip, be, &p);
		} else {
			if (!have_shared)
				probe_resolve(vip, be, &shared);
			have_shared = true;
			p = shared;
		}
		if (p.type == XLB_PROBE_NONE || !p.flap_changes ||
		    p.flap_window_ms > xlb_flap_fastest_ms(&p))
			continue;
		/* Once for the VIP's own probe; once for each backend's own. */
		if (be->probe)
			snprintf(who, sizeof(who), "backend %s of VIP '%s'",
				 xlb_addr_str(&be->addr, a, sizeof(a)), label);
		else
			snprintf(who, sizeof(who), "a backend of VIP '%s'", label);
		if (!strcmp(who, said))
			continue;
		snprintf(said, sizeof(said), "%s", who);
		xlb_diag_add(d, XLB_SEV_WARNING, be->probe ? be->pos : vip->pos,
			     "flap damping can never hold %s out: %u health changes (more than flap_changes %u) take at least %gs with interval %gs, rise %u, fall %u and timeout %gs, and flap_window is %gs; make flap_window longer than %gs (%u probe intervals)",
			     who, p.flap_changes + 1, p.flap_changes, xlb_flap_fastest_ms(&p) / 1000.0,
			     p.interval_ms / 1000.0, p.rise, p.fall, p.timeout_ms / 1000.0,
			     p.flap_window_ms / 1000.0,
			     (double)xlb_flap_fastest_probes(&p) * p.interval_ms / 1000.0,
			     xlb_flap_fastest_probes(&p));
	}
}

static void check_vip(struct xlb_diags *d, const struct xlb_cfg *cfg, size_t idx)
{
	const struct xlb_cfg_vip *vip = &cfg->vips[idx];
	char label[96], a[XLB_ADDR_STRLEN];
	const char *why;
	size_t i;

	xlb_vip_label(vip, label, sizeof(label));
	if (vip->invalid)
		return;
	check_duplicate_backends(d, vip, label);
	for (i = 0; i < vip->nr_backends; i++) {
		const struct xlb_cfg_backend *be = &vip->backends[i];

		if (be->invalid)
			continue;
		/* Formatted only for a message: 100,000 of them cost a change 10 ms. */
		if ((!vip->encap && !be->has_mac) ||
		    (vip->encap && !(xlb_addr_is_v4(&be->addr) ? cfg->has_src4 : cfg->has_src6)))
			xlb_addr_str(&be->addr, a, sizeof(a));
		if (!vip->encap && !be->has_mac)
			xlb_diag_add(d, XLB_SEV_ERROR, be->pos,
				     "backend %s of L2 DSR VIP '%s' has no mac: DSR sends to the backend's MAC",
				     a, label);
		if (vip->encap && xlb_addr_is_v4(&be->addr) && !cfg->has_src4)
			xlb_diag_add(d, XLB_SEV_ERROR, be->pos,
				     "IPv4 backend %s needs tunnel_source ipv4 for encapsulation", a);
		if (vip->encap && !xlb_addr_is_v4(&be->addr) && !cfg->has_src6)
			xlb_diag_add(d, XLB_SEV_ERROR, be->pos,
				     "IPv6 backend %s needs tunnel_source ipv6 for encapsulation", a);
	}
	if (vip->encap && !cfg->has_nexthop)
		xlb_diag_add(d, XLB_SEV_ERROR, vip->pos,
			     "VIP '%s' encapsulates but nexthop_mac is not set", label);
	if (maglev_check_size(vip->table_size, vip->nr_backends, &why))
		xlb_diag_add(d, XLB_SEV_ERROR, vip->table_pos,
			     "invalid table_size %u of VIP '%s': %s (it has %zu backend%s)",
			     vip->table_size, label, why, vip->nr_backends,
			     vip->nr_backends == 1 ? "" : "s");
	if (vip->nr_backends)
		check_weights(d, vip, label);
	check_flap_window(d, vip, label);
}

struct mode_item {
	union xlb_addr addr;
	size_t v, b;
};

static int mode_cmp(const void *a, const void *b)
{
	const struct mode_item *x = a, *y = b;
	int c = xlb_addr_cmp(&x->addr, &y->addr);

	if (c)
		return c;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return (x->b > y->b) - (x->b < y->b);
}

/*
 * The same backend address under two VIPs that forward differently: each
 * backend is reported once, against the first VIP that reaches it the
 * other way. Sorted, not compared in pairs.
 */
static void check_backend_modes(struct xlb_diags *d, const struct xlb_cfg *cfg)
{
	char a[XLB_ADDR_STRLEN], l1[96], l2[96];
	struct mode_item *items;
	size_t v, b, n = 0, i, start, j;

	for (v = 0; v < cfg->nr_vips; v++)
		n += cfg->vips[v].invalid ? 0 : cfg->vips[v].nr_backends;
	items = calloc(n + 1, sizeof(*items));
	if (!items)
		return;
	n = 0;
	for (v = 0; v < cfg->nr_vips; v++)
		for (b = 0; !cfg->vips[v].invalid && b < cfg->vips[v].nr_backends; b++)
			items[n++] = (struct mode_item){ cfg->vips[v].backends[b].addr, v, b };
	qsort(items, n, sizeof(*items), mode_cmp);
	for (start = 0; start < n; start = i) {
		size_t first[2] = { n, n };	/* per mode (dsr, encap): its first place */

		for (i = start + 1; i < n && !xlb_addr_cmp(&items[i].addr, &items[start].addr); i++)
			;
		for (j = start; j < i; j++) {
			const struct xlb_cfg_vip *vy = &cfg->vips[items[j].v];
			size_t k = first[!vy->encap];

			if (first[vy->encap] == n)
				first[vy->encap] = j;
			if (k == n)
				continue;
			xlb_vip_label(&cfg->vips[items[k].v], l1, sizeof(l1));
			xlb_vip_label(vy, l2, sizeof(l2));
			xlb_diag_add(d, XLB_SEV_ERROR, vy->backends[items[j].b].pos,
				     "backend %s is in VIP '%s' (%s) and VIP '%s' (%s): a backend must be reached one way",
				     xlb_addr_str(&items[j].addr, a, sizeof(a)), l1,
				     cfg->vips[items[k].v].encap ? "encap" : "dsr", l2,
				     vy->encap ? "encap" : "dsr");
		}
	}
	free(items);
}

/* Each named, once: a second link on one interface would fail to attach. */
static void check_ifaces(struct xlb_diags *d, const struct xlb_cfg *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->nr_ifaces; i++) {
		const struct xlb_cfg_iface *a = &cfg->ifaces[i];

		if (!a->name[0]) {
			xlb_diag_add(d, XLB_SEV_ERROR, a->pos, "interface without a name: add 'name: eth0'");
			continue;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(a->name, cfg->ifaces[j].name))
				xlb_diag_add(d, XLB_SEV_ERROR, a->pos,
					     "interface '%s' is listed twice (first at line %d)",
					     a->name, cfg->ifaces[j].pos.line);
	}
}

int xlb_cfg_check_changed(struct xlb_cfg *cfg, const struct xlb_cfg *was, struct xlb_diags *d)
{
	size_t i, errors = d->errors;

	/* Same shape: what spans VIPs (duplicates, modes, map sizes) is as it was. */
	for (i = 0; i < cfg->nr_vips; i++)
		if (xlb_cfg_vip_differs(&was->vips[i], &cfg->vips[i]))
			check_vip(d, cfg, i);
	return d->errors > errors ? -EINVAL : 0;
}

int xlb_cfg_check(struct xlb_cfg *cfg, struct xlb_pos top, struct xlb_diags *d)
{
	size_t i, backends = 0, errors = d->errors;

	if (!cfg->nr_ifaces && !cfg->ifaces_given)
		xlb_diag_add(d, XLB_SEV_ERROR, top,
			     "no interface: add 'interface: { name: eth0, mode: native }'");
	check_ifaces(d, cfg);
	if (cfg->announce.on && !cfg->announce.table_given)
		xlb_diag_add(d, XLB_SEV_ERROR, cfg->announce.pos,
			     "announce has no table: add 'table: 200' (a kernel routing table of its own, that BIRD's kernel protocol learns from)");
	for (i = 0; cfg->announce.on && i < cfg->nr_ifaces; i++)
		if (!strcmp(cfg->announce.device, cfg->ifaces[i].name))
			xlb_diag_add(d, XLB_SEV_ERROR, cfg->announce.pos,
				     "announce device '%s' is an interface xlb serves: name a device of its own (the default is '%s')",
				     cfg->announce.device, XLB_ANNOUNCE_DEVICE);
	check_duplicate_vips(d, cfg);
	for (i = 0; i < cfg->nr_vips; i++) {
		check_vip(d, cfg, i);
		backends += cfg->vips[i].nr_backends;
	}
	/* Every VIP has a name from here on: the CLI refers to VIPs by it. */
	for (i = 0; i < cfg->nr_vips; i++)
		if (!cfg->vips[i].name[0])
			xlb_vip_label(&cfg->vips[i], cfg->vips[i].name, sizeof(cfg->vips[i].name));
	check_backend_modes(d, cfg);
	if (cfg->nr_vips > cfg->max_vips)
		xlb_diag_add(d, XLB_SEV_ERROR, top,
			     "%zu VIPs do not fit maps vips %u", cfg->nr_vips, cfg->max_vips);
	if (backends > cfg->max_backends)
		xlb_diag_add(d, XLB_SEV_ERROR, top,
			     "%zu backends do not fit maps backends %u", backends, cfg->max_backends);
	return d->errors > errors ? -EINVAL : 0;
}
