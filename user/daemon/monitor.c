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
#include "monitor_tables.h"
#include "names.h"
#include "moved.h"
#include "plan.h"
#include "stats.h"
#include "table_state.h"
#include "xlbd.h"

#define TABLE_REFRESH_TICKS	10
#define MOVED_SWEEP_TICKS	10
/* A pass's slices run after clients: one waits for a slice at most. */
#define MONITOR_PRIO		(XLB_PRIO_CLIENT + 10)
/* A pass still under way at the next beat runs ahead of clients, after timers. */
#define MONITOR_PRIO_LATE	(XLB_PRIO_TIMER + 1)
#define HOOK_TIMEOUT_MS		30000
#define MONITOR_HOOK_ENV	12

static void vip_monitor_free(struct vip_monitor *vm)
{
	xlb_skew_vip_free(&vm->skew);
	free(vm->addrs);
	free(vm->table_slots);
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
	/*
	 * A pass under way looks at the VIPs again from the first, passing
	 * over those it judged (their state moved with them); its table
	 * read stops, for the next pass to start anew.
	 */
	if (mon->pass.active) {
		mon->pass.next = 0;
		mon->pass.table_steps = 0;
	}
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

static void evaluate_vip(struct xlbd *x, struct vip_monitor *vm, struct monitor_sample *sample)
{
	struct xlb_cfg_vip *vip = monitor_vm_vip(x, vm);
	const struct xlb_vip_plan *plan = vip ? xlbd_plan(x, vip) : NULL;
	struct xlb_skew_input *in = calloc(vm->nr ? vm->nr : 1, sizeof(*in));
	enum xlb_skew_event *ev = calloc(vm->nr ? vm->nr : 1, sizeof(*ev));
	json_t *rows = NULL;
	size_t b;

	if (!vip || !plan || !in || !ev)
		goto out;
	rows = sample->on ? json_array() : NULL;
	for (b = 0; b < vm->nr; b++) {
		struct xlb_cfg_backend *be = xlb_cfg_backend_near(vip, b, &vm->addrs[b]);
		struct xlb_backend_stats st = {};
		__u32 id = be ? xlbd_backend_id(x, vip, be) : XLB_NO_BACKEND;

		if (id != XLB_NO_BACKEND)
			st = monitor_counters_get(&x->mon.counters, id);
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
		monitor_sample_add(sample, json_pack("{s:s, s:o}", "vip", vm->name, "backends", rows));
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

/* Room for n ids in the slice's list. */
static bool ids_room(struct monitor_pass *p, size_t n)
{
	__u32 *ids;

	if (n <= p->ids_room)
		return true;
	n = n > 2 * p->ids_room ? n : 2 * p->ids_room;
	ids = realloc(p->ids, n * sizeof(*ids));
	if (!ids)
		return false;
	p->ids = ids;
	p->ids_room = n;
	return true;
}

/*
 * The next slice: from pass.next on, the VIPs this pass has not judged,
 * whole, until their backends reach the budget (one VIP at least), and
 * their backends' ids in pass.ids (*nr_ids). Returns the index after it.
 */
static size_t slice_vips(struct xlbd *x, size_t *nr_ids)
{
	struct monitor *mon = &x->mon;
	struct monitor_pass *p = &mon->pass;
	size_t budget = p->sample.on ? MONITOR_SLICE_BACKENDS_SAMPLE : MONITOR_SLICE_BACKENDS;
	size_t v, used = 0, n = 0, b;
	__u32 max = xlb_dp_max_backends(x->dp);

	for (v = p->next; v < mon->nr && used < budget; v++) {
		struct vip_monitor *vm = &mon->vips[v];
		struct xlb_cfg_vip *vip;

		used++;		/* even one passed over costs a look */
		if (vm->judged == p->seq)
			continue;
		vip = monitor_vm_vip(x, vm);
		if (!vip)
			continue;
		if (!ids_room(p, n + vm->nr)) {
			/* Out of memory: judged in a slice of its own, on its counters as last read. */
			v += !n;
			break;
		}
		/* A VIP's own work (its allocations, its verdict) weighs as a few backends'. */
		used += MONITOR_SLICE_VIP_COST + vm->nr;
		for (b = 0; b < vm->nr; b++) {
			struct xlb_cfg_backend *be = xlb_cfg_backend_near(vip, b, &vm->addrs[b]);
			__u32 id = be ? xlbd_backend_id(x, vip, be) : XLB_NO_BACKEND;

			if (id < max)
				p->ids[n++] = id;
		}
	}
	*nr_ids = n;
	return v;
}

/* One slice of VIPs: their backends' counters read, then each judged. */
static void judge_slice(struct xlbd *x)
{
	struct monitor *mon = &x->mon;
	struct monitor_pass *p = &mon->pass;
	size_t n, end = slice_vips(x, &n), v;
	int err = monitor_counters_read(x->dp, &mon->counters, p->ids, n);

	if (err && !p->counters_failed) {
		p->counters_failed = true;
		pr_warn("Couldn't read the backends' counters (%s): skew and diagnosis see no traffic this second\n",
			strerror(-err));
	}
	for (v = p->next; v < end; v++) {
		struct vip_monitor *vm = &mon->vips[v];

		if (vm->judged == p->seq)
			continue;
		vm->judged = p->seq;
		evaluate_vip(x, vm, &p->sample);
	}
	p->next = end;
}

static void pass_end(struct xlbd *x)
{
	struct monitor_pass *p = &x->mon.pass;
	monitor_done_fn done = p->done;

	p->active = false;
	p->done = NULL;
	if (p->run)
		sd_event_source_set_enabled(p->run, SD_EVENT_OFF);
	if (done)
		done(x);
}

/* One slice of the pass, on a turn of the loop of its own (monitor.h). */
static int pass_run(sd_event_source *s, void *userdata)
{
	struct xlbd *x = userdata;
	struct monitor *mon = &x->mon;
	struct monitor_pass *p = &mon->pass;

	(void)s;
	if (!p->active)
		return 0;
	switch (x->effective ? p->step : PASS_JUDGE) {
	case PASS_SWEEP:
		sweep_moved(x);
		p->step = PASS_TIDY;
		return 0;
	case PASS_TIDY:
		tidy_tables(x);
		p->step = PASS_TABLES;
		return 0;
	case PASS_TABLES:
		/* Before the VIPs are judged: a read finished now is this second's table share. */
		if (mon->rd.active && p->table_steps) {
			p->table_steps--;
			monitor_tables_read(x);
			return 0;
		}
		p->step = PASS_JUDGE;
		/* fall through */
	case PASS_JUDGE:
		if (x->effective)
			judge_slice(x);
		if (x->effective && p->next < mon->nr)
			return 0;
	}
	monitor_sample_end(x, &p->sample);
	pass_end(x);
	return 0;
}

void monitor_tick(struct xlbd *x, __u64 now, monitor_done_fn done)
{
	struct monitor *mon = &x->mon;
	struct monitor_pass *p = &mon->pass;

	expire_hooks(mon);
	if (p->active) {
		/* Its second is over: it finishes ahead of clients, and this beat starts none. */
		p->skipped++;
		if (!p->said_ms || now - p->said_ms >= 60000) {
			pr_warn("Monitor: the pass begun %llu ms ago is still under way (at VIP %zu of %zu): no pass starts at this beat, that one goes on ahead of clients (%llu beats skipped so far)\n",
				(unsigned long long)(now - p->begun_ms), p->next, mon->nr,
				(unsigned long long)p->skipped);
			p->said_ms = now;
		}
		if (p->run)
			sd_event_source_set_priority(p->run, MONITOR_PRIO_LATE);
		return;
	}
	p->active = true;
	p->seq++;
	p->next = 0;
	p->done = done;
	p->begun_ms = now;
	p->counters_failed = false;
	p->step = mon->ticks % MOVED_SWEEP_TICKS == 0 ? PASS_SWEEP : PASS_TABLES;
	mon->ticks++;
	if (mon->refresh_pending || (mon->ticks % TABLE_REFRESH_TICKS == 0 && !mon->rd.active)) {
		monitor_tables_start(x);
		mon->refresh_pending = false;
	}
	p->table_steps = MONITOR_TABLE_STEPS;
	if (now - mon->last_sample_ms >= x->base->sample_interval_ms) {
		mon->last_sample_ms = now;
		monitor_sample_begin(&p->sample);
	}
	if (p->run) {
		sd_event_source_set_priority(p->run, MONITOR_PRIO);
		sd_event_source_set_enabled(p->run, SD_EVENT_ON);
		return;
	}
	/* No loop to slice it on (never in xlbd): at once. */
	while (p->active)
		pass_run(NULL, x);
}

int monitor_init(struct xlbd *x)
{
	struct monitor_pass *p = &x->mon.pass;
	int err;

	x->mon.last_sample_ms = monotonic_ms();
	err = sd_event_add_defer(x->event, &p->run, pass_run, x);
	if (err < 0)
		return err;
	sd_event_source_set_priority(p->run, MONITOR_PRIO);
	return sd_event_source_set_enabled(p->run, SD_EVENT_OFF);
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
	mon->pass.run = sd_event_source_disable_unref(mon->pass.run);
	monitor_sample_drop(&mon->pass.sample);
	free(mon->pass.ids);
	monitor_counters_free(&mon->counters);
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
