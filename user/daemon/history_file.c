// SPDX-License-Identifier: GPL-2.0
/*
 * The history as JSON: for xlbctl history, and in <state>.history so that
 * rollback and guards outlive a restart. The file also names the config
 * text in force, so that a start on a file edited while xlbd was stopped
 * is a change of its own, that can be undone like a reload. Texts are kept
 * beside it by hash (history_texts.c; version 2); version 1 had them in it,
 * and is still read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "addr.h"
#include "events.h"
#include "fdio.h"
#include "log.h"
#include "xlbd.h"

static __u64 wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static json_t *hash_json(__u64 h)
{
	return json_sprintf("%016llx", (unsigned long long)h);
}

static __u64 hash_from(json_t *j)
{
	const char *s = json_string_value(j);

	return s ? strtoull(s, NULL, 16) : 0;
}

static json_t *marks_json(const struct change *c)
{
	json_t *list = json_array();
	char a[XLB_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < c->nr_marks; i++) {
		const struct guard_mark *m = &c->marks[i];

		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:b, s:b, s:b}", "vip", m->vip,
				      "backend", xlb_addr_str(&m->addr, a, sizeof(a)),
				      "skewed", m->skewed, "down", m->down, "overloaded", m->overloaded,
				      "gained", m->gained));
	}
	return list;
}

/* What xlbctl history shows of a change; full: all that undoing it needs too. */
static json_t *change_to_json(const struct change *c, bool full)
{
	__u64 now = monotonic_ms();
	json_t *j = json_pack("{s:I, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)c->id,
			      "source", change_source_name(c->source), "uid", (json_int_t)c->uid,
			      "when_ms", (json_int_t)c->when_ms, "what", c->what, "vip", c->vip,
			      "guard", guard_state_name(c->state), "outcome", c->outcome);

	json_object_set_new(j, "in_force", json_boolean(!c->undone_by));
	if (c->undone_by)
		json_object_set_new(j, "undone_by", json_integer(c->undone_by));
	if (c->undoes)
		json_object_set_new(j, "undoes", json_integer(c->undoes));
	if (c->vips)
		json_object_set_new(j, "vips", json_deep_copy(c->vips));
	if (c->guard_ms)
		json_object_set_new(j, "guard_ms", json_integer(c->guard_ms));
	if (c->state == GUARD_WATCHING)
		json_object_set_new(j, full ? "until_wall_ms" : "left_s", json_integer(full ?
			wall_now_ms() + (c->until_ms > now ? c->until_ms - now : 0) :
			(c->until_ms > now ? (c->until_ms - now) / 1000 : 0)));
	if (!full)
		return j;
	json_object_set_new(j, "before", xlb_overrides_to_json(&c->before));
	json_object_set_new(j, "after", xlb_overrides_to_json(&c->after));
	if (c->before_text) {
		/* The text itself is kept beside the file, by this hash. */
		json_object_set_new(j, "before_kept", json_true());
		json_object_set_new(j, "before_hash", hash_json(c->before_hash));
		json_object_set_new(j, "after_hash", hash_json(c->after_hash));
	}
	if (c->nr_marks)
		json_object_set_new(j, "marks", marks_json(c));
	return j;
}

json_t *change_json(const struct change *c)
{
	return change_to_json(c, false);
}

json_t *history_json(struct xlbd *x)
{
	json_t *list = json_array();
	size_t i;

	for (i = x->hist.nr; i-- > 0;)
		json_array_append_new(list, change_to_json(x->hist.c[i], false));
	return list;
}

