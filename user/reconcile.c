// SPDX-License-Identifier: GPL-2.0
/*
 * Makes the data path's maps say what a config says.
 *
 * Ids are kept: a VIP keeps its id while its (address, port, protocol)
 * stays, a backend keeps its id while its VIP and address stay, so their
 * flows in the LRU table stay valid across reloads and daemon restarts.
 * Each VIP is switched in one step (backends written, then its new table
 * swapped in, then the VIP published); what is gone is removed only after,
 * when no table points at it any more.
 */
#define _GNU_SOURCE	/* qsort_r */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "health.h"
#include "log.h"
#include "plan.h"
#include "reconcile.h"
#include "service.h"

struct live_vip {
	struct xlb_vip_key key;
	__u32 id;
	bool keep;
};

struct live_state {
	struct live_vip *vips;
	size_t nr_vips;
	struct xlb_backend *backends;	/* indexed by id; state UNUSED when free */
	__u32 *by_key, nr_used;		/* ids in use, by (VIP id, address, id) */
	bool *claimed;			/* backend ids taken in this round */
	bool *vip_claimed;
	__u32 max_vips, max_backends;
};

static void live_free(struct live_state *ls)
{
	free(ls->vips);
	free(ls->backends);
	free(ls->by_key);
	free(ls->claimed);
	free(ls->vip_claimed);
}

static int key_cmp(const struct xlb_backend *be, __u32 vip_id, const union xlb_addr *addr)
{
	if (be->vip_id != vip_id)
		return be->vip_id < vip_id ? -1 : 1;
	return xlb_addr_cmp(&be->addr, addr);
}

static int live_cmp(const void *a, const void *b, void *backends)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;
	const struct xlb_backend *be = backends;
	int c = key_cmp(&be[x], be[y].vip_id, &be[y].addr);

	return c ? c : (x > y) - (x < y);
}

static int live_read(struct xlb_dp *dp, struct live_state *ls)
{
	struct xlb_vip_key key, prev;
	struct xlb_vip vip;
	size_t cap = 16;
	__u32 id;
	int err;

	memset(ls, 0, sizeof(*ls));
	ls->max_vips = xlb_dp_max_vips(dp);
	ls->max_backends = xlb_dp_max_backends(dp);
	ls->vips = calloc(cap, sizeof(*ls->vips));
	ls->backends = calloc(ls->max_backends, sizeof(*ls->backends));
	ls->claimed = calloc(ls->max_backends, sizeof(bool));
	ls->vip_claimed = calloc(ls->max_vips, sizeof(bool));
	if (!ls->vips || !ls->backends || !ls->claimed || !ls->vip_claimed)
		return -ENOMEM;

	for (err = xlb_dp_next_vip(dp, NULL, &key, &vip); !err;
	     prev = key, err = xlb_dp_next_vip(dp, &prev, &key, &vip)) {
		if (vip.flags & XLB_VIP_F_ADDR_ENTRY)
			continue;
		if (ls->nr_vips == cap) {
			struct live_vip *more = realloc(ls->vips, 2 * cap * sizeof(*more));

			if (!more)
				return -ENOMEM;
			ls->vips = more;
			cap *= 2;
		}
		ls->vips[ls->nr_vips++] = (struct live_vip){ .key = key, .id = vip.id };
	}
	if (err != -ENOENT)
		return err;
	ls->by_key = calloc(ls->max_backends ? ls->max_backends : 1, sizeof(*ls->by_key));
	if (!ls->by_key)
		return -ENOMEM;
	for (id = 0; id < ls->max_backends; id++) {
		if (xlb_dp_get_backend(dp, id, &ls->backends[id]))
			ls->backends[id].state = XLB_BE_UNUSED;
		if (ls->backends[id].state != XLB_BE_UNUSED)
			ls->by_key[ls->nr_used++] = id;
	}
	/* Sorted once: each backend's old id is a binary search, not a scan. */
	qsort_r(ls->by_key, ls->nr_used, sizeof(*ls->by_key), live_cmp, ls->backends);
	return 0;
}

