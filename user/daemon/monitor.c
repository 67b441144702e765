// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "health.h"
#include "health_apply.h"
#include "log.h"
#include "events.h"
#include "monitor.h"
#include "names.h"
#include "moved.h"
#include "plan.h"
#include "stats.h"
#include "table_state.h"
#include "xlbd.h"

#define TABLE_REFRESH_TICKS	10
#define MOVED_SWEEP_TICKS	10
#define HOOK_TIMEOUT_MS		30000
#define MONITOR_HOOK_ENV	12

static void vip_monitor_free(struct vip_monitor *vm)
{
	xlb_skew_vip_free(&vm->skew);
	free(vm->addrs);
	free(vm->table_slots);
}

/*
 * vm's VIP in the effective config: vips[] follows its order (monitor_sync),
 * so it is at the same index unless a change is not synced yet.
 */
static struct xlb_cfg_vip *vm_vip(struct xlbd *x, const struct vip_monitor *vm)
{
	size_t v = vm - x->mon.vips;

	if (v < x->effective->nr_vips && !strcmp(x->effective->vips[v].name, vm->name))
		return &x->effective->vips[v];
	return xlb_cfg_find_vip(x->effective, vm->name);
}

/* Before VIP rd->vip's first slot: its backends' addresses by id, for the fingerprint. */
static void begin_table(struct xlbd *x, struct table_read *rd, const struct xlb_cfg_vip *vip)
{
	__u32 max = xlb_dp_max_backends(x->dp);
	size_t b;

	for (b = 0; b < vip->nr_backends; b++) {
		__u32 id = xlbd_backend_id(x, vip, &vip->backends[b]);

		if (id < max)
			rd->owner[id] = xlb_fp_addr(&vip->backends[b].addr);
	}
	xlb_fp_table_init(&rd->fp);
}

/*
 * The fingerprint of what was read, with the config part from the plan in
 * force: the backends that take new flows, at their weights in force.
 */
static void fingerprint(struct xlbd *x, struct vip_monitor *vm, const struct xlb_cfg_vip *vip,
			const struct xlb_fp_table *t)
{
	const struct xlb_vip_plan *plan = xlbd_plan(x, vip);
	union xlb_addr *addrs = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*addrs));
	__u32 *weights = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*weights));
	size_t b;

	if (addrs && weights && plan) {
		for (b = 0; b < vip->nr_backends; b++) {
			addrs[b] = vip->backends[b].addr;
			weights[b] = plan->be[b].takes_new_flows ? plan->be[b].weight : 0;
		}
		xlb_fp_finish(&vm->fp, xlb_fp_config(addrs, weights, vip->nr_backends,
						     vip->table_size, vip->hash_source_port), t);
		vm->fp_ms = monotonic_ms();
	}
	free(addrs);
	free(weights);
}

/* The count of VIP rd->vip is complete: its backends' slots, by index. */
static void publish_table(struct xlbd *x, struct table_read *rd, __u32 m)
{
	struct vip_monitor *vm = &x->mon.vips[rd->vip];
	struct xlb_cfg_vip *vip = vm_vip(x, vm);
	__u32 max = xlb_dp_max_backends(x->dp);
	__u64 seen = 0;
	size_t b;

	for (b = 0; b < vm->nr; b++) {
		struct xlb_cfg_backend *be = vip ? xlb_cfg_backend_near(vip, b, &vm->addrs[b]) : NULL;
		__u32 id = be ? xlbd_backend_id(x, vip, be) : XLB_NO_BACKEND;

		vm->table_slots[b] = id < max ? rd->counts[id] : 0;
		seen += vm->table_slots[b];
		if (id < max) {
			rd->counts[id] = 0;
			rd->owner[id] = XLB_FP_EMPTY;
		}
	}
	vm->table_m = m;
	if (vip)
		fingerprint(x, vm, vip, &rd->fp);
	/* Slots of ids not its own (a damaged table) are left: clear them all. */
	if (seen != m)
		memset(rd->counts, 0, max * sizeof(*rd->counts));
}

/*
 * Reads the live tables on, VIP after VIP, at most MONITOR_TABLE_READ_SLOTS
 * slots a call. A table swapped during its read is counted again.
 */
