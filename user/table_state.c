// SPDX-License-Identifier: GPL-2.0
/*
 * A TCP VIP's table through its changes: T for new flows, the old table O
 * for the flows that were here before, and the slots on which the data
 * path looks for a flow's record (XLB_SLOT_LOOK). The contract, and why it
 * holds, is at the layout in xlb_shared.h; this file keeps its two sides:
 *
 * - At a change (xlb_table_state_next), O stays as it is: every flow that
 *   has no record is on O's choice, whatever T did since. A slot is LOOK
 *   where O's choice and the new T's differ, or where records may be. So a
 *   change walks no flow table and holds nothing: it cannot be refused,
 *   and no flow is known to nothing.
 *
 * - Later (xlb_table_tidy), O goes once every slot has been LOOK for the
 *   TCP idle time since the last change that made one differ: a live flow
 *   on O's choice has sent a packet meanwhile, and that packet recorded it.
 *   Records idle that long, or whose backend is gone, go; a slot whose
 *   records are all gone and whose choices agree is no longer LOOK, and
 *   its packets are back on the path that keeps no flow state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "addr.h"
#include "log.h"
#include "table_state.h"
#include "xlb_hash.h"

static __u64 now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: record times compare with it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __u32 hash_flags(__u32 vip_flags)
{
	return vip_flags & XLB_VIP_F_HASH_NO_SPORT ? XLB_OLD_NO_SPORT : 0;
}

/*
 * Whether a flow without a record on T's slot i may be elsewhere than T's
 * choice: O (m_o slots, hashed by o_flags; none when m_o is 0) indexed
 * otherwise than T (m slots, hashed by the VIP's flags), or its choice
 * there another backend.
 */
static bool old_differs(const __u32 *o, __u32 m_o, __u32 o_flags, const __u32 *t, __u32 m,
			__u32 flags, __u32 i)
{
	if (!m_o)
		return false;
	if (m_o != m || o_flags != hash_flags(flags))
		return true;
	return (o[i] & XLB_SLOT_BACKEND) != (t[i] & XLB_SLOT_BACKEND);
}

int xlb_table_state_next(const struct xlb_table_state *live, __u32 live_flags,
			 const __u32 *t, __u32 m, __u32 flags,
			 struct xlb_table_state *out, struct xlb_table_change *res)
{
	const __u32 *o;
	__u32 m_o, o_flags, i;
	bool same_t;

	memset(out, 0, sizeof(*out));
	memset(res, 0, sizeof(*res));
	out->t = malloc(m * sizeof(*out->t));
	if (!out->t)
		return -ENOMEM;
	out->m = m;
	/* As the data path stores it: "none" is the id field full, so LOOK stays apart. */
	for (i = 0; i < m; i++)
		out->t[i] = t[i] & XLB_SLOT_BACKEND;
	if (!live || !live->m)
		return 0;	/* a new VIP: no flow was here */

	/* The old table in force: O, else T (an older build's T too). */
	if (live->m_o && live->o) {
		o = live->o;
		m_o = live->m_o;
		o_flags = live->o_flags;
	} else {
		o = live->t;
		m_o = live->m;
		o_flags = hash_flags(live_flags);
	}
	same_t = live->m == m && hash_flags(live_flags) == hash_flags(flags) && !live->legacy;
	for (i = 0; i < m; i++) {
		bool differ = old_differs(o, m_o, o_flags, out->t, m, flags, i);
		/* It differed before this change too: its flows have been recorded since then. */
		bool before = same_t && old_differs(o, m_o, o_flags, live->t, m, flags, i);
		/* Records may be anywhere when T's slots meant other flows, or an older build made them. */
		bool records = !same_t || (live->t[i] & XLB_SLOT_LOOK);

		res->dirty += differ;
		res->newly_dirty += differ && !before;
		if (differ || records) {
			out->t[i] |= XLB_SLOT_LOOK;
			res->look++;
		}
	}
	if (!res->dirty)
		return 0;	/* O and T agree: O can go now, records are kept by LOOK */
	out->o = malloc(m_o * sizeof(*out->o));
	if (!out->o) {
		xlb_table_state_free(out);
		return -ENOMEM;
	}
	for (i = 0; i < m_o; i++)
		out->o[i] = o[i] & XLB_SLOT_BACKEND;
	out->m_o = m_o;
	out->o_flags = o_flags;
	return 0;
}

