// SPDX-License-Identifier: GPL-2.0
/*
 * xlbd: loads (or adopts) the data path, applies the config and the
 * runtime changes made with xlbctl, and serves xlbctl on a Unix socket.
 *
 * Forwarding does not depend on xlbd running: program, maps and link are
 * pinned, so xlbd may stop, crash or be upgraded while packets flow. A new
 * xlbd adopts what is pinned (flows, tables, counters) and switches the
 * interface to its own program in one step.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "addr.h"
#include "changes.h"
#include "damping.h"
#include "events.h"
#include "health_apply.h"
#include "log.h"
#include "child.h"
#include "announce.h"
#include "apply.h"
#include "commands.h"
#include "control.h"
#include "heartbeat.h"
#include "metrics.h"
#include "reload.h"
#include "xlbd.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xlbd [-c FILE] [--check-config] [--state FILE] [--pin DIR]\n"
		"            [--socket PATH] [--reset] [--unload] [-v]\n"
		"  -c, --config FILE   config file (default %s)\n"
		"  --check-config      check the config and exit: 0 clean, 1 errors\n"
		"  --state FILE        runtime changes made with xlbctl (default %s)\n"
		"  --pin DIR           where program, maps and link are pinned (default %s)\n"
		"  --socket PATH       control socket (default %s)\n"
		"  --journal FILE      event journal (default: the config's journal path)\n"
		"  --reset             start afresh: drop pinned state, flows are lost\n"
		"  --unload            detach xlb and remove its pinned state, then exit\n"
		"  --discard-runtime-changes  drop the state file's runtime changes, then exit\n"
		"  -v, --verbose       debug logging, libbpf's included\n",
		XLB_DEFAULT_CONFIG, XLB_DEFAULT_STATE, XLB_DEFAULT_PIN, XLB_DEFAULT_SOCKET);
}

static void on_link_gone(void *ctx)
{
	struct xlbd_iface *i = ctx;
	struct xlbd *x = i->x;
	const char *name = x->base->ifaces[i->slot].name;

	pr_warn("Interface '%s' is gone, and xlb's XDP program with it: its traffic is not balanced. xlbd attaches again when an interface of that name returns\n",
		name);
	journal_event(x, "interface", json_pack("{s:s, s:s}", "interface", name, "state", "lost"));
	announce_sync(x);
}

static int on_link_back(void *ctx, unsigned int ifindex)
{
	struct xlbd_iface *i = ctx;
	struct xlbd *x = i->x;
	const struct xlb_cfg_iface *cf = &x->base->ifaces[i->slot];
	int err;

	err = xlb_dp_attach_at(x->dp, i->slot, cf->name, cf->xdp_mode);
	if (!err)
		err = xlb_dp_repin_link_at(x->dp, i->slot, x->pin_dir);
	if (err) {
		pr_err("Couldn't attach to interface '%s' (index %u) again: %s; xlbd tries again every second\n",
		       cf->name, ifindex, strerror(-err));
		return err;
	}
	pr_info("Interface '%s' is back (index %u): xlb is attached again, with its maps and flows\n",
		cf->name, ifindex);
	journal_event(x, "interface", json_pack("{s:s, s:s, s:i}", "interface", cf->name,
						"state", "attached", "ifindex", (int)ifindex));
	return 0;
}

/*
 * Each interface takes over its pinned link, or is attached afresh when it
 * has none (new in the config) or its link was severed (the interface was
 * deleted and made again while xlbd was down): the pinned maps and flows
 * are kept either way. Links of interfaces the config no longer has go.
 */
static int adopt_links(struct xlbd *x)
{
	const char *names[XLB_MAX_IFACES];
	size_t s;
	int err;

	for (s = 0; s < x->base->nr_ifaces; s++) {
		const struct xlb_cfg_iface *cf = &x->base->ifaces[s];

		names[s] = cf->name;
		err = xlb_dp_adopt_link_at(x->dp, s, cf->name, x->pin_dir);
		if (err == -ENOLINK) {
			pr_warn("No pinned XDP link on '%s' (new in the config, or severed from its interface): attaching to it, with the pinned maps and flows\n",
				cf->name);
			err = xlb_dp_attach_at(x->dp, s, cf->name, cf->xdp_mode);
			if (!err)
				err = xlb_dp_repin_link_at(x->dp, s, x->pin_dir);
		}
		if (err)
			return err;
	}
	xlb_dp_prune_links(x->pin_dir, names, x->base->nr_ifaces);
	return 0;
}

