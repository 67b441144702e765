// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket. One request per connection: the client writes a
 * JSON object {"cmd": ..., "args": {...}} and shuts its side down; xlbd
 * answers {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
 *
 * Who may do what is decided by the peer's credentials (SO_PEERCRED), not
 * by file modes: root and members of control.admin_group may change
 * things; they and members of control.read_group may read.
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "xlbd.h"

#define MAX_REQUEST	(1u << 20)

static const char *const read_commands[] = {
	"status", "list", "counters", "diff", "trace", "events", "report", NULL,
};

static bool is_read_command(const char *cmd)
{
	size_t i;

	for (i = 0; read_commands[i]; i++)
		if (!strcmp(cmd, read_commands[i]))
			return true;
	return false;
}

/* Is uid a member of the named group (primary or supplementary)? */
static bool in_group(uid_t uid, gid_t gid, const char *group)
{
	struct passwd *pw;
	struct group *gr;
	gid_t groups[256];
	int n = 256, i;

	if (!group || !group[0])
		return false;
	gr = getgrnam(group);
	if (!gr)
		return false;
	if (gid == gr->gr_gid)
		return true;
	pw = getpwuid(uid);
	if (!pw || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == gr->gr_gid)
			return true;
	return false;
}

int control_open(struct xlbd *x)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	int fd, err;

	if (strlen(x->socket_path) >= sizeof(sa.sun_path)) {
		pr_err("Couldn't use control socket '%s': path too long\n", x->socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, x->socket_path);
	strcpy(dir, x->socket_path);
	mkdir(dirname(dir), 0755);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file nobody answers on is stale; one that answers is another xlbd. */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		pr_err("Couldn't start: another xlbd answers on '%s'\n", x->socket_path);
		close(fd);
		return -EADDRINUSE;
	}
	unlink(x->socket_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		err = -errno;
		pr_err("Couldn't listen on control socket '%s': %s\n", x->socket_path,
		       strerror(errno));
		close(fd);
		return err;
	}
	/* Anyone may connect; SO_PEERCRED decides what they may do. */
	chmod(x->socket_path, 0666);
	x->listen_fd = fd;
	return 0;
}

void control_close(struct xlbd *x)
{
	if (x->listen_fd < 0)
		return;
	close(x->listen_fd);
	unlink(x->socket_path);
	x->listen_fd = -1;
}

static char *read_request(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf) {
		if (len + 1 >= cap) {
			char *more = cap >= MAX_REQUEST ? NULL : realloc(buf, cap * 2);

			if (!more) {
				free(buf);
				return NULL;
			}
			buf = more;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void reply(int fd, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len, off = 0;
	ssize_t n;

	if (!text)
		return;
	len = strlen(text);
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n <= 0)
			break;
		off += n;
	}
	free(text);
}

static void reply_error(int fd, const char *msg)
{
	json_t *r = json_pack("{s:b, s:s}", "ok", 0, "error", msg);

	reply(fd, r);
	json_decref(r);
}

void control_accept(struct xlbd *x)
{
	struct timeval timeout = { .tv_sec = 5 };
	struct ctl_request req = {};
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char err[512] = "", *text;
	json_t *msg, *result;
	json_error_t jerr;
	bool reader;
	int fd;

	fd = accept4(x->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* A stuck client must not stall the daemon. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return;
	}
	text = read_request(fd);
	msg = text ? json_loads(text, 0, &jerr) : NULL;
	free(text);
	if (!msg || json_unpack(msg, "{s:s, s?o}", "cmd", &req.cmd, "args", &req.args)) {
		reply_error(fd, "malformed request: expected {\"cmd\": ..., \"args\": {...}}");
		goto out;
	}
	req.uid = cred.uid;
	req.admin = cred.uid == 0 || in_group(cred.uid, cred.gid, x->base->admin_group);
	reader = req.admin || in_group(cred.uid, cred.gid, x->base->read_group);
	if (!(is_read_command(req.cmd) ? reader : req.admin)) {
		const char *group = is_read_command(req.cmd) ? x->base->read_group
							     : x->base->admin_group;

		if (group[0])
			snprintf(err, sizeof(err),
				 "permission denied: '%s' needs root or membership of group '%s'%s",
				 req.cmd, group, is_read_command(req.cmd) && x->base->admin_group[0] ?
				 " or of the admin group" : "");
		else
			snprintf(err, sizeof(err),
				 "permission denied: '%s' needs root (the config sets no control.%s)",
				 req.cmd, is_read_command(req.cmd) ? "read_group" : "admin_group");
		pr_warn("Refused '%s' from uid %u: not allowed\n", req.cmd, cred.uid);
		reply_error(fd, err);
		goto out;
	}
	result = command_run(x, &req, err, sizeof(err));
	if (!result) {
		reply_error(fd, err[0] ? err : "command failed");
	} else {
		json_t *r = json_pack("{s:b, s:o}", "ok", 1, "result", result);

		reply(fd, r);
		json_decref(r);
	}
out:
	json_decref(msg);
	close(fd);
}
