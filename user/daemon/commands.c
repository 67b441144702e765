// SPDX-License-Identifier: GPL-2.0
/* What xlbd does for each xlbctl command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "announce.h"
#include "diags_json.h"
#include "diff.h"
#include "fingerprints.h"
#include "log.h"
#include "packet.h"
#include "stats.h"
#include "child.h"
#include "xlbd.h"

typedef json_t *(*command_fn)(struct xlbd *x, const struct ctl_request *req,
			      char *err, size_t err_len);

static const char *dp_state_name(__u8 s)
{
	switch (s) {
	case XLB_BE_UP:
		return "up";
	case XLB_BE_DRAINING:
		return "draining";
	case XLB_BE_DOWN:
		return "down";
	default:
		return "unused";
	}
}

static size_t nr_backends(const struct xlb_cfg *cfg)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->nr_vips; i++)
		n += cfg->vips[i].nr_backends;
	return n;
}

static json_t *probe_stats(struct xlbd *x)
{
	struct prober *pr = &x->pr;
	size_t i, in_flight = 0, down = 0;

	for (i = 0; i < pr->nr; i++) {
		in_flight += pr->targets[i]->in_flight;
		down += xlb_health_is_down(&pr->targets[i]->health);
	}
	/* Lateness: how long after its due time a probe started. */
	return json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:f, s:I, s:I, s:i, s:I}",
			 "targets", (int)pr->nr, "down", (int)down, "in_flight", (int)in_flight,
			 "started", (json_int_t)pr->started,
			 "late_ms_max", (json_int_t)pr->late_ms_max,
			 "late_ms_recent", (json_int_t)prober_recent_late_ms(pr),
			 "late_ms_mean", pr->started ? (double)pr->late_ms_sum / pr->started : 0.0,
			 "unknown", (json_int_t)pr->unknown, "not_judged", (json_int_t)pr->not_judged,
			 "commands_running", (int)xlb_children_running(),
			 "orphans_reaped", (json_int_t)xlb_children_swept());
}

/* The earliest loss of an interface not back yet; 0: all attached. */
static time_t lost_at(const struct xlbd *x)
{
	time_t first = 0, t;

	for (size_t i = 0; i < x->nr_watched; i++) {
		t = link_watch_lost_at(x->ifaces[i].watch);
		if (t && (!first || t < first))
			first = t;
	}
	return first;
}

static json_t *ifaces_json(const struct xlbd *x)
{
	json_t *list = json_array();

	for (size_t i = 0; i < x->nr_watched; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:I}",
			"name", x->base->ifaces[i].name, "mode", x->base->ifaces[i].xdp_mode,
			"attached", link_watch_attached(x->ifaces[i].watch),
			"lost_at", (json_int_t)link_watch_lost_at(x->ifaces[i].watch)));
	return list;
}

static json_t *cmd_status(struct xlbd *x, const struct ctl_request *req,
			  char *err, size_t err_len)
{
	json_t *r;

	(void)req, (void)err, (void)err_len;
	r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:i, s:i, s:i, s:o, s:b, s:I,"
			 " s:s, s:I, s:i, s:o, s:o, s:{s:I, s:I, s:I}}",
			 "version", XLB_VERSION, "config", x->config_path,
			 "interface", x->base->ifaces[0].name, "xdp_mode", x->base->ifaces[0].xdp_mode,
			 "pin_dir", x->pin_dir, "adopted", x->adopted,
			 "started", (json_int_t)x->started, "applied", (json_int_t)x->applied,
			 "vips", (int)x->effective->nr_vips,
			 "backends", (int)nr_backends(x->effective),
			 "overrides", (int)x->ov.nr, "probes", probe_stats(x),
			 "attached", xlbd_attached_all(x),
			 "interface_lost_at", (json_int_t)lost_at(x),
			 "journal", x->mon.journal.path,
			 "journal_write_errors", (json_int_t)x->mon.journal.write_errors,
			 "sample_interval_ms", (int)x->base->sample_interval_ms,
			 "control", control_stats(x->ctl), "metrics", metrics_stats(x->metrics),
			 "loop", "stalls", (json_int_t)x->stall.stalls,
			 "longest_stall_ms", (json_int_t)x->stall.longest_ms,
			 "stall_bound_ms", (json_int_t)XLB_STALL_MS);
	char node[XLB_FP_STRLEN];

	if (r) {
		json_object_set_new(r, "fingerprint", json_string(fingerprint_node(x, node)));
		json_object_set_new(r, "announce", announce_json(x));
		json_object_set_new(r, "interfaces", ifaces_json(x));
	}
	return r;
}

