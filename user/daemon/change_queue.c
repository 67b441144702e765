// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "apply.h"
#include "change_queue.h"
#include "commands.h"
#include "diags_json.h"
#include "events.h"
#include "guard.h"
#include "log.h"
#include "xlbd.h"

/* A request waiting for the queue's run; req and its args live with its connection. */
struct pending {
	struct ctl_request req;
	struct ctl_later *later;
	change_fn fn;
	struct pending *next;
};

/* A change of the batch: the runtime changes before and after it, in order. */
struct collected {
	struct pending *p;
	struct xlb_overrides before, after;
	char what[256];
	char key[XLB_NAME_MAX + XLB_ADDR_STRLEN + 2];
	__u64 id;			/* its number in the history */
};

void reply_change(json_t *r, __u64 id, __u32 guard_ms)
{
	json_object_set_new(r, "change_id", json_integer(id));
	if (guard_ms && id)
		json_object_set_new(r, "guard_s", json_integer(guard_ms / 1000));
	if (!id)
		json_object_set_new(r, "unchanged", json_true());
}

int change_guard_arg(const struct ctl_request *req, __u32 *ms, char *err, size_t err_len)
{
	json_t *g = json_object_get(req->args, "guard_ms");

	*ms = 0;
	if (!g)
		return 0;
	if (!json_is_integer(g) || json_integer_value(g) < 1000 ||
	    json_integer_value(g) > GUARD_MAX_MS) {
		snprintf(err, err_len, "guard must be from 1s to %us", GUARD_MAX_MS / 1000);
		return -EINVAL;
	}
	*ms = json_integer_value(g);
	return 0;
}

/* Diagnostics as one message, for an error reply. */
static void diags_text(const struct xlb_diags *d, char *buf, size_t len)
{
	char *text = xlb_diags_text(d);

	snprintf(buf, len, "%s", text ? text : "");
	free(text);
}

static void answer(struct pending *p, json_t *res, const char *err)
{
	control_answer(p->later, res, err && err[0] ? err : "command failed");
	free(p);
}

/* The (VIP, backend) a change is to, as one string; false: none (reset), alone. */
static bool key_of(const struct ctl_request *req, char *key, size_t len)
{
	const char *vip = json_string_value(json_object_get(req->args, "vip"));
	const char *be = json_string_value(json_object_get(req->args, "backend"));
	char a[XLB_ADDR_STRLEN];
	union xlb_addr addr;

	if (!vip || !be || strcmp(req->cmd, "reset") == 0)
		return false;
	/* One address, one key, however it was written. */
	if (!xlb_addr_parse(be, &addr))
		be = xlb_addr_str(&addr, a, sizeof(a));
	snprintf(key, len, "%s\n%s", vip, be);
	return true;
}

static bool key_taken(const struct change_queue *q, const char *key)
{
	for (size_t i = 0; i < q->nr; i++)
		if (!strcmp(q->items[i].key, key))
			return true;
	return false;
}

static json_t *commit_now(struct xlbd *x, const struct ctl_request *req,
			  struct xlb_overrides *next, const char *what, char *err, size_t err_len)
{
	const char *vip = json_string_value(json_object_get(req->args, "vip"));
	struct change_before before;
	struct xlb_diags d;
	json_t *r = NULL;
	__u32 guard_ms;
	__u64 id;

	if (change_guard_arg(req, &guard_ms, err, err_len)) {
		xlb_overrides_free(next);
		return NULL;
	}
	/* A runtime change leaves the config file's text as it is: no copy of it. */
	if (change_before_take(x, &before, guard_ms ? CHANGE_BEFORE_SHARES : 0)) {
		snprintf(err, err_len, "out of memory; nothing changed");
		xlb_overrides_free(next);
		return NULL;
	}
	xlb_diags_init(&d, x->config_path);
	x->acting_uid = req->uid;
	if (xlbd_apply_change(x, next, NULL, 0, &d)) {
		x->acting_uid = -1;
		diags_text(&d, err, err_len);
		change_before_free(&before);
		xlb_diags_free(&d);
		return NULL;
	}
	x->acting_uid = -1;
	pr_info("uid %u: %s\n", req->uid, what);
	journal_event(x, "cli", json_pack("{s:i, s:s, s:s}", "uid", (int)req->uid,
					  "command", req->cmd, "change", what));
	id = history_record(x, &before, CHANGE_XLBCTL, req->uid, what, vip);
	guard_watch(x, id, &before, guard_ms);
	history_save(x);
	change_before_free(&before);
	r = json_pack("{s:s}", "done", what);
	reply_change(r, id, guard_ms);
	xlb_diags_free(&d);
	return r;
}

