// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "events.h"
#include "log.h"
#include "guard.h"
#include "xlbd.h"

const char *guard_state_name(enum guard_state s)
{
	static const char *const names[] = {
		[GUARD_NONE] = "not guarded", [GUARD_WATCHING] = "watching",
		[GUARD_HELD] = "held", [GUARD_ROLLED_BACK] = "rolled back",
		[GUARD_UNDONE] = "undone by hand", [GUARD_SUPERSEDED] = "superseded",
	};

	return s <= GUARD_SUPERSEDED ? names[s] : "?";
}

int guard_before_take(struct xlbd *x, struct guard_before *b)
{
	memset(b, 0, sizeof(*b));
	b->base = xlb_cfg_dup(x->base);
	if (!b->base || xlb_overrides_copy(&x->ov, &b->ov)) {
		xlb_cfg_free(b->base);
		b->base = NULL;
		return -ENOMEM;
	}
	return 0;
}

void guard_before_free(struct guard_before *b)
{
	xlb_cfg_free(b->base);
	xlb_overrides_free(&b->ov);
	memset(b, 0, sizeof(*b));
}

static void change_free(struct guard_change *c)
{
	if (!c)
		return;
	xlb_cfg_free(c->base);
	xlb_overrides_free(&c->ov);
	free(c->marks);
	free(c);
}

void guard_fini(struct guard *g)
{
	size_t i;

	for (i = 0; i < g->nr; i++)
		change_free(g->changes[i]);
	memset(g, 0, sizeof(*g));
}

static bool in_scope(const struct guard_change *c, const char *vip)
{
	return !c->vip[0] || !strcmp(c->vip, vip);
}

static bool backend_down(struct xlbd *x, const char *vip, const union xlb_addr *a)
{
	struct probe_target *t = prober_find(&x->pr, vip, a);

	return t && xlb_health_is_down(&t->health);
}

/* What holds now on the VIPs the change touched: the marks to judge it by. */
static void mark(struct xlbd *x, struct guard_change *c)
{
	size_t v, b, n = 0;

	for (v = 0; v < x->effective->nr_vips; v++)
		if (in_scope(c, x->effective->vips[v].name))
			n += x->effective->vips[v].nr_backends;
	c->marks = calloc(n ? n : 1, sizeof(*c->marks));
	if (!c->marks)
		return;
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		const struct vip_monitor *vm = monitor_vip(x, vip->name);

		if (!in_scope(c, vip->name))
			continue;
		c->overload_before |= vm && vm->diag.kind == XLB_DIAG_OVERLOAD;
		for (b = 0; b < vip->nr_backends; b++) {
			const struct xlb_skew_backend *s = monitor_backend(x, vip->name, b,
									   &vip->backends[b].addr);
			struct guard_mark *m = &c->marks[c->nr_marks++];

			snprintf(m->vip, sizeof(m->vip), "%s", vip->name);
			m->addr = vip->backends[b].addr;
			m->skewed = s && s->raised;
			m->down = backend_down(x, vip->name, &m->addr);
		}
	}
}

/*
 * c's mark for a of vip. The marks were taken in the order guard_tick walks
 * the VIPs, so the search starts where the last one was found (*at): one
 * look each while nothing moved, not a scan per backend.
 */
static const struct guard_mark *find_mark(const struct guard_change *c, const char *vip,
					  const union xlb_addr *a, size_t *at)
{
	size_t i, k;

	for (k = 0; k < c->nr_marks; k++) {
		i = (*at + k) % c->nr_marks;
		if (!strcmp(c->marks[i].vip, vip) && !xlb_addr_cmp(&c->marks[i].addr, a)) {
			*at = i + 1;
			return &c->marks[i];
		}
	}
	return NULL;
}