/* xlbctl compare: what other nodes must agree on. */
static json_t *cmd_fingerprints(struct xlbd *x, const struct ctl_request *req,
				char *err, size_t err_len)
{
	(void)req, (void)err, (void)err_len;
	return fingerprints_json(x);
}

/* A backend's probe latency: the window's median, its baseline, the last probe. */
static json_t *latency_json(const struct xlb_latency *l, __u32 window_ms)
{
	__u32 v[XLB_LAT_SAMPLES];
	size_t failed, n = xlb_lat_window(l, monotonic_ms(), window_ms, v, &failed);
	json_t *last = json_object();
	enum xlb_lat_phase ph;

	for (ph = 0; ph < XLB_LAT_PHASES; ph++)
		if (l->last_us[ph])
			json_object_set_new(last, xlb_lat_phase_name(ph), json_real(l->last_us[ph] / 1000.0));
	return json_pack("{s:f, s:f, s:i, s:i, s:i, s:o}",
			 "median_ms", xlb_median_u32(v, n) / 1000.0,
			 "baseline_ms", xlb_lat_baseline(l) / 1000.0, "samples", (int)n,
			 "failed", (int)failed, "window_s", (int)(window_ms / 1000), "last_ms", last);
}

static void add_health(struct xlbd *x, const struct xlb_cfg_vip *vip,
		       const struct xlb_cfg_backend *be, const struct xlb_plan_backend *p, json_t *j)
{
	struct probe_target *t = prober_find(&x->pr, vip->name, &be->addr);
	__u64 now = monotonic_ms();

	if (p->kept)
		json_object_set_new(j, "kept_by_all_down_policy", json_true());
	if (!t) {
		json_object_set_new(j, "health", json_string("not probed"));
		return;
	}
	json_object_set_new(j, "health", json_string(xlb_health_name(&t->health)));
	json_object_set_new(j, "result_changes", json_integer(t->health.changes));
	if (t->health.flapping)
		json_object_set_new(j, "flapping_since_s",
				    json_integer((now - t->health.flap_since_ms) / 1000));
	json_object_set_new(j, "probe", json_string(probe_type_name(t->p.type)));
	json_object_set_new(j, "last_result", json_string(t->health.last_reason));
	json_object_set_new(j, "since_change_s",
			    json_integer((now - t->health.last_change_ms) / 1000));
	json_object_set_new(j, "probes", json_integer(t->health.probes));
	json_object_set_new(j, "probe_failures", json_integer(t->health.failures));
	if (t->unknown_reason[0])
		json_object_set_new(j, "last_unknown", json_string(t->unknown_reason));
	json_object_set_new(j, "latency", latency_json(&t->lat, x->base->diagnosis.window_ms));
}

static void add_skew(struct xlbd *x, const struct xlb_cfg_vip *vip,
		     const struct xlb_cfg_backend *be, json_t *j)
{
	const struct xlb_skew_backend *s = monitor_backend(x, vip->name, be - vip->backends,
							   &be->addr);

	json_object_set_new(j, "observed_share", json_real(s ? s->observed : 0));
	/* What the skew detector judges against: the plan's share, once it has ticked. */
	json_object_set_new(j, "skew_expected_share", json_real(s ? s->expected : 0));
	json_object_set_new(j, "observed_packet_share", json_real(s ? s->observed_packets : 0));
	json_object_set_new(j, "skew", json_string(s && s->raised ? xlb_skew_cause_name(s->cause) : "none"));
}