static void read_tables(struct xlbd *x)
{
	struct monitor *mon = &x->mon;
	struct table_read *rd = &mon->rd;
	__u32 budget = MONITOR_TABLE_READ_SLOTS, max = xlb_dp_max_backends(x->dp), b;

	if (!rd->counts)
		rd->counts = calloc(max ? max : 1, sizeof(*rd->counts));
	if (!rd->owner) {
		rd->owner = malloc((max ? max : 1) * sizeof(*rd->owner));
		for (b = 0; rd->owner && b < max; b++)
			rd->owner[b] = XLB_FP_EMPTY;
	}
	if (!rd->counts || !rd->owner) {
		rd->active = false;
		return;
	}
	while (rd->active && rd->vip < mon->nr && budget) {
		struct vip_monitor *vm = &mon->vips[rd->vip];
		struct xlb_cfg_vip *vip = vm_vip(x, vm);
		__u32 before = rd->from, m = 0, id = 0;
		int r;

		if (vip && !rd->from)
			begin_table(x, rd, vip);
		r = vip ? xlb_dp_count_slots(x->dp, xlbd_vip_id(x, vip), &rd->from, budget, rd->counts,
					     &m, &id, rd->owner, &rd->fp) : -ENOENT;

		if (r >= 0 && before && id != rd->table_id) {
			memset(rd->counts, 0, max * sizeof(*rd->counts));
			rd->from = 0;
			budget -= budget < 1024 ? budget : 1024;	/* still bounded */
			continue;
		}
		rd->table_id = id;
		budget -= rd->from - before < budget ? rd->from - before : budget;
		if (r == 0)
			continue;
		/* No table (all down, or unreadable): it holds no slots. */
		publish_table(x, rd, r == 1 ? m : 0);
		rd->vip++;
		rd->from = 0;
	}
	if (rd->vip >= mon->nr)
		rd->active = false;
}

/* Starts reading the tables anew, from the first VIP. */
static void start_table_read(struct xlbd *x)
{
	struct table_read *rd = &x->mon.rd;

	if (rd->counts)
		memset(rd->counts, 0, xlb_dp_max_backends(x->dp) * sizeof(*rd->counts));
	rd->active = true;
	rd->vip = 0;
	rd->from = 0;
}

void monitor_sync(struct xlbd *x)
{
	struct monitor *mon = &x->mon;
	struct vip_monitor *next;
	const struct xlb_cfg *cfg = x->base;
	struct xlb_names *was;
	size_t v, b;
	long o;

	mon->cfg = cfg->skew;

	next = calloc(x->effective->nr_vips ? x->effective->nr_vips : 1, sizeof(*next));
	was = xlb_names_new(mon->vips, mon->nr, sizeof(*mon->vips),
			    offsetof(struct vip_monitor, name));
	if (!next || !was) {
		free(next);
		xlb_names_free(was);
		return;
	}
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		struct vip_monitor *vm = &next[v], *old;
		bool same = false;

		/* A VIP with the same backends keeps its windows and alerts. */
		o = v < mon->nr && !strcmp(mon->vips[v].name, vip->name) ? (long)v :
		    xlb_names_find(was, vip->name);
		old = o >= 0 ? &mon->vips[o] : NULL;
		if (old && old->nr == vip->nr_backends) {
			same = true;
			for (b = 0; b < old->nr && same; b++)
				same = !xlb_addr_cmp(&old->addrs[b], &vip->backends[b].addr);
			if (same) {
				*vm = *old;
				memset(old, 0, sizeof(*old));
			}
		}
		if (!same) {
			snprintf(vm->name, sizeof(vm->name), "%s", vip->name);
			vm->nr = vip->nr_backends;
			vm->addrs = calloc(vm->nr ? vm->nr : 1, sizeof(*vm->addrs));
			vm->table_slots = calloc(vm->nr ? vm->nr : 1, sizeof(*vm->table_slots));
			if (!vm->addrs || !vm->table_slots || xlb_skew_vip_init(&vm->skew, vm->nr))
				vm->nr = 0;
			for (b = 0; b < vm->nr; b++)
				vm->addrs[b] = vip->backends[b].addr;
			xlb_diag_vip_init(&vm->diag, monotonic_ms());
		}
		vm->skew.hash_source_port = vip->hash_source_port;
	}
	xlb_names_free(was);
	for (v = 0; v < mon->nr; v++)
		vip_monitor_free(&mon->vips[v]);
	free(mon->vips);
	mon->vips = next;
	mon->nr = x->effective->nr_vips;
	/*
	 * The tables are read back at the next tick, before the next
	 * evaluation: not here, where it would delay the change's answer.
	 */
	mon->refresh_pending = true;
}

