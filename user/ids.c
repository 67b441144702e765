// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "config.h"
#include "ids.h"

struct xlb_ids *xlb_ids_new(const struct xlb_cfg *cfg)
{
	struct xlb_ids *ids = calloc(1, sizeof(*ids));
	size_t v, b;

	if (!ids)
		return NULL;
	ids->vips = calloc(cfg->nr_vips ? cfg->nr_vips : 1, sizeof(*ids->vips));
	if (!ids->vips) {
		free(ids);
		return NULL;
	}
	ids->nr_vips = cfg->nr_vips;
	for (v = 0; v < cfg->nr_vips; v++) {
		struct xlb_vip_ids *vi = &ids->vips[v];

		vi->vip = XLB_NO_BACKEND;
		vi->nr_backends = cfg->vips[v].nr_backends;
		vi->backends = malloc((vi->nr_backends ? vi->nr_backends : 1) * sizeof(*vi->backends));
		if (!vi->backends) {
			xlb_ids_free(ids);
			return NULL;
		}
		for (b = 0; b < vi->nr_backends; b++)
			vi->backends[b] = XLB_NO_BACKEND;
	}
	return ids;
}

void xlb_ids_free(struct xlb_ids *ids)
{
	size_t v;

	if (!ids)
		return;
	for (v = 0; v < ids->nr_vips; v++)
		free(ids->vips[v].backends);
	free(ids->vips);
	free(ids);
}
