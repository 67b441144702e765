// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "diff.h"
#include "service.h"

#define NO_SLOT	0xffff

int xlb_addr_table_build(const struct xlb_cfg_vip *vip, const struct xlb_vip_plan *plan,
			 struct xlb_addr_table *t)
{
	struct xlb_vip_spec spec;
	__u32 *ids, i;
	int err;

	t->m = vip->table_size;
	t->slot = calloc(t->m ? t->m : 1, sizeof(*t->slot));
	ids = malloc((t->m ? t->m : 1) * sizeof(*ids));
	err = !t->slot || !ids ? -ENOMEM : 0;
	/* No ids: backends by index, which is all a table to compare needs. */
	if (!err)
		err = xlb_vip_spec_from_plan(vip, NULL, plan, &spec);
	if (!err) {
		err = xlb_service_build_table(&spec, ids);
		free(spec.backends);
	}
	for (i = 0; !err && i < t->m; i++)
		if (ids[i] < vip->nr_backends)
			t->slot[i] = vip->backends[ids[i]].addr;
	free(ids);
	return err;
}

json_t *xlb_addr_table_to_json(const __u32 *ids, __u32 m, const union xlb_addr *addr_of_id,
			       __u32 max_ids)
{
	static const char hex[] = "0123456789abcdef";
	__u16 *index = malloc(max_ids * sizeof(*index));
	char *slots = malloc(4 * (size_t)m + 1), a[XLB_ADDR_STRLEN];
	json_t *backends = json_array(), *r = NULL;
	__u32 i, n = 0;

	if (!index || !slots)
		goto out;
	memset(index, 0xff, max_ids * sizeof(*index));
	for (i = 0; i < m; i++) {
		__u16 v = NO_SLOT;

		if (ids[i] < max_ids) {
			if (index[ids[i]] == NO_SLOT && n < NO_SLOT) {
				index[ids[i]] = n++;
				json_array_append_new(backends, json_string(
					xlb_addr_str(&addr_of_id[ids[i]], a, sizeof(a))));
			}
			v = index[ids[i]];
		}
		slots[4 * i] = hex[v >> 12];
		slots[4 * i + 1] = hex[(v >> 8) & 15];
		slots[4 * i + 2] = hex[(v >> 4) & 15];
		slots[4 * i + 3] = hex[v & 15];
	}
	slots[4 * (size_t)m] = '\0';
	r = json_pack("{s:i, s:O, s:s}", "size", (int)m, "backends", backends, "slots", slots);
out:
	json_decref(backends);
	free(index);
	free(slots);
	return r;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int xlb_addr_table_from_json(json_t *j, struct xlb_addr_table *t)
{
	json_t *backends = json_object_get(j, "backends");
	const char *slots = json_string_value(json_object_get(j, "slots"));
	size_t nb = json_array_size(backends), i;
	union xlb_addr *addrs;
	int err = 0;

	t->slot = NULL;
	t->m = 0;
	if (!slots || strlen(slots) % 4)
		return -EINVAL;
	t->m = strlen(slots) / 4;
	t->slot = calloc(t->m ? t->m : 1, sizeof(*t->slot));
	addrs = calloc(nb ? nb : 1, sizeof(*addrs));
	if (!t->slot || !addrs)
		err = -ENOMEM;
	for (i = 0; !err && i < nb; i++)
		if (xlb_addr_parse(json_string_value(json_array_get(backends, i)) ?: "", &addrs[i]))
			err = -EINVAL;
	for (i = 0; !err && i < t->m; i++) {
		unsigned int v = 0;
		int k, d;

		/* Each digit checked before it is used: no shift of a -1. */
		for (k = 0; k < 4 && !err; k++) {
			d = hexval(slots[4 * i + k]);
			if (d < 0)
				err = -EINVAL;
			v = v << 4 | (unsigned int)d;
		}
		if (!err && v != NO_SLOT && v < nb)
			t->slot[i] = addrs[v];
	}
	free(addrs);
	if (err)
		xlb_addr_table_free(t);
	return err;
}

void xlb_addr_table_free(struct xlb_addr_table *t)
{
	free(t->slot);
	t->slot = NULL;
	t->m = 0;
}

/*
 * Share of new flows that would land on another backend. With equal sizes
 * slot by slot; otherwise over a fixed spread of hash values, as a new
 * flow's slot is its hash modulo the size.
 */
static double moved_fraction(const struct xlb_addr_table *a, const struct xlb_addr_table *b)
{
	__u32 i, moved = 0, n = a->m == b->m ? a->m : 1u << 20, h = 0x9e3779b9;

	if (!a->m || !b->m)
		return 1.0;
	for (i = 0; i < n; i++) {
		__u32 sa = a->m == b->m ? i : h % a->m, sb = a->m == b->m ? i : h % b->m;

		moved += xlb_addr_cmp(&a->slot[sa], &b->slot[sb]) != 0;
		h = h * 1664525u + 1013904223u;
	}
	return (double)moved / n;
}

static double share_of(const struct xlb_addr_table *t, const union xlb_addr *addr)
{
	__u32 i, n = 0;

	for (i = 0; t && i < t->m; i++)
		n += !xlb_addr_cmp(&t->slot[i], addr);
	return t && t->m ? (double)n / t->m : 0.0;
}

static void add_row(json_t *rows, const union xlb_addr *addr, const struct xlb_addr_table *now,
		    const struct xlb_addr_table *after)
{
	char a[XLB_ADDR_STRLEN];
	size_t i;

	xlb_addr_str(addr, a, sizeof(a));
	for (i = 0; i < json_array_size(rows); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(rows, i), "address")), a))
			return;
	json_array_append_new(rows, json_pack("{s:s, s:f, s:f}", "address", a,
		"share_now", share_of(now, addr), "share_after", share_of(after, addr)));
}

json_t *xlb_vip_diff(const char *name, const union xlb_addr *now_be, size_t nr_now,
		     const struct xlb_addr_table *now, const union xlb_addr *after_be,
		     size_t nr_after, const struct xlb_addr_table *after)
{
	json_t *rows = json_array();
	const char *status;
	double moved;
	size_t i;

	for (i = 0; now && i < nr_now; i++)
		add_row(rows, &now_be[i], now, after);
	for (i = 0; after && i < nr_after; i++)
		add_row(rows, &after_be[i], now, after);
	moved = now && after ? moved_fraction(now, after) : 1.0;
	status = !now ? "added" : !after ? "removed" : moved > 0 ? "changed" : "unchanged";
	return json_pack("{s:s, s:s, s:f, s:i, s:i, s:o}", "name", name, "status", status,
			 "moved", moved, "table_now", now ? (int)now->m : 0,
			 "table_after", after ? (int)after->m : 0, "backends", rows);
}
