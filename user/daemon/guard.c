// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "events.h"
#include "log.h"
#include "guard.h"
#include "xlbd.h"

static bool backend_down(struct xlbd *x, const char *vip, const union xlb_addr *a)
{
	struct probe_target *t = prober_find(&x->pr, vip, a);

	return t && xlb_health_is_down(&t->health);
}

/* Does an overload verdict not caused by concentrated traffic name the backend? */
static bool overload_names(const struct vip_monitor *vm, const char *addr)
{
	const char *p;
	size_t n = strlen(addr);

	if (!vm || vm->diag.kind != XLB_DIAG_OVERLOAD || vm->diag.cause == XLB_SKEW_TRAFFIC)
		return false;
	for (p = vm->diag.named; (p = strstr(p, addr)); p += n)
		if ((p == vm->diag.named || p[-1] == ',') && (!p[n] || p[n] == ','))
			return true;
	return false;
}

static const struct xlb_skew_backend *skew_of(struct xlbd *x, const char *vip,
					      const union xlb_addr *a)
{
	struct xlb_cfg_vip *v = xlb_cfg_find_vip(x->effective, vip);
	struct xlb_cfg_backend *be = v ? xlb_cfg_find_backend(v, a) : NULL;

	return be ? monitor_backend(x, vip, be - v->backends, a) : NULL;
}

/* Skew the change could have caused: raised, and not by a few clients' traffic. */
static bool skew_raised(const struct xlb_skew_backend *s)
{
	return s && s->raised && s->cause != XLB_SKEW_TRAFFIC;
}

static double share_before(const struct change_before *b, const char *vip,
			   const union xlb_addr *a, size_t *at)
{
	size_t i, k;

	for (k = 0; k < b->nr_shares; k++) {
		i = (*at + k) % b->nr_shares;
		if (!strcmp(b->shares[i].vip, vip) && !xlb_addr_cmp(&b->shares[i].addr, a)) {
			*at = i + 1;
			return b->shares[i].share;
		}
	}
	return -1;
}

static bool named_by(const struct change *c, const char *vip, const union xlb_addr *a)
{
	struct xlb_overrides *sides[] = { (struct xlb_overrides *)&c->before,
					  (struct xlb_overrides *)&c->after };

	return xlb_overrides_get(sides[0], vip, a, false) || xlb_overrides_get(sides[1], vip, a, false);
}

/*
 * The backends the change moved traffic to or from (their share of new
 * flows differs from before it) or named, and what held on each then.
 */
static void mark(struct xlbd *x, struct change *c, const struct change_before *b)
{
	const struct xlb_cfg *eff = x->effective;
	char a[XLB_ADDR_STRLEN];
	size_t v, i, n = 0, at = 0;

	for (v = 0; v < eff->nr_vips; v++)
		n += eff->vips[v].nr_backends;
	c->marks = calloc(n ? n : 1, sizeof(*c->marks));
	if (!c->marks)
		return;
	for (v = 0; v < eff->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &eff->vips[v];
		const struct vip_monitor *vm = monitor_vip(x, vip->name);

		for (i = 0; i < vip->nr_backends; i++) {
			const union xlb_addr *addr = &vip->backends[i].addr;
			double was = share_before(b, vip->name, addr, &at);
			struct guard_mark *m;

			double now = x->plans[v].be[i].expected_share;

			if (fabs(was - now) < 1e-9 && !named_by(c, vip->name, addr))
				continue;
			m = &c->marks[c->nr_marks++];
			m->gained = now > was + 1e-9;
			snprintf(m->vip, sizeof(m->vip), "%s", vip->name);
			m->addr = *addr;
			m->skewed = skew_raised(monitor_backend(x, vip->name, i, addr));
			m->down = backend_down(x, vip->name, addr);
			m->overloaded = overload_names(vm, xlb_addr_str(addr, a, sizeof(a)));
		}
	}
}

void guard_watch(struct xlbd *x, __u64 id, const struct change_before *b, __u32 guard_ms)
{
	struct change *c = history_find(x, id);

	if (!guard_ms || !c)
		return;
	c->state = GUARD_WATCHING;
	c->guard_ms = guard_ms;
	c->until_ms = monotonic_ms() + guard_ms;
	mark(x, c, b);
	snprintf(c->outcome, sizeof(c->outcome), "watching for %u s", guard_ms / 1000);
	pr_info("change #%llu (%s) is guarded for %u s: rolled back if a backend it moved traffic to or from is skewed, overloaded or goes down\n",
		(unsigned long long)c->id, c->what, guard_ms / 1000);
}

