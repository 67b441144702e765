// SPDX-License-Identifier: GPL-2.0
/*
 * The data path's Maglev tables: each VIP's table is an inner map, filled
 * before it is published and swapped in with one update of the outer map
 * (bpf/xlb.h: maglev_tables), read back through a cache (table_cache.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "dataplane.h"
#include "dataplane_int.h"
#include "log.h"
#include "table_cache.h"

int xlb_dp_clear_table(struct xlb_dp *dp, __u32 vip_id)
{
	xlb_table_cache_drop(dp->tables, vip_id);
	if (dp->info && vip_id < dp->max_vips)
		memset(&dp->info[vip_id], 0, sizeof(dp->info[vip_id]));
	return dp_state_delete(dp, dp->tables_fd, &vip_id);
}

/* A slot as userspace sees it: a backend id, or XLB_NO_BACKEND (the data path's "none" too). */
static __u32 slot_backend(__u32 raw)
{
	__u32 id = raw & XLB_SLOT_BACKEND;

	return id == XLB_SLOT_BACKEND ? XLB_NO_BACKEND : id;
}

/*
 * A batch of swaps. A map-in-map update from user space returns only after
 * an RCU grace period, so that no program still runs on the inner map it
 * replaced (the kernel's maybe_wait_bpf_programs): 17 ms here, 85 s for
 * 5,000 VIPs one by one. A batch update waits once, after its last swap.
 * What relies on that wait (the memo's epoch, moved after a swap so that
 * no memo made on the old table is used; a VIP published after its table)
 * is done after the batch, in the order it came.
 */
struct batch_swap {
	__u32 vip_id, count;
	int fd;
	__u32 *values;			/* as written: for the cache */
	struct xlb_dp_table_info info;
};

struct batch_vip {
	struct xlb_vip_key key;
	struct xlb_vip vip;
};

struct xlb_dp_batch {
	struct batch_swap swaps[XLB_DP_BATCH_MAX];
	size_t nr_swaps;
	struct batch_vip *vips;
	size_t nr_vips, cap_vips;
	int err;			/* the first; later work still sent */
};

void xlb_dp_batch_begin(struct xlb_dp *dp)
{
	if (!dp->batch)
		dp->batch = calloc(1, sizeof(*dp->batch));
	/* Out of memory: no batch, every swap alone as before. */
}

static void swap_drop(struct batch_swap *s)
{
	close(s->fd);
	free(s->values);
}

/* Sends what is queued: the swaps in one update, then the VIP entries. */
static int batch_send(struct xlb_dp *dp)
{
	struct xlb_dp_batch *b = dp->batch;
	__u32 keys[XLB_DP_BATCH_MAX], count = b->nr_swaps, i;
	int fds[XLB_DP_BATCH_MAX], err = 0;

	for (i = 0; i < b->nr_swaps; i++) {
		keys[i] = b->swaps[i].vip_id;
		fds[i] = b->swaps[i].fd;
	}
	if (count && bpf_map_update_batch(dp->tables_fd, keys, fds, &count, NULL)) {
		err = -errno;
		pr_err("Couldn't swap %zu Maglev tables (%u swapped): %s\n", b->nr_swaps, count,
		       strerror(errno));
	}
	if (b->nr_swaps)
		dp_memo_forget(dp);
	/* count: how many went in, error or not. */
	for (i = 0; i < b->nr_swaps; i++) {
		struct batch_swap *s = &b->swaps[i];

		if (i < count) {
			xlb_table_cache_put(dp->tables, s->vip_id, dp_map_id(s->fd), s->values,
					    s->count);
			if (dp->info && s->vip_id < dp->max_vips)
				dp->info[s->vip_id] = s->info;
		} else {
			xlb_table_cache_drop(dp->tables, s->vip_id);
		}
		swap_drop(s);
	}
	b->nr_swaps = 0;
	/* A VIP whose table did not go in is not published: none are, after an error. */
	for (i = 0; !err && i < b->nr_vips; i++) {
		struct xlb_dp_batch *keep = dp->batch;

		dp->batch = NULL;
		err = xlb_dp_set_vip(dp, &keep->vips[i].key, &keep->vips[i].vip);
		dp->batch = keep;
	}
	b->nr_vips = 0;
	return err;
}