__u64 guard_record(struct xlbd *x, struct guard_before *b, const char *what, const char *vip,
		   uid_t uid, __u32 guard_ms)
{
	struct guard *g = &x->guard;
	struct guard_change *c = calloc(1, sizeof(*c));
	size_t i;

	if (!c) {
		guard_before_free(b);
		return 0;
	}
	c->id = ++g->next_id;
	snprintf(c->what, sizeof(c->what), "%s", what);
	snprintf(c->vip, sizeof(c->vip), "%s", vip ? vip : "");
	c->uid = uid;
	c->base = b->base;
	c->ov = b->ov;
	memset(b, 0, sizeof(*b));
	c->made_ms = monotonic_ms();
	/* A newer change ends every watch: undoing one must not undo this. */
	for (i = 0; i < g->nr; i++) {
		struct guard_change *old = g->changes[i];

		if (old->state != GUARD_WATCHING)
			continue;
		old->state = GUARD_SUPERSEDED;
		snprintf(old->outcome, sizeof(old->outcome),
			 "superseded by change #%llu (%s): not watched further, not rolled back",
			 (unsigned long long)c->id, c->what);
		pr_info("guard of change #%llu ends: %s\n", (unsigned long long)old->id, old->outcome);
	}
	if (guard_ms) {
		c->state = GUARD_WATCHING;
		c->until_ms = c->made_ms + guard_ms;
		mark(x, c);
		snprintf(c->outcome, sizeof(c->outcome), "watching for %u s", guard_ms / 1000);
		pr_info("change #%llu (%s) is guarded for %u s: rolled back if it raises skew, an overload verdict or takes a backend down\n",
			(unsigned long long)c->id, what, guard_ms / 1000);
	}
	if (g->nr == GUARD_HISTORY) {
		change_free(g->changes[0]);
		memmove(g->changes, g->changes + 1, (GUARD_HISTORY - 1) * sizeof(*g->changes));
		g->nr--;
	}
	g->changes[g->nr++] = c;
	return c->id;
}

/* What went wrong since the change, in words; false if nothing did. */
static bool evidence(struct xlbd *x, const struct guard_change *c, char *buf, size_t len)
{
	char a[XLB_ADDR_STRLEN];
	size_t v, b, at = 0;

	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		const struct vip_monitor *vm = monitor_vip(x, vip->name);

		if (!in_scope(c, vip->name))
			continue;
		if (vm && vm->diag.kind == XLB_DIAG_OVERLOAD && !c->overload_before) {
			snprintf(buf, len, "VIP '%s' was diagnosed with %.900s", vip->name, vm->diag.message);
			return true;
		}
		for (b = 0; b < vip->nr_backends; b++) {
			const union xlb_addr *addr = &vip->backends[b].addr;
			const struct guard_mark *m = find_mark(c, vip->name, addr, &at);
			const struct xlb_skew_backend *s = monitor_backend(x, vip->name, b, addr);
			struct probe_target *t = prober_find(&x->pr, vip->name, addr);

			xlb_addr_str(addr, a, sizeof(a));
			if (s && s->raised && !(m && m->skewed)) {
				snprintf(buf, len, "skew raised on backend %s of VIP '%s': %.1f%% of new flows where its peers' median weight would give %.1f%% (cause: %s)",
					 a, vip->name, 100 * s->observed, 100 * s->peer,
					 xlb_skew_cause_name(s->cause));
				return true;
			}
			if (t && xlb_health_is_down(&t->health) && !(m && m->down)) {
				snprintf(buf, len, "backend %s of VIP '%s' went %s (last probe: %s)", a,
					 vip->name, xlb_health_name(&t->health), t->health.last_reason);
				return true;
			}
		}
	}
	return false;
}

/* Puts back what was in force before c; c leaves the history. */
static int undo(struct xlbd *x, struct guard_change *c, char *err, size_t err_len)
{
	struct xlb_overrides now = x->ov;
	struct xlb_diags d;
	int e;

	if (xlb_overrides_save(x->state_path, &c->ov)) {
		snprintf(err, err_len, "couldn't write state file '%s'; nothing changed", x->state_path);
		return -EIO;
	}
	x->ov = c->ov;
	xlb_diags_init(&d, x->config_path);
	e = xlbd_apply(x, c->base, &d);
	if (e) {
		char *text = xlb_diags_text(&d);

		snprintf(err, err_len, "couldn't put back what was in force before change #%llu: %s",
			 (unsigned long long)c->id, text ? text : strerror(-e));
		free(text);
		x->ov = now;
		xlb_overrides_save(x->state_path, &now);
		xlb_diags_free(&d);
		return e;
	}
	xlb_diags_free(&d);
	/* xlbd_apply owns the base now, the overrides are in force. */
	if (c->base == x->base)
		c->base = NULL;
	memset(&c->ov, 0, sizeof(c->ov));
	xlb_overrides_free(&now);
	return 0;
}

static void drop_newest(struct guard *g)
{
	change_free(g->changes[--g->nr]);
	g->changes[g->nr] = NULL;
}

static void journal_outcome(struct xlbd *x, const struct guard_change *c, const char *type,
			    const char *evidence_text)
{
	journal_event(x, type, json_pack("{s:I, s:s, s:s, s:s, s:s}", "change_id",
		      (json_int_t)c->id, "change", c->what, "vip", c->vip[0] ? c->vip : "(all)",
		      "outcome", guard_state_name(c->state), "evidence", evidence_text));
}