json_t *change_commit(struct xlbd *x, const struct ctl_request *req, struct xlb_overrides *next,
		      const char *what, char *err, size_t err_len)
{
	struct change_queue *q = &x->changes;
	struct collected *c;

	if (q->mode != CHANGES_COLLECT)
		return commit_now(x, req, next, what, err, err_len);
	if (q->nr == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16;
		struct collected *more = realloc(q->items, cap * sizeof(*more));

		if (!more) {
			snprintf(err, err_len, "xlbd is out of memory; nothing changed");
			xlb_overrides_free(next);
			return NULL;
		}
		q->items = more;
		q->cap = cap;
	}
	c = &q->items[q->nr];
	memset(c, 0, sizeof(*c));
	/* The next change of the batch is validated on top of this one. */
	if (xlb_overrides_copy(next, &c->after)) {
		snprintf(err, err_len, "xlbd is out of memory; nothing changed");
		xlb_overrides_free(next);
		return NULL;
	}
	c->p = (struct pending *)((char *)req - offsetof(struct pending, req));
	key_of(req, c->key, sizeof(c->key));
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->before = x->ov;
	x->ov = *next;
	q->nr++;
	return json_true();	/* gathered: answered by the run */
}

static void items_free(struct change_queue *q)
{
	for (size_t i = 0; i < q->nr; i++) {
		xlb_overrides_free(&q->items[i].before);
		xlb_overrides_free(&q->items[i].after);
	}
	q->nr = 0;
}

/* Each change of a refused batch alone, in order, as if it had come alone. */
static void commit_alone(struct xlbd *x)
{
	struct change_queue *q = &x->changes;
	char err[1024];
	json_t *res;

	q->mode = CHANGES_NOW;
	for (size_t i = 0; i < q->nr; i++) {
		struct pending *p = q->items[i].p;

		err[0] = '\0';
		res = p->fn(x, &p->req, err, sizeof(err));
		answer(p, res, err);
	}
	items_free(q);
	q->mode = CHANGES_COLLECT;
}

/*
 * The batch: x->ov holds every change of it, orig what is in force. One
 * apply; then each change recorded as itself (its runtime changes before
 * and after it), journaled, answered.
 */
static void commit_batch(struct xlbd *x, struct xlb_overrides *orig)
{
	struct change_queue *q = &x->changes;
	struct xlb_overrides all = x->ov, keep;
	struct change_before before;
	struct xlb_diags d;
	__u64 id;
	int err;

	x->ov = *orig;
	memset(orig, 0, sizeof(*orig));
	if (change_before_take(x, &before, 0)) {
		xlb_overrides_free(&all);
		commit_alone(x);
		return;
	}
	xlb_diags_init(&d, x->config_path);
	x->acting_uid = q->items[0].p->req.uid;
	err = xlbd_apply_change(x, &all, NULL, 0, &d);
	x->acting_uid = -1;
	xlb_diags_free(&d);
	if (err) {
		change_before_free(&before);
		commit_alone(x);
		return;
	}
	pr_info("%zu runtime changes applied together\n", q->nr);
	for (size_t i = 0; i < q->nr; i++) {
		struct collected *c = &q->items[i];
		const struct ctl_request *req = &c->p->req;

		pr_info("uid %u: %s\n", req->uid, c->what);
		journal_event(x, "cli", json_pack("{s:i, s:s, s:s}", "uid", (int)req->uid,
						  "command", req->cmd, "change", c->what));
		/* Recorded as itself: the runtime changes before it and after it. */
		xlb_overrides_free(&before.ov);
		before.ov = c->before;
		memset(&c->before, 0, sizeof(c->before));
		keep = x->ov;
		x->ov = c->after;
		id = history_record(x, &before, CHANGE_XLBCTL, req->uid, c->what,
				    json_string_value(json_object_get(req->args, "vip")));
		x->ov = keep;
		c->id = id;
	}
	/* On disk before anyone is told its number: a crash after an answer
	 * must not give that number to another change. */
	history_save(x);
	for (size_t i = 0; i < q->nr; i++) {
		struct collected *c = &q->items[i];
		json_t *r = json_pack("{s:s}", "done", c->what);

		if (r)
			reply_change(r, c->id, 0);
		answer(c->p, r, "out of memory");
	}
	change_before_free(&before);
	items_free(q);
}