void history_save(struct xlbd *x)
{
	__u64 keep[HISTORY_MAX + 1];
	json_t *root, *list;
	size_t i, nr = 0;
	char *text;
	int err;

	if (!x->hist.path)
		return;
	/* The texts first: the file never names one that is not there. */
	keep[nr++] = x->base_hash;
	err = history_text_keep(x->hist.path, x->base_hash, x->base_text ? x->base_text : "",
				x->base_text ? x->base_len : 0);
	for (i = 0; !err && i < x->hist.nr; i++) {
		const struct change *c = x->hist.c[i];

		if (!c->before_text)
			continue;
		keep[nr++] = c->before_hash;
		err = history_text_keep(x->hist.path, c->before_hash, c->before_text,
					c->before_len);
	}
	if (err) {
		pr_warn("Couldn't write the config texts beside history file '%s': %s; the changes are in force, but a restart forgets how to undo them\n",
			x->hist.path, strerror(-err));
		return;
	}
	list = json_array();
	for (i = 0; i < x->hist.nr; i++)
		json_array_append_new(list, change_to_json(x->hist.c[i], true));
	/* What is in force as this history knows it: a start finds what changed since. */
	root = json_pack("{s:i, s:I, s:o, s:o, s:o}", "version", 2, "next_id",
			 (json_int_t)x->hist.next_id, "config_hash", hash_json(x->base_hash),
			 "overrides", xlb_overrides_to_json(&x->ov), "changes", list);
	text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	err = text ? xlb_write_file_atomic(x->hist.path, text, 0640) : -ENOMEM;
	if (err)
		pr_warn("Couldn't write history file '%s': %s; the changes are in force, but a restart forgets how to undo them\n",
			x->hist.path, strerror(-err));
	else
		history_texts_prune(x->hist.path, keep, nr);
	free(text);
	json_decref(root);
}

static int marks_from(json_t *list, struct change *c)
{
	json_t *m;
	size_t i;

	c->marks = calloc(json_array_size(list) + 1, sizeof(*c->marks));
	if (!c->marks)
		return -ENOMEM;
	json_array_foreach(list, i, m) {
		struct guard_mark *g = &c->marks[c->nr_marks];
		const char *vip, *addr;
		int skewed, down, overloaded, gained = 1;

		if (json_unpack(m, "{s:s, s:s, s:b, s:b, s:b, s?b}", "vip", &vip, "backend", &addr,
				"skewed", &skewed, "down", &down, "overloaded", &overloaded,
				"gained", &gained) ||
		    strlen(vip) >= XLB_NAME_MAX || xlb_addr_parse(addr, &g->addr))
			return -EINVAL;
		snprintf(g->vip, sizeof(g->vip), "%s", vip);
		g->skewed = skewed;
		g->gained = gained;
		g->down = down;
		g->overloaded = overloaded;
		c->nr_marks++;
	}
	return 0;
}

/*
 * After a restart: c was watched until wall clock resume_wall_ms. The time
 * xlbd was stopped counts: nobody watched then, so a guard whose time ran
 * out is "ended by restart", not "held". What is left is never more than
 * the guard was asked for (a clock stepped back while xlbd was stopped).
 */
static void guard_resume(struct xlbd *x, struct change *c, __u64 now_wall_ms)
{
	__u64 left_ms, most = c->guard_ms ? c->guard_ms : GUARD_MAX_MS;
	char left[64];

	if (c->resume_wall_ms <= now_wall_ms) {
		c->state = GUARD_ENDED_BY_RESTART;
		snprintf(c->outcome, sizeof(c->outcome),
			 "guard ended by restart: its time ran out while xlbd was stopped; the change is in force");
		pr_warn("change #%llu (%s): %s\n", (unsigned long long)c->id, c->what, c->outcome);
		guard_journal(x, c, "guard_ended", c->outcome);
		return;
	}
	left_ms = c->resume_wall_ms - now_wall_ms;
	if (left_ms > most)
		left_ms = most;
	c->until_ms = monotonic_ms() + left_ms;
	snprintf(left, sizeof(left), "%llu s", (unsigned long long)left_ms / 1000);
	snprintf(c->outcome, sizeof(c->outcome), "watching for %s more (resumed after a restart)", left);
	pr_info("change #%llu (%s): guard resumed after a restart, %s left\n",
		(unsigned long long)c->id, c->what, left);
	guard_journal(x, c, "guard_resumed", c->outcome);
}

