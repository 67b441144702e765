// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE /* struct ucred, accept4 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "probe.h"

/* Refusals are logged at most this often, with a count of the rest. */
#define REFUSAL_LOG_MS	10000
/*
 * A refused client gets its answer at once; its request is then read and
 * thrown away (never buffered) for at most this long, because closing a
 * Unix socket with unread data resets it before the answer is read.
 */
#define DISCARD_MS	500
/* Out of descriptors: accepting pauses this long instead of spinning. */
#define ACCEPT_PAUSE_MS	100
#define MAX_GROUPS	256

struct conn {
	struct control *ctl;
	int fd;
	struct ctl_request req;
	sd_event_source *io, *deadline;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	bool discard;			/* refused: the request is thrown away */
	bool later;			/* answered later (control_later) */
	json_t *msg;			/* the request, kept while it waits */
	struct conn *next;
};

struct control {
	sd_event *event;
	char path[108];
	int listen_fd;
	sd_event_source *listen, *resume;
	ctl_run_fn run;
	void *ctx;
	char admin_group[64], read_group[64];
	gid_t admin_gid, read_gid;
	bool has_admin_gid, has_read_gid;
	struct conn *conns;
	size_t nr_conns;
	__u64 accepted, refused, too_many, too_large, timed_out, answered, accept_paused;
	__u64 last_refusal_log_ms, refusals_unlogged;
};

