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
#include "overrides.h"

#define XLBD_DEFAULT_PIN	"/sys/fs/bpf/xlb"
#define XLBD_DEFAULT_SOCKET	"/run/xlb/xlb.sock"

struct xlbd {
	const char *config_path, *state_path, *pin_dir, *socket_path;
	struct xlb_cfg *base;		/* the config file as last applied */
	struct xlb_cfg *effective;	/* base + runtime overrides; ids filled in */
	struct xlb_overrides ov;
	struct xlb_dp *dp;
	bool adopted;			/* took over pinned state at start */
	time_t started, applied;
	int listen_fd, signal_fd, epoll_fd;
	bool running;
};

/*
 * Applies base + overrides. On any error nothing changes and the reasons
 * are in d: a bad config never reaches the data path.
 */
int xlbd_apply(struct xlbd *x, struct xlb_cfg *base, struct xlb_diags *d);
/* Re-reads the config file and applies it (SIGHUP, xlbctl reload). */
int xlbd_reload(struct xlbd *x, struct xlb_diags *d);

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