void history_resume(struct xlbd *x)
{
	__u64 now = wall_now_ms();
	size_t i;

	for (i = 0; i < x->hist.nr; i++)
		if (x->hist.c[i]->state == GUARD_WATCHING)
			guard_resume(x, x->hist.c[i], now);
}

/* One entry of the file (hist: its path, for the texts kept beside it). */
static int change_from(const char *hist, json_t *j, struct change **out)
{
	struct change *c = calloc(1, sizeof(*c));
	const char *source, *what, *vip, *guard, *outcome, *text = NULL;
	json_int_t id, uid, when, until = 0, undone_by = 0, undoes = 0, guard_ms = 0;
	json_t *before = NULL, *after = NULL, *vips = NULL, *marks = NULL, *bh = NULL, *ah = NULL;
	size_t bad, text_len = 0;
	int kept = 0;

	*out = c;
	if (!c)
		return -ENOMEM;
	if (json_unpack(j, "{s:I, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s?I, s?I, s?o, s?I, s?o, s?o, s?s%, s?b, s?o, s?o, s?o, s?I}",
			"id", &id, "source", &source, "uid", &uid, "when_ms", &when, "what", &what,
			"vip", &vip, "guard", &guard, "outcome", &outcome, "undone_by", &undone_by,
			"undoes", &undoes, "vips", &vips, "until_wall_ms", &until, "before", &before,
			"after", &after, "before_text", &text, &text_len, "before_kept", &kept,
			"before_hash", &bh,
			"after_hash", &ah, "marks", &marks, "guard_ms", &guard_ms) ||
	    strlen(vip) >= XLB_NAME_MAX || id <= 0 || undone_by < 0 || undoes < 0 || until < 0 ||
	    guard_ms < 0 || guard_ms > GUARD_MAX_MS)
		return -EINVAL;
	c->guard_ms = guard_ms;
	c->resume_wall_ms = until;
	c->id = id;
	c->source = change_source_parse(source);
	c->uid = uid;
	c->when_ms = when;
	snprintf(c->what, sizeof(c->what), "%s", what);
	snprintf(c->vip, sizeof(c->vip), "%s", vip);
	c->state = guard_state_parse(guard);
	snprintf(c->outcome, sizeof(c->outcome), "%s", outcome);
	c->undone_by = undone_by;
	c->undoes = undoes;
	c->vips = vips ? json_deep_copy(vips) : NULL;
	if ((before && xlb_overrides_from_json(before, &c->before, &bad)) ||
	    (after && xlb_overrides_from_json(after, &c->after, &bad)) ||
	    (marks && marks_from(marks, c)))
		return -EINVAL;
	if (text && kept)
		return -EINVAL;
	if (text) {
		/* Version 1: the text and its hash side by side; they must agree
		 * (the text is kept beside the file under that hash from now on). */
		if (text_hash(text, text_len) != hash_from(bh))
			return -ENODATA;
		c->before_text = strndup(text, text_len);
		c->before_len = text_len;
	} else if (kept) {
		/* Missing, or not the text of that hash: this entry cannot be undone. */
		c->before_text = history_text_read(hist, hash_from(bh), &c->before_len);
		if (!c->before_text)
			return -ENODATA;
	}
	if (text || kept) {
		c->before_hash = hash_from(bh);
		c->after_hash = hash_from(ah);
		if (!c->before_text)
			return -ENOMEM;
	}
	return 0;
}

