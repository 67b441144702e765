// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that change things: reload, weights and states, backends
 * added and removed, reset, rollback, drain-node and resume-node. Each
 * goes through one transaction (change_commit, change_queue.c: runtime
 * changes that come together are applied together) and is recorded for
 * rollback and its guard.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "announce.h"
#include "apply.h"
#include "change_queue.h"
#include "diags_json.h"
#include "events.h"
#include "guard.h"
#include "log.h"
#include "reload.h"
#include "xlbd.h"
#include "commands.h"

json_t *cmd_reload(struct xlbd *x, const struct ctl_request *req,
			  char *err, size_t err_len)
{
	__u32 guard_ms;

	if (change_guard_arg(req, &guard_ms, err, err_len))
		return NULL;
	/* Read and parsed off the loop (reload.c); answered when applied. */
	reload_request(x, CHANGE_RELOAD, req->uid, guard_ms, control_later(req));
	return NULL;
}

/* ---- runtime changes -------------------------------------------------- */

static int find_target(struct xlbd *x, const struct ctl_request *req, const char **vip,
		       union xlb_addr *addr, bool backend_must_exist, char *err, size_t err_len)
{
	const char *backend = NULL;
	struct xlb_cfg_vip *v;

	if (json_unpack(req->args, "{s:s, s:s}", "vip", vip, "backend", &backend)) {
		snprintf(err, err_len, "'%s' needs a VIP name and a backend address", req->cmd);
		return -EINVAL;
	}
	if (xlb_addr_parse(backend, addr)) {
		snprintf(err, err_len, "invalid backend address '%s'", backend);
		return -EINVAL;
	}
	v = xlb_cfg_find_vip(x->effective, *vip);
	if (!v) {
		snprintf(err, err_len, "no VIP named '%s' ('xlbctl show' lists them)", *vip);
		return -ENOENT;
	}
	if (backend_must_exist && !xlb_cfg_find_backend(v, addr)) {
		snprintf(err, err_len, "VIP '%s' has no backend %s", *vip, backend);
		return -ENOENT;
	}
	return 0;
}

/* Who changed it and when, then as change_commit. */
static json_t *commit_change(struct xlbd *x, const struct ctl_request *req,
			     struct xlb_overrides *next, struct xlb_override *o,
			     char *err, size_t err_len)
{
	char what[256];

	o->uid = req->uid;
	o->when = time(NULL);
	xlb_override_describe(o, x->base, what, sizeof(what));
	return change_commit(x, req, next, what, err, err_len);
}

/* A weight is a whole number: say so, rather than misreport its range. */
static int check_weight_arg(const struct ctl_request *req, char *err, size_t err_len)
{
	json_t *w = json_object_get(req->args, "weight");

	if (w && !json_is_integer(w)) {
		snprintf(err, err_len, "weight must be a whole number from 0 to %u, not %s",
			 XLB_MAX_WEIGHT, json_is_string(w) ? "a string" : "that");
		return -EINVAL;
	}
	return 0;
}

json_t *cmd_set(struct xlbd *x, const struct ctl_request *req,
		       char *err, size_t err_len)
{
	json_int_t weight = -1;
	const char *vip, *state = NULL;
	struct xlb_overrides next;
	struct xlb_override *o;
	union xlb_addr addr;
	bool queued;
	json_t *later = change_queue_take(x, req, cmd_set, &queued);

	if (queued)
		return later;

	if (find_target(x, req, &vip, &addr, true, err, err_len))
		return NULL;
	if (check_weight_arg(req, err, err_len))
		return NULL;
	json_unpack(req->args, "{s?I, s?s}", "weight", &weight, "state", &state);
	if (weight > XLB_MAX_WEIGHT || (!xlb_weight_ok(weight) && !state)) {
		snprintf(err, err_len, "weight must be 0 to %u", XLB_MAX_WEIGHT);
		return NULL;
	}
	if (xlb_overrides_copy(&x->ov, &next))
		return NULL;
	o = xlb_overrides_get(&next, vip, &addr, true);
	if (!o) {
		xlb_overrides_free(&next);
		return NULL;
	}
	if (weight >= 0) {
		o->has_weight = true;
		o->weight = weight;
	}
	if (state && xlb_admin_state_parse(state, &o->admin)) {
		snprintf(err, err_len, "invalid state '%s': expected up, drain or disabled", state);
		xlb_overrides_free(&next);
		return NULL;
	}
	o->has_admin |= state != NULL;
	return commit_change(x, req, &next, o, err, err_len);
}