static int batch_queue_swap(struct xlb_dp *dp, __u32 vip_id, int fd, __u32 *values,
			    __u32 count, const struct xlb_table_state *ts)
{
	struct xlb_dp_batch *b = dp->batch;
	struct batch_swap *s;
	int err;

	if (b->nr_swaps == XLB_DP_BATCH_MAX) {
		err = batch_send(dp);
		b->err = b->err ?: err;
	}
	s = &b->swaps[b->nr_swaps++];
	*s = (struct batch_swap){ .vip_id = vip_id, .count = count, .fd = fd, .values = values };
	dp_info_of(ts, &s->info);
	return 0;
}

int dp_batch_queue_vip(struct xlb_dp *dp, const struct xlb_vip_key *key,
		       const struct xlb_vip *vip)
{
	struct xlb_dp_batch *b = dp->batch;

	if (b->nr_vips == b->cap_vips) {
		size_t cap = b->cap_vips ? 2 * b->cap_vips : 64;
		struct batch_vip *more = realloc(b->vips, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		b->vips = more;
		b->cap_vips = cap;
	}
	b->vips[b->nr_vips++] = (struct batch_vip){ .key = *key, .vip = *vip };
	return 0;
}

int xlb_dp_batch_end(struct xlb_dp *dp)
{
	int err;

	if (!dp->batch)
		return 0;
	err = batch_send(dp);
	err = dp->batch->err ?: err;
	dp_batch_free(dp);
	return err;
}

void dp_batch_free(struct xlb_dp *dp)
{
	struct xlb_dp_batch *b = dp->batch;

	if (!b)
		return;
	for (size_t i = 0; i < b->nr_swaps; i++)
		swap_drop(&b->swaps[i]);
	free(b->vips);
	free(b);
	dp->batch = NULL;
}

int xlb_dp_set_table_state(struct xlb_dp *dp, __u32 vip_id, const struct xlb_table_state *ts)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	__u32 m = ts->m, m_o = ts->o ? ts->m_o : 0, count = m + 2 + m_o, i;
	__u32 *values, *keys;
	int fd, err = 0;

	if (!m || m > XLB_MAX_TABLE_SIZE || m_o > XLB_MAX_TABLE_SIZE)
		return -EINVAL;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xlb_maglev", sizeof(__u32),
			    sizeof(__u32), count, &opts);
	if (fd < 0) {
		err = -errno;
		pr_err("Couldn't create Maglev table of %u slots: %s\n", m, strerror(errno));
		return err;
	}
	keys = malloc(count * sizeof(*keys));
	values = malloc(count * sizeof(*values));
	if (!keys || !values) {
		err = -ENOMEM;
		goto out;
	}
	/* Slot 0 is the size, so size, contents and old table change together. */
	for (i = 0; i < count; i++)
		keys[i] = i;
	values[0] = m;
	for (i = 0; i < m; i++)
		values[1 + i] = ts->t[i] == XLB_NO_BACKEND ? XLB_SLOT_BACKEND : ts->t[i];
	values[m + 1] = m_o ? m_o | (ts->o_flags & XLB_OLD_NO_SPORT) : 0;
	for (i = 0; i < m_o; i++)
		values[m + 2 + i] = ts->o[i];
	if (bpf_map_update_batch(fd, keys, values, &count, NULL)) {
		err = -errno;
		pr_err("Couldn't fill Maglev table: %s\n", strerror(errno));
		goto out;
	}
	if (dp->batch) {
		err = batch_queue_swap(dp, vip_id, fd, values, count, ts);
		if (!err)
			fd = -1, values = NULL;	/* the batch owns them */
		goto out;
	}
	/* The swap: packets see the old table or the new one, never a mix. */
	err = dp_state_update(dp, dp->tables_fd, "maglev_tables", &vip_id, &fd);
	if (!err) {
		xlb_table_cache_put(dp->tables, vip_id, dp_map_id(fd), values, count);
		dp_note_info(dp, vip_id, ts);
	} else {
		xlb_table_cache_drop(dp->tables, vip_id);
	}
