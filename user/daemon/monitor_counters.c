// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "monitor_counters.h"

#define NR_FIELDS	(sizeof(struct xlb_backend_stats) / sizeof(__u64))

/*
 * The backends' counters map, as the data path's program uses it: found
 * by name among the program's maps (dataplane.h reads it whole or an id at
 * a time; a batch over a range of ids is what a slice needs). -ENOENT when
 * there is no program (maps opened from pins) or no such map.
 */
static int find_map(struct xlb_dp *dp, __u32 *entries)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[64], i;
	int prog = xlb_dp_prog_fd(dp);

	if (prog < 0)
		return -ENOENT;
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < 64; i++) {
		struct bpf_map_info m = {};
		__u32 mlen = sizeof(m);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &m, &mlen) && !strcmp(m.name, "backend_stats") &&
		    m.type == BPF_MAP_TYPE_PERCPU_ARRAY && m.key_size == sizeof(__u32) &&
		    m.value_size == sizeof(struct xlb_backend_stats)) {
			*entries = m.max_entries;
			return fd;
		}
		close(fd);
	}
	return -ENOENT;
}

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
	c->cpus = libbpf_num_possible_cpus();
	c->fd = c->cpus > 0 ? find_map(dp, &c->fd_max) : -ENOENT;
	if (c->fd >= 0) {
		c->keys = malloc(MONITOR_COUNTERS_BATCH * sizeof(*c->keys));
		c->vals = malloc((size_t)MONITOR_COUNTERS_BATCH * c->cpus * sizeof(struct xlb_backend_stats));
		if (!c->keys || !c->vals) {
			monitor_counters_free(c);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Ids from..to (to < fd_max) in batches of at most MONITOR_COUNTERS_BATCH. */
static int read_range(struct monitor_counters *c, __u32 from, __u32 to)
{
	while (from <= to) {
		__u32 count = to - from + 1 < MONITOR_COUNTERS_BATCH ? to - from + 1 :
			      MONITOR_COUNTERS_BATCH;
		__u32 in = from - 1, out, i;
		size_t cpu, f;
		int err = 0;

		/* The batch starts after key *in: at 0 without one. */
		if (bpf_map_lookup_batch(c->fd, from ? &in : NULL, &out, c->keys, c->vals, &count,
					 NULL))
			err = errno == ENOENT ? 0 : -errno;
		if (err)
			return err;
		if (!count)
			return -EIO;	/* short of the map's size: never loop on it */
		for (i = 0; i < count; i++) {
			__u64 *sum = (__u64 *)&c->by_id[c->keys[i]];

			if (c->keys[i] >= c->max)
				continue;
			memset(sum, 0, sizeof(struct xlb_backend_stats));
			for (cpu = 0; cpu < (size_t)c->cpus; cpu++)
				for (f = 0; f < NR_FIELDS; f++)
					sum[f] += c->vals[(i * c->cpus + cpu) * NR_FIELDS + f];
		}
		if (c->keys[count - 1] >= to)
			break;
		from = c->keys[count - 1] + 1;
	}
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
		if (c->fd >= 0) {
			/* Past the map's end (not resized with the backends'): nothing counted. */
			for (size_t k = i; k < j; k++)
				if (ids[k] >= c->fd_max && ids[k] < c->max)
					memset(&c->by_id[ids[k]], 0, sizeof(*c->by_id));
			if (ids[i] < c->fd_max)
				err = read_range(c, ids[i], top < c->fd_max ? top : c->fd_max - 1);
			continue;
		}
		for (size_t k = i; k < j && !err; k++)
			if (ids[k] < c->max)
				err = xlb_dp_backend_stats(dp, ids[k], &c->by_id[ids[k]]);
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
	if (c->fd >= 0 && c->by_id)
		close(c->fd);
	free(c->by_id);
	free(c->keys);
	free(c->vals);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