/* The entries of the file, oldest first, their numbers rising; false: not a history xlbd wrote. */
static bool read_changes(struct xlbd *x, json_t *changes, json_int_t next_id)
{
	__u64 last = 0;
	json_t *j;
	size_t i;

	json_array_foreach(changes, i, j) {
		struct change *c;
		int err = change_from(x->hist.path, j, &c);

		if (err == -ENODATA && c->id > last) {
			/* Its text is lost: it alone goes; its number stays used. */
			pr_warn("change #%llu (%s) of the history cannot be undone any more: the config text it needs beside '%s' is missing or damaged\n",
				(unsigned long long)c->id, c->what, x->hist.path);
			last = c->id;
			change_free(c);
			continue;
		}
		if (err || c->id <= last) {
			change_free(c);
			return false;
		}
		last = c->id;
		if (x->hist.nr == HISTORY_MAX) {
			change_free(x->hist.c[0]);
			memmove(x->hist.c, x->hist.c + 1, (HISTORY_MAX - 1) * sizeof(*x->hist.c));
			x->hist.nr--;
		}
		x->hist.c[x->hist.nr++] = c;
	}
	/* A number is never given twice, whatever the file says comes next. */
	x->hist.next_id = (__u64)next_id > last ? (__u64)next_id : last;
	return true;
}

int history_load(struct xlbd *x, struct history_prev *prev)
{
	json_t *root = NULL, *changes, *ov;
	json_error_t jerr = { .text = "not a regular file" };
	json_int_t next_id = 0;
	const char *text = NULL;
	char *kept_text = NULL;
	json_t *config_hash = NULL;
	size_t i, text_len = 0, bad_at;
	struct stat st;
	bool ok = false;

	memset(prev, 0, sizeof(*prev));
	x->hist.path = malloc(strlen(x->state_path) + sizeof(".history"));
	if (!x->hist.path)
		return -ENOMEM;
	sprintf(x->hist.path, "%s.history", x->state_path);
	if (stat(x->hist.path, &st) && errno == ENOENT)
		return 0;	/* none yet */
	/* Only a regular file is opened: a FIFO there would block the start. */
	if (!stat(x->hist.path, &st) && S_ISREG(st.st_mode))
		root = json_load_file(x->hist.path, JSON_REJECT_DUPLICATES, &jerr);
	if (root && !json_unpack(root, "{s:I, s?s%, s?o, s:o, s?o}", "next_id", &next_id,
				 "config_text", &text, &text_len, "config_hash", &config_hash,
				 "changes", &changes, "overrides", &ov) &&
	    next_id >= 0 && json_is_array(changes)) {
		/* Version 1 had the text in it; version 2 names it by hash. */
		if (!text && json_is_string(config_hash))
			text = kept_text = history_text_read(x->hist.path, hash_from(config_hash),
							     &text_len);
		/* Lost: what was in force before the stop is unknown, the changes stand. */
		if (!text && json_is_string(config_hash))
			pr_warn("The config text in force when xlbd stopped is missing or damaged beside '%s': an edit made while it was stopped is not recorded as a change\n",
				x->hist.path);
		ok = (text || json_is_string(config_hash)) && read_changes(x, changes, next_id);
	}
	ov = root ? json_object_get(root, "overrides") : NULL;
	if (ok && ov && xlb_overrides_from_json(ov, &prev->ov, &bad_at))
		ok = false;
	if (!ok) {
		char bad[XLB_PATH_MAX + 16];

		snprintf(bad, sizeof(bad), "%s.bad", x->hist.path);
		pr_warn("Couldn't read history file '%s' (%s); it is kept as '%s', and the history starts empty: the changes in force stay, but those made before cannot be undone\n",
			x->hist.path, root ? "not a history xlbd wrote" : jerr.text, bad);
		rename(x->hist.path, bad);
		for (i = 0; i < x->hist.nr; i++)
			change_free(x->hist.c[i]);
		x->hist.nr = 0;
		xlb_overrides_free(&prev->ov);
		json_decref(root);
		free(kept_text);
		return 0;
	}
	/* What changed while xlbd was stopped (or between its two writes): a change of its own. */
	prev->text_differs = text && text_hash(text, text_len) != x->base_hash;
	prev->ov_differs = ov && !xlb_overrides_equal(&prev->ov, &x->ov);
	if (prev->text_differs)
		prev->text = strndup(text, text_len);
	prev->len = prev->text ? text_len : 0;
	prev->text_differs = prev->text != NULL;
	if (!prev->ov_differs)
		xlb_overrides_free(&prev->ov);
	json_decref(root);
	free(kept_text);
	return 0;
}
