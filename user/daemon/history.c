// SPDX-License-Identifier: GPL-2.0
/*
 * The history of changes: what each one changed, recorded when it is in
 * force, and undone alone (history.h says why by delta, not by snapshot).
 * Persisted in history_file.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "apply.h"
#include "events.h"
#include "log.h"
#include "history.h"
#include "xlbd.h"

static const char *const guard_names[] = {
	[GUARD_NONE] = "not guarded", [GUARD_WATCHING] = "watching",
	[GUARD_HELD] = "held", [GUARD_ROLLED_BACK] = "rolled back",
	[GUARD_UNDONE] = "undone by hand", [GUARD_SUPERSEDED] = "superseded",
	[GUARD_ENDED_BY_RESTART] = "ended by restart",
	[GUARD_ROLLBACK_FAILED] = "rollback failed",
};

static const char *const source_names[] = {
	[CHANGE_XLBCTL] = "xlbctl", [CHANGE_RELOAD] = "xlbctl reload",
	[CHANGE_SIGHUP] = "SIGHUP", [CHANGE_START] = "start",
	[CHANGE_ROLLBACK] = "xlbctl rollback", [CHANGE_GUARD] = "guard",
};

/* The index of name s in names; 0 when it is none of them. */
static int name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return 0;
}

const char *guard_state_name(enum guard_state s)
{
	return s < ARRAY_SIZE(guard_names) ? guard_names[s] : "?";
}

enum guard_state guard_state_parse(const char *s)
{
	return name_index(guard_names, ARRAY_SIZE(guard_names), s);
}

const char *change_source_name(enum change_source s)
{
	return s < ARRAY_SIZE(source_names) ? source_names[s] : "?";
}

enum change_source change_source_parse(const char *s)
{
	return name_index(source_names, ARRAY_SIZE(source_names), s);
}

void guard_journal(struct xlbd *x, const struct change *c, const char *type, const char *text)
{
	journal_event(x, type, json_pack("{s:I, s:s, s:s, s:s, s:s}", "change_id",
		      (json_int_t)c->id, "change", c->what, "vip", c->vip[0] ? c->vip : "(several)",
		      "outcome", guard_state_name(c->state), "evidence", text));
}

/* A newer change n was made: every watch ends, the watched change in force. */
static void supersede(struct xlbd *x, const struct change *n)
{
	size_t i;

	for (i = 0; i < x->hist.nr; i++) {
		struct change *c = x->hist.c[i];

		if (c->state != GUARD_WATCHING)
			continue;
		c->state = GUARD_SUPERSEDED;
		snprintf(c->outcome, sizeof(c->outcome),
			 "superseded by change #%llu (%s, %s): in force, not watched further",
			 (unsigned long long)n->id, change_source_name(n->source), n->what);
		pr_info("guard of change #%llu ends: %s\n", (unsigned long long)c->id, c->outcome);
		guard_journal(x, c, "guard_ended", c->outcome);
	}
}

static __u64 wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

void change_free(struct change *c)
{
	if (!c)
		return;
	xlb_overrides_free(&c->before);
	xlb_overrides_free(&c->after);
	free(c->before_text);
	json_decref(c->vips);
	free(c->marks);
	free(c);
}

void history_fini(struct history *h)
{
	size_t i;

	for (i = 0; i < h->nr; i++)
		change_free(h->c[i]);
	free(h->path);
	memset(h, 0, sizeof(*h));
}

struct change *history_find(struct xlbd *x, __u64 id)
{
	size_t i;

	for (i = 0; i < x->hist.nr; i++)
		if (x->hist.c[i]->id == id)
			return x->hist.c[i];
	return NULL;
}

/* ---- before a change ------------------------------------------------- */

