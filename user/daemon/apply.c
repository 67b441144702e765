// SPDX-License-Identifier: GPL-2.0
/*
 * Applying a config: base + runtime changes, checked, planned with health,
 * written to the data path in one step per VIP, or refused with nothing
 * changed. Reloads, and what a reload cannot change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "addr.h"
#include "announce.h"
#include "apply.h"
#include "changes.h"
#include "control.h"
#include "damping.h"
#include "events.h"
#include "health_apply.h"
#include "history.h"	/* text_hash */
#include "log.h"
#include "reconcile.h"
#include "xlbd.h"

/* text (consumed) is the base in force now, as the config file held it. */
static void base_text_set(struct xlbd *x, char *text, size_t len)
{
	free(x->base_text);
	x->base_text = text;
	x->base_len = len;
	x->base_hash = text_hash(text, len);
}

int load_config(struct xlbd *x)
{
	struct xlb_diags d;
	size_t len;
	char *text;
	int err;

	xlb_diags_init(&d, x->config_path);
	err = xlb_cfg_read_file(x->config_path, &text, &len, &d);
	if (!err)
		err = xlb_cfg_load_buf(x->config_path, text, len, &x->base, &d);
	if (!err)
		base_text_set(x, text, len);
	else
		free(text);
	xlb_diags_print(&d, stderr);
	xlb_diags_free(&d);
	return err;
}

/*
 * The config with the runtime changes over it must be valid too; what its
 * check finds that the file's check already said is not said twice. was:
 * the valid config it follows when only weights and states differ (then
 * only the VIPs that differ are checked: 100,000 backends cost a change
 * 15 ms), else NULL.
 */
int check_effective(struct xlb_cfg *eff, const struct xlb_cfg *was, struct xlb_diags *d)
{
	struct xlb_diags more;
	size_t i, j;
	int err;

	xlb_diags_init(&more, d->file);
	err = was ? xlb_cfg_check_changed(eff, was, &more) :
		    xlb_cfg_check(eff, (struct xlb_pos){}, &more);
	for (i = 0; i < more.nr; i++) {
		for (j = 0; j < d->nr && strcmp(d->items[j].msg, more.items[i].msg); j++)
			;
		if (j == d->nr)
			xlb_diag_add(d, more.items[i].sev, more.items[i].pos, "%s", more.items[i].msg);
	}
	xlb_diags_free(&more);
	return err;
}

void plans_free(struct xlb_vip_plan *plans, size_t nr)
{
	size_t i;

	for (i = 0; plans && i < nr; i++)
		xlb_vip_plan_free(&plans[i]);
	free(plans);
}

/* The plan of every VIP of cfg, from health as the prober knows it. */
static struct xlb_vip_plan *plan_all(struct xlbd *x, const struct xlb_cfg *cfg)
{
	struct xlb_vip_plan *plans = calloc(cfg->nr_vips ? cfg->nr_vips : 1, sizeof(*plans));
	size_t v;

	for (v = 0; plans && v < cfg->nr_vips; v++) {
		if (health_plan(x, &cfg->vips[v], &plans[v])) {
			plans_free(plans, v);
			return NULL;
		}
	}
	return plans;
}

/*
 * To the maps: only the VIPs that differ when nothing came or went, else
 * everything. Either way ids are kept and each VIP switches in one step.
 */
static int write_data_path(struct xlbd *x, const struct xlb_cfg *eff,
			   const struct xlb_vip_plan *plans, struct xlb_ids *ids)
{
	size_t written;
	int err;

	err = xlb_reconcile_changed(x->dp, x->effective, x->ids, x->plans, eff, plans, ids,
				    &written);
	if (err != -EAGAIN) {
		if (!err)
			pr_debug("Applied: %zu of %zu VIPs changed\n", written, eff->nr_vips);
		return err;
	}
	return xlb_reconcile(x->dp, eff, plans, ids);
}