/* A hook that has run longer than HOOK_TIMEOUT_MS is killed, with its group. */
static void expire_hooks(struct monitor *mon)
{
	__u64 now = monotonic_ms();
	int i;

	for (i = 0; i < MONITOR_MAX_HOOKS; i++) {
		if (mon->hooks[i] && now - mon->hook_started_ms[i] > HOOK_TIMEOUT_MS) {
			pr_warn("Skew hook still running after %d s: killed\n", HOOK_TIMEOUT_MS / 1000);
			xlb_child_kill(mon->hooks[i]);
			mon->hooks[i] = NULL;
		}
	}
}

static void hook_done(void *ctx, const siginfo_t *si)
{
	struct xlb_child **slot = ctx;

	if (si->si_code != CLD_EXITED || si->si_status)
		pr_warn("Skew hook ended with %s %d\n", si->si_code == CLD_EXITED ? "exit" : "signal",
			si->si_status);
	xlb_child_free(*slot);
	*slot = NULL;
}

static void run_hook(struct xlbd *x, char *const env[])
{
	struct monitor *mon = &x->mon;
	int i, err;

	for (i = 0; i < MONITOR_MAX_HOOKS && mon->hooks[i]; i++)
		;
	if (i == MONITOR_MAX_HOOKS) {
		pr_warn("Skew hook not run: %d hooks still running\n", MONITOR_MAX_HOOKS);
		return;
	}
	err = xlb_child_spawn(x->event, x->base->skew_hook, env, XLB_PRIO_TIMER, hook_done,
			      &mon->hooks[i], &mon->hooks[i]);
	if (err) {
		mon->hooks[i] = NULL;
		pr_warn("Couldn't run skew hook '%s': %s\n", x->base->skew_hook, strerror(-err));
		return;
	}
	mon->hook_started_ms[i] = monotonic_ms();
}

/*
 * The hook, when one is set, with kv (name, value, ..., NULL) as its
 * environment; values are cut to fit, never left out.
 */
static void hook(struct xlbd *x, const char *const *kv)
{
	char e[MONITOR_HOOK_ENV][XLB_PATH_MAX + 16];
	char *env[MONITOR_HOOK_ENV + 2];
	size_t i;

	if (!x->base->skew_hook[0])
		return;
	for (i = 0; kv[2 * i] && i < MONITOR_HOOK_ENV; i++) {
		snprintf(e[i], sizeof(e[i]), "%s=%.*s", kv[2 * i], XLB_PATH_MAX, kv[2 * i + 1]);
		env[i] = e[i];
	}
	env[i++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	env[i] = NULL;
	run_hook(x, env);
}

static void skew_event(struct xlbd *x, struct vip_monitor *vm, size_t b,
		       __u32 weight, __u32 median, bool raised)
{
	const struct xlb_skew_backend *s = &vm->skew.be[b];
	char addr[XLB_ADDR_STRLEN], msg[768], share[4][32];

	xlb_addr_str(&vm->addrs[b], addr, sizeof(addr));
	xlb_skew_describe(&vm->skew, b, vm->name, addr, weight, median, msg, sizeof(msg));
	if (raised)
		pr_warn("SKEW raised: %s\n", msg);
	else
		pr_info("SKEW cleared: backend %s of VIP '%s' is back in line (%.1f%% of new flows, weight gives %.1f%%)\n",
			addr, vm->name, 100 * s->observed, 100 * s->expected);
	journal_event(x, raised ? "skew_raised" : "skew_cleared",
		      json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:I, s:s}", "vip", vm->name,
				"backend", addr, "cause", xlb_skew_cause_name(s->cause),
				"observed_share", s->observed, "expected_share", s->expected,
				"table_share", s->table, "peer_share", s->peer,
				"window_flows", (json_int_t)vm->skew.window_flows,
				"message", raised ? msg : "back in line"));
	snprintf(share[0], sizeof(share[0]), "%.4f", s->observed);
	snprintf(share[1], sizeof(share[1]), "%.4f", s->expected);
	snprintf(share[2], sizeof(share[2]), "%.4f", s->table);
	snprintf(share[3], sizeof(share[3]), "%llu", (unsigned long long)vm->skew.window_flows);
	hook(x, (const char *const[]){
		"XLB_EVENT", raised ? "skew_raised" : "skew_cleared", "XLB_VIP", vm->name,
		"XLB_BACKEND", addr, "XLB_CAUSE", xlb_skew_cause_name(s->cause),
		"XLB_OBSERVED_SHARE", share[0], "XLB_EXPECTED_SHARE", share[1],
		"XLB_TABLE_SHARE", share[2], "XLB_WINDOW_FLOWS", share[3],
		"XLB_MESSAGE", raised ? msg : "back in line", NULL });
}