int change_before_take(struct xlbd *x, struct change_before *b, unsigned int what)
{
	const struct xlb_cfg *eff = x->effective;
	size_t v, i, n = 0;

	memset(b, 0, sizeof(*b));
	b->hash = x->base_hash;
	if (xlb_overrides_copy(&x->ov, &b->ov))
		return -ENOMEM;
	if (what & CHANGE_BEFORE_TEXT) {
		b->text = malloc(x->base_len + 1);
		b->base = b->text ? xlb_cfg_dup(x->base) : NULL;
		if (!b->base) {
			change_before_free(b);
			return -ENOMEM;
		}
		memcpy(b->text, x->base_text ? x->base_text : "", x->base_len);
		b->text[x->base_len] = '\0';
		b->len = x->base_len;
	}
	if (!(what & CHANGE_BEFORE_SHARES))
		return 0;
	for (v = 0; eff && v < eff->nr_vips; v++)
		n += eff->vips[v].nr_backends;
	b->shares = calloc(n ? n : 1, sizeof(*b->shares));
	if (!b->shares) {
		change_before_free(b);
		return -ENOMEM;
	}
	for (v = 0; eff && v < eff->nr_vips; v++) {
		for (i = 0; i < eff->vips[v].nr_backends; i++) {
			struct share *s = &b->shares[b->nr_shares++];

			snprintf(s->vip, sizeof(s->vip), "%s", eff->vips[v].name);
			s->addr = eff->vips[v].backends[i].addr;
			s->share = x->plans[v].be[i].expected_share;
		}
	}
	return 0;
}

void change_before_free(struct change_before *b)
{
	xlb_overrides_free(&b->ov);
	free(b->text);
	free(b->shares);
	xlb_cfg_free(b->base);
	memset(b, 0, sizeof(*b));
}

/* ---- what a change changed ------------------------------------------- */

static int put(struct xlb_overrides *ov, const struct xlb_override *o)
{
	struct xlb_override *slot = xlb_overrides_get(ov, o->vip, &o->backend, true);

	if (!slot)
		return -ENOMEM;
	*slot = *o;
	return 0;
}

/* The runtime changes of the backends whose override differs, before and after. */
static int override_delta(const struct xlb_overrides *before, struct xlb_overrides *after,
			  struct change *c)
{
	struct xlb_overrides *was = (struct xlb_overrides *)before;
	const struct xlb_override *o;
	size_t i;

	for (i = 0; i < before->nr; i++) {
		o = xlb_overrides_near(after, i, before->items[i].vip, &before->items[i].backend);
		if (xlb_override_equal(&before->items[i], o))
			continue;
		if (put(&c->before, &before->items[i]) || (o && put(&c->after, o)))
			return -ENOMEM;
	}
	for (i = 0; i < after->nr; i++) {
		o = &after->items[i];
		if (!xlb_overrides_near(was, i, o->vip, &o->backend) && put(&c->after, o))
			return -ENOMEM;
	}
	return 0;
}

/* A reload's scope: the names of the VIPs that differ between the two configs. */
static json_t *vips_changed(struct xlb_cfg *old, struct xlb_cfg *new)
{
	json_t *names = json_array();
	size_t i;

	for (i = 0; i < new->nr_vips; i++)
		if (xlb_cfg_vip_differs(xlb_cfg_find_vip(old, new->vips[i].name), &new->vips[i]))
			json_array_append_new(names, json_string(new->vips[i].name));
	for (i = 0; i < old->nr_vips; i++)
		if (!xlb_cfg_find_vip(new, old->vips[i].name))
			json_array_append_new(names, json_string(old->vips[i].name));
	return names;
}

/* Anything but the VIPs, where it was written aside (pos): a false "yes" records a change. */
static bool globals_differ(const struct xlb_cfg *a, const struct xlb_cfg *b)
{
	struct xlb_cfg x = *a, y = *b;
	size_t i;

	x.vips = y.vips = NULL;
	x.nr_vips = y.nr_vips = 0;
	for (i = 0; i < XLB_MAX_IFACES; i++)
		x.ifaces[i].pos = y.ifaces[i].pos = (struct xlb_pos){};
	x.announce.pos = y.announce.pos = (struct xlb_pos){};
	return memcmp(&x, &y, sizeof(x));
}

/*
 * A reload of the same config in other words (comments, order) changes
 * nothing in force: not a change. The config change that put the old
 * words in force now stands for the new ones, so it can still be undone.
 */
static bool same_in_other_words(struct xlbd *x, const struct change_before *b, json_t *vips)
{
	size_t i;

	if (json_array_size(vips) || globals_differ(b->base, x->base))
		return false;
	for (i = x->hist.nr; i-- > 0;)
		if (x->hist.c[i]->before_text && x->hist.c[i]->after_hash == b->hash) {
			x->hist.c[i]->after_hash = x->base_hash;
			break;
		}
	return true;
}

