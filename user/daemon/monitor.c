// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "health.h"
#include "log.h"
#include "monitor.h"
#include "xlbd.h"

#define TABLE_REFRESH_TICKS	10
#define HOOK_TIMEOUT_S		30

void journal_event(struct xlbd *x, const char *type, json_t *fields)
{
	if (xlb_journal_add(&x->mon.journal, type, fields))
		pr_debug("Couldn't append '%s' to the event journal\n", type);
}

static void vip_monitor_free(struct vip_monitor *vm)
{
	xlb_skew_vip_free(&vm->skew);
	free(vm->addrs);
	free(vm->table_share);
}

static void refresh_tables(struct xlbd *x)
{
	size_t v, b;

	for (v = 0; v < x->mon.nr; v++) {
		struct vip_monitor *vm = &x->mon.vips[v];
		struct xlb_cfg_vip *vip = xlb_cfg_find_vip(x->effective, vm->name);
		__u32 *table, m, i;

		if (!vip || xlb_dp_get_table(x->dp, vip->id, &table, &m))
			continue;
		for (b = 0; b < vm->nr; b++) {
			struct xlb_cfg_backend *be = xlb_cfg_find_backend(vip, &vm->addrs[b]);
			__u32 n = 0;

			for (i = 0; be && i < m; i++)
				n += table[i] == be->id;
			vm->table_share[b] = m ? (double)n / m : 0;
		}
		free(table);
	}
}

void monitor_sync(struct xlbd *x)
{
	struct monitor *mon = &x->mon;
	struct vip_monitor *next;
	const struct xlb_cfg *cfg = x->base;
	size_t v, b, o;

	xlb_skew_cfg_default(&mon->cfg);
	mon->cfg.window = cfg->skew_window_s;
	mon->cfg.ratio = cfg->skew_ratio;
	mon->cfg.config_ratio = cfg->skew_config_ratio;
	mon->cfg.z = cfg->skew_z;
	mon->cfg.min_flows = cfg->skew_min_flows;
	mon->cfg.raise_after = cfg->skew_raise_after;
	mon->cfg.clear_after = cfg->skew_clear_after;

	next = calloc(x->effective->nr_vips ? x->effective->nr_vips : 1, sizeof(*next));
	if (!next)
		return;
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		struct vip_monitor *vm = &next[v];
		bool same = false;

		/* A VIP with the same backends keeps its windows and alerts. */
		for (o = 0; o < mon->nr; o++) {
			struct vip_monitor *old = &mon->vips[o];

			if (strcmp(old->name, vip->name) || old->nr != vip->nr_backends)
				continue;
			same = true;
			for (b = 0; b < old->nr && same; b++)
				same = !xlb_addr_cmp(&old->addrs[b], &vip->backends[b].addr);
			if (same) {
				*vm = *old;
				memset(old, 0, sizeof(*old));
			}
			break;
		}
		if (!same) {
			snprintf(vm->name, sizeof(vm->name), "%s", vip->name);
			vm->nr = vip->nr_backends;
			vm->addrs = calloc(vm->nr ? vm->nr : 1, sizeof(*vm->addrs));
			vm->table_share = calloc(vm->nr ? vm->nr : 1, sizeof(*vm->table_share));
			if (!vm->addrs || !vm->table_share || xlb_skew_vip_init(&vm->skew, vm->nr))
				vm->nr = 0;
			for (b = 0; b < vm->nr; b++)
				vm->addrs[b] = vip->backends[b].addr;
		}
		vm->skew.hash_source_port = vip->hash_source_port;
	}
	for (o = 0; o < mon->nr; o++)
		vip_monitor_free(&mon->vips[o]);
	free(mon->vips);
	mon->vips = next;
	mon->nr = x->effective->nr_vips;
	refresh_tables(x);
}