/* Loads the program, adopting pinned maps and links when there are some. */
static int start_data_path(struct xlbd *x)
{
	struct xlb_dp_opts opts = {
		.max_vips = x->base->max_vips,
		.max_backends = x->base->max_backends,
		.lru_entries = x->base->lru_entries,
		.moved_flows = x->base->moved_flows,
		.udp_idle_ms = x->base->udp_idle_ms,
		.tcp_idle_ms = x->base->tcp_idle_ms,
	};
	size_t s;
	int err;

	if (xlb_dp_pinned(x->pin_dir)) {
		opts.reuse_dir = x->pin_dir;
		err = xlb_dp_load(&x->dp, &opts);
		if (!err)
			err = adopt_links(x);
		if (err)
			return err;
		x->adopted = true;
		pr_info("Adopted the data path pinned under %s: flows and counters kept\n",
			x->pin_dir);
		if (xlb_dp_max_vips(x->dp) != x->base->max_vips ||
		    xlb_dp_max_backends(x->dp) != x->base->max_backends)
			pr_warn("Map sizes in the config differ from the pinned maps (%u VIPs, %u backends); they apply after 'xlbd --reset'\n",
				xlb_dp_max_vips(x->dp), xlb_dp_max_backends(x->dp));
		return 0;
	}
	err = xlb_dp_load(&x->dp, &opts);
	for (s = 0; !err && s < x->base->nr_ifaces; s++)
		err = xlb_dp_attach_at(x->dp, s, x->base->ifaces[s].name, x->base->ifaces[s].xdp_mode);
	if (!err)
		err = xlb_dp_pin(x->dp, x->pin_dir);
	return err;
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct xlbd *x = userdata;

	(void)s;
	sd_notify(0, "RELOADING=1");
	/* The sender's uid: systemd (0) for 'systemctl reload', or whoever sent it.
	 * READY=1 when the reload is done (reload.c). */
	reload_request(x, CHANGE_SIGHUP, si->ssi_uid, 0, NULL);
	return 0;
}

/*
 * Signals come through the loop (signalfd); SIGCHLD too, blocked so that
 * sd-event sees children exit. Descriptors: as many as the hard limit
 * allows, so that probes and clients meet xlbd's own limits first.
 */
static int setup_process(struct xlbd *x)
{
	struct rlimit rl;
	sigset_t set;
	int err;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			pr_warn("Couldn't raise the descriptor limit to %llu: %s\n",
				(unsigned long long)rl.rlim_max, strerror(errno));
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	err = xlb_children_init();
	if (err)
		pr_warn("Couldn't become the subreaper of probe commands: %s\n", strerror(-err));
	err = sd_event_new(&x->event);
	if (err < 0)
		return err;
	err = sd_event_add_signal(x->event, NULL, SIGHUP, on_reload_signal, x);
	if (err >= 0)
		err = sd_event_add_signal(x->event, NULL, SIGTERM, NULL, NULL);
	if (err >= 0)
		err = sd_event_add_signal(x->event, NULL, SIGINT, NULL, NULL);
	if (err >= 0)
		err = stall_watch_start(x->event, &x->stall);
	return err < 0 ? err : 0;
}

/*
 * One owner of the data path: the pin directory is locked for xlbd's
 * life, so a second xlbd with another socket stops before touching it.
 */
static int lock_pin_dir(struct xlbd *x)
{
	x->pin_made = !mkdir(x->pin_dir, 0700);
	if (!x->pin_made && errno != EEXIST) {
		pr_err("Couldn't create pin directory '%s': %s\n", x->pin_dir, strerror(errno));
		pr_err("hint: is bpffs mounted? 'mount -t bpf bpf /sys/fs/bpf'\n");
		return -errno;
	}
	x->pin_lock = open(x->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->pin_lock < 0) {
		pr_err("Couldn't open pin directory '%s': %s\n", x->pin_dir, strerror(errno));
		return -errno;
	}
	if (flock(x->pin_lock, LOCK_EX | LOCK_NB)) {
		pr_err("Couldn't start: another xlbd owns the data path pinned under '%s'\n",
		       x->pin_dir);
		pr_err("hint: stop it first, or give this one its own --pin directory\n");
		return -EBUSY;
	}
	return 0;
}

/*
 * Before anything is touched: the runtime changes must fit the config, or
 * the start is refused with the data path as it was. The hint is one that
 * works with xlbd stopped.
 */
static int check_runtime_changes(struct xlbd *x)
{
	struct xlb_cfg *eff;
	struct xlb_diags d;
	int err;

	xlb_diags_init(&d, x->config_path);
	eff = xlb_overrides_apply(x->base, &x->ov, &d);
	err = eff ? check_effective(eff, NULL, &d) : -ENOMEM;
	if (err) {
		xlb_diags_print(&d, stderr);
		pr_err("xlbd not started: the runtime changes in '%s' do not fit the config; fix the config, or drop them with 'xlbd --discard-runtime-changes --state %s'\n",
		       x->state_path, x->state_path);
	}
	xlb_cfg_free(eff);
	xlb_diags_free(&d);
	return err;
}