bool change_touches_vip(const struct change *c, const char *vip)
{
	json_t *name;
	size_t i;

	for (i = 0; i < c->before.nr; i++)
		if (!strcmp(c->before.items[i].vip, vip))
			return true;
	for (i = 0; i < c->after.nr; i++)
		if (!strcmp(c->after.items[i].vip, vip))
			return true;
	json_array_foreach(c->vips, i, name)
		if (!strcmp(json_string_value(name), vip))
			return true;
	return false;
}

bool history_touches(struct xlbd *x, const char *vip)
{
	size_t i;

	for (i = 0; i < x->hist.nr; i++)
		if (change_touches_vip(x->hist.c[i], vip))
			return true;
	return false;
}

static void push(struct history *h, struct change *c)
{
	if (h->nr == HISTORY_MAX) {
		change_free(h->c[0]);
		memmove(h->c, h->c + 1, (HISTORY_MAX - 1) * sizeof(*h->c));
		h->nr--;
	}
	h->c[h->nr++] = c;
}

__u64 history_record(struct xlbd *x, struct change_before *b, enum change_source src, long uid,
		     const char *what, const char *vip)
{
	struct change *c = calloc(1, sizeof(*c));

	if (!c || override_delta(&b->ov, &x->ov, c)) {
		pr_err("Couldn't record change '%s': out of memory; it is in force but cannot be undone\n",
		       what);
		change_free(c);
		return 0;
	}
	/* The config's text changed: only a change that took it (CHANGE_BEFORE_TEXT) can. */
	if (b->hash != x->base_hash && b->base && b->text) {
		json_t *vips = vips_changed(b->base, x->base);

		if (same_in_other_words(x, b, vips)) {
			json_decref(vips);
		} else {
			c->vips = vips;
			c->before_text = b->text;
			c->before_len = b->len;
			b->text = NULL;
			c->before_hash = b->hash;
			c->after_hash = x->base_hash;
		}
	}
	if (!c->before.nr && !c->after.nr && !c->before_text) {
		/* A reload of the same file, a reset of nothing: nothing to undo or guard. */
		change_free(c);
		return 0;
	}
	c->id = ++x->hist.next_id;
	c->source = src;
	c->uid = uid;
	c->when_ms = wall_ms();
	snprintf(c->what, sizeof(c->what), "%s", what);
	snprintf(c->vip, sizeof(c->vip), "%s", vip ? vip : "");
	supersede(x, c);
	push(&x->hist, c);
	return c->id;
}

void history_record_start(struct xlbd *x, struct history_prev *prev)
{
	struct change_before b = {};
	struct xlb_diags d;
	char what[200];
	__u64 id;
	int err;

	xlb_diags_init(&d, x->config_path);
	b.text = prev->text_differs ? prev->text : strndup(x->base_text, x->base_len);
	b.len = prev->text_differs ? prev->len : x->base_len;
	b.hash = text_hash(b.text ? b.text : "", b.len);
	prev->text = NULL;
	err = !b.text;
	if (prev->ov_differs) {
		b.ov = prev->ov;
		memset(&prev->ov, 0, sizeof(prev->ov));
	} else {
		err = err ?: xlb_overrides_copy(&x->ov, &b.ov);
	}
	err = err ?: xlb_cfg_load_buf(x->config_path, b.text, b.len, &b.base, &d);
	snprintf(what, sizeof(what), "start on %s",
		 prev->text_differs && prev->ov_differs ? "a config file and runtime changes unlike those in force before" :
		 prev->text_differs ? "a config file unlike the one in force before (edited while xlbd was stopped, or a reload undone that the file still holds)" :
		 "runtime changes unlike those the history knew (the state file edited while xlbd was stopped, or a crash between its writes)");
	if (err)
		pr_warn("xlbd started on %s; what was in force before cannot be put back\n", what + 9);
	else if ((id = history_record(x, &b, CHANGE_START, -1, what, NULL)))
		pr_warn("xlbd started on %s: change #%llu ('xlbctl rollback' undoes it)\n", what + 9,
			(unsigned long long)id);
	xlb_diags_free(&d);
	change_before_free(&b);
}