static void reap_hooks(struct monitor *mon)
{
	time_t now = time(NULL);
	int i;

	for (i = 0; i < MONITOR_MAX_HOOKS; i++) {
		if (!mon->hooks[i])
			continue;
		if (now - mon->hook_started[i] > HOOK_TIMEOUT_S)
			kill(mon->hooks[i], SIGKILL);
		if (waitpid(mon->hooks[i], NULL, WNOHANG) == mon->hooks[i])
			mon->hooks[i] = 0;
	}
}

static void run_hook(struct xlbd *x, char *const env[])
{
	char *argv[] = { "/bin/sh", "-c", x->base->skew_hook, NULL };
	struct monitor *mon = &x->mon;
	int i, err;

	for (i = 0; i < MONITOR_MAX_HOOKS && mon->hooks[i]; i++)
		;
	if (i == MONITOR_MAX_HOOKS) {
		pr_warn("Skew hook not run: %d hooks still running\n", MONITOR_MAX_HOOKS);
		return;
	}
	err = posix_spawn(&mon->hooks[i], "/bin/sh", NULL, NULL, argv, env);
	if (err) {
		mon->hooks[i] = 0;
		pr_warn("Couldn't run skew hook '%s': %s\n", x->base->skew_hook, strerror(err));
		return;
	}
	mon->hook_started[i] = time(NULL);
}

static void skew_event(struct xlbd *x, struct vip_monitor *vm, size_t b,
		       const struct xlb_cfg_backend *be, __u32 median, bool raised)
{
	const struct xlb_skew_backend *s = &vm->skew.be[b];
	char addr[XLB_ADDR_STRLEN], msg[768], e[10][XLB_PATH_MAX + 16];
	char *env[11];
	int i;

	xlb_addr_str(&vm->addrs[b], addr, sizeof(addr));
	xlb_skew_describe(&vm->skew, b, vm->name, addr, be ? be->weight : 0, median, msg, sizeof(msg));
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
	if (!x->base->skew_hook[0])
		return;
	snprintf(e[0], sizeof(e[0]), "XLB_EVENT=%s", raised ? "skew_raised" : "skew_cleared");
	snprintf(e[1], sizeof(e[1]), "XLB_VIP=%s", vm->name);
	snprintf(e[2], sizeof(e[2]), "XLB_BACKEND=%s", addr);
	snprintf(e[3], sizeof(e[3]), "XLB_CAUSE=%s", xlb_skew_cause_name(s->cause));
	snprintf(e[4], sizeof(e[4]), "XLB_OBSERVED_SHARE=%.4f", s->observed);
	snprintf(e[5], sizeof(e[5]), "XLB_EXPECTED_SHARE=%.4f", s->expected);
	snprintf(e[6], sizeof(e[6]), "XLB_TABLE_SHARE=%.4f", s->table);
	snprintf(e[7], sizeof(e[7]), "XLB_WINDOW_FLOWS=%llu", (unsigned long long)vm->skew.window_flows);
	snprintf(e[8], sizeof(e[8]), "XLB_MESSAGE=%.*s", (int)sizeof(e[8]) - 16, raised ? msg : "back in line");
	snprintf(e[9], sizeof(e[9]), "PATH=/usr/local/bin:/usr/bin:/bin");
	for (i = 0; i < 10; i++)
		env[i] = e[i];
	env[10] = NULL;
	run_hook(x, env);
}

