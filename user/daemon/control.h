/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket. One request per connection: the client writes a
 * JSON object {"cmd": ..., "args": {...}} and shuts its side down; xlbd
 * answers {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
 *
 * No client can stall xlbd: rights are checked from SO_PEERCRED and
 * SO_PEERGROUPS when the connection is accepted, before a byte is read;
 * reads and writes never block; a whole request must arrive within
 * XLB_CTL_REQUEST_MS and fit in XLB_CTL_MAX_REQUEST; connections are
 * limited in total and per user. Past the total, new connections wait in
 * the kernel's backlog until one ends.
 */
#ifndef XLBD_CONTROL_H
#define XLBD_CONTROL_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include <systemd/sd-event.h>

#define XLB_CTL_MAX_REQUEST	(1u << 20)	/* bytes */
#define XLB_CTL_REQUEST_MS	2000	/* to send a whole request */
#define XLB_CTL_REPLY_MS	5000	/* to take the whole answer */
#define XLB_CTL_MAX_CONNS	64	/* at once, in total */
#define XLB_CTL_MAX_PER_UID	4	/* at once, per user other than root */

struct ctl_request {
	const char *cmd;
	json_t *args;
	uid_t uid;
	bool admin;			/* root, or in the admin group */
	bool reader;			/* admin, or in the read group */
};

/* Fills the result, or returns NULL with a message in err. */
typedef json_t *(*ctl_run_fn)(void *ctx, const struct ctl_request *req,
			      char *err, size_t err_len);

struct control;

/*
 * A command that answers later: the run function calls control_later(req)
 * and returns NULL; the connection and req (args too) are kept, with no
 * deadline, until control_answer sends the answer (once; it takes result).
 * Whoever takes one must answer it before control_close.
 */
struct ctl_later;
struct ctl_later *control_later(const struct ctl_request *req);
void control_answer(struct ctl_later *l, json_t *result, const char *error);

int control_open(struct control **out, sd_event *e, const char *path, ctl_run_fn fn,
		 void *ctx);
void control_close(struct control *c);
/* The groups named in the config; looked up once, here. */
void control_set_groups(struct control *c, const char *admin_group, const char *read_group);
json_t *control_stats(const struct control *c);

#endif /* XLBD_CONTROL_H */