json_t *cmd_backend_add(struct xlbd *x, const struct ctl_request *req,
			       char *err, size_t err_len)
{
	const char *vip, *mac = NULL;
	json_int_t weight = 1;
	struct xlb_overrides next;
	struct xlb_override *o;
	union xlb_addr addr;
	bool queued;
	json_t *later = change_queue_take(x, req, cmd_backend_add, &queued);

	if (queued)
		return later;

	if (find_target(x, req, &vip, &addr, false, err, err_len))
		return NULL;
	if (xlb_cfg_find_backend(xlb_cfg_find_vip(x->effective, vip), &addr)) {
		snprintf(err, err_len, "VIP '%s' already has that backend", vip);
		return NULL;
	}
	if (check_weight_arg(req, err, err_len))
		return NULL;
	json_unpack(req->args, "{s?I, s?s}", "weight", &weight, "mac", &mac);
	if (!xlb_weight_ok(weight)) {
		snprintf(err, err_len, "weight must be 0 to %u", XLB_MAX_WEIGHT);
		return NULL;
	}
	if (xlb_overrides_copy(&x->ov, &next))
		return NULL;
	o = xlb_overrides_get(&next, vip, &addr, true);
	if (!o || (mac && xlb_mac_parse(mac, o->mac))) {
		snprintf(err, err_len, "invalid MAC '%s'", mac ? mac : "");
		xlb_overrides_free(&next);
		return NULL;
	}
	o->removed = false;
	o->added = true;
	o->has_mac = mac != NULL;
	o->has_weight = true;
	o->weight = weight;
	return commit_change(x, req, &next, o, err, err_len);
}

json_t *cmd_backend_remove(struct xlbd *x, const struct ctl_request *req,
				  char *err, size_t err_len)
{
	struct xlb_overrides next;
	struct xlb_override *o;
	union xlb_addr addr;
	const char *vip;
	char what[256];
	bool queued;
	json_t *later = change_queue_take(x, req, cmd_backend_remove, &queued);

	if (queued)
		return later;

	if (find_target(x, req, &vip, &addr, true, err, err_len) ||
	    xlb_overrides_copy(&x->ov, &next))
		return NULL;
	xlb_overrides_drop(&next, vip, &addr);
	/* A backend only the CLI added simply goes; one from the config is marked. */
	if (xlb_cfg_find_backend(xlb_cfg_find_vip(x->base, vip) ?: &(struct xlb_cfg_vip){}, &addr)) {
		o = xlb_overrides_get(&next, vip, &addr, true);
		if (!o) {
			xlb_overrides_free(&next);
			return NULL;
		}
		o->removed = true;
		o->uid = req->uid;
		o->when = time(NULL);
	}
	snprintf(what, sizeof(what), "%s: backend %s removed", vip,
		 json_string_value(json_object_get(req->args, "backend")));
	return change_commit(x, req, &next, what, err, err_len);
}

static bool has_overrides(const struct xlb_overrides *ov, const char *vip)
{
	size_t i;

	for (i = 0; i < ov->nr; i++)
		if (!strcmp(ov->items[i].vip, vip))
			return true;
	return false;
}

json_t *cmd_reset(struct xlbd *x, const struct ctl_request *req,
			 char *err, size_t err_len)
{
	const char *vip = NULL, *backend = NULL;
	struct xlb_overrides next;
	union xlb_addr addr;
	char what[256];
	size_t dropped;
	bool queued;
	json_t *later = change_queue_take(x, req, cmd_reset, &queued);

	if (queued)
		return later;

	json_unpack(req->args, "{s?s, s?s}", "vip", &vip, "backend", &backend);
	if (backend && (!vip || xlb_addr_parse(backend, &addr))) {
		snprintf(err, err_len, "reset takes [VIP [BACKEND]]");
		return NULL;
	}
	/* A VIP gone from the config may still have runtime changes to drop. */
	if (vip && !xlb_cfg_find_vip(x->effective, vip) && !has_overrides(&x->ov, vip)) {
		snprintf(err, err_len, "no VIP named '%s' and no runtime changes of it ('xlbctl show' lists the VIPs)",
			 vip);
		return NULL;
	}
	if (xlb_overrides_copy(&x->ov, &next))
		return NULL;
	if (!vip) {
		dropped = next.nr;
		next.nr = 0;
	} else {
		dropped = xlb_overrides_drop(&next, vip, backend ? &addr : NULL);
	}
	snprintf(what, sizeof(what), "dropped %zu runtime change%s%s%s", dropped,
		 dropped == 1 ? "" : "s", vip ? " of " : "", vip ? vip : "");
	return change_commit(x, req, &next, what, err, err_len);
}