bool xlb_table_state_equal(const struct xlb_table_state *a, const struct xlb_table_state *b)
{
	if (a->legacy || b->legacy || a->m != b->m || a->m_o != b->m_o ||
	    (a->m_o && a->o_flags != b->o_flags))
		return false;
	if (memcmp(a->t, b->t, a->m * sizeof(*a->t)))
		return false;
	return !a->m_o || !memcmp(a->o, b->o, a->m_o * sizeof(*a->o));
}

/* ---- tidy -------------------------------------------------------------- */

struct tidy_vip {
	const struct xlb_vip_spec *spec;
	struct xlb_table_state ts;
	__u32 table_id;		/* the live map's id when read: changed, leave it be */
	__u8 *has_record;	/* by T slot */
	bool *ours;		/* by backend id: this VIP's, taking flows */
};

struct tidy {
	struct xlb_dp *dp;
	struct tidy_vip *vips;
	size_t nr;
	__u64 now, idle_ns;
	__u32 seed;
	struct xlb_flow *forget;
	size_t nr_forget, cap_forget;
	struct xlb_tidy_result *res;
};

static int key_cmp(const void *a, const void *b)
{
	const struct tidy_vip *x = a, *y = b;

	return memcmp(&x->spec->key, &y->spec->key, sizeof(x->spec->key));
}

/* The VIP a TCP record belongs to, as the data path finds it: exact port, then port 0. */
static struct tidy_vip *vip_of(struct tidy *td, const struct xlb_flow *f)
{
	struct xlb_vip_spec spec = { .key = { .addr = f->dst, .port = f->dport, .proto = f->proto } };
	struct tidy_vip probe = { .spec = &spec }, *v;

	v = bsearch(&probe, td->vips, td->nr, sizeof(*td->vips), key_cmp);
	if (v)
		return v;
	spec.key.port = 0;
	return bsearch(&probe, td->vips, td->nr, sizeof(*td->vips), key_cmp);
}

static int push_forget(struct tidy *td, const struct xlb_flow *f)
{
	if (td->nr_forget == td->cap_forget) {
		size_t n = td->cap_forget ? 2 * td->cap_forget : 256;
		struct xlb_flow *more = realloc(td->forget, n * sizeof(*more));

		if (!more)
			return -ENOMEM;
		td->forget = more;
		td->cap_forget = n;
	}
	td->forget[td->nr_forget++] = *f;
	return 0;
}

static int tidy_one(const struct xlb_flow *f, const struct xlb_conn *c, void *arg)
{
	struct tidy *td = arg;
	struct tidy_vip *v;
	__u32 slot, id = c->backend_id;

	td->res->entries++;
	if (f->proto != IPPROTO_TCP)
		return 0;	/* UDP records expire in the data path */
	td->res->records++;
	v = vip_of(td, f);
	if (!v)
		return push_forget(td, f);	/* its VIP is gone */
	/* A record touched since the walk began has a time after td->now: busy, not idle. */
	if (id >= xlb_dp_max_backends(td->dp) || !v->ours[id] ||
	    (c->atime_ns && c->atime_ns < td->now && td->now - c->atime_ns > td->idle_ns))
		return push_forget(td, f);
	slot = xlb_flow_hash(f, v->spec->flags & XLB_VIP_F_HASH_NO_SPORT, td->seed) % v->ts.m;
	/* With no O, a record of T's own choice says what the slot says: not needed. */
	if (!v->ts.m_o && (v->ts.t[slot] & XLB_SLOT_BACKEND) == id)
		return push_forget(td, f);
	v->has_record[slot] = 1;
	return 0;
}

/* The VIP's live table is still the one read (xlbd changes tables on its loop, which this runs on). */
static bool unchanged(struct tidy *td, const struct tidy_vip *v)
{
	__u32 id;

	return !xlb_dp_table_id(td->dp, v->spec->id, &id) && id == v->table_id;
}

/* O goes once the TCP idle time has passed since a change last made a slot differ. */
static int let_old_go(struct tidy *td, struct tidy_vip *v)
{
	char buf[XLB_ADDR_STRLEN];
	__u64 since = xlb_dp_old_since(td->dp, v->spec->id);
	int err;

	/* since may follow td->now: a new process starts the VIP's idle time when first asked. */
	if (!v->ts.m_o || since >= td->now || td->now - since < td->idle_ns || !unchanged(td, v))
		return 0;
	free(v->ts.o);
	v->ts.o = NULL;
	v->ts.m_o = 0;
	v->ts.o_flags = 0;
	err = xlb_dp_set_table_state(td->dp, v->spec->id, &v->ts);
	if (err)
		return err;
	td->res->old_dropped++;
	pr_info("VIP %s: the table from before its changes is let go (%llu s since the last change that moved a slot); a flow idle all that time follows the table now\n",
		xlb_addr_str(&v->spec->key.addr, buf, sizeof(buf)),
		(unsigned long long)((td->now - since) / 1000000000ull));
	return xlb_dp_table_id(td->dp, v->spec->id, &v->table_id);
}