/* ---- undoing one change ---------------------------------------------- */

/* The newest change in force after c that touched the backend of o, or c's VIPs. */
/*
 * A newer change that, with its pair, changed nothing: undone since, or the
 * undo of a change newer than c. Neither stands between c and what is in
 * force now.
 */
static bool cancelled(const struct change *c, const struct change *n)
{
	return n->undone_by || (n->undoes && n->undoes > c->id);
}

/* Did n change the backend of o (its runtime change, or a reload of its VIP)? */
static bool changed_backend(const struct change *n, const struct xlb_override *o)
{
	struct xlb_overrides *before = (struct xlb_overrides *)&n->before;
	struct xlb_overrides *after = (struct xlb_overrides *)&n->after;
	json_t *name;
	size_t i;

	if (xlb_overrides_get(before, o->vip, &o->backend, false) ||
	    xlb_overrides_get(after, o->vip, &o->backend, false))
		return true;
	json_array_foreach(n->vips, i, name)
		if (!strcmp(json_string_value(name), o->vip))
			return true;
	return false;
}

/* The newest change in force after c that changed the backend of o; o NULL: the config. */
static const struct change *newer_conflict(struct xlbd *x, const struct change *c,
					   const struct xlb_override *o)
{
	size_t i;

	for (i = x->hist.nr; i-- > 0 && x->hist.c[i] != c;) {
		const struct change *n = x->hist.c[i];

		if (cancelled(c, n))
			continue;
		if (o ? changed_backend(n, o) : n->before_text != NULL)
			return n;
	}
	return NULL;
}

static int conflict(struct xlbd *x, const struct change *c, const struct change *n,
		    const char *thing, char *err, size_t len)
{
	(void)x;
	if (n)
		snprintf(err, len, "change #%llu (%s) changed %s since change #%llu; undo it first ('xlbctl rollback --change %llu'); nothing was undone",
			 (unsigned long long)n->id, n->what, thing, (unsigned long long)c->id,
			 (unsigned long long)n->id);
	else
		snprintf(err, len, "%s is no longer as change #%llu left it; nothing was undone",
			 thing, (unsigned long long)c->id);
	return -EBUSY;
}

/* The runtime changes with c's undone: each touched backend as it was before c. */
static int undo_overrides(struct xlbd *x, const struct change *c, struct xlb_overrides *next,
			  char *err, size_t len)
{
	char a[XLB_ADDR_STRLEN], thing[XLB_NAME_MAX + XLB_ADDR_STRLEN + 16];
	const struct xlb_overrides *sides[] = { &c->before, &c->after };
	size_t s, i;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < sides[s]->nr; i++) {
			const struct xlb_override *k = &sides[s]->items[i];
			struct xlb_overrides *after = (struct xlb_overrides *)&c->after;
			struct xlb_overrides *before = (struct xlb_overrides *)&c->before;
			const struct xlb_override *want = xlb_overrides_get(after, k->vip, &k->backend, false);
			const struct xlb_override *was = xlb_overrides_get(before, k->vip, &k->backend, false);
			struct xlb_override *now = xlb_overrides_get(next, k->vip, &k->backend, false);

			/* A backend on both sides is put back once, on the first. */
			if (s && was)
				continue;
			if (!xlb_override_equal(now, want)) {
				snprintf(thing, sizeof(thing), "backend %s of VIP '%s'",
					 xlb_addr_str(&k->backend, a, sizeof(a)), k->vip);
				return conflict(x, c, newer_conflict(x, c, k), thing, err, len);
			}
			if (!was) {
				xlb_overrides_drop(next, k->vip, &k->backend);
				continue;
			}
			now = xlb_overrides_get(next, k->vip, &k->backend, true);
			if (!now)
				return -ENOMEM;
			*now = *was;
		}
	}
	return 0;
}

/* A reload can be undone while the config it put in force is in force, its VIPs untouched since. */
static int undo_check_reload(struct xlbd *x, const struct change *c, char *err, size_t len)
{
	json_t *name;
	size_t i, k;

	if (x->base_hash != c->after_hash)
		return conflict(x, c, newer_conflict(x, c, NULL), "the config in force", err, len);
	for (k = x->hist.nr; k-- > 0 && x->hist.c[k] != c;) {
		const struct change *n = x->hist.c[k];

		if (cancelled(c, n))
			continue;
		json_array_foreach(c->vips, i, name)
			if (change_touches_vip(n, json_string_value(name))) {
				char thing[XLB_NAME_MAX + 8];

				snprintf(thing, sizeof(thing), "VIP '%s'", json_string_value(name));
				return conflict(x, c, n, thing, err, len);
			}
	}
	return 0;
}

