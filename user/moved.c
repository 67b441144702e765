// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "addr.h"
#include "log.h"
#include "moved.h"
#include "xlb_hash.h"

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: entries written here compare with it. */
static __u64 ktime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}


struct change {
	struct xlb_dp *dp;
	const struct xlb_vip_spec *vip;
	const __u32 *table;
	__u32 m, seed;
	__u8 *state;		/* by backend id: this VIP's backends, else UNUSED */
	__u64 now;
	struct xlb_flow *release;
	size_t nr_release, cap_release;
	struct xlb_moved_result *res;
};

static __u32 pick(const struct change *c, const struct xlb_flow *f)
{
	__u32 h = xlb_flow_hash(f, c->vip->flags & XLB_VIP_F_HASH_NO_SPORT, c->seed);

	return c->table[h % c->m];
}

static int hold_if_moved(const struct xlb_flow *f, const struct xlb_conn *conn, void *arg)
{
	struct change *c = arg;
	struct xlb_conn held = *conn;
	__u32 id = conn->backend_id;
	int err;

	c->res->walked++;
	if (id >= xlb_dp_max_backends(c->dp) || !xlb_be_takes_flows(c->state[id]))
		return 0;
	if (pick(c, f) == id)
		return 0;
	/* TCP entries carry no time in the LRU; the hold starts the clock. */
	if (f->proto != IPPROTO_UDP)
		held.atime_ns = c->now;
	err = xlb_dp_hold_flow(c->dp, f, &held);
	if (!err)
		c->res->held++;
	else if (err == -E2BIG)
		c->res->refused++;
	else if (err != -EEXIST)
		return err;
	return 0;
}

static int push_release(struct xlb_flow **list, size_t *nr, size_t *cap,
			const struct xlb_flow *f)
{
	if (*nr == *cap) {
		size_t n = *cap ? 2 * *cap : 256;
		struct xlb_flow *more = realloc(*list, n * sizeof(*more));

		if (!more)
			return -ENOMEM;
		*list = more;
		*cap = n;
	}
	(*list)[(*nr)++] = *f;
	return 0;
}

/* Held flows of this VIP: let go of those the new table sends home. */
static int review_held(const struct xlb_flow *f, const struct xlb_conn *conn, void *arg)
{
	struct change *c = arg;
	__u32 id = conn->backend_id;

	if (id >= xlb_dp_max_backends(c->dp) || c->state[id] == XLB_BE_UNUSED)
		return 0;	/* another VIP's */
	if (xlb_be_takes_flows(c->state[id]) && pick(c, f) != id) {
		c->res->vip_held++;
		return 0;
	}
	return push_release(&c->release, &c->nr_release, &c->cap_release, f);
}

/*
 * c set up for vip's new table (m slots), with its backends' states by id
 * (this VIP's only, never UNUSED: UP, DRAINING or DOWN). 1: no table,
 * nothing to walk.
 */
static int change_start(struct change *c, struct xlb_dp *dp, const struct xlb_vip_spec *vip,
			const __u32 *table, __u32 m, struct xlb_moved_result *res)
{
	size_t i;

	*c = (struct change){
		.dp = dp, .vip = vip, .table = table, .m = m,
		.seed = xlb_dp_hash_seed(dp), .now = ktime_now(), .res = res,
	};
	memset(res, 0, sizeof(*res));
	if (!m)
		return 1;
	c->state = calloc(xlb_dp_max_backends(dp), 1);
	if (!c->state)
		return -ENOMEM;
	for (i = 0; i < vip->nr_backends; i++)
		if (vip->backends[i].id < xlb_dp_max_backends(dp))
			c->state[vip->backends[i].id] = vip->backends[i].state;
	return 0;
}

/* An older build's held TCP flow of this VIP: a record now, as the data path would make. */
static int adopt_tcp(const struct xlb_flow *f, const struct xlb_conn *conn, void *arg)
{
	struct change *c = arg;
	__u32 id = conn->backend_id;

	if (f->proto != IPPROTO_TCP || id >= xlb_dp_max_backends(c->dp) ||
	    c->state[id] == XLB_BE_UNUSED)
		return 0;
	c->res->walked++;
	return push_release(&c->release, &c->nr_release, &c->cap_release, f);
}

int xlb_moved_adopt_tcp(struct xlb_dp *dp, const struct xlb_vip_spec *vip)
{
	struct xlb_moved_result res;
	struct xlb_conn conn;
	struct change c;
	size_t i;
	int err = change_start(&c, dp, vip, NULL, 1, &res);

	if (err)
		return err > 0 ? 0 : err;
	err = xlb_dp_walk_flows(dp, true, adopt_tcp, &c);
	for (i = 0; i < c.nr_release && !err; i++) {
		if (xlb_dp_held_flow(dp, &c.release[i], &conn))
			continue;
		conn.atime_ns = c.now;
		err = xlb_dp_record_flow(dp, &c.release[i], &conn);
		err = err ?: xlb_dp_release_flow(dp, &c.release[i]);
	}
	if (!err && c.nr_release)
		pr_info("%zu TCP flows an earlier build held apart are records in the connection table now\n",
			c.nr_release);
	free(c.release);
	free(c.state);
	return err;
}