static __u32 vip_id_for(struct live_state *ls, const struct xlb_vip_key *key)
{
	size_t i;
	__u32 id;

	for (i = 0; i < ls->nr_vips; i++) {
		if (!memcmp(&ls->vips[i].key, key, sizeof(*key))) {
			ls->vips[i].keep = true;
			ls->vip_claimed[ls->vips[i].id] = true;
			return ls->vips[i].id;
		}
	}
	for (id = 0; id < ls->max_vips; id++) {
		bool used = ls->vip_claimed[id];

		for (i = 0; i < ls->nr_vips && !used; i++)
			used = ls->vips[i].id == id;
		if (!used) {
			ls->vip_claimed[id] = true;
			return id;
		}
	}
	return XLB_NO_BACKEND;
}

/*
 * A new backend gets the first free id after the last one handed out, so
 * an id freed a moment ago is the last to be used again: flows that still
 * point at it should have aged out by then.
 */
static __u32 backend_id_for(struct live_state *ls, __u32 vip_id,
			    const union xlb_addr *addr, __u32 *cursor)
{
	size_t lo = 0, hi = ls->nr_used;
	__u32 id, n;

	/* The first of the ids this VIP and address had, lowest first. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(&ls->backends[ls->by_key[mid]], vip_id, addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ls->nr_used && !key_cmp(&ls->backends[ls->by_key[lo]], vip_id, addr); lo++) {
		id = ls->by_key[lo];
		if (!ls->claimed[id]) {
			ls->claimed[id] = true;
			return id;
		}
	}
	for (n = 0; n < ls->max_backends; n++) {
		id = (*cursor + n) % ls->max_backends;
		if (ls->backends[id].state == XLB_BE_UNUSED && !ls->claimed[id]) {
			ls->claimed[id] = true;
			*cursor = id + 1;
			return id;
		}
	}
	return XLB_NO_BACKEND;
}

int xlb_apply_vip(struct xlb_dp *dp, const struct xlb_cfg_vip *vip,
		  const struct xlb_vip_ids *ids, const struct xlb_vip_plan *plan)
{
	struct xlb_vip_spec spec;
	char label[XLB_NAME_MAX];
	int err;

	err = xlb_vip_spec_from_plan(vip, ids, plan, &spec);
	if (err)
		return err;
	err = xlb_service_apply(dp, &spec);
	free(spec.backends);
	if (err) {
		xlb_vip_label(vip, label, sizeof(label));
		pr_err("Couldn't apply VIP '%s': %s\n", label, strerror(-err));
	}
	return err;
}

static bool addr_still_used(const struct xlb_cfg *cfg, const union xlb_addr *addr)
{
	size_t i;

	for (i = 0; i < cfg->nr_vips; i++)
		if (!xlb_addr_cmp(&cfg->vips[i].key.addr, addr))
			return true;
	return false;
}

static int remove_stale(struct xlb_dp *dp, struct live_state *ls, const struct xlb_cfg *cfg)
{
	struct xlb_backend unused = { .state = XLB_BE_UNUSED };
	size_t i;
	__u32 id;
	int err = 0;

	for (i = 0; i < ls->nr_vips; i++) {
		struct xlb_vip_key addr_key = { .addr = ls->vips[i].key.addr };

		if (ls->vips[i].keep)
			continue;
		err = err ?: xlb_dp_delete_vip(dp, &ls->vips[i].key);
		err = err ?: xlb_dp_clear_table(dp, ls->vips[i].id);
		if (!addr_still_used(cfg, &addr_key.addr))
			err = err ?: xlb_dp_delete_vip(dp, &addr_key);
	}
	/* The filter lets the addresses gone go by without lookups. */
	err = err ?: xlb_dp_vip_sync(dp);
	/* Backends no VIP claimed: no table points at them any more. */
	for (id = 0; id < ls->max_backends && !err; id++)
		if (ls->backends[id].state != XLB_BE_UNUSED && !ls->claimed[id])
			err = xlb_dp_set_backend(dp, id, &unused);
	return err;
}