struct change *history_pick(struct xlbd *x, const char *vip, __u64 id, char *err, size_t len)
{
	struct change *c;
	size_t i;

	if (id) {
		c = history_find(x, id);
		if (!c)
			snprintf(err, len, "no change #%llu: xlbd keeps the last %d ('xlbctl history' lists them)",
				 (unsigned long long)id, HISTORY_MAX);
		else if (c->undone_by)
			snprintf(err, len, "change #%llu (%s) was undone already, by change #%llu",
				 (unsigned long long)id, c->what, (unsigned long long)c->undone_by);
		else if (c->undoes)
			snprintf(err, len, "change #%llu undid change #%llu; to have that back, make it again",
				 (unsigned long long)id, (unsigned long long)c->undoes);
		else if (vip && !change_touches_vip(c, vip))
			snprintf(err, len, "change #%llu (%s) did not touch VIP '%s'; nothing was undone",
				 (unsigned long long)id, c->what, vip);
		else
			return c;
		return NULL;
	}
	for (i = x->hist.nr; i-- > 0;) {
		c = x->hist.c[i];
		if (!c->undone_by && !c->undoes && (!vip || change_touches_vip(c, vip)))
			return c;
	}
	if (vip)
		snprintf(err, len, "no change in force touched VIP '%s' ('xlbctl history' lists the changes)",
			 vip);
	else
		snprintf(err, len, x->hist.nr ? "no change left to undo ('xlbctl history' lists them)" :
			 "no change to undo: none was made since the history began");
	return NULL;
}

int history_undo(struct xlbd *x, struct change *c, enum change_source src, long uid,
		 char *err, size_t err_len)
{
	struct change_before b;
	struct xlb_overrides next;
	struct xlb_diags d;
	char what[400], *text;
	__u64 id = c->id, undo_id;
	int e;

	if (c->before_text && (e = undo_check_reload(x, c, err, err_len)))
		return e;
	if (xlb_overrides_copy(&x->ov, &next))
		return -ENOMEM;
	e = undo_overrides(x, c, &next, err, err_len);
	if (e || change_before_take(x, &b, CHANGE_BEFORE_TEXT | CHANGE_BEFORE_SHARES)) {
		xlb_overrides_free(&next);
		if (!e)
			snprintf(err, err_len, "out of memory; nothing was undone");
		return e ? e : -ENOMEM;
	}
	text = c->before_text ? strndup(c->before_text, c->before_len) : NULL;
	xlb_diags_init(&d, x->config_path);
	e = xlbd_apply_change(x, &next, text, c->before_len, &d);
	if (e) {
		char *t = xlb_diags_text(&d);

		snprintf(err, err_len, "couldn't put back what was in force before change #%llu: %s",
			 (unsigned long long)c->id, t ? t : strerror(-e));
		free(t);
		xlb_diags_free(&d);
		change_before_free(&b);
		return e;
	}
	xlb_diags_free(&d);
	snprintf(what, sizeof(what), "undo of change #%llu (%.300s)", (unsigned long long)id,
		 c->what);
	if (c->state == GUARD_WATCHING && src != CHANGE_GUARD) {
		c->state = GUARD_UNDONE;
		snprintf(c->outcome, sizeof(c->outcome), "undone by hand (%s, uid %ld)",
			 change_source_name(src), uid);
	} else if (src == CHANGE_GUARD) {
		c->state = GUARD_ROLLED_BACK;
	}
	/* Marked before it is recorded: the record may push c out of a full history. */
	c->undone_by = x->hist.next_id + 1;
	undo_id = history_record(x, &b, src, uid, what, c->vip[0] ? c->vip : NULL);
	change_before_free(&b);
	if (!undo_id) {
		c->undone_by = id;	/* nothing differed: undone all the same */
		return 0;
	}
	history_find(x, undo_id)->undoes = id;
	return 0;
}