/* LOOK stays where O's and T's choices differ or a record is; goes elsewhere. */
static int settle_look(struct tidy *td, struct tidy_vip *v)
{
	__u32 i, cleared = 0;

	if (!unchanged(td, v))
		return 0;	/* changed meanwhile: next time */
	for (i = 0; i < v->ts.m; i++) {
		bool differ = old_differs(v->ts.o, v->ts.m_o, v->ts.o_flags, v->ts.t, v->ts.m,
					  v->spec->flags, i);

		if ((v->ts.t[i] & XLB_SLOT_LOOK) && !differ && !v->has_record[i]) {
			v->ts.t[i] &= ~XLB_SLOT_LOOK;
			cleared++;
		}
	}
	if (!cleared)
		return 0;
	td->res->look_cleared += cleared;
	return xlb_dp_set_table_state(td->dp, v->spec->id, &v->ts);
}

static bool any_look(const struct xlb_table_state *ts)
{
	__u32 i;

	for (i = 0; i < ts->m; i++)
		if (ts->t[i] & XLB_SLOT_LOOK)
			return true;
	return false;
}

static int tidy_prepare(struct tidy *td, const struct xlb_vip_spec *vips, size_t nr)
{
	size_t i, b;
	int err;

	td->vips = calloc(nr ? nr : 1, sizeof(*td->vips));
	if (!td->vips)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		struct tidy_vip *v = &td->vips[td->nr];

		struct xlb_dp_table_info in;

		if (vips[i].key.proto != IPPROTO_TCP)
			continue;
		/* Nothing looked up, no old table: nothing to tidy, nothing to read. */
		if (xlb_dp_table_info(td->dp, vips[i].id, &in) && !in.look && !in.m_o)
			continue;
		err = xlb_dp_get_table_state(td->dp, vips[i].id, &v->ts);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		v->spec = &vips[i];
		td->nr++;
		err = xlb_dp_table_id(td->dp, v->spec->id, &v->table_id);
		if (err)
			return err;
		v->has_record = calloc(v->ts.m, 1);
		v->ours = calloc(xlb_dp_max_backends(td->dp), sizeof(*v->ours));
		if (!v->has_record || !v->ours)
			return -ENOMEM;
		for (b = 0; b < v->spec->nr_backends; b++) {
			const struct xlb_backend_spec *be = &v->spec->backends[b];
			if (be->id < xlb_dp_max_backends(td->dp))
				v->ours[be->id] = xlb_be_takes_flows(be->state);
		}
		td->res->look_vips += any_look(&v->ts);
	}
	qsort(td->vips, td->nr, sizeof(*td->vips), key_cmp);
	return 0;
}

int xlb_table_tidy(struct xlb_dp *dp, const struct xlb_vip_spec *vips, size_t nr,
		   struct xlb_tidy_result *res)
{
	struct tidy td = {
		.dp = dp, .now = now_ns(), .idle_ns = xlb_dp_tcp_idle_ns(dp),
		.seed = xlb_dp_hash_seed(dp), .res = res,
	};
	bool full;
	size_t i;
	int err;

	memset(res, 0, sizeof(*res));
	err = tidy_prepare(&td, vips, nr);
	/* Nothing is LOOK: no record is needed anywhere, and none is walked. */
	if (!err && res->look_vips)
		err = xlb_dp_walk_flows(dp, false, tidy_one, &td);
	/*
	 * A flow table near full may have evicted records of live flows: while
	 * O is kept they fall back on it, so it goes only when the table has
	 * room (a flood keeps O, and the slots looked up, until it is over).
	 */
	full = res->entries >= xlb_dp_flow_capacity(dp) / 10 * 9;
	for (i = 0; !err && i < td.nr; i++) {
		if (full && td.vips[i].ts.m_o)
			res->old_kept_full++;
		else
			err = let_old_go(&td, &td.vips[i]);
	}
	for (i = 0; !err && i < td.nr_forget; i++)
		res->forgotten += !xlb_dp_forget_flow(dp, &td.forget[i]);
	for (i = 0; !err && res->look_vips && i < td.nr; i++)
		err = settle_look(&td, &td.vips[i]);
	for (i = 0; i < td.nr; i++) {
		xlb_table_state_free(&td.vips[i].ts);
		free(td.vips[i].has_record);
		free(td.vips[i].ours);
	}
	free(td.vips);
	free(td.forget);
	return err;
}
