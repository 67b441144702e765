// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor_counters.h"

static int setup(struct xlb_dp *dp, struct monitor_counters *c)
{
	__u32 max = xlb_dp_max_backends(dp);

	if (c->by_id && c->dp == dp && c->max == max)
		return 0;
	monitor_counters_free(c);
	c->by_id = calloc(max ? max : 1, sizeof(*c->by_id));
	if (!c->by_id)
		return -ENOMEM;
	c->max = max;
	c->dp = dp;
	return 0;
}

static int by_value(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int monitor_counters_read(struct xlb_dp *dp, struct monitor_counters *c, __u32 *ids, size_t n)
{
	size_t i, j;
	int err = setup(dp, c);

	if (err || !n)
		return err;
	for (i = 1; i < n && ids[i - 1] <= ids[i]; i++)
		;
	if (i < n)
		qsort(ids, n, sizeof(*ids), by_value);
	for (i = 0; i < n && !err; i = j) {
		__u32 top;

		/* A run: ids no further apart than the gap, read with the ones between. */
		for (j = i + 1; j < n && ids[j] - ids[j - 1] <= MONITOR_COUNTERS_GAP; j++)
			;
		if (ids[i] >= c->max)
			break;	/* sorted: none of the rest is a backend's */
		top = ids[j - 1] < c->max ? ids[j - 1] : c->max - 1;
		err = xlb_dp_backend_stats_range(dp, ids[i], top, c->by_id);
	}
	if (err)
		for (i = 0; i < n; i++)
			if (ids[i] < c->max)
				memset(&c->by_id[ids[i]], 0, sizeof(*c->by_id));
	return err;
}

struct xlb_backend_stats monitor_counters_get(const struct monitor_counters *c, __u32 id)
{
	struct xlb_backend_stats none = {};

	return c->by_id && id < c->max ? c->by_id[id] : none;
}

void monitor_counters_free(struct monitor_counters *c)
{
	free(c->by_id);
	memset(c, 0, sizeof(*c));
}