static void evaluate_vip(struct xlbd *x, struct vip_monitor *vm, json_t *sample)
{
	struct xlb_cfg_vip *vip = xlb_cfg_find_vip(x->effective, vm->name);
	struct xlb_skew_input in[vm->nr ? vm->nr : 1];
	enum xlb_skew_event ev[vm->nr ? vm->nr : 1];
	json_t *rows = sample ? json_array() : NULL;
	char addr[XLB_ADDR_STRLEN];
	size_t b;

	if (!vip)
		return;
	for (b = 0; b < vm->nr; b++) {
		struct xlb_cfg_backend *be = xlb_cfg_find_backend(vip, &vm->addrs[b]);
		struct xlb_backend_stats st = {};

		if (be)
			xlb_dp_backend_stats(x->dp, be->id, &st);
		in[b] = (struct xlb_skew_input){
			.new_flows = st.new_flows,
			.packets = st.packets,
			.weight = be ? be->weight : 0,
			.takes_new_flows = be && be->admin == XLB_ADMIN_UP && be->weight &&
					   !be->health_down,
			.table_share = vm->table_share[b],
		};
		if (rows)
			json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:i, s:b}",
				"backend", xlb_addr_str(&vm->addrs[b], addr, sizeof(addr)),
				"new_flows", (json_int_t)st.new_flows, "packets", (json_int_t)st.packets,
				"weight", be ? (int)be->weight : 0, "in_table", in[b].takes_new_flows));
	}
	if (rows)
		json_array_append_new(sample, json_pack("{s:s, s:o}", "vip", vm->name, "backends", rows));
	if (!xlb_skew_evaluate(&x->mon.cfg, &vm->skew, in, ev))
		return;
	for (b = 0; b < vm->nr; b++)
		if (ev[b] != XLB_SKEW_NO_CHANGE)
			skew_event(x, vm, b, xlb_cfg_find_backend(vip, &vm->addrs[b]), vm->skew.median_weight,
				   ev[b] == XLB_SKEW_RAISED);
}

static void tick(struct ev_handler *h, uint32_t events)
{
	struct xlbd *x = (struct xlbd *)((char *)h - offsetof(struct xlbd, mon.ev));
	struct monitor *mon = &x->mon;
	__u64 expirations, now = monotonic_ms();
	json_t *sample = NULL;
	size_t v;

	(void)events;
	if (read(mon->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	if (!x->effective)
		return;
	if (++mon->ticks % TABLE_REFRESH_TICKS == 0)
		refresh_tables(x);
	if (now - mon->last_sample_ms >= x->base->sample_interval_ms) {
		mon->last_sample_ms = now;
		sample = json_array();
	}
	for (v = 0; v < mon->nr; v++)
		evaluate_vip(x, &mon->vips[v], sample);
	if (sample)
		journal_event(x, "sample", json_pack("{s:o}", "vips", sample));
	reap_hooks(mon);
	metrics_poll(x);
}

int monitor_init(struct xlbd *x)
{
	struct itimerspec its = { .it_interval.tv_sec = 1, .it_value.tv_sec = 1 };
	struct monitor *mon = &x->mon;
	int err;

	err = xlb_journal_open(&mon->journal, x->journal_path ? x->journal_path :
			       x->base->journal_path, (size_t)x->base->journal_max_mb << 20);
	if (err)
		return err;
	mon->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (mon->timerfd < 0 || timerfd_settime(mon->timerfd, 0, &its, NULL))
		return -errno;
	mon->ev.fn = tick;
	mon->last_sample_ms = monotonic_ms();
	return ev_watch(x->epoll_fd, mon->timerfd, EPOLLIN, &mon->ev);
}

void monitor_fini(struct xlbd *x)
{
	struct monitor *mon = &x->mon;
	size_t v;

	for (v = 0; v < mon->nr; v++)
		vip_monitor_free(&mon->vips[v]);
	free(mon->vips);
	if (mon->timerfd > 0)
		close(mon->timerfd);
	reap_hooks(mon);
	xlb_journal_close(&mon->journal);
	memset(mon, 0, sizeof(*mon));
}

const struct vip_monitor *monitor_vip(struct xlbd *x, const char *vip)
{
	size_t v;

	for (v = 0; v < x->mon.nr; v++)
		if (!strcmp(x->mon.vips[v].name, vip))
			return &x->mon.vips[v];
	return NULL;
}

const struct xlb_skew_backend *monitor_backend(struct xlbd *x, const char *vip,
					       const union xlb_addr *addr)
{
	const struct vip_monitor *vm = monitor_vip(x, vip);
	size_t b;

	for (b = 0; vm && b < vm->nr; b++)
		if (!xlb_addr_cmp(&vm->addrs[b], addr))
			return &vm->skew.be[b];
	return NULL;
}