static int unload_data_path(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (fd < 0 && errno == ENOENT) {
		pr_info("Nothing is pinned under %s: nothing to detach\n", dir);
		return 0;
	}
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB)) {
		pr_err("Couldn't unload: a running xlbd owns the data path pinned under '%s'\n", dir);
		pr_err("hint: stop it first ('systemctl stop xlbd'), then unload\n");
		close(fd);
		return 1;
	}
	if (!xlb_dp_pinned(dir)) {
		xlb_dp_unpin(dir, false);
		pr_info("Nothing is pinned under %s: nothing to detach\n", dir);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	err = xlb_dp_unpin(dir, false);
	if (fd >= 0)
		close(fd);
	if (err) {
		pr_err("Couldn't remove pinned state under '%s': %s\n", dir, strerror(-err));
		return 1;
	}
	pr_info("Detached xlb and removed its pinned state under %s\n", dir);
	return 0;
}

/* Offline, for when xlbd cannot start: 'xlbctl reset' needs a running xlbd. */
static int discard_runtime_changes(const char *state)
{
	char history[XLB_PATH_MAX + 16];
	int err;

	if (unlink(state) && errno != ENOENT) {
		pr_err("Couldn't remove state file '%s': %s\n", state, strerror(errno));
		return 1;
	}
	/* Its entries would name runtime changes that are gone. */
	snprintf(history, sizeof(history), "%s.history", state);
	if (unlink(history) && errno != ENOENT)
		pr_warn("Couldn't remove history file '%s': %s\n", history, strerror(errno));
	/* Runtime state too: backends held out as flapping are judged afresh. */
	err = damping_discard(state);
	if (err)
		pr_warn("Couldn't remove damping file '%s.damping': %s\n", state, strerror(-err));
	pr_info("Dropped the runtime changes in '%s': the next start applies the config alone\n",
		state);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "state", required_argument, NULL, 's' },
		{ "pin", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 'S' },
		{ "journal", required_argument, NULL, 'J' },
		{ "reset", no_argument, NULL, 'R' },
		{ "unload", no_argument, NULL, 'U' },
		{ "discard-runtime-changes", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct xlbd x = {
		.config_path = XLB_DEFAULT_CONFIG,
		.state_path = XLB_DEFAULT_STATE,
		.pin_dir = XLB_DEFAULT_PIN,
		.socket_path = XLB_DEFAULT_SOCKET,
		.acting_uid = -1,
		.pin_lock = -1,
	};
	bool check_only = false, reset = false, unload = false, discard = false;
	struct xlb_diags d;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "c:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c': x.config_path = optarg; break;
		case 'C': check_only = true; break;
		case 's': x.state_path = optarg; break;
		case 'p': x.pin_dir = optarg; break;
		case 'S': x.socket_path = optarg; break;
		case 'J': x.journal_path = optarg; break;
		case 'R': reset = true; break;
		case 'U': unload = true; break;
		case 'D': discard = true; break;
		case 'v': xlb_log_set_level(XLB_LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	xlb_log_hook_libbpf();
	/* Every option is known before anything is done: --unload --pin DIR in any order. */
	if (unload)
		return unload_data_path(x.pin_dir);
	if (discard)
		return discard_runtime_changes(x.state_path);

	if (check_only) {
		xlb_diags_init(&d, x.config_path);
		err = xlb_cfg_load_file(x.config_path, &x.base, &d);
		xlb_diags_print(&d, stdout);
		printf("%s: %zu error%s, %zu warning%s\n", x.config_path, d.errors,
		       d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s");
		xlb_diags_free(&d);
		xlb_cfg_free(x.base);
		return err ? 1 : 0;
	}
	if (load_config(&x)) {
		pr_err("xlbd not started: fix the config above ('xlbctl check %s')\n", x.config_path);
		return 1;
	}
	if (xlb_overrides_load(x.state_path, &x.ov)) {
		pr_err("xlbd not started: fix or move the state file, or drop its runtime changes with 'xlbd --discard-runtime-changes --state %s'\n",
		       x.state_path);
		xlb_cfg_free(x.base);
		free(x.base_text);
		return 1;
	}
	if (check_runtime_changes(&x)) {
		xlb_cfg_free(x.base);
		xlb_overrides_free(&x.ov);
		free(x.base_text);
		return 1;
	}
	x.started = time(NULL);
	/* Backends held out as flapping when xlbd stopped: held again from the first plan. */
	damping_load(&x);

	/*
	 * Everything that can fail is opened and checked before the first write
	 * to the data path, so a refused start leaves it as it was: the socket
	 * (a second xlbd answers there), the pin directory's lock (a second
	 * owner with another socket), the journal, the metrics port, and the
	 * interface the config names.
	 */
	err = commands_check();
	if (!err)
		err = setup_process(&x);
	if (!err)
		err = control_open(&x.ctl, x.event, x.socket_path, command_run, &x);
	if (!err)
		err = lock_pin_dir(&x);
	if (!err)
		err = announce_open(&x);
	if (!err)
		err = prober_init(&x.pr, x.event, &x.stall, health_changed, &x);
	if (!err)
		err = dirty_init(&x, health_apply_vip);
	if (!err)
		err = reload_init(&x);
	if (!err)
		err = change_queue_init(&x);
	if (!err)
		err = events_open(&x);
	if (!err)
		err = metrics_start(&x.metrics, &x);
	if (!err) {
		xlb_diags_init(&d, x.config_path);
		err = check_system(x.base, &d);
		xlb_diags_print(&d, stderr);
		xlb_diags_free(&d);
	}
	if (!err && reset)
		xlb_dp_unpin(x.pin_dir, true);
	if (!err)
		err = start_data_path(&x);
	if (!err)
		err = monitor_init(&x);
	if (!err)
		err = heartbeat_start(&x);
	if (!err) {
		xlb_diags_init(&d, x.config_path);
		err = xlbd_apply(&x, x.base, &d);
		xlb_diags_print(&d, stderr);
		xlb_diags_free(&d);
	}
	/* After the first apply: a start on an edited file is judged against what is in force. */
	if (!err) {
		struct history_prev prev;

		err = history_load(&x, &prev);
		if (prev.text_differs || prev.ov_differs)
			history_record_start(&x, &prev);
		history_resume(&x);
		history_save(&x);
	}
	for (size_t s = 0; !err && s < x.base->nr_ifaces; s++) {
		x.ifaces[s] = (struct xlbd_iface){ .x = &x, .slot = s };
		err = link_watch_start(&x.ifaces[s].watch, x.event, x.base->ifaces[s].name,
				       on_link_gone, on_link_back, &x.ifaces[s]);
		if (!err)
			x.nr_watched++;
	}
	announce_sync(&x);
	if (!err)
		journal_event(&x, "daemon_start", json_pack("{s:b, s:i, s:o}", "adopted", x.adopted,
			"pid", (int)getpid(), "changes", config_changes(NULL, x.effective)));
	if (!err) {
		char on[XLB_MAX_IFACES * (IF_NAMESIZE + 12)];

		ifaces_str(x.base, on, sizeof(on));
		pr_info("xlbd ready: %zu VIP%s on %s, control socket %s\n",
			x.effective->nr_vips, x.effective->nr_vips == 1 ? "" : "s", on, x.socket_path);
		sd_notify(0, "READY=1");
		err = sd_event_loop(x.event);
		if (err > 0)
			err = 0;
	}
	if (err)
		pr_err("xlbd stopping: %s\n", strerror(-err));
	else
		pr_info("xlbd stopping; forwarding goes on (pinned under %s)\n", x.pin_dir);
	sd_notify(0, "STOPPING=1");
	/* Withdraw first: the routers move away while the rest shuts down. */
	announce_close(&x);
	if (x.effective)
		journal_event(&x, "daemon_stop", json_pack("{s:s}", "reason",
			      err ? strerror(-err) : "signal; forwarding goes on"));
	metrics_stop(x.metrics);
	for (size_t s = 0; s < x.nr_watched; s++)
		link_watch_stop(x.ifaces[s].watch);
	heartbeat_stop(&x);
	reload_fini(&x);
	change_queue_fini(&x);
	dirty_fini(&x);
	monitor_fini(&x);
	events_close(&x);
	history_fini(&x.hist);
	prober_fini(&x.pr);
	xlb_children_fini();
	control_close(x.ctl);
	stall_watch_stop(&x.stall);
	sd_event_unref(x.event);
	if (x.pin_lock >= 0)
		close(x.pin_lock);
	/* A refused start leaves no trace: the directory it made goes, if still empty. */
	if (err && x.pin_made)
		rmdir(x.pin_dir);
	xlb_dp_destroy(x.dp);
	if (x.effective)
		plans_free(x.plans, x.effective->nr_vips);
	xlb_ids_free(x.ids);
	xlb_cfg_free(x.effective);
	if (x.base != x.effective)
		xlb_cfg_free(x.base);
	xlb_overrides_free(&x.ov);
	free(x.damp_saved);
	free(x.base_text);
	return err ? 1 : 0;
}