int xlbd_apply(struct xlbd *x, struct xlb_cfg *base, struct xlb_diags *d)
{
	struct xlb_vip_plan *plans = NULL;
	struct xlb_ids *ids = NULL;
	struct xlb_cfg *eff;
	bool same;
	size_t v;
	int err;

	eff = xlb_overrides_apply(base, &x->ov, d);
	if (!eff)
		return -ENOMEM;
	/* Weights and states alone changed (runtime changes of them): VIPs and probes as they were. */
	same = x->effective && base == x->base && xlb_cfg_same_shape(x->effective, eff);
	err = check_effective(eff, same ? x->effective : NULL, d);
	if (err) {
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},
			     "with the runtime changes laid over it the config is not valid; nothing was applied ('xlbctl diff' lists them, 'xlbctl reset' drops them)");
		xlb_cfg_free(eff);
		return err;
	}
	/* At start the probe targets come first, with the holds of backends
	 * held out as flapping when xlbd stopped: none enters the first plan. */
	if (!x->effective) {
		err = prober_sync(&x->pr, eff);
		if (err) {
			xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},
				     "couldn't set up the probes: %s", strerror(-err));
			xlb_cfg_free(eff);
			return err;
		}
		damping_restore(x);
	}
	plans = plan_all(x, eff);
	ids = xlb_ids_new(eff);
	err = plans && ids ? write_data_path(x, eff, plans, ids) : -ENOMEM;
	if (err) {
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},
			     "couldn't write the data path's maps: %s%s", strerror(-err),
			     err == -ENOSPC ? " (a map is full: the log names it; while a change is written, old and new backends both hold slots: raise its size under maps: and restart with --reset, or change fewer backends at once)" : "");
		plans_free(plans, eff->nr_vips);
		xlb_ids_free(ids);
		xlb_cfg_free(eff);
		return err;
	}
	for (v = 0; x->effective && v < eff->nr_vips; v++)
		slow_start_note(x, &eff->vips[v], &plans[v]);
	if (x->effective) {
		json_t *ev = json_pack("{s:s, s:o}", "file", x->config_path,
				       "changes", config_changes(x->effective, eff));

		if (x->acting_uid >= 0)
			json_object_set_new(ev, "uid", json_integer(x->acting_uid));
		journal_event(x, "config_applied", ev);
	}
	if (base != x->base) {
		xlb_cfg_free(x->base);
		x->base = base;
	}
	if (x->effective)
		plans_free(x->plans, x->effective->nr_vips);
	xlb_cfg_free(x->effective);
	x->effective = eff;
	x->plans = plans;
	xlb_ids_free(x->ids);
	x->ids = ids;
	/* Every VIP was just planned and written: nothing waits. */
	dirty_reset(x);
	x->applied = time(NULL);
	if (x->ctl)
		control_set_groups(x->ctl, base->admin_group, base->read_group);
	monitor_sync(x);
	announce_sync(x);
	/* Probes follow the config in force: new backends start up, gone ones stop. */
	err = same ? 0 : prober_sync(&x->pr, eff);
	damping_kept_note(x);
	damping_save(x);
	return err;
}

/* What the config asks of this host: each interface exists, and its MTU fits. */
int check_system(const struct xlb_cfg *cfg, struct xlb_diags *d)
{
	int fd, err = 0;
	size_t i;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = 0; i < cfg->nr_ifaces; i++) {
		const char *name = cfg->ifaces[i].name;
		struct ifreq ifr = {};

		if (!if_nametoindex(name)) {
			xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},
				     "interface '%s' does not exist on this host ('ip link' lists them)",
				     name);
			err = -ENODEV;
			continue;
		}
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		if (fd >= 0 && !ioctl(fd, SIOCGIFMTU, &ifr) && cfg->dp.mtu > ifr.ifr_mtu) {
			xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},
				     "mtu %u is more than interface %s's MTU %d: packets in between would be counted as forwarded and lost on the link; set mtu: %d, or raise the interface's MTU",
				     cfg->dp.mtu, name, ifr.ifr_mtu, ifr.ifr_mtu);
			err = err ? err : -EINVAL;
		}
	}
	if (fd >= 0)
		close(fd);
	return err;
}

/* "eth0 (native), eth1 (generic)", for messages. */
void ifaces_str(const struct xlb_cfg *cfg, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < cfg->nr_ifaces && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s (%s)", i ? ", " : "", cfg->ifaces[i].name,
			      cfg->ifaces[i].xdp_mode);
}

static bool same_ifaces(const struct xlb_cfg *a, const struct xlb_cfg *b)
{
	size_t i;

	if (a->nr_ifaces != b->nr_ifaces)
		return false;
	for (i = 0; i < a->nr_ifaces; i++)
		if (strcmp(a->ifaces[i].name, b->ifaces[i].name) ||
		    strcmp(a->ifaces[i].xdp_mode, b->ifaces[i].xdp_mode))
			return false;
	return true;
}

/*
 * What a reload cannot change in a running xlbd. Refused, never shown as
 * in force while the old value still is.
 */
