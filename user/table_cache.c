// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table_cache.h"

struct cached_table {
	__u32 map_id;		/* 0: nothing cached (the kernel never hands out id 0) */
	__u32 m;
	__u32 *slots;
};

struct xlb_table_cache {
	__u32 nr;
	struct cached_table t[];
};

struct xlb_table_cache *xlb_table_cache_new(__u32 nr_vips)
{
	struct xlb_table_cache *c;

	c = calloc(1, sizeof(*c) + (size_t)nr_vips * sizeof(c->t[0]));
	if (c)
		c->nr = nr_vips;
	return c;
}

void xlb_table_cache_drop(struct xlb_table_cache *c, __u32 vip_id)
{
	if (!c || vip_id >= c->nr)
		return;
	free(c->t[vip_id].slots);
	memset(&c->t[vip_id], 0, sizeof(c->t[vip_id]));
}

void xlb_table_cache_free(struct xlb_table_cache *c)
{
	__u32 i;

	for (i = 0; c && i < c->nr; i++)
		free(c->t[i].slots);
	free(c);
}

int xlb_table_cache_get(const struct xlb_table_cache *c, __u32 vip_id, __u32 map_id,
			__u32 **table, __u32 *m)
{
	const struct cached_table *t;

	if (!c || vip_id >= c->nr || !map_id || c->t[vip_id].map_id != map_id)
		return -ENOENT;
	t = &c->t[vip_id];
	*table = malloc((size_t)t->m * sizeof(**table));
	if (!*table)
		return -ENOMEM;
	memcpy(*table, t->slots, (size_t)t->m * sizeof(**table));
	*m = t->m;
	return 0;
}

void xlb_table_cache_put(struct xlb_table_cache *c, __u32 vip_id, __u32 map_id,
			 const __u32 *table, __u32 m)
{
	__u32 *copy;

	if (!c || vip_id >= c->nr)
		return;
	xlb_table_cache_drop(c, vip_id);
	copy = map_id ? malloc((size_t)m * sizeof(*copy)) : NULL;
	if (!copy)
		return;
	memcpy(copy, table, (size_t)m * sizeof(*copy));
	c->t[vip_id] = (struct cached_table){ .map_id = map_id, .m = m, .slots = copy };
}
