// SPDX-License-Identifier: GPL-2.0
/* The commands that read: status, show (list), counters, fingerprints, and
   the plan and table that xlbctl diff computes with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "announce.h"
#include "control.h"
#include "diff.h"
#include "fingerprints.h"
#include "health_apply.h"
#include "metrics.h"
#include "stats.h"
#include "xlbd.h"
#include "commands.h"

/* A table this size or smaller is read as it is for show (the monitor reads in slices). */
#define SHOW_READ_NOW_SLOTS	(1u << 17)

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
	struct prober_summary s;

	prober_summary(&x->pr, &s);
	/* Lateness: how long after its due time a probe started. */
	return json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:i, s:I}",
			 "targets", (int)s.targets, "down", (int)s.down, "in_flight", (int)s.in_flight,
			 "started", (json_int_t)s.started,
			 "late_ms_max", (json_int_t)s.late_ms_max,
			 "late_ms_recent", (json_int_t)s.late_ms_recent,
			 "late_ms_mean", s.late_ms_mean, "late_ms_p99", (json_int_t)s.late_ms_p99,
			 "late_ms_p99_recent", (json_int_t)s.late_ms_p99_recent,
			 "unknown", (json_int_t)s.unknown, "not_judged", (json_int_t)s.not_judged,
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

/* The changes a guard watches now (at most one: a newer change supersedes). */
static json_t *watched_json(struct xlbd *x)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < x->hist.nr; i++)
		if (x->hist.c[i]->state == GUARD_WATCHING)
			json_array_append_new(list, change_json(x->hist.c[i]));
	return list;
}

json_t *cmd_status(struct xlbd *x, const struct ctl_request *req,
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
			 "journal", x->journal.path,
			 "journal_write_errors", (json_int_t)x->journal.write_errors,
			 "sample_interval_ms", (int)x->base->sample_interval_ms,
			 "control", control_stats(x->ctl), "metrics", metrics_stats(x->metrics),
			 "loop", "stalls", (json_int_t)x->stall.stalls,
			 "longest_stall_ms", (json_int_t)x->stall.longest_ms,
			 "stall_bound_ms", (json_int_t)XLB_STALL_MS);
	if (r) {
		json_t *loop = json_object_get(r, "loop");

		/* Lately (12.8 s): the longest the loop was busy at once, and VIPs waiting to be written. */
		json_object_set_new(loop, "late_ms_max", json_integer(stall_late_max(&x->stall)));
		json_object_set_new(r, "dirty_vips", json_integer(dirty_count(x)));
	}
	char node[XLB_FP_STRLEN];

	if (r) {
		json_object_set_new(r, "fingerprint", json_string(monitor_node_fingerprint(x, node)));
		json_object_set_new(r, "announce", announce_json(x));
		json_object_set_new(r, "interfaces", ifaces_json(x));
		json_object_set_new(r, "guards", watched_json(x));
	}
	return r;
}

/* xlbctl compare: what other nodes must agree on. */
json_t *cmd_fingerprints(struct xlbd *x, const struct ctl_request *req,
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

/* Held out as flapping: why, and when it comes back (null while down). */
static void add_flapping(const struct probe_target *t, __u64 now, json_t *j)
{
	struct xlb_flap_cfg flap = probe_flap_cfg(t);
	long long left = xlb_health_hold_left_ms(&t->health, &flap, now);
	char why[256];

	xlb_health_flap_words(&t->health, &flap, now, why, sizeof(why));
	json_object_set_new(j, "held_out", json_string(why));
	json_object_set_new(j, "flapping_since_s",
			    json_integer((now - t->health.flap_since_ms) / 1000));
	json_object_set_new(j, "flap_health_changes", json_integer(t->health.flap_count));
	json_object_set_new(j, "flap_window_s", json_integer(flap.window_ms / 1000));
	json_object_set_new(j, "flap_hold_s", json_integer(flap.hold_ms / 1000));
	json_object_set_new(j, "flap_let_back_in_s",
			    left < 0 ? json_null() : json_integer((left + 999) / 1000));
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
	json_object_set_new(j, "state_changes", json_integer(t->health.state_changes));
	if (t->health.flapping)
		add_flapping(t, now, j);
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
	__u32 id = xlbd_backend_id(x, vip, be);
	json_t *j;

	xlb_dp_backend_stats(x->dp, id, &st);
	xlb_dp_get_backend(x->dp, id, &live);
	j = json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:f, s:f, s:b, s:I, s:I, s:I, s:b}",
		      "address", xlb_addr_str(&be->addr, addr, sizeof(addr)),
		      "id", (int)id, "weight", (int)be->weight,
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
	 * A small table is read now, as it is (a batch read from the table
	 * cache, a few ms); a large one as the monitor last read it in full,
	 * in slices: reading 16 M slots here would stall the loop for seconds
	 * on every show.
	 */
	__u32 m = 0, *slots = vip->table_size <= SHOW_READ_NOW_SLOTS ?
			      xlb_dp_slot_counts(x->dp, xlbd_vip_id(x, vip), &m) : NULL;
	__u32 max = xlb_dp_max_backends(x->dp);
	size_t i;

	for (i = 0; i < vip->nr_backends; i++) {
		const struct xlb_cfg_backend *be = &vip->backends[i];
		__u32 n = 0, id = xlbd_backend_id(x, vip, be);

		if (slots)
			n = id < max ? slots[id] : 0;
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

json_t *cmd_list(struct xlbd *x, const struct ctl_request *req,
			char *err, size_t err_len)
{
	const char *name = json_string_value(json_object_get(req->args, "vip"));
	json_t *list = json_array();
	struct xlb_cfg_vip *vip;
	size_t i;

	/* One VIP asked for: it alone is built (all of 100,000 backends is 59 MB of JSON). */
	if (name) {
		vip = xlb_cfg_find_vip(x->effective, name);
		if (!vip) {
			json_decref(list);
			snprintf(err, err_len, "no VIP named '%s' ('xlbctl show' lists them)", name);
			return NULL;
		}
		json_array_append_new(list, vip_json(x, vip));
		return list;
	}
	for (i = 0; i < x->effective->nr_vips; i++)
		json_array_append_new(list, vip_json(x, &x->effective->vips[i]));
	return list;
}

json_t *cmd_counters(struct xlbd *x, const struct ctl_request *req,
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
		xlb_dp_vip_stats(x->dp, xlbd_vip_id(x, vip), &vs);
		json_array_append_new(vips, json_pack("{s:s, s:I, s:I, s:I, s:I}",
			"name", vip->name, "packets", (json_int_t)vs.packets,
			"bytes", (json_int_t)vs.bytes, "new_flows", (json_int_t)vs.new_flows,
			"no_backend", (json_int_t)vs.no_backend));
	}
	return json_pack("{s:o, s:o}", "reasons", reasons, "vips", vips);
}

/* ---- what xlbctl diff computes with ------------------------------------ */

/* The runtime changes and each backend's health: diff plans "after" with them. */
json_t *cmd_plan(struct xlbd *x, const struct ctl_request *req,
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
json_t *cmd_table(struct xlbd *x, const struct ctl_request *req,
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
	if (xlb_dp_get_table(x->dp, xlbd_vip_id(x, vip), &ids, &m)) {
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
