// SPDX-License-Identifier: GPL-2.0
/* What an applied config changed, in words, for the event journal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "changes.h"
#include "xlbd.h"

/* Changes listed one by one in the journal and the log; the rest are counted. */
#define MAX_CHANGES	50

/* A backend without a probe of its own: every field unset. */
static const struct xlb_cfg_probe no_probe;

static void add(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(json_t *list, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_string(buf));
}

static int by_addr(const void *a, const void *b)
{
	return xlb_addr_cmp(&(*(struct xlb_cfg_backend *const *)a)->addr,
			    &(*(struct xlb_cfg_backend *const *)b)->addr);
}

/* The backends of vip sorted by address, for lookups in log n. */
static struct xlb_cfg_backend **sorted(struct xlb_cfg_vip *vip)
{
	struct xlb_cfg_backend **s = calloc(vip->nr_backends + 1, sizeof(*s));
	size_t i;

	for (i = 0; s && i < vip->nr_backends; i++)
		s[i] = &vip->backends[i];
	if (s)
		qsort(s, vip->nr_backends, sizeof(*s), by_addr);
	return s;
}

static struct xlb_cfg_backend *find(struct xlb_cfg_backend **s, size_t n,
				    const struct xlb_cfg_backend *key)
{
	struct xlb_cfg_backend **hit = s ? bsearch(&key, s, n, sizeof(*s), by_addr) : NULL;

	return hit ? *hit : NULL;
}

/* A probe's settings as written (the VIP's, or a backend's own). */
static void probe_changes(json_t *list, const char *vip, const char *backend,
			  const struct xlb_cfg_probe *o, const struct xlb_cfg_probe *n)
{
	char words[256];

	xlb_probe_changes_words(o, n, words, sizeof(words));
	if (!words[0])
		return;
	if (backend)
		add(list, "%s: backend %s probe %s", vip, backend, words);
	else
		add(list, "%s: probe %s", vip, words);
}

static void backend_changes(json_t *list, struct xlb_cfg_vip *o, struct xlb_cfg_vip *n)
{
	struct xlb_cfg_backend **os = sorted(o), **ns = sorted(n);
	char a[XLB_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < n->nr_backends; i++) {
		struct xlb_cfg_backend *nb = &n->backends[i], *ob = find(os, o->nr_backends, nb);

		xlb_addr_str(&nb->addr, a, sizeof(a));
		if (!ob) {
			add(list, "%s: backend %s added (weight %u)", n->name, a, nb->weight);
			continue;
		}
		if (ob->weight != nb->weight)
			add(list, "%s: backend %s weight %u -> %u", n->name, a, ob->weight, nb->weight);
		if (ob->admin != nb->admin)
			add(list, "%s: backend %s state %s -> %s", n->name, a,
			    xlb_admin_state_name(ob->admin), xlb_admin_state_name(nb->admin));
		probe_changes(list, n->name, a, ob->probe ?: &no_probe, nb->probe ?: &no_probe);
	}
	for (i = 0; i < o->nr_backends; i++)
		if (!find(ns, n->nr_backends, &o->backends[i]))
			add(list, "%s: backend %s removed", n->name,
			    xlb_addr_str(&o->backends[i].addr, a, sizeof(a)));
	free(os);
	free(ns);
}

json_t *config_changes(struct xlb_cfg *old, struct xlb_cfg *new)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < new->nr_vips; i++) {
		struct xlb_cfg_vip *n = &new->vips[i], *o = old ? xlb_cfg_find_vip(old, n->name) : NULL;

		if (!o) {
			add(list, old ? "VIP %s added (%zu backends, %s)" : "VIP %s (%zu backends, %s)",
			    n->name, n->nr_backends, n->encap ? "encap" : "dsr");
			continue;
		}
		/* Most VIPs of a change are as they were: nothing to say, nothing to sort. */
		if (!xlb_cfg_vip_differs(o, n))
			continue;
		if (o->table_size != n->table_size)
			add(list, "%s: table_size %u -> %u", n->name, o->table_size, n->table_size);
		if (o->encap != n->encap)
			add(list, "%s: mode %s -> %s", n->name, o->encap ? "encap" : "dsr",
			    n->encap ? "encap" : "dsr");
		probe_changes(list, n->name, NULL, &o->probe, &n->probe);
		backend_changes(list, o, n);
	}
	for (i = 0; old && i < old->nr_vips; i++)
		if (!xlb_cfg_find_vip(new, old->vips[i].name))
			add(list, "VIP %s removed", old->vips[i].name);
	/* Ten thousand changes are a summary, not ten thousand lines. */
	if (json_array_size(list) > MAX_CHANGES) {
		size_t more = json_array_size(list) - MAX_CHANGES;

		while (json_array_size(list) > MAX_CHANGES)
			json_array_remove(list, json_array_size(list) - 1);
		add(list, "and %zu more changes", more);
	}
	return list;
}
