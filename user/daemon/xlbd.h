/* SPDX-License-Identifier: GPL-2.0 */
/* xlbd: the control daemon. Its state, and the pieces its files share. */
#ifndef XLBD_H
#define XLBD_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>

#include "config.h"
#include "dataplane.h"
#include "event.h"
#include "monitor.h"
#include "overrides.h"
#include "probe.h"

#define XLB_VERSION		"0.6.0"
#define XLBD_DEFAULT_PIN	"/sys/fs/bpf/xlb"
#define XLBD_DEFAULT_SOCKET	"/run/xlb/xlb.sock"

struct xlbd {
	const char *config_path, *state_path, *pin_dir, *socket_path;
	const char *journal_path;	/* --journal; else the config's */
	long acting_uid;		/* who the change being applied is for; -1: nobody */
	struct xlb_cfg *base;		/* the config file as last applied */
	struct xlb_cfg *effective;	/* base + runtime overrides; ids filled in */
	struct xlb_overrides ov;
	struct xlb_dp *dp;
	bool adopted;			/* took over pinned state at start */
	time_t started, applied;
	int listen_fd, signal_fd, epoll_fd;
	struct ev_handler listen_ev, signal_ev;
	struct prober pr;
	struct monitor mon;
	void *httpd;			/* struct MHD_Daemon * serving /metrics */
	struct ev_handler http_ev;
	bool running;
};

/*
 * Applies base + overrides. On any error nothing changes and the reasons
 * are in d: a bad config never reaches the data path.
 */
int xlbd_apply(struct xlbd *x, struct xlb_cfg *base, struct xlb_diags *d);
/* Re-reads the config file and applies it (SIGHUP, xlbctl reload). */
int xlbd_reload(struct xlbd *x, struct xlb_diags *d);

/*
 * Marks each backend of vip down or up from its probe, and applies the
 * VIP's all_down policy when none would be left taking traffic.
 */
void health_overlay(struct xlbd *x, struct xlb_cfg_vip *vip);
/* A probe result changed a backend's health: log it, rebuild its VIP. */
void health_changed(void *ctx, struct probe_target *t, enum xlb_health_change change);

/* The changes between two configs, as sentences (JSON array). */
json_t *config_changes(struct xlb_cfg *old, struct xlb_cfg *new);

/* The journal read back: one line per event; a Markdown incident report. */
void event_line(json_t *ev, char *buf, size_t len);
char *incident_report(struct xlbd *x, time_t since, time_t until, size_t *len);

int metrics_start(struct xlbd *x);
void metrics_poll(struct xlbd *x);
void metrics_stop(struct xlbd *x);

int control_open(struct xlbd *x);
void control_close(struct xlbd *x);
/* Serves one client on the listening socket. */
void control_accept(struct xlbd *x);

/* Command handlers: fill result, or return an error message in *err. */
struct ctl_request {
	const char *cmd;
	json_t *args;
	uid_t uid;
	bool admin;
};
json_t *command_run(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);

#endif /* XLBD_H */