static int needs_restart(const struct xlb_cfg *run, const struct xlb_cfg *cfg, struct xlb_diags *d)
{
	char a[XLB_ADDR_STRLEN], b[XLB_ADDR_STRLEN];
	char ia[XLB_MAX_IFACES * (IF_NAMESIZE + 12)], ib[sizeof(ia)];
	size_t errors = d->errors;

#define RESTART(cond, how, fmt, ...)							\
	do {										\
		if (cond)								\
			xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},		\
				     fmt " needs a restart of xlbd (%s); nothing was applied",	\
				     __VA_ARGS__, how);					\
	} while (0)
	const char *keep = "'systemctl restart xlbd': flows are kept";
	const char *reset = "'xlbd --reset': the maps are made anew and flows are lost";

	ifaces_str(run, ia, sizeof(ia));
	ifaces_str(cfg, ib, sizeof(ib));
	RESTART(!same_ifaces(run, cfg), keep, "interfaces %s -> %s", ia, ib);
	RESTART(run->udp_idle_ms != cfg->udp_idle_ms, keep, "udp_idle_timeout %ums -> %ums",
		run->udp_idle_ms, cfg->udp_idle_ms);
	RESTART(run->tcp_idle_ms != cfg->tcp_idle_ms, keep, "tcp_idle_timeout %ums -> %ums",
		run->tcp_idle_ms, cfg->tcp_idle_ms);
	RESTART(run->max_vips != cfg->max_vips, reset, "maps vips %u -> %u", run->max_vips,
		cfg->max_vips);
	RESTART(run->max_backends != cfg->max_backends, reset, "maps backends %u -> %u",
		run->max_backends, cfg->max_backends);
	RESTART(run->lru_entries != cfg->lru_entries, reset, "maps lru_entries %u -> %u",
		run->lru_entries, cfg->lru_entries);
	RESTART(run->moved_flows != cfg->moved_flows, reset, "maps moved_flows %u -> %u",
		run->moved_flows, cfg->moved_flows);
	RESTART(run->metrics_port != cfg->metrics_port ||
		xlb_addr_cmp(&run->metrics_address, &cfg->metrics_address), keep,
		"metrics %s port %u -> %s port %u", xlb_addr_str(&run->metrics_address, a, sizeof(a)),
		run->metrics_port, xlb_addr_str(&cfg->metrics_address, b, sizeof(b)),
		cfg->metrics_port);
	RESTART(run->announce.on != cfg->announce.on ||
		run->announce.table != cfg->announce.table ||
		strcmp(run->announce.device, cfg->announce.device), keep,
		"announce %s (table %u, device %s) -> %s (table %u, device %s)",
		run->announce.on ? "on" : "off", run->announce.table, run->announce.device,
		cfg->announce.on ? "on" : "off", cfg->announce.table, cfg->announce.device);
	RESTART(strcmp(run->journal_path, cfg->journal_path) ||
		run->journal_max_mb != cfg->journal_max_mb, keep, "journal %s (%u MB) -> %s (%u MB)",
		run->journal_path, run->journal_max_mb, cfg->journal_path, cfg->journal_max_mb);
#undef RESTART
	return d->errors > errors ? -EINVAL : 0;
}

int xlbd_apply_parsed(struct xlbd *x, char *text, size_t len, struct xlb_cfg *cfg,
		      struct xlb_diags *d)
{
	int err;

	err = needs_restart(x->base, cfg, d);
	if (!err)
		err = check_system(cfg, d);
	if (!err)
		err = xlbd_apply(x, cfg, d);
	if (err) {
		xlb_cfg_free(cfg);
		free(text);
	} else {
		base_text_set(x, text, len);
	}
	return err;
}

/* A config's text parsed, checked against what runs and the host, then applied. */
static int apply_text(struct xlbd *x, char *text, size_t len, struct xlb_diags *d)
{
	struct xlb_cfg *cfg;
	int err;

	err = xlb_cfg_load_buf(x->config_path, text, len, &cfg, d);
	if (err) {
		free(text);
		return err;
	}
	return xlbd_apply_parsed(x, text, len, cfg, d);
}

int xlbd_apply_change(struct xlbd *x, struct xlb_overrides *next, char *text, size_t len,
		      struct xlb_diags *d)
{
	struct xlb_overrides prev = x->ov;
	int err;

	/* Undoing a reload leaves the runtime changes as they are: no write to fail. */
	bool same = next->nr == prev.nr &&
		    (!prev.nr || !memcmp(next->items, prev.items, prev.nr * sizeof(*prev.items)));

	if (!same && xlb_overrides_save(x->state_path, next)) {
		xlb_diag_add(d, XLB_SEV_ERROR, (struct xlb_pos){},
			     "couldn't write state file '%s'; nothing changed", x->state_path);
		xlb_overrides_free(next);
		free(text);
		return -EIO;
	}
	x->ov = *next;
	err = text ? apply_text(x, text, len, d) : xlbd_apply(x, x->base, d);
	if (err) {
		x->ov = prev;
		if (!same)
			xlb_overrides_save(x->state_path, &prev);
		xlb_overrides_free(next);
		return err;
	}
	xlb_overrides_free(&prev);
	return 0;
}

int xlbd_reload_parsed(struct xlbd *x, long uid, int err, char *text, size_t len,
		       struct xlb_cfg *cfg, struct xlb_diags *d)
{
	if (!err) {
		x->acting_uid = uid;
		err = xlbd_apply_parsed(x, text, len, cfg, d);
		x->acting_uid = -1;
	} else {
		xlb_cfg_free(cfg);
		free(text);
	}
	if (err) {
		json_t *errors = json_array();

		pr_err("Reload of '%s' refused; the running config stays in force:\n",
		       x->config_path);
		xlb_diags_print(d, stderr);
		for (size_t i = 0; i < d->nr; i++)
			if (d->items[i].sev == XLB_SEV_ERROR)
				json_array_append_new(errors, json_sprintf("%d:%d: %s",
					d->items[i].pos.line, d->items[i].pos.col, d->items[i].msg));
		journal_event(x, "config_refused", json_pack("{s:s, s:o}", "file", x->config_path,
							     "errors", errors));
		return err;
	}
	pr_info("Reloaded '%s': %zu VIP%s\n", x->config_path, x->effective->nr_vips,
		x->effective->nr_vips == 1 ? "" : "s");
	return 0;
}