void guard_tick(struct xlbd *x)
{
	struct guard *g = &x->guard;
	__u64 now = monotonic_ms();
	char ev[1200], err[512];
	size_t i;

	for (i = 0; i < g->nr; i++) {
		struct guard_change *c = g->changes[i];

		if (c->state != GUARD_WATCHING)
			continue;
		if (evidence(x, c, ev, sizeof(ev))) {
			/* Only the newest change watches (a newer one supersedes). */
			if (undo(x, c, err, sizeof(err))) {
				c->state = GUARD_HELD;
				snprintf(c->outcome, sizeof(c->outcome), "should be rolled back (%.900s) but %.500s",
					 ev, err);
				pr_err("change #%llu (%s): %s\n", (unsigned long long)c->id, c->what,
				       c->outcome);
				journal_outcome(x, c, "rollback_failed", c->outcome);
				continue;
			}
			c->state = GUARD_ROLLED_BACK;
			snprintf(c->outcome, sizeof(c->outcome), "rolled back: %s%s", ev,
				 c->vip[0] ? "" : "; the config file still holds the change: fix it before the next reload");
			pr_warn("change #%llu (%s) %s\n", (unsigned long long)c->id, c->what, c->outcome);
			journal_outcome(x, c, "rolled_back", ev);
			/* Kept for its status, but it can no longer be undone. */
			xlb_cfg_free(c->base);
			c->base = NULL;
			continue;
		}
		if (now >= c->until_ms) {
			c->state = GUARD_HELD;
			snprintf(c->outcome, sizeof(c->outcome),
				 "held: no skew, overload or backend down in %llu s",
				 (unsigned long long)(c->until_ms - c->made_ms) / 1000);
			pr_info("change #%llu (%s) %s\n", (unsigned long long)c->id, c->what, c->outcome);
			journal_outcome(x, c, "guard_passed", c->outcome);
		}
	}
}

json_t *guard_status(struct xlbd *x, __u64 id)
{
	size_t i;

	for (i = 0; i < x->guard.nr; i++) {
		const struct guard_change *c = x->guard.changes[i];

		if (c->id == id)
			return json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)c->id,
					 "change", c->what, "state", guard_state_name(c->state),
					 "outcome", c->outcome, "left_s", (json_int_t)(
					 c->state == GUARD_WATCHING && c->until_ms > monotonic_ms() ?
					 (c->until_ms - monotonic_ms()) / 1000 : 0));
	}
	return NULL;
}

int guard_undo(struct xlbd *x, const char *vip, uid_t uid, char *err, size_t err_len,
	       char *done, size_t done_len)
{
	struct guard *g = &x->guard;
	struct guard_change *c = g->nr ? g->changes[g->nr - 1] : NULL;
	int e;

	if (!c || !c->base) {
		snprintf(err, err_len, c ? "the last change (#%llu: %s) was rolled back already; nothing older can be undone" :
			 "no change to undo: xlbd keeps the changes made since it started", c ? (unsigned long long)c->id : 0ull,
			 c ? c->what : "");
		return -ENOENT;
	}
	if (vip && strcmp(vip, c->vip)) {
		snprintf(err, err_len, c->vip[0] ?
			 "the last change (#%llu: %s) did not touch VIP '%s'; nothing was undone ('xlbctl rollback' without a VIP undoes it)" :
			 "the last change (#%llu: %s) touched every VIP, not only '%s'; nothing was undone ('xlbctl rollback' without a VIP undoes it)",
			 (unsigned long long)c->id, c->what, vip);
		return -EINVAL;
	}
	e = undo(x, c, err, err_len);
	if (e)
		return e;
	snprintf(done, done_len, "undid change #%llu: %s%s", (unsigned long long)c->id, c->what,
		 c->vip[0] ? "" : "; the config file still holds the change: fix it before the next reload");
	c->state = GUARD_UNDONE;
	pr_info("uid %u %s\n", uid, done);
	journal_event(x, "rolled_back", json_pack("{s:I, s:s, s:s, s:s, s:s, s:i}", "change_id",
		      (json_int_t)c->id, "change", c->what, "vip", c->vip[0] ? c->vip : "(all)",
		      "outcome", guard_state_name(c->state), "evidence", "by hand (xlbctl rollback)",
		      "uid", (int)uid));
	drop_newest(g);
	return 0;
}