out:
	free(keys);
	free(values);
	if (fd >= 0)
		close(fd);
	return err;
}

int xlb_dp_set_table(struct xlb_dp *dp, __u32 vip_id, const __u32 *table, __u32 m)
{
	struct xlb_table_state ts = { .t = (__u32 *)table, .m = m };

	return xlb_dp_set_table_state(dp, vip_id, &ts);
}

void xlb_table_state_free(struct xlb_table_state *ts)
{
	free(ts->t);
	free(ts->o);
	memset(ts, 0, sizeof(*ts));
}

__u32 *xlb_dp_slot_counts(struct xlb_dp *dp, __u32 vip_id, __u32 *m)
{
	__u32 *counts = calloc(dp->max_backends ? dp->max_backends : 1, sizeof(*counts));
	__u32 *table = NULL, i;

	if (xlb_dp_get_table(dp, vip_id, &table, m))
		*m = 0;
	for (i = 0; counts && i < *m; i++)
		if (table[i] < dp->max_backends)
			counts[table[i]]++;
	free(table);
	return counts;
}

/* VIP vip_id's live table: an fd (close it), its map id and its size; -errno. */
static int open_table(struct xlb_dp *dp, __u32 vip_id, __u32 *inner_id, __u32 *size)
{
	__u32 zero = 0;
	int fd, err;

	if (bpf_map_lookup_elem(dp->tables_fd, &vip_id, inner_id))
		return -errno;
	fd = bpf_map_get_fd_by_id(*inner_id);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &zero, size)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int xlb_dp_count_slots(struct xlb_dp *dp, __u32 vip_id, __u32 *from, __u32 max,
		       __u32 *counts, __u32 *m, __u32 *table_id, const __u64 *owner,
		       struct xlb_fp_table *fp)
{
	__u32 zero = 0, size, count, i, *keys = NULL, *vals = NULL, start;
	int fd, err = 0;