static void refusal(struct control *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refusal(struct control *c, const char *fmt, ...)
{
	__u64 now = monotonic_ms();
	char msg[256];
	va_list ap;

	if (c->last_refusal_log_ms && now - c->last_refusal_log_ms < REFUSAL_LOG_MS) {
		c->refusals_unlogged++;
		return;
	}
	if (c->refusals_unlogged)
		pr_warn("(%llu more refusals on the control socket)\n",
			(unsigned long long)c->refusals_unlogged);
	c->refusals_unlogged = 0;
	c->last_refusal_log_ms = now;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s\n", msg);
}

static size_t conns_of(const struct control *c, uid_t uid)
{
	const struct conn *k;
	size_t n = 0;

	for (k = c->conns; k; k = k->next)
		n += k->req.uid == uid;
	return n;
}

static void conn_free(struct conn *k)
{
	struct control *c = k->ctl;
	struct conn **p;

	for (p = &c->conns; *p; p = &(*p)->next) {
		if (*p == k) {
			*p = k->next;
			break;
		}
	}
	/* Sources off before the fd closes: no event can reach k again. */
	sd_event_source_disable_unref(k->io);
	sd_event_source_disable_unref(k->deadline);
	close(k->fd);
	json_decref(k->msg);
	free(k->in);
	free(k->out);
	free(k);
	if (c->nr_conns-- == XLB_CTL_MAX_CONNS)
		sd_event_source_set_enabled(c->listen, SD_EVENT_ON);
}

static char *reply_text(json_t *result, const char *error)
{
	json_t *msg = result ? json_pack("{s:b, s:o}", "ok", 1, "result", result) :
			       json_pack("{s:b, s:s}", "ok", 0, "error", error);
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;

	json_decref(msg);
	return text;
}

static int conn_write(struct conn *k)
{
	ssize_t n;

	while (k->out_off < k->out_len) {
		n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		k->out_off += n;
	}
	return 1;
}

static void conn_reply(struct conn *k, json_t *result, const char *error)
{
	k->out = reply_text(result, error);
	if (!k->out) {
		conn_free(k);
		return;
	}
	k->out_len = strlen(k->out);
	k->ctl->answered++;
	if (conn_write(k)) {
		conn_free(k);	/* all sent, or the client is gone */
		return;
	}
	/* The rest as the client reads it, within its own deadline. */
	sd_event_source_set_io_events(k->io, EPOLLOUT);
	sd_event_source_set_time(k->deadline, (monotonic_ms() + XLB_CTL_REPLY_MS) * 1000);
}

static void conn_request(struct conn *k)
{
	struct control *c = k->ctl;
	char err[1024] = "";
	json_error_t jerr;
	json_t *msg, *result;

	msg = json_loadb(k->in, k->in_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg) {
		snprintf(err, sizeof(err), "malformed request: not JSON (%s at byte %d); expected {\"cmd\": ..., \"args\": {...}}",
			 jerr.text, jerr.position);
		conn_reply(k, NULL, err);
		return;
	}
	if (json_unpack_ex(msg, &jerr, JSON_STRICT, "{s:s, s?o}", "cmd", &k->req.cmd,
			   "args", &k->req.args)) {
		snprintf(err, sizeof(err), "malformed request: %s; expected {\"cmd\": ..., \"args\": {...}}",
			 jerr.text);
		json_decref(msg);
		conn_reply(k, NULL, err);
		return;
	}
	if (k->req.args && !json_is_object(k->req.args)) {
		json_decref(msg);
		conn_reply(k, NULL, "malformed request: \"args\" must be an object");
		return;
	}
	result = c->run(c->ctx, &k->req, err, sizeof(err));
	if (k->later && !result) {
		/* Its answer comes with control_answer: the request stays until then. */
		k->msg = msg;
		sd_event_source_set_enabled(k->io, SD_EVENT_OFF);
		sd_event_source_set_enabled(k->deadline, SD_EVENT_OFF);
		return;
	}
	k->later = false;
	conn_reply(k, result, err[0] ? err : "command failed");
	json_decref(msg);
}

struct ctl_later *control_later(const struct ctl_request *req)
{
	struct conn *k = (struct conn *)((char *)req - offsetof(struct conn, req));

	k->later = true;
	return (struct ctl_later *)k;
}

void control_answer(struct ctl_later *l, json_t *result, const char *error)
{
	struct conn *k = (struct conn *)l;

	k->later = false;
	/* Back on: the answer goes out as the client reads it, within its deadline. */
	sd_event_source_set_enabled(k->io, SD_EVENT_ON);
	sd_event_source_set_enabled(k->deadline, SD_EVENT_ON);
	conn_reply(k, result, error ? error : "command failed");
}

static int conn_event(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
	struct conn *k = userdata;
	ssize_t n;

	(void)s, (void)events;
	if (k->discard) {
		char sink[4096];

		do
			n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		while (n > 0 || (n < 0 && errno == EINTR));
		if (n == 0 || errno != EAGAIN)
			conn_free(k);
		return 0;
	}
	if (k->out) {
		if (conn_write(k))
			conn_free(k);
		return 0;
	}
	for (;;) {
		if (k->in_len == k->in_cap) {
			size_t cap = k->in_cap ? 2 * k->in_cap : 4096;
			char *more;

			if (k->in_cap >= XLB_CTL_MAX_REQUEST + 1) {
				k->ctl->too_large++;
				conn_reply(k, NULL, "request too large (limit 1 MiB)");
				return 0;
			}
			if (cap > XLB_CTL_MAX_REQUEST + 1)
				cap = XLB_CTL_MAX_REQUEST + 1;
			more = realloc(k->in, cap);
			if (!more) {
				conn_reply(k, NULL, "xlbd is out of memory");
				return 0;
			}
			k->in = more;
			k->in_cap = cap;
		}
		n = recv(fd, k->in + k->in_len, k->in_cap - k->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			conn_free(k);
			return 0;
		}
		if (n == 0)
			break;
		k->in_len += n;
	}
	/* The client shut its side: the request is whole. */
	if (k->in_len > XLB_CTL_MAX_REQUEST) {
		k->ctl->too_large++;
		conn_reply(k, NULL, "request too large (limit 1 MiB)");
		return 0;
	}
	conn_request(k);
	return 0;
}

static int conn_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct conn *k = userdata;

	(void)s, (void)usec;
	if (k->discard) {
		conn_free(k);
		return 0;
	}
	k->ctl->timed_out++;
	if (k->out) {
		conn_free(k);	/* it would not take its answer */
		return 0;
	}
	refusal(k->ctl, "Closed a control connection from uid %u: request not complete within 2 s",
		k->req.uid);
	conn_reply(k, NULL, "request not complete within 2 s: send the whole request, then shut down the write side");
	return 0;
}