/* Held out as flapping, not down: "down by its probes" would be wrong when
 * its last probes pass. */
static void flapping_words(const struct probe_target *t, __u64 now, char *buf, size_t len)
{
	struct xlb_flap_cfg flap = probe_flap_cfg(t);
	char why[112];		/* the longest words are about 105 characters */

	xlb_health_flap_words(&t->health, &flap, now, why, sizeof(why));
	snprintf(buf, len, "for %llu s: %s (last probe: %.48s); its flows went to its peers",
		 (unsigned long long)(now - t->health.flap_since_ms) / 1000, why,
		 t->health.last_reason);
}

/* What health did about a backend, in words, for the diagnosis. */
static void health_words(const struct probe_target *t, const struct xlb_plan_backend *p,
			 __u64 now, char *buf, size_t len)
{
	if (!t)
		snprintf(buf, len, "it is not probed");
	else if (p->kept)
		snprintf(buf, len, "health found it down %llu s ago, but all_down: keep holds it in the table with its peers",
			 (unsigned long long)(now - t->health.last_change_ms) / 1000);
	else if (p->health_down && t->health.flapping)
		flapping_words(t, now, buf, len);
	else if (p->health_down)
		snprintf(buf, len, "health took it out of the table %llu s ago (last probe: %s); its flows went to its peers",
			 (unsigned long long)(now - t->health.last_change_ms) / 1000,
			 t->health.last_reason);
	else
		snprintf(buf, len, "health keeps it in: its probes pass (last: %s, timeout %u ms), so only its latency tells",
			 t->health.last_reason, t->p.timeout_ms);
}

static void diagnosis_event(struct xlbd *x, struct vip_monitor *vm, bool raised)
{
	const struct xlb_diag_vip *d = &vm->diag;
	const char *kind = xlb_diag_kind_name(d->kind);
	const char *cause = d->kind == XLB_DIAG_OVERLOAD ? xlb_skew_cause_name(d->cause) : "";

	if (raised)
		pr_warn("DIAGNOSIS for VIP '%s': %s\n", vm->name, d->message);
	else
		pr_info("DIAGNOSIS cleared for VIP '%s': %s\n", vm->name, d->message);
	journal_event(x, raised ? "diagnosis_raised" : "diagnosis_cleared",
		      json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:s}", "vip", vm->name,
				"kind", kind, "cause", cause, "backends", d->named,
				"median_ms", d->median_us / 1000.0,
				"baseline_ms", d->baseline_us / 1000.0, "message", d->message));
	hook(x, (const char *const[]){
		"XLB_EVENT", raised ? "diagnosis_raised" : "diagnosis_cleared",
		"XLB_VIP", vm->name, "XLB_KIND", kind, "XLB_CAUSE", cause,
		"XLB_BACKEND", d->named, "XLB_MESSAGE", d->message, NULL });
}

/* What diagnose() lends a backend's xlb_diag_input for one evaluation. */
struct diag_words {
	char addr[XLB_ADDR_STRLEN];
	char health[256];
};

/*
 * The VIP's verdict, from its backends' latency and shares. Everything per
 * backend is on the heap: a VIP may have a million backends (maps backends),
 * and room for samples only for those that are probed.
 */