	*m = 0;
	fd = open_table(dp, vip_id, table_id, &size);
	if (fd < 0)
		return fd;
	*m = size;
	if (*from >= size) {
		err = 1;
		goto out;
	}
	count = size - *from < max ? size - *from : max;
	keys = malloc(count * sizeof(*keys));
	vals = malloc(count * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	/* Slot s is key s + 1 (key 0 holds the size); the batch starts after key *from. */
	start = *from;
	if (bpf_map_lookup_batch(fd, &start, &zero, keys, vals, &count, NULL) && errno != ENOENT) {
		err = -errno;
		goto out;
	}
	if (!count) {
		err = -EIO;	/* short of its size: never loop on it */
		goto out;
	}
	for (i = 0; i < count; i++) {
		__u32 id = slot_backend(vals[i]);
		bool ours = id < dp->max_backends;

		if (ours)
			counts[id]++;
		if (fp)
			xlb_fp_table_add(fp, ours ? owner[id] : XLB_FP_EMPTY);
	}
	*from += count;
	err = *from >= size;
out:
	free(keys);
	free(vals);
	close(fd);
	return err;
}

/*
 * The VIP's live table map, every value as stored (*n of them; slot 0 the
 * size): from the cache while the live map is the one cached, else read
 * in one batch and cached.
 */
static int read_table_map(struct xlb_dp *dp, __u32 vip_id, __u32 **vals, __u32 *n)
{
	__u32 inner_id, zero = 0, size, count, *keys = NULL;
	int fd, err = 0;

	*vals = NULL;
	if (!bpf_map_lookup_elem(dp->tables_fd, &vip_id, &inner_id) &&
	    !xlb_table_cache_get(dp->tables, vip_id, inner_id, vals, n))
		return 0;
	fd = open_table(dp, vip_id, &inner_id, &size);
	if (fd < 0)
		return fd;
	count = dp_map_capacity(fd);
	if (!size || count < size + 1) {
		err = -EIO;
		goto out;
	}
	keys = malloc(count * sizeof(*keys));
	*vals = malloc(count * sizeof(**vals));
	if (!keys || !*vals) {
		err = -ENOMEM;
		goto out;
	}
	*n = count;
	if (bpf_map_lookup_batch(fd, NULL, &zero, keys, *vals, &count, NULL) && errno != ENOENT) {
		err = -errno;
		goto out;
	}
	if (count != *n) {
		err = -EIO;
		goto out;
	}
	xlb_table_cache_put(dp->tables, vip_id, inner_id, *vals, *n);
out:
	if (err) {
		free(*vals);
		*vals = NULL;
	}
	free(keys);
	close(fd);
	return err;
}

int xlb_dp_get_table(struct xlb_dp *dp, __u32 vip_id, __u32 **table, __u32 *m)
{
	__u32 *vals, n, i;
	int err = read_table_map(dp, vip_id, &vals, &n);

	*table = NULL;
	*m = 0;
	if (err)
		return err;
	*m = vals[0];
	memmove(vals, vals + 1, *m * sizeof(*vals));
	for (i = 0; i < *m; i++)
		vals[i] = slot_backend(vals[i]);
	*table = vals;
	return 0;
}

int xlb_dp_get_table_state(struct xlb_dp *dp, __u32 vip_id, struct xlb_table_state *ts)
{
	__u32 *vals, n, size, m_o = 0, i;
	int err = read_table_map(dp, vip_id, &vals, &n);

	memset(ts, 0, sizeof(*ts));
	if (err)
		return err;
	size = vals[0];
	/* An older build's table ends at T: no header, and no LOOK it knew of. */
	ts->legacy = n == size + 1;
	if (!ts->legacy)
		m_o = vals[size + 1] & XLB_OLD_SIZE_MASK;
	if (m_o && n < size + 2 + m_o) {
		err = -EIO;
		goto out;
	}
	ts->m = size;
	ts->t = malloc(size * sizeof(*ts->t));
	ts->o = m_o ? malloc(m_o * sizeof(*ts->o)) : NULL;
	if (!ts->t || (m_o && !ts->o)) {
		err = -ENOMEM;
		goto out;
	}
	/* As stored: none is XLB_SLOT_BACKEND, apart from LOOK (an older build's had no LOOK). */
	for (i = 0; i < size; i++)
		ts->t[i] = ts->legacy ? vals[1 + i] & XLB_SLOT_BACKEND : vals[1 + i];
	ts->m_o = m_o;
	ts->o_flags = m_o ? vals[size + 1] & XLB_OLD_NO_SPORT : 0;
	if (m_o)
		memcpy(ts->o, vals + size + 2, m_o * sizeof(*ts->o));
	dp_note_info(dp, vip_id, ts);
out:
	if (err)
		xlb_table_state_free(ts);
	free(vals);
	return err;
}

void xlb_dp_set_old_since(struct xlb_dp *dp, __u32 vip_id, __u64 ns)
{
	if (dp->old_since && vip_id < dp->max_vips)
		dp->old_since[vip_id] = ns;
}

bool xlb_dp_table_info(const struct xlb_dp *dp, __u32 vip_id, struct xlb_dp_table_info *out)
{
	if (!dp->info || vip_id >= dp->max_vips || !dp->info[vip_id].known)
		return false;
	*out = dp->info[vip_id];
	return true;
}

int xlb_dp_table_id(struct xlb_dp *dp, __u32 vip_id, __u32 *id)
{
	return bpf_map_lookup_elem(dp->tables_fd, &vip_id, id) ? -errno : 0;
}

__u64 xlb_dp_old_since(struct xlb_dp *dp, __u32 vip_id)
{
	struct timespec ts;

	if (!dp->old_since || vip_id >= dp->max_vips)
		return 0;
	/* Not seen since this process started: its hour starts now, never sooner. */
	if (!dp->old_since[vip_id]) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		dp->old_since[vip_id] = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	}
	return dp->old_since[vip_id];
}