static bool in_groups(gid_t gid, gid_t primary, const gid_t *groups, int n)
{
	int i;

	if (gid == primary)
		return true;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static void rights(struct control *c, int fd, const struct ucred *cred, struct ctl_request *req)
{
	gid_t groups[MAX_GROUPS];
	socklen_t len = sizeof(groups);
	int n;

	/* The peer's groups as they were at connect(), not looked up by name. */
	n = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) ? 0 : len / sizeof(gid_t);
	req->uid = cred->uid;
	req->admin = !cred->uid ||
		     (c->has_admin_gid && in_groups(c->admin_gid, cred->gid, groups, n));
	req->reader = req->admin ||
		      (c->has_read_gid && in_groups(c->read_gid, cred->gid, groups, n));
}

static struct conn *conn_new(struct control *c, int fd, const struct ctl_request *req,
			     unsigned int deadline_ms)
{
	struct conn *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->ctl = c;
	k->fd = fd;
	k->req = *req;
	if (sd_event_add_io(c->event, &k->io, fd, EPOLLIN, conn_event, k) < 0 ||
	    sd_event_add_time(c->event, &k->deadline, CLOCK_MONOTONIC,
			      (monotonic_ms() + deadline_ms) * 1000, 1000, conn_deadline, k) < 0) {
		sd_event_source_disable_unref(k->io);
		free(k);
		return NULL;
	}
	sd_event_source_set_priority(k->io, XLB_PRIO_CLIENT);
	sd_event_source_set_priority(k->deadline, XLB_PRIO_CLIENT);
	k->next = c->conns;
	c->conns = k;
	if (++c->nr_conns == XLB_CTL_MAX_CONNS)
		sd_event_source_set_enabled(c->listen, SD_EVENT_OFF);
	return k;
}

/*
 * Answers a refused client at once (a short message always fits in the
 * socket's buffer), then throws its request away until it is done.
 */
static void refuse(struct control *c, int fd, const struct ctl_request *req, const char *msg,
		   bool keep)
{
	char *text = reply_text(NULL, msg);
	struct conn *k;

	if (text && send(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the client went away: nothing to tell */
	}
	free(text);
	shutdown(fd, SHUT_WR);
	k = keep ? conn_new(c, fd, req, DISCARD_MS) : NULL;
	if (k)
		k->discard = true;
	else
		close(fd);
}

static void accept_one(struct control *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_request req = {};
	bool over;
	char msg[256];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return;
	}
	rights(c, fd, &cred, &req);
	/* Past its share, a user's connection is closed with no more ado. */
	over = cred.uid && conns_of(c, cred.uid) >= XLB_CTL_MAX_PER_UID;
	if (!req.reader) {
		c->refused++;
		refusal(c, "Refused a control connection from uid %u: not root and in no control group",
			cred.uid);
		if (c->admin_group[0] || c->read_group[0])
			snprintf(msg, sizeof(msg), "permission denied: xlbd answers root and the groups '%s' (admin) and '%s' (read) of its config; uid %u is in neither",
				 c->admin_group, c->read_group, cred.uid);
		else
			snprintf(msg, sizeof(msg), "permission denied: xlbd answers root only (the config sets no control.admin_group or control.read_group); uid %u is not root",
				 cred.uid);
		refuse(c, fd, &req, msg, !over);
		return;
	}
	if (over) {
		c->too_many++;
		refusal(c, "Refused a control connection from uid %u: more than %u at once",
			cred.uid, XLB_CTL_MAX_PER_UID);
		snprintf(msg, sizeof(msg), "too many connections from uid %u at once (limit %u): wait for the others to end",
			 cred.uid, XLB_CTL_MAX_PER_UID);
		refuse(c, fd, &req, msg, false);
		return;
	}
	if (!conn_new(c, fd, &req, XLB_CTL_REQUEST_MS)) {
		close(fd);
		return;
	}
	c->accepted++;
}

static int resume_accept(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct control *c = userdata;

	(void)s, (void)usec;
	if (c->nr_conns < XLB_CTL_MAX_CONNS)
		sd_event_source_set_enabled(c->listen, SD_EVENT_ON);
	return 0;
}