int xlb_reconcile(struct xlb_dp *dp, const struct xlb_cfg *cfg,
		  const struct xlb_vip_plan *plans, struct xlb_ids *ids)
{
	static __u32 cursor;
	struct live_state ls;
	size_t v, b;
	int err;

	err = live_read(dp, &ls);
	for (v = 0; v < cfg->nr_vips && !err; v++) {
		const struct xlb_cfg_vip *vip = &cfg->vips[v];
		struct xlb_vip_ids *vi = &ids->vips[v];

		vi->vip = vip_id_for(&ls, &vip->key);
		if (vi->vip == XLB_NO_BACKEND) {
			pr_err("Couldn't add VIP '%s': all %u VIP slots are taken\n",
			       vip->name, ls.max_vips);
			err = -ENOSPC;
			break;
		}
		for (b = 0; b < vip->nr_backends && !err; b++) {
			vi->backends[b] = backend_id_for(&ls, vi->vip, &vip->backends[b].addr,
							 &cursor);
			if (vi->backends[b] == XLB_NO_BACKEND) {
				pr_err("Couldn't add backends to VIP '%s': all %u backend slots are taken\n",
				       vip->name, ls.max_backends);
				err = -ENOSPC;
			}
		}
	}
	xlb_dp_batch_begin(dp);
	for (v = 0; v < cfg->nr_vips && !err; v++)
		err = xlb_apply_vip(dp, &cfg->vips[v], &ids->vips[v], &plans[v]);
	err = xlb_dp_batch_end(dp) ?: err;
	if (!err)
		err = remove_stale(dp, &ls, cfg);
	if (!err)
		err = xlb_dp_set_settings(dp, &cfg->dp);
	live_free(&ls);
	return err;
}

/* The same VIP with the same backends, in the same order: ids carry over. */
static bool same_shape(const struct xlb_cfg_vip *a, const struct xlb_cfg_vip *b)
{
	size_t i;

	if (strcmp(a->name, b->name) || memcmp(&a->key, &b->key, sizeof(a->key)) ||
	    a->nr_backends != b->nr_backends)
		return false;
	for (i = 0; i < a->nr_backends; i++)
		if (xlb_addr_cmp(&a->backends[i].addr, &b->backends[i].addr))
			return false;
	return true;
}

/* Would the data path see any difference between the two? */
static bool spec_differs(const struct xlb_vip_spec *a, const struct xlb_vip_spec *b)
{
	return memcmp(&a->key, &b->key, sizeof(a->key)) || a->id != b->id ||
	       a->flags != b->flags || a->table_size != b->table_size ||
	       a->echo_reply != b->echo_reply || a->nr_backends != b->nr_backends ||
	       memcmp(a->backends, b->backends, a->nr_backends * sizeof(*a->backends));
}

int xlb_reconcile_changed(struct xlb_dp *dp, const struct xlb_cfg *old,
			  const struct xlb_ids *old_ids, const struct xlb_vip_plan *old_plans,
			  const struct xlb_cfg *cfg, const struct xlb_vip_plan *plans,
			  struct xlb_ids *ids, size_t *written)
{
	size_t v, b;
	int err = 0;

	*written = 0;
	if (!old || !old_ids || old->nr_vips != cfg->nr_vips)
		return -EAGAIN;
	for (v = 0; v < cfg->nr_vips; v++)
		if (!same_shape(&old->vips[v], &cfg->vips[v]))
			return -EAGAIN;
	for (v = 0; v < cfg->nr_vips; v++) {
		ids->vips[v].vip = old_ids->vips[v].vip;
		for (b = 0; b < cfg->vips[v].nr_backends; b++)
			ids->vips[v].backends[b] = old_ids->vips[v].backends[b];
	}
	xlb_dp_batch_begin(dp);
	for (v = 0; v < cfg->nr_vips && !err; v++) {
		struct xlb_vip_spec was, now;

		err = xlb_vip_spec_from_plan(&old->vips[v], &old_ids->vips[v], &old_plans[v], &was);
		if (err)
			break;
		err = xlb_vip_spec_from_plan(&cfg->vips[v], &ids->vips[v], &plans[v], &now);
		if (!err && spec_differs(&was, &now)) {
			err = xlb_apply_vip(dp, &cfg->vips[v], &ids->vips[v], &plans[v]);
			(*written)++;
		}
		free(was.backends);
		free(now.backends);
	}
	err = xlb_dp_batch_end(dp) ?: err;
	if (!err && memcmp(&old->dp, &cfg->dp, sizeof(cfg->dp)))
		err = xlb_dp_set_settings(dp, &cfg->dp);
	return err;
}