int xlb_moved_on_table_change(struct xlb_dp *dp, const struct xlb_vip_spec *vip,
			      const __u32 *old, __u32 old_m, const __u32 *table, __u32 m,
			      struct xlb_moved_result *res)
{
	char label[XLB_ADDR_STRLEN];
	struct change c;
	size_t i;
	int err = change_start(&c, dp, vip, table, m, res);

	if (err)
		return err > 0 ? 0 : err;
	if (!old || old_m != m || memcmp(old, table, m * sizeof(*table)))
		err = xlb_dp_walk_flows(dp, false, hold_if_moved, &c);
	if (!err)
		err = xlb_dp_walk_flows(dp, true, review_held, &c);
	for (i = 0; i < c.nr_release && !err; i++) {
		err = xlb_dp_release_flow(dp, &c.release[i]);
		res->released += !err;
	}
	if (res->refused) {
		struct xlb_dp_moved_stats st;

		xlb_dp_moved_stats(dp, &st);
		pr_warn("Couldn't hold %u flows of VIP %s whose backend is no longer the table's choice: the moved-flow table is full (%u entries); they are reset if the LRU loses them\n",
			res->refused, xlb_addr_str(&vip->key.addr, label, sizeof(label)),
			st.capacity);
		pr_warn("hint: raise 'maps: { moved_flows: N }' and restart xlbd\n");
	}
	free(c.release);
	free(c.state);
	return err;
}

struct sweep {
	struct xlb_dp *dp;
	__u64 now, udp_idle_ns;
	struct xlb_backend *be;	/* read once per id */
	bool *read;
	__u32 *per_vip;		/* held flows by VIP id */
	struct xlb_flow *release;
	size_t nr_release, cap_release;
	__u32 held;
};

static const struct xlb_backend *backend_of(struct sweep *s, __u32 id)
{
	if (id >= xlb_dp_max_backends(s->dp))
		return NULL;
	if (!s->read[id]) {
		if (xlb_dp_get_backend(s->dp, id, &s->be[id]))
			s->be[id].state = XLB_BE_UNUSED;
		s->read[id] = true;
	}
	return &s->be[id];
}

static int sweep_one(const struct xlb_flow *f, const struct xlb_conn *conn, void *arg)
{
	struct sweep *s = arg;
	const struct xlb_backend *be = backend_of(s, conn->backend_id);
	__u64 idle = s->now - conn->atime_ns;
	bool gone;

	gone = !be || !xlb_be_takes_flows(be->state);
	if (!gone && f->proto == IPPROTO_UDP)
		gone = idle > s->udp_idle_ns;
	if (!gone && f->proto != IPPROTO_UDP && idle > XLB_MOVED_IDLE_SEC * 1000000000ull) {
		/* Still in the LRU: its packets hit there, so it may well be alive. */
		if (xlb_dp_flow_in_lru(s->dp, f)) {
			struct xlb_conn fresh = *conn;

			fresh.atime_ns = s->now;
			xlb_dp_refresh_held(s->dp, f, &fresh);
		} else {
			gone = true;
		}
	}
	if (gone)
		return push_release(&s->release, &s->nr_release, &s->cap_release, f);
	s->held++;
	if (be->vip_id < xlb_dp_max_vips(s->dp))
		s->per_vip[be->vip_id]++;
	return 0;
}

static int set_flags(struct sweep *s)
{
	struct xlb_vip_key key, prev;
	struct xlb_vip vip;
	int err;

	for (err = xlb_dp_next_vip(s->dp, NULL, &key, &vip); !err;
	     prev = key, err = xlb_dp_next_vip(s->dp, &prev, &key, &vip)) {
		bool want;

		if (vip.flags & XLB_VIP_F_ADDR_ENTRY || vip.id >= xlb_dp_max_vips(s->dp))
			continue;
		want = s->per_vip[vip.id] > 0;
		if (want == !!(vip.flags & XLB_VIP_F_MOVED))
			continue;
		vip.flags ^= XLB_VIP_F_MOVED;
		err = xlb_dp_set_vip(s->dp, &key, &vip);
		if (err)
			return err;
	}
	return err == -ENOENT ? 0 : err;
}

int xlb_moved_sweep(struct xlb_dp *dp, __u64 udp_idle_ns)
{
	struct sweep s = { .dp = dp, .now = ktime_now(), .udp_idle_ns = udp_idle_ns };
	size_t i;
	int err;

	s.be = calloc(xlb_dp_max_backends(dp), sizeof(*s.be));
	s.read = calloc(xlb_dp_max_backends(dp), sizeof(*s.read));
	s.per_vip = calloc(xlb_dp_max_vips(dp), sizeof(*s.per_vip));
	err = s.be && s.read && s.per_vip ? 0 : -ENOMEM;
	if (!err)
		err = xlb_dp_walk_flows(dp, true, sweep_one, &s);
	for (i = 0; i < s.nr_release && !err; i++)
		err = xlb_dp_release_flow(dp, &s.release[i]);
	if (!err) {
		xlb_dp_moved_count(dp, s.held);
		err = set_flags(&s);
	}
	free(s.be);
	free(s.read);
	free(s.per_vip);
	free(s.release);
	return err ? err : (int)s.nr_release;
}