static json_t *backend_json(struct xlbd *x, const struct xlb_cfg_vip *vip,
			    const struct xlb_cfg_backend *be, const struct xlb_plan_backend *p,
			    __u32 slots, __u32 m)
{
	struct xlb_cfg_vip *base_vip = xlb_cfg_find_vip(x->base, vip->name);
	struct xlb_cfg_backend *base_be = base_vip ?
		xlb_cfg_backend_near(base_vip, be - vip->backends, &be->addr) : NULL;
	char addr[XLB_ADDR_STRLEN];
	struct xlb_backend_stats st = {};
	struct xlb_backend live = {};
	json_t *j;

	xlb_dp_backend_stats(x->dp, be->id, &st);
	xlb_dp_get_backend(x->dp, be->id, &live);
	j = json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:f, s:f, s:b, s:I, s:I, s:I, s:b}",
		      "address", xlb_addr_str(&be->addr, addr, sizeof(addr)),
		      "id", (int)be->id, "weight", (int)be->weight,
		      "state", xlb_admin_state_name(be->admin),
		      "dp_state", dp_state_name(live.state),
		      "slots", (int)slots, "table_share", m ? (double)slots / m : 0.0,
		      "expected_share", p->expected_share,
		      "takes_new_flows", p->takes_new_flows,
		      "packets", (json_int_t)st.packets, "bytes", (json_int_t)st.bytes,
		      "new_flows", (json_int_t)st.new_flows,
		      "override", !base_be || base_be->weight != be->weight ||
				  base_be->admin != be->admin);
	if (base_be)
		json_object_set_new(j, "config_weight", json_integer(base_be->weight));
	/* Slow start: the weight it has now, and how long until its full weight. */
	json_object_set_new(j, "weight_in_force", json_integer(p->weight));
	if (p->ramp_start_ms && vip->slow_start_ms)
		json_object_set_new(j, "slow_start_left_s", json_integer(
			(p->ramp_start_ms + vip->slow_start_ms - monotonic_ms()) / 1000));
	add_health(x, vip, be, p, j);
	add_skew(x, vip, be, j);
	return j;
}

static json_t *diagnosis_json(struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	const struct vip_monitor *vm = monitor_vip(x, vip->name);
	const struct xlb_diag_vip *d = vm ? &vm->diag : NULL;

	if (!d)
		return json_pack("{s:s, s:s}", "kind", "insufficient", "message", "not evaluated yet");
	return json_pack("{s:s, s:s, s:s, s:s, s:I}", "kind", xlb_diag_kind_name(d->kind),
			 "cause", d->kind == XLB_DIAG_OVERLOAD ? xlb_skew_cause_name(d->cause) : "",
			 "backends", d->named, "message", d->message,
			 "since_s", (json_int_t)((monotonic_ms() - d->since_ms) / 1000));
}

static json_t *vip_json(struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	char addr[XLB_ADDR_STRLEN];
	const struct xlb_vip_plan *plan = xlbd_plan(x, vip);
	json_t *list = json_array();
	/*
	 * A small table is read now, as it is; a large one as the monitor last
	 * read it in full, a part a tick: reading 16 M slots here would stall
	 * the loop for seconds on every show.
	 */
	__u32 m = 0, *slots = vip->table_size <= MONITOR_TABLE_READ_SLOTS ?
			      xlb_dp_slot_counts(x->dp, vip->id, &m) : NULL;
	__u32 max = xlb_dp_max_backends(x->dp);
	size_t i;

	for (i = 0; i < vip->nr_backends; i++) {
		const struct xlb_cfg_backend *be = &vip->backends[i];
		__u32 n = 0;

		if (slots)
			n = be->id < max ? slots[be->id] : 0;
		else
			n = monitor_table_slots(x, vip->name, i, &be->addr, &m);
		json_array_append_new(list, backend_json(x, vip, be, &plan->be[i], n, m));
	}
	free(slots);
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:b, s:o, s:o, s:o, s:b}",
			 "name", vip->name,
			 "address", xlb_addr_str(&vip->key.addr, addr, sizeof(addr)),
			 "port", ntohs(vip->key.port),
			 "protocol", vip->key.proto == IPPROTO_UDP ? "udp" : "tcp",
			 "mode", vip->encap ? "encap" : "dsr", "table_size", (int)m,
			 "hash_source_port", vip->hash_source_port, "backends", list,
			 "diagnosis", diagnosis_json(x, vip),
			 "fingerprint", fingerprint_json(x, vip->name),
			 "announced", announce_vip_announced(x, vip));
}