static int run(sd_event_source *s, void *userdata)
{
	struct xlbd *x = userdata;
	struct change_queue *q = &x->changes;
	struct xlb_overrides orig = {};
	char key[sizeof(q->items[0].key)], err[1024];
	json_t *res;

	(void)s;
	if (xlb_overrides_copy(&x->ov, &orig))
		memset(&orig, 0, sizeof(orig));
	q->mode = CHANGES_COLLECT;
	q->nr = 0;
	while (q->head) {
		struct pending *p = q->head;
		bool alone = !key_of(&p->req, key, sizeof(key)) ||
			     json_object_get(p->req.args, "guard_ms");

		if (q->nr && (alone || key_taken(q, key)))
			break;
		q->head = p->next;
		if (!q->head)
			q->tail = &q->head;
		err[0] = '\0';
		if (alone) {
			q->mode = CHANGES_NOW;
			res = p->fn(x, &p->req, err, sizeof(err));
			q->mode = CHANGES_COLLECT;
			answer(p, res, err);
			/* What is in force now is what the next ones build on. */
			xlb_overrides_free(&orig);
			if (xlb_overrides_copy(&x->ov, &orig))
				memset(&orig, 0, sizeof(orig));
			continue;
		}
		res = p->fn(x, &p->req, err, sizeof(err));
		if (!res)
			answer(p, NULL, err);	/* refused alone: the batch goes on without it */
		else if (!q->nr || q->items[q->nr - 1].p != p)
			answer(p, res, err);	/* answered without a change (none to make) */
		else
			json_decref(res);
	}
	if (q->nr == 1) {
		/* One change alone: as it always was (its own guard, its own answer). */
		struct pending *p = q->items[0].p;

		xlb_overrides_free(&x->ov);
		x->ov = orig;
		memset(&orig, 0, sizeof(orig));
		items_free(q);
		q->mode = CHANGES_NOW;
		err[0] = '\0';
		res = p->fn(x, &p->req, err, sizeof(err));
		answer(p, res, err);
	} else if (q->nr) {
		commit_batch(x, &orig);
	}
	xlb_overrides_free(&orig);
	q->mode = CHANGES_QUEUE;
	if (q->head)
		sd_event_source_set_enabled(q->run, SD_EVENT_ONESHOT);
	return 0;
}

json_t *change_queue_take(struct xlbd *x, const struct ctl_request *req, change_fn fn,
			  bool *queued)
{
	struct change_queue *q = &x->changes;
	struct pending *p;

	*queued = q->mode == CHANGES_QUEUE;
	if (!*queued)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		*queued = false;	/* done at once (change_commit applies it), as before */
		return NULL;
	}
	p->req = *req;
	p->later = control_later(req);
	p->fn = fn;
	*q->tail = p;
	q->tail = &p->next;
	/* After the loop's pending I/O: the requests of this turn come together. */
	sd_event_source_set_enabled(q->run, SD_EVENT_ONESHOT);
	return NULL;
}

int change_queue_init(struct xlbd *x)
{
	struct change_queue *q = &x->changes;
	int err;

	q->tail = &q->head;
	q->mode = CHANGES_QUEUE;
	err = sd_event_add_defer(x->event, &q->run, run, x);
	if (err < 0)
		return err;
	/* Below the clients' priority: every request already readable is read first. */
	sd_event_source_set_priority(q->run, XLB_PRIO_CLIENT + 1);
	return sd_event_source_set_enabled(q->run, SD_EVENT_OFF);
}

void change_queue_fini(struct xlbd *x)
{
	struct change_queue *q = &x->changes;

	while (q->head) {
		struct pending *p = q->head;

		q->head = p->next;
		control_answer(p->later, NULL, "xlbd is stopping: nothing changed");
		free(p);
	}
	q->tail = &q->head;
	items_free(q);
	free(q->items);
	q->items = NULL;
	q->cap = 0;
	q->run = sd_event_source_disable_unref(q->run);
}