static void diagnose(struct xlbd *x, struct vip_monitor *vm, const struct xlb_cfg_vip *vip,
		     const struct xlb_vip_plan *plan)
{
	const struct xlb_diag_cfg *cfg = &x->base->diagnosis;
	size_t nr = vm->nr, b, probed = 0, room = 0;
	struct xlb_diag_input *in = calloc(nr ? nr : 1, sizeof(*in));
	struct diag_words *words = calloc(nr ? nr : 1, sizeof(*words));
	struct probe_target **tg = calloc(nr ? nr : 1, sizeof(*tg));
	__u32 *samples = NULL;
	__u64 now = monotonic_ms();
	enum xlb_diag_event e;

	if (!in || !words || !tg)
		goto out;
	for (b = 0; b < nr; b++) {
		tg[b] = prober_find(&x->pr, vip->name, &vm->addrs[b]);
		probed += tg[b] != NULL;
	}
	samples = calloc((probed ? probed : 1) * XLB_LAT_SAMPLES, sizeof(*samples));
	if (!samples)
		goto out;
	for (b = 0; b < nr; b++) {
		struct xlb_cfg_backend *be = xlb_cfg_backend_near((struct xlb_cfg_vip *)vip, b,
								  &vm->addrs[b]);
		const struct xlb_plan_backend *p = be ? &plan->be[be - vip->backends] : NULL;
		struct probe_target *t = tg[b];

		xlb_addr_str(&vm->addrs[b], words[b].addr, sizeof(words[b].addr));
		in[b] = (struct xlb_diag_input){ .name = words[b].addr, .health = words[b].health };
		if (!p)
			continue;
		health_words(t, p, now, words[b].health, sizeof(words[b].health));
		in[b].judged = p->takes_new_flows;
		in[b].health_down = p->health_down && be->admin == XLB_ADMIN_UP && be->weight;
		in[b].flapping = in[b].health_down && t && t->health.flapping;
		in[b].weight = p->weight;
		in[b].share = &vm->skew.be[b];
		in[b].probed = t != NULL;
		if (!t)
			continue;
		in[b].lat = samples + room;
		in[b].n = xlb_lat_window(&t->lat, now, cfg->window_ms, samples + room, &in[b].failed);
		in[b].baseline_us = xlb_lat_baseline(&t->lat);
		room += XLB_LAT_SAMPLES;
	}
	e = xlb_diag_evaluate(cfg, &x->mon.cfg, vm->skew.window_flows, &vm->diag, in, nr, now);
	if (e != XLB_DIAG_SAME)
		diagnosis_event(x, vm, e == XLB_DIAG_RAISED);
out:
	/* Out of memory: this second has no verdict; the one in force stands. */
	free(samples);
	free(tg);
	free(words);
	free(in);
}

/* A backend's line in the journal's samples: counters, weight, latency. */
static json_t *sample_row(struct xlbd *x, const struct xlb_cfg_vip *vip, const union xlb_addr *a,
			  const struct xlb_backend_stats *st, const struct xlb_skew_input *in)
{
	struct probe_target *t = prober_find(&x->pr, vip->name, a);
	char addr[XLB_ADDR_STRLEN];
	json_t *row;

	row = json_pack("{s:s, s:I, s:I, s:i, s:b}", "backend", xlb_addr_str(a, addr, sizeof(addr)),
			"new_flows", (json_int_t)st->new_flows, "packets", (json_int_t)st->packets,
			"weight", (int)in->weight, "in_table", in->takes_new_flows);
	if (t) {
		__u32 v[XLB_LAT_SAMPLES];
		size_t n = xlb_lat_window(&t->lat, monotonic_ms(), x->base->diagnosis.window_ms, v,
					  NULL);

		if (n)
			json_object_set_new(row, "latency_ms", json_real(xlb_median_u32(v, n) / 1000.0));
	}
	return row;
}