static int listen_event(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
	struct control *c = userdata;
	int cfd;

	(void)s, (void)events;
	/* A bounded batch: one turn of the loop serves others too. */
	for (int i = 0; i < 16 && c->nr_conns < XLB_CTL_MAX_CONNS; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd >= 0) {
			accept_one(c, cfd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* The connection stays in the backlog; retrying now would spin. */
			c->accept_paused++;
			refusal(c, "Couldn't accept a control connection: %s; pausing %d ms",
				strerror(errno), ACCEPT_PAUSE_MS);
			sd_event_source_set_enabled(c->listen, SD_EVENT_OFF);
			sd_event_source_set_time(c->resume, (monotonic_ms() + ACCEPT_PAUSE_MS) * 1000);
			sd_event_source_set_enabled(c->resume, SD_EVENT_ONESHOT);
		}
		break;
	}
	return 0;
}

int control_open(struct control **out, sd_event *e, const char *path, ctl_run_fn fn, void *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct control *c;
	struct stat st;
	mode_t old_mask;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("Couldn't use control socket '%s': path too long (at most %zu bytes)\n",
		       path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->event = e;
	c->run = fn;
	c->ctx = ctx;
	c->listen_fd = -1;
	strcpy(c->path, path);
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	mkdir(dirname(dir), 0755);
	/* Another user who can write there could swap the socket for a link. */
	if (!stat(dir, &st) && ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid) ||
				(st.st_uid && st.st_uid != geteuid()))) {
		pr_err("Couldn't use control socket '%s': its directory '%s' can be written by other users (mode %04o, owner %u:%u)\n",
		       path, dir, st.st_mode & 07777, st.st_uid, st.st_gid);
		pr_err("hint: put the socket in a directory only root can write, such as /run/xlb\n");
		free(c);
		return -EPERM;
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		free(c);
		return -errno;
	}
	/* A socket file nobody answers on is stale; one that answers is another xlbd. */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || errno == EAGAIN) {
		pr_err("Couldn't start: another xlbd answers on '%s'\n", path);
		close(fd);
		free(c);
		return -EADDRINUSE;
	}
	unlink(path);
	/*
	 * Anyone may connect (the peer's credentials decide what it may do):
	 * the mode is set at bind through the umask, not by a chmod of a path
	 * that could be swapped for a link in between.
	 */
	old_mask = umask(0111);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old_mask);
	if (!err && listen(fd, SOMAXCONN))
		err = -errno;
	if (!err)
		err = sd_event_add_io(e, &c->listen, fd, EPOLLIN, listen_event, c);
	if (err >= 0)
		err = sd_event_add_time(e, &c->resume, CLOCK_MONOTONIC, 0, 1000, resume_accept, c);
	if (err >= 0)
		err = sd_event_source_set_enabled(c->resume, SD_EVENT_OFF);
	if (err < 0) {
		sd_event_source_disable_unref(c->listen);
		pr_err("Couldn't listen on control socket '%s': %s\n", path, strerror(-err));
		close(fd);
		free(c);
		return err;
	}
	sd_event_source_set_priority(c->listen, XLB_PRIO_CLIENT);
	c->listen_fd = fd;
	*out = c;
	return 0;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	while (c->conns)
		conn_free(c->conns);
	sd_event_source_disable_unref(c->listen);
	sd_event_source_disable_unref(c->resume);
	close(c->listen_fd);
	unlink(c->path);
	free(c);
}

static void lookup_group(const char *name, char *keep, size_t len, gid_t *gid, bool *has)
{
	struct group *gr = name[0] ? getgrnam(name) : NULL;

	snprintf(keep, len, "%s", name);
	*has = gr != NULL;
	*gid = gr ? gr->gr_gid : 0;
	if (name[0] && !gr)
		pr_warn("Control group '%s' does not exist: its members get no access\n", name);
}

void control_set_groups(struct control *c, const char *admin_group, const char *read_group)
{
	lookup_group(admin_group, c->admin_group, sizeof(c->admin_group), &c->admin_gid,
		     &c->has_admin_gid);
	lookup_group(read_group, c->read_group, sizeof(c->read_group), &c->read_gid,
		     &c->has_read_gid);
}

json_t *control_stats(const struct control *c)
{
	return json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "connections", (int)c->nr_conns,
			 "accept_paused", (json_int_t)c->accept_paused,
			 "accepted", (json_int_t)c->accepted, "answered", (json_int_t)c->answered,
			 "refused", (json_int_t)c->refused, "too_many", (json_int_t)c->too_many,
			 "too_large", (json_int_t)c->too_large,
			 "timed_out", (json_int_t)c->timed_out);
}