static json_t *cmd_list(struct xlbd *x, const struct ctl_request *req,
			char *err, size_t err_len)
{
	json_t *list = json_array();
	size_t i;

	(void)req, (void)err, (void)err_len;
	for (i = 0; i < x->effective->nr_vips; i++)
		json_array_append_new(list, vip_json(x, &x->effective->vips[i]));
	return list;
}

static json_t *cmd_counters(struct xlbd *x, const struct ctl_request *req,
			    char *err, size_t err_len)
{
	json_t *reasons = json_object(), *vips = json_array();
	struct xlb_counter c;
	struct xlb_vip_stats vs;
	__u32 r;
	size_t i;

	(void)req, (void)err, (void)err_len;
	for (r = 0; r < XLB_R_MAX; r++)
		if (!xlb_dp_reason_stats(x->dp, r, &c))
			json_object_set_new(reasons, xlb_reason_name(r),
					    json_pack("{s:I, s:I}", "packets", (json_int_t)c.packets,
						      "bytes", (json_int_t)c.bytes));
	for (i = 0; i < x->effective->nr_vips; i++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[i];

		memset(&vs, 0, sizeof(vs));
		xlb_dp_vip_stats(x->dp, vip->id, &vs);
		json_array_append_new(vips, json_pack("{s:s, s:I, s:I, s:I, s:I}",
			"name", vip->name, "packets", (json_int_t)vs.packets,
			"bytes", (json_int_t)vs.bytes, "new_flows", (json_int_t)vs.new_flows,
			"no_backend", (json_int_t)vs.no_backend));
	}
	return json_pack("{s:o, s:o}", "reasons", reasons, "vips", vips);
}

/* Diagnostics as one message, for an error reply. */
static void diags_text(const struct xlb_diags *d, char *buf, size_t len)
{
	char *text = xlb_diags_text(d);

	snprintf(buf, len, "%s", text ? text : "");
	free(text);
}

/* --guard: how long to watch the change, in ms; 0 when not asked. */
static int guard_arg(const struct ctl_request *req, __u32 *ms, char *err, size_t err_len)
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

/* The change is in force: it can be undone, and watched if asked. */
static void record_change(struct xlbd *x, const struct ctl_request *req, struct guard_before *b,
			  const char *what, const char *vip, __u32 guard_ms, json_t *r)
{
	__u64 id = guard_record(x, b, what, vip, req->uid, guard_ms);

	json_object_set_new(r, "change_id", json_integer(id));
	if (guard_ms)
		json_object_set_new(r, "guard_s", json_integer(guard_ms / 1000));
}