static void evaluate_vip(struct xlbd *x, struct vip_monitor *vm, json_t *sample)
{
	struct xlb_cfg_vip *vip = vm_vip(x, vm);
	const struct xlb_vip_plan *plan = vip ? xlbd_plan(x, vip) : NULL;
	struct xlb_skew_input *in = calloc(vm->nr ? vm->nr : 1, sizeof(*in));
	enum xlb_skew_event *ev = calloc(vm->nr ? vm->nr : 1, sizeof(*ev));
	json_t *rows = NULL;
	size_t b;

	if (!vip || !plan || !in || !ev)
		goto out;
	rows = sample ? json_array() : NULL;
	for (b = 0; b < vm->nr; b++) {
		struct xlb_cfg_backend *be = xlb_cfg_backend_near(vip, b, &vm->addrs[b]);
		struct xlb_backend_stats st = {};
		__u32 id = be ? xlbd_backend_id(x, vip, be) : XLB_NO_BACKEND;

		if (id < x->mon.nr_stats)
			st = x->mon.stats[id];
		in[b] = (struct xlb_skew_input){
			.new_flows = st.new_flows,
			.packets = st.packets,
			.weight = be ? plan->be[be - vip->backends].weight : 0,
			.takes_new_flows = be && plan->be[be - vip->backends].takes_new_flows,
			.table_share = vm->table_m ? (double)vm->table_slots[b] / vm->table_m : 0,
		};
		if (rows)
			json_array_append_new(rows, sample_row(x, vip, &vm->addrs[b], &st, &in[b]));
	}
	if (rows)
		json_array_append_new(sample, json_pack("{s:s, s:o}", "vip", vm->name, "backends", rows));
	if (xlb_skew_evaluate(&x->mon.cfg, &vm->skew, in, ev))
		for (b = 0; b < vm->nr; b++)
			if (ev[b] != XLB_SKEW_NO_CHANGE)
				skew_event(x, vm, b, in[b].weight, vm->skew.median_weight,
					   ev[b] == XLB_SKEW_RAISED);
	diagnose(x, vm, vip, plan);
out:
	free(ev);
	free(in);
}

/*
 * TCP VIPs' tables (table_state.c): old tables whose time is up go, idle
 * records go, and slots that no longer need a lookup stop taking one.
 */
static void tidy_tables(struct xlbd *x)
{
	struct xlb_vip_spec *specs = calloc(x->effective->nr_vips ?: 1, sizeof(*specs));
	struct xlb_tidy_result res;
	size_t v, n = 0;
	int err = specs ? 0 : -ENOMEM;

	for (v = 0; !err && v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		const struct xlb_vip_plan *plan = xlbd_plan(x, vip);
		const struct xlb_vip_ids *ids = xlbd_ids(x, vip);

		if (!plan || !ids)
			continue;
		err = xlb_vip_spec_from_plan(vip, ids, plan, &specs[n]);
		n += !err;
	}
	if (!err)
		err = xlb_table_tidy(x->dp, specs, n, &res);
	if (err)
		pr_warn("Couldn't tidy the VIPs' tables: %s\n", strerror(-err));
	if (!err && res.old_kept_full)
		pr_info("Flow table near full (%u entries walked): %u VIPs keep their old table past its time, as records of live flows may have been evicted\n",
			res.entries, res.old_kept_full);
	if (!err && (res.forgotten || res.look_cleared))
		pr_info("Flow records: %u of %u TCP records let go (idle, backend gone, or no longer needed); %u slots need no lookup any more\n",
			res.forgotten, res.records, res.look_cleared);
	for (v = 0; v < n; v++)
		free(specs[v].backends);
	free(specs);
}

/* Idle and orphaned held flows go; VIP flags follow what is held. */
static void sweep_moved(struct xlbd *x)
{
	int n = xlb_moved_sweep(x->dp, (__u64)x->base->udp_idle_ms * 1000000ull);

	if (n < 0)
		pr_warn("Couldn't sweep the moved-flow table: %s\n", strerror(-n));
	else if (n > 0)
		pr_info("Moved-flow table: let go of %d flows (idle, or their backend is gone)\n", n);
}

void monitor_tick(struct xlbd *x, __u64 now)
{
	struct monitor *mon = &x->mon;
	json_t *sample = NULL;
	size_t v;

	expire_hooks(mon);
	if (mon->ticks % MOVED_SWEEP_TICKS == 0) {
		sweep_moved(x);
		tidy_tables(x);
	}
	mon->ticks++;
	if (mon->refresh_pending || (mon->ticks % TABLE_REFRESH_TICKS == 0 && !mon->rd.active)) {
		start_table_read(x);
		mon->refresh_pending = false;
	}
	read_tables(x);
	if (now - mon->last_sample_ms >= x->base->sample_interval_ms) {
		mon->last_sample_ms = now;
		sample = json_array();
	}
	/* One read of every backend's counters for the whole pass; none: all 0. */
	free(mon->stats);
	if (xlb_dp_backend_stats_all(x->dp, &mon->stats, &mon->nr_stats))
		pr_warn("Couldn't read the backends' counters: skew and diagnosis see no traffic this second\n");
	for (v = 0; v < mon->nr; v++)
		evaluate_vip(x, &mon->vips[v], sample);
	if (sample)
		journal_event(x, "sample", json_pack("{s:o}", "vips", sample));
}