/* xlbctl rollback [VIP] [--change ID]: one change undone, the newest unless named. */
json_t *cmd_rollback(struct xlbd *x, const struct ctl_request *req,
			    char *err, size_t err_len)
{
	const char *vip = json_string_value(json_object_get(req->args, "vip"));
	json_t *idj = json_object_get(req->args, "change");
	struct change *c;
	char done[512], what[320];
	__u64 id;

	if (idj && (!json_is_integer(idj) || json_integer_value(idj) <= 0)) {
		snprintf(err, err_len, "a change is named by its number ('xlbctl history' lists them)");
		return NULL;
	}
	if (vip && !xlb_cfg_find_vip(x->effective, vip) && !history_touches(x, vip)) {
		snprintf(err, err_len, "no VIP named '%s' in force or in the history ('xlbctl show' lists the VIPs)",
			 vip);
		return NULL;
	}
	c = history_pick(x, vip, idj ? json_integer_value(idj) : 0, err, err_len);
	if (!c)
		return NULL;
	id = c->id;
	snprintf(what, sizeof(what), "%s", c->what);
	snprintf(done, sizeof(done), "undid change #%llu (%s, %s)%s", (unsigned long long)id,
		 change_source_name(c->source), c->what, c->before_text ?
		 "; the config file still holds the change: fix it before the next reload or restart" : "");
	if (history_undo(x, c, CHANGE_ROLLBACK, req->uid, err, err_len))
		return NULL;
	history_save(x);
	pr_info("uid %u %s\n", req->uid, done);
	c = history_find(x, id);
	journal_event(x, "rolled_back", json_pack("{s:I, s:s, s:s, s:s, s:s, s:i}", "change_id",
		      (json_int_t)id, "change", what, "vip", vip ? vip : "(any)",
		      "outcome", c ? guard_state_name(c->state) : "undone",
		      "evidence", "by hand (xlbctl rollback)", "uid", (int)req->uid));
	return json_pack("{s:s, s:I}", "done", done, "change_id", (json_int_t)id);
}

/* A change's guard, for xlbctl --wait. */
json_t *cmd_change(struct xlbd *x, const struct ctl_request *req,
			  char *err, size_t err_len)
{
	json_int_t id = json_integer_value(json_object_get(req->args, "id"));
	json_t *r = guard_status(x, id);

	if (!r)
		snprintf(err, err_len, "no change #%lld: xlbd keeps the last %d", (long long)id,
			 HISTORY_MAX);
	return r;
}

/* xlbctl history: the changes, newest first. */
json_t *cmd_history(struct xlbd *x, const struct ctl_request *req,
			   char *err, size_t err_len)
{
	(void)req, (void)err, (void)err_len;
	return json_pack("{s:o}", "changes", history_json(x));
}

/* xlbctl drain-node [--grace D]: withdraw every route, keep forwarding. */
json_t *cmd_drain_node(struct xlbd *x, const struct ctl_request *req,
			      char *err, size_t err_len)
{
	json_t *g = json_object_get(req->args, "grace_ms");
	__u32 grace = UINT32_MAX;

	if (g) {
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) > 3600000) {
			snprintf(err, err_len, "grace must be from 0s to 1h");
			return NULL;
		}
		grace = json_integer_value(g);
	}
	if (announce_drain_node(x, grace, err, err_len))
		return NULL;
	pr_info("Node drain asked by uid %u\n", req->uid);
	return announce_json(x);
}

json_t *cmd_resume_node(struct xlbd *x, const struct ctl_request *req,
			       char *err, size_t err_len)
{
	if (announce_resume_node(x, err, err_len))
		return NULL;
	pr_info("Node resume asked by uid %u\n", req->uid);
	return announce_json(x);
}