static json_t *cmd_reload(struct xlbd *x, const struct ctl_request *req,
			  char *err, size_t err_len)
{
	struct guard_before before;
	struct xlb_diags d;
	json_t *r = NULL;
	char what[XLB_PATH_MAX + 16];
	__u32 guard_ms;
	bool failed;

	if (guard_arg(req, &guard_ms, err, err_len))
		return NULL;
	if (guard_before_take(x, &before)) {
		snprintf(err, err_len, "out of memory; nothing changed");
		return NULL;
	}
	xlb_diags_init(&d, x->config_path);
	x->acting_uid = req->uid;
	failed = xlbd_reload(x, &d) != 0;
	x->acting_uid = -1;
	if (failed) {
		diags_text(&d, err, err_len);
		guard_before_free(&before);
	} else {
		pr_info("uid %u reloaded '%s'\n", req->uid, x->config_path);
		r = json_pack("{s:s, s:i, s:o}", "config", x->config_path,
			      "vips", (int)x->effective->nr_vips, "warnings", xlb_diags_json(&d));
		snprintf(what, sizeof(what), "reload of %s", x->config_path);
		record_change(x, req, &before, what, NULL, guard_ms, r);
	}
	xlb_diags_free(&d);
	return r;
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

/*
 * Applies a changed set of overrides: persisted first, then applied; on
 * any failure the old set is put back, in memory and on disk.
 */
static json_t *commit_overrides(struct xlbd *x, const struct ctl_request *req,
				struct xlb_overrides *next, const char *what,
				char *err, size_t err_len)
{
	struct xlb_overrides prev = x->ov;
	const char *vip = json_string_value(json_object_get(req->args, "vip"));
	struct guard_before before;
	struct xlb_diags d;
	json_t *r = NULL;
	__u32 guard_ms;
	int err_apply;

	if (guard_arg(req, &guard_ms, err, err_len)) {
		xlb_overrides_free(next);
		return NULL;
	}
	if (guard_before_take(x, &before)) {
		snprintf(err, err_len, "out of memory; nothing changed");
		xlb_overrides_free(next);
		return NULL;
	}
	if (xlb_overrides_save(x->state_path, next)) {
		guard_before_free(&before);
		snprintf(err, err_len, "couldn't write state file '%s'; nothing changed",
			 x->state_path);
		xlb_overrides_free(next);
		return NULL;
	}
	x->ov = *next;
	xlb_diags_init(&d, x->config_path);
	x->acting_uid = req->uid;
	err_apply = xlbd_apply(x, x->base, &d);
	x->acting_uid = -1;
	if (err_apply) {
		diags_text(&d, err, err_len);
		x->ov = prev;
		xlb_overrides_save(x->state_path, &prev);
		xlb_overrides_free(next);
		guard_before_free(&before);
	} else {
		pr_info("uid %u: %s\n", req->uid, what);
		journal_event(x, "cli", json_pack("{s:i, s:s, s:s}", "uid", (int)req->uid,
						  "command", req->cmd, "change", what));
		xlb_overrides_free(&prev);
		r = json_pack("{s:s}", "done", what);
		record_change(x, req, &before, what, vip, guard_ms, r);
	}
	xlb_diags_free(&d);
	return r;
}

/* Who changed it and when, then as commit_overrides. */
static json_t *commit_change(struct xlbd *x, const struct ctl_request *req,
			     struct xlb_overrides *next, struct xlb_override *o,
			     char *err, size_t err_len)
{
	char what[256];

	o->uid = req->uid;
	o->when = time(NULL);
	xlb_override_describe(o, x->base, what, sizeof(what));
	return commit_overrides(x, req, next, what, err, err_len);
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

static json_t *cmd_set(struct xlbd *x, const struct ctl_request *req,
		       char *err, size_t err_len)
{
	json_int_t weight = -1;
	const char *vip, *state = NULL;
	struct xlb_overrides next;
	struct xlb_override *o;
	union xlb_addr addr;

	if (find_target(x, req, &vip, &addr, true, err, err_len))
		return NULL;
	if (check_weight_arg(req, err, err_len))
		return NULL;
	json_unpack(req->args, "{s?I, s?s}", "weight", &weight, "state", &state);
	if (weight > XLB_MAX_WEIGHT || (weight < 0 && !state)) {
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

static json_t *cmd_backend_add(struct xlbd *x, const struct ctl_request *req,
			       char *err, size_t err_len)
{
	const char *vip, *mac = NULL;
	json_int_t weight = 1;
	struct xlb_overrides next;
	struct xlb_override *o;
	union xlb_addr addr;

	if (find_target(x, req, &vip, &addr, false, err, err_len))
		return NULL;
	if (xlb_cfg_find_backend(xlb_cfg_find_vip(x->effective, vip), &addr)) {
		snprintf(err, err_len, "VIP '%s' already has that backend", vip);
		return NULL;
	}
	if (check_weight_arg(req, err, err_len))
		return NULL;
	json_unpack(req->args, "{s?I, s?s}", "weight", &weight, "mac", &mac);
	if (weight < 0 || weight > XLB_MAX_WEIGHT) {
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

static json_t *cmd_backend_remove(struct xlbd *x, const struct ctl_request *req,
				  char *err, size_t err_len)
{
	struct xlb_overrides next;
	struct xlb_override *o;
	union xlb_addr addr;
	const char *vip;
	char what[256];

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
	return commit_overrides(x, req, &next, what, err, err_len);
}

static json_t *cmd_reset(struct xlbd *x, const struct ctl_request *req,
			 char *err, size_t err_len)
{
	const char *vip = NULL, *backend = NULL;
	struct xlb_overrides next;
	union xlb_addr addr;
	char what[256];
	size_t dropped;

	json_unpack(req->args, "{s?s, s?s}", "vip", &vip, "backend", &backend);
	if (backend && (!vip || xlb_addr_parse(backend, &addr))) {
		snprintf(err, err_len, "reset takes [VIP [BACKEND]]");
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
	return commit_overrides(x, req, &next, what, err, err_len);
}

/* xlbctl rollback [VIP]: the newest change undone. */
static json_t *cmd_rollback(struct xlbd *x, const struct ctl_request *req,
			    char *err, size_t err_len)
{
	const char *vip = json_string_value(json_object_get(req->args, "vip"));
	char done[512];

	if (vip && !xlb_cfg_find_vip(x->effective, vip)) {
		snprintf(err, err_len, "no VIP named '%s' ('xlbctl show' lists them)", vip);
		return NULL;
	}
	if (guard_undo(x, vip, req->uid, err, err_len, done, sizeof(done)))
		return NULL;
	return json_pack("{s:s}", "done", done);
}

/* A change's guard, for xlbctl --wait. */
static json_t *cmd_change(struct xlbd *x, const struct ctl_request *req,
			  char *err, size_t err_len)
{
	json_int_t id = json_integer_value(json_object_get(req->args, "id"));
	json_t *r = guard_status(x, id);

	if (!r)
		snprintf(err, err_len, "no change #%lld: xlbd keeps the last %d", (long long)id,
			 GUARD_HISTORY);
	return r;
}

/* ---- what xlbctl diff computes with ------------------------------------ */

/* The runtime changes and each backend's health: diff plans "after" with them. */
static json_t *cmd_plan(struct xlbd *x, const struct ctl_request *req,
			char *err, size_t err_len)
{
	json_t *vips = json_array();
	char a[XLB_ADDR_STRLEN];
	size_t v, b;

	(void)req, (void)err, (void)err_len;
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		const struct xlb_vip_plan *plan = &x->plans[v];
		json_t *bes = json_array();

		for (b = 0; b < vip->nr_backends; b++) {
			struct probe_target *t = prober_find(&x->pr, vip->name, &vip->backends[b].addr);

			json_array_append_new(bes, json_pack("{s:s, s:b, s:b}", "address",
				xlb_addr_str(&vip->backends[b].addr, a, sizeof(a)),
				"down", plan->be[b].health_down,
				"last_healthy", !t || t->in_last_healthy));
		}
		json_array_append_new(vips, json_pack("{s:s, s:o}", "name", vip->name,
						      "backends", bes));
	}
	return json_pack("{s:o, s:o}", "overrides", xlb_overrides_to_json(&x->ov), "vips", vips);
}

/* One VIP's live table, compactly: a request per VIP bounds each turn's work. */
static json_t *cmd_table(struct xlbd *x, const struct ctl_request *req,
			 char *err, size_t err_len)
{
	__u32 max_be = xlb_dp_max_backends(x->dp), *ids, m, i;
	const char *name = NULL;
	struct xlb_cfg_vip *vip;
	union xlb_addr *addr_of;
	bool *looked;
	struct xlb_backend be;
	json_t *r = NULL;

	if (json_unpack(req->args, "{s:s}", "vip", &name)) {
		snprintf(err, err_len, "'table' needs a VIP name");
		return NULL;
	}
	vip = xlb_cfg_find_vip(x->effective, name);
	if (!vip) {
		snprintf(err, err_len, "no VIP named '%s' ('xlbctl show' lists them)", name);
		return NULL;
	}
	if (xlb_dp_get_table(x->dp, vip->id, &ids, &m)) {
		snprintf(err, err_len, "couldn't read the live table of VIP '%s'", name);
		return NULL;
	}
	addr_of = calloc(max_be, sizeof(*addr_of));
	looked = calloc(max_be, sizeof(*looked));
	/* One lookup per backend, not per slot: a table may have 16 M slots. */
	for (i = 0; addr_of && looked && i < m; i++)
		if (ids[i] < max_be && !looked[ids[i]]) {
			looked[ids[i]] = true;
			if (!xlb_dp_get_backend(x->dp, ids[i], &be))
				addr_of[ids[i]] = be.addr;
		}
	if (addr_of && looked)
		r = xlb_addr_table_to_json(ids, m, addr_of, max_be);
	free(looked);
	free(addr_of);
	free(ids);
	return r;
}

/* ---- trace ------------------------------------------------------------- */

static const char *vip_name_by_id(struct xlbd *x, __u32 id)
{
	size_t i;

	for (i = 0; i < x->effective->nr_vips; i++)
		if (x->effective->vips[i].id == id)
			return x->effective->vips[i].name;
	return "?";
}

static const char *const lru_names[] = { "none", "hit", "miss", "stale", "moved" };
static const char *const verdict_names[] = { "aborted", "drop", "pass", "tx", "redirect" };

static void explain(struct xlbd *x, const struct xlb_trace *tr, const char *be_addr,
		    char *buf, size_t len)
{
	const char *vip = vip_name_by_id(x, tr->vip_id);

	if (!tr->vip_found) {
		snprintf(buf, len, "no VIP takes this flow: %s (%s)",
			 tr->reason == XLB_R_PASS_NOT_VIP ? "passed to the stack untouched" :
			 "not forwarded", xlb_reason_name(tr->reason));
		return;
	}
	if (tr->lru == XLB_TRACE_LRU_HIT)
		snprintf(buf, len, "VIP %s: the flow is in the connection table: backend %s (%s)",
			 vip, be_addr, xlb_reason_name(tr->reason));
	else if (tr->lru == XLB_TRACE_LRU_MOVED)
		snprintf(buf, len, "VIP %s: the flow is held in the moved-flow table (its backend is no longer the table's choice): backend %s (%s)",
			 vip, be_addr, xlb_reason_name(tr->reason));
	else if (tr->reason == XLB_R_DROP_NO_BACKEND)
		snprintf(buf, len, "VIP %s: no backend takes new flows: dropped (%s)", vip,
			 xlb_reason_name(tr->reason));
	else
		snprintf(buf, len, "VIP %s: %s: hash 0x%08x, slot %u of %u: backend %s (%s)",
			 vip, tr->lru == XLB_TRACE_LRU_STALE ?
			 "the flow's backend no longer takes it, picked again" : "a new flow",
			 tr->hash, tr->slot, tr->table_size, be_addr, xlb_reason_name(tr->reason));
}

static json_t *cmd_trace(struct xlbd *x, const struct ctl_request *req,
			 char *err, size_t err_len)
{
	const char *proto = NULL, *src = NULL, *dst = NULL;
	json_int_t sport = -1, dport = -1;
	union xlb_addr a, b;
	struct xlb_backend be = {};
	struct xlb_trace tr;
	__u8 pkt[PKT_MAX], out[PKT_MAX + 256];
	__u32 verdict, out_len = sizeof(out);
	char be_addr[XLB_ADDR_STRLEN] = "-", why[256], hash[16];
	struct pkt_spec spec = { .df = true };
	size_t len;

	if (json_unpack(req->args, "{s:s, s:s, s:I, s:s, s:I}", "proto", &proto, "src", &src,
			"sport", &sport, "dst", &dst, "dport", &dport) ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp")) || sport < 0 || sport > 65535 ||
	    dport < 0 || dport > 65535 || xlb_addr_parse(src, &a) || xlb_addr_parse(dst, &b) ||
	    xlb_addr_is_v4(&a) != xlb_addr_is_v4(&b)) {
		snprintf(err, err_len, "trace needs tcp|udp, source address and port, destination address and port, of one family");
		return NULL;
	}
	spec.src = src;
	spec.dst = dst;
	spec.proto = strcmp(proto, "tcp") ? IPPROTO_UDP : IPPROTO_TCP;
	spec.sport = sport;
	spec.dport = dport;
	len = pkt_build(&spec, pkt, sizeof(pkt));
	if (!len || xlb_dp_trace(x->dp, pkt, len, &tr, &verdict, out, &out_len)) {
		snprintf(err, err_len, "couldn't run the trace instance of the program");
		return NULL;
	}
	if (tr.vip_found && tr.reason != XLB_R_DROP_NO_BACKEND &&
	    !xlb_dp_get_backend(x->dp, tr.backend_id, &be))
		xlb_addr_str(&be.addr, be_addr, sizeof(be_addr));
	explain(x, &tr, be_addr, why, sizeof(why));
	snprintf(hash, sizeof(hash), "0x%08x", tr.hash);
	return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:i, s:i, s:i, s:s, s:s}",
			 "verdict", verdict < 5 ? verdict_names[verdict] : "?",
			 "reason", xlb_reason_name(tr.reason),
			 "lru", tr.lru < sizeof(lru_names) / sizeof(lru_names[0]) ? lru_names[tr.lru] : "?",
			 "vip", tr.vip_found ? vip_name_by_id(x, tr.vip_id) : NULL,
			 "hash", hash,
			 "slot", (int)tr.slot, "table_size", (int)tr.table_size,
			 "backend_id", tr.vip_found ? (int)tr.backend_id : -1,
			 "backend", be_addr, "explanation", why);
}

/* xlbctl drain-node [--grace D]: withdraw every route, keep forwarding. */
static json_t *cmd_drain_node(struct xlbd *x, const struct ctl_request *req,
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

static json_t *cmd_resume_node(struct xlbd *x, const struct ctl_request *req,
			       char *err, size_t err_len)
{
	if (announce_resume_node(x, err, err_len))
		return NULL;
	pr_info("Node resume asked by uid %u\n", req->uid);
	return announce_json(x);
}

/* Every command xlbd answers, and whether it changes anything (admin). */
static const struct {
	const char *name;
	command_fn fn;
	bool admin;
} commands[] = {
	{ "status", cmd_status, false },
	{ "list", cmd_list, false },
	{ "counters", cmd_counters, false },
	{ "trace", cmd_trace, false },
	{ "plan", cmd_plan, false },
	{ "table", cmd_table, false },
	{ "reload", cmd_reload, true },
	{ "set", cmd_set, true },
	{ "backend-add", cmd_backend_add, true },
	{ "backend-remove", cmd_backend_remove, true },
	{ "reset", cmd_reset, true },
	{ "rollback", cmd_rollback, true },
	{ "change", cmd_change, false },
	{ "fingerprints", cmd_fingerprints, false },
	{ "drain-node", cmd_drain_node, true },
	{ "resume-node", cmd_resume_node, true },
};

json_t *command_run(void *ctx, const struct ctl_request *req, char *err, size_t err_len)
{
	struct xlbd *x = ctx;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(req->cmd, commands[i].name))
			continue;
		if (commands[i].admin && !req->admin) {
			if (x->base->admin_group[0])
				snprintf(err, err_len,
					 "permission denied: '%s' needs root or membership of group '%s'",
					 req->cmd, x->base->admin_group);
			else
				snprintf(err, err_len,
					 "permission denied: '%s' needs root (the config sets no control.admin_group)",
					 req->cmd);
			pr_warn("Refused '%s' from uid %u: not allowed\n", req->cmd, req->uid);
			return NULL;
		}
		return commands[i].fn(x, req, err, err_len);
	}
	snprintf(err, err_len, "unknown command '%s'", req->cmd);
	return NULL;
}