/* What went wrong since the change on a backend it moved, in words; false if nothing. */
static bool evidence(struct xlbd *x, const struct change *c, char *buf, size_t len)
{
	char a[XLB_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < c->nr_marks; i++) {
		const struct guard_mark *m = &c->marks[i];
		const struct xlb_skew_backend *s = skew_of(x, m->vip, &m->addr);
		const struct vip_monitor *vm = monitor_vip(x, m->vip);
		struct probe_target *t = prober_find(&x->pr, m->vip, &m->addr);

		xlb_addr_str(&m->addr, a, sizeof(a));
		if (skew_raised(s) && !m->skewed) {
			snprintf(buf, len, "skew raised on backend %s of VIP '%s', which the change moved traffic to or from: %.1f%% of new flows where its peers' median weight would give %.1f%% (cause: %s)",
				 a, m->vip, 100 * s->observed, 100 * s->peer,
				 xlb_skew_cause_name(s->cause));
			return true;
		}
		if (overload_names(vm, a) && !m->overloaded) {
			snprintf(buf, len, "VIP '%s' was diagnosed with %.900s", m->vip, vm->diag.message);
			return true;
		}
		/* Down: the change's doing only if it sent it more (a drain did not). */
		if (m->gained && t && xlb_health_is_down(&t->health) && !m->down) {
			snprintf(buf, len, "backend %s of VIP '%s' went %s (last probe: %s)", a,
				 m->vip, xlb_health_name(&t->health), t->health.last_reason);
			return true;
		}
	}
	return false;
}

void guard_tick(struct xlbd *x)
{
	__u64 now = monotonic_ms();
	char ev[1200], err[512];
	size_t i;

	for (i = 0; i < x->hist.nr; i++) {
		struct change *c = x->hist.c[i];

		if (c->state != GUARD_WATCHING)
			continue;
		if (evidence(x, c, ev, sizeof(ev))) {
			__u64 id = c->id;

			/* A watched change is the newest: a newer one supersedes. */
			if (history_undo(x, c, CHANGE_GUARD, -1, err, sizeof(err))) {
				c->state = GUARD_ROLLBACK_FAILED;
				snprintf(c->outcome, sizeof(c->outcome), "should be rolled back (%.900s) but %.500s; the change is in force: undo it by hand once the cause is fixed ('xlbctl rollback --change %llu')",
					 ev, err, (unsigned long long)c->id);
				pr_err("change #%llu (%s): %s\n", (unsigned long long)c->id, c->what,
				       c->outcome);
				guard_journal(x, c, "rollback_failed", c->outcome);
				history_save(x);
				return;
			}
			/* Found again: recording the rollback may have pushed out older entries. */
			c = history_find(x, id);
			if (!c)
				return;
			snprintf(c->outcome, sizeof(c->outcome), "rolled back: %s%s", ev,
				 c->before_text ? "; the config file still holds the change: fix it before the next reload or restart" : "");
			pr_warn("change #%llu (%s) %s\n", (unsigned long long)c->id, c->what, c->outcome);
			guard_journal(x, c, "rolled_back", ev);
			history_save(x);
			return;
		}
		if (now >= c->until_ms) {
			c->state = GUARD_HELD;
			snprintf(c->outcome, sizeof(c->outcome),
				 "held: no skew, overload or backend down on the backends it moved");
			pr_info("change #%llu (%s) %s\n", (unsigned long long)c->id, c->what, c->outcome);
			guard_journal(x, c, "guard_passed", c->outcome);
			history_save(x);
		}
	}
}

json_t *guard_status(struct xlbd *x, __u64 id)
{
	const struct change *c = history_find(x, id);
	__u64 now = monotonic_ms();

	/*
	 * Gone from the history: pushed out by newer changes (each ended its
	 * watch), or never known to it (a history lost across a restart).
	 */
	if (!c && id > 0 && id <= x->hist.next_id && x->hist.nr && id < x->hist.c[0]->id)
		return json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "state", "superseded",
				 "outcome", "superseded: pushed out of the history by newer changes, each of which ended its watch",
				 "left_s", (json_int_t)0);
	if (!c && id > 0)
		return json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "state", "unknown",
				 "outcome", "unknown to xlbd's history (lost or damaged across a restart): 'xlbctl show' says what is in force",
				 "left_s", (json_int_t)0);
	if (!c)
		return NULL;
	return json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)c->id,
			 "change", c->what, "state", guard_state_name(c->state),
			 "outcome", c->outcome, "left_s", (json_int_t)(
			 c->state == GUARD_WATCHING && c->until_ms > now ? (c->until_ms - now) / 1000 : 0));
}