int monitor_init(struct xlbd *x)
{
	x->mon.last_sample_ms = monotonic_ms();
	return 0;
}

void monitor_fini(struct xlbd *x)
{
	struct monitor *mon = &x->mon;
	size_t v;
	int i;

	for (v = 0; v < mon->nr; v++)
		vip_monitor_free(&mon->vips[v]);
	free(mon->vips);
	free(mon->rd.counts);
	free(mon->rd.owner);
	free(mon->stats);
	for (i = 0; i < MONITOR_MAX_HOOKS; i++)
		xlb_child_kill(mon->hooks[i]);
	memset(mon, 0, sizeof(*mon));
}

/*
 * Callers walk the VIPs in the config's order, as vips[] is: the search
 * starts where the last one was found, one or two looks each, not a scan
 * per VIP (65536 VIPs are allowed).
 */
const struct vip_monitor *monitor_vip(struct xlbd *x, const char *vip)
{
	size_t k, v;

	for (k = 0; k < x->mon.nr; k++) {
		v = (x->mon.last_found + k) % x->mon.nr;
		if (!strcmp(x->mon.vips[v].name, vip)) {
			x->mon.last_found = v;
			return &x->mon.vips[v];
		}
	}
	return NULL;
}

/* The index of backend addr in vm, looked for first at hint; -1 if absent. */
static long vm_index(const struct vip_monitor *vm, size_t hint, const union xlb_addr *addr)
{
	size_t b;

	if (!vm)
		return -1;
	if (hint < vm->nr && !xlb_addr_cmp(&vm->addrs[hint], addr))
		return hint;
	for (b = 0; b < vm->nr; b++)
		if (!xlb_addr_cmp(&vm->addrs[b], addr))
			return b;
	return -1;
}

const struct xlb_skew_backend *monitor_backend(struct xlbd *x, const char *vip, size_t hint,
					       const union xlb_addr *addr)
{
	const struct vip_monitor *vm = monitor_vip(x, vip);
	long b = vm_index(vm, hint, addr);

	return b < 0 ? NULL : &vm->skew.be[b];
}

__u32 monitor_table_slots(struct xlbd *x, const char *vip, size_t hint,
			  const union xlb_addr *addr, __u32 *m)
{
	const struct vip_monitor *vm = monitor_vip(x, vip);
	long b = vm_index(vm, hint, addr);

	*m = vm ? vm->table_m : 0;
	return b < 0 ? 0 : vm->table_slots[b];
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct vip_monitor *const *)a)->name,
		      (*(const struct vip_monitor *const *)b)->name);
}

const char *monitor_node_fingerprint(struct xlbd *x, char *buf)
{
	const struct vip_monitor **sorted;
	struct xlb_fp_table all;
	struct xlb_fp fp;
	size_t v, i;

	buf[0] = 0;
	if (x->mon.nr != x->effective->nr_vips)
		return buf;
	for (v = 0; v < x->mon.nr; v++)
		if (!x->mon.vips[v].fp_ms)
			return buf;	/* a table not read yet: no digest for the node */
	sorted = calloc(x->mon.nr ? x->mon.nr : 1, sizeof(*sorted));
	if (!sorted)
		return buf;
	for (v = 0; v < x->mon.nr; v++)
		sorted[v] = &x->mon.vips[v];
	/* By name: nodes whose files list the VIPs in another order agree. */
	qsort(sorted, x->mon.nr, sizeof(*sorted), by_name);
	xlb_fp_table_init(&all);
	for (v = 0; v < x->mon.nr; v++) {
		xlb_fp_table_add(&all, sorted[v]->fp.digest);
		for (i = 0; sorted[v]->name[i]; i++)
			xlb_fp_table_add(&all, (unsigned char)sorted[v]->name[i]);
	}
	free(sorted);
	xlb_fp_finish(&fp, x->mon.nr, &all);
	return xlb_fp_str(fp.digest, buf);
}
