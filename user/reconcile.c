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
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "health.h"
#include "log.h"
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
	bool *claimed;			/* backend ids taken in this round */
	bool *vip_claimed;
	__u32 max_vips, max_backends;
};

static void live_free(struct live_state *ls)
{
	free(ls->vips);
	free(ls->backends);
	free(ls->claimed);
	free(ls->vip_claimed);
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
	for (id = 0; id < ls->max_backends; id++)
		if (xlb_dp_get_backend(dp, id, &ls->backends[id]))
			ls->backends[id].state = XLB_BE_UNUSED;
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
	__u32 id, n;

	for (id = 0; id < ls->max_backends; id++) {
		const struct xlb_backend *be = &ls->backends[id];

		if (be->state != XLB_BE_UNUSED && be->vip_id == vip_id &&
		    !xlb_addr_cmp(&be->addr, addr) && !ls->claimed[id]) {
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

static __u8 dp_state(const struct xlb_cfg_backend *be)
{
	return xlb_effective_state(be->admin, be->health_down ? XLB_HEALTH_DOWN : XLB_HEALTH_UP,
				   be->weight);
}

int xlb_vip_spec_from_cfg(const struct xlb_cfg_vip *v, struct xlb_vip_spec *spec)
{
	size_t i;

	memset(spec, 0, sizeof(*spec));
	spec->key = v->key;
	spec->id = v->id;
	spec->flags = (v->encap ? XLB_VIP_F_ENCAP : 0) |
		      (v->hash_source_port ? 0 : XLB_VIP_F_HASH_NO_SPORT);
	spec->table_size = v->table_size;
	spec->echo_reply = v->echo_reply;
	spec->nr_backends = v->nr_backends;
	spec->backends = calloc(v->nr_backends ? v->nr_backends : 1, sizeof(*spec->backends));
	if (!spec->backends)
		return -ENOMEM;
	for (i = 0; i < v->nr_backends; i++) {
		struct xlb_backend_spec *b = &spec->backends[i];

		b->addr = v->backends[i].addr;
		b->weight = v->backends[i].weight;
		b->state = dp_state(&v->backends[i]);
		b->id = v->backends[i].id;
		memcpy(b->mac, v->backends[i].mac, sizeof(b->mac));
	}
	return 0;
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
	/* Backends no VIP claimed: no table points at them any more. */
	for (id = 0; id < ls->max_backends && !err; id++)
		if (ls->backends[id].state != XLB_BE_UNUSED && !ls->claimed[id])
			err = xlb_dp_set_backend(dp, id, &unused);
	return err;
}

int xlb_reconcile(struct xlb_dp *dp, struct xlb_cfg *cfg)
{
	static __u32 cursor;
	struct live_state ls;
	char label[XLB_NAME_MAX];
	size_t v, b;
	int err;

	err = live_read(dp, &ls);
	for (v = 0; v < cfg->nr_vips && !err; v++) {
		struct xlb_cfg_vip *vip = &cfg->vips[v];

		vip->id = vip_id_for(&ls, &vip->key);
		if (vip->id == XLB_NO_BACKEND) {
			pr_err("Couldn't add VIP '%s': all %u VIP slots are taken\n",
			       vip->name, ls.max_vips);
			err = -ENOSPC;
			break;
		}
		for (b = 0; b < vip->nr_backends && !err; b++) {
			vip->backends[b].id = backend_id_for(&ls, vip->id, &vip->backends[b].addr,
							     &cursor);
			if (vip->backends[b].id == XLB_NO_BACKEND) {
				pr_err("Couldn't add backends to VIP '%s': all %u backend slots are taken\n",
				       vip->name, ls.max_backends);
				err = -ENOSPC;
			}
		}
	}
	for (v = 0; v < cfg->nr_vips && !err; v++) {
		struct xlb_vip_spec spec;

		err = xlb_vip_spec_from_cfg(&cfg->vips[v], &spec);
		if (err)
			break;
		err = xlb_service_apply(dp, &spec);
		free(spec.backends);
		if (err) {
			xlb_vip_label(&cfg->vips[v], label, sizeof(label));
			pr_err("Couldn't apply VIP '%s': %s\n", label, strerror(-err));
		}
	}
	if (!err)
		err = remove_stale(dp, &ls, cfg);
	if (!err)
		err = xlb_dp_set_config(dp, &cfg->dp);
	live_free(&ls);
	return err;
}
