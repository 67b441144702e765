// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "defaults.h"
#include "fdio.h"
#include "ctl.h"
#include "ipc.h"


unsigned int ctl_timeout_s = CTL_DEFAULT_TIMEOUT_S;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void no_answer(const char *path, const char *cmd)
{
	fprintf(stderr, "Couldn't get an answer to '%s' from xlbd at '%s' within %u s\n"
		"hint: xlbd is stalled or very busy ('systemctl status xlbd', its log); --timeout SECONDS waits longer\n",
		cmd, path, ctl_timeout_s);
}

static const char *socket_path(void)
{
	const char *env = getenv("XLB_SOCKET");

	return env && *env ? env : XLB_DEFAULT_SOCKET;
}

bool ctl_quiet_connect;
bool ctl_unreachable;

static int connect_daemon(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "Couldn't connect to xlbd at '%s': path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	/* A connect that waits in a full backlog gives up at the timeout too. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){ .tv_sec = ctl_timeout_s },
		   sizeof(struct timeval));
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fd;
	err = errno;
	close(fd);
	ctl_unreachable = err == ENOENT || err == ECONNREFUSED;
	if (ctl_unreachable && ctl_quiet_connect)
		return -1;
	if (err == EAGAIN || err == EINPROGRESS || err == ETIMEDOUT)
		fprintf(stderr, "Couldn't connect to xlbd at '%s' within %u s: its backlog is full\n"
			"hint: xlbd is very busy; --timeout SECONDS waits longer\n", path, ctl_timeout_s);
	else if (err == ENOENT)
		fprintf(stderr, "Couldn't connect to xlbd at '%s': no such socket\n"
			"hint: xlbd is not running; start it ('systemctl start xlbd' or 'xlbd -c FILE')\n",
			path);
	else if (err == ECONNREFUSED)
		fprintf(stderr, "Couldn't connect to xlbd at '%s': the socket is stale, xlbd is not running\n"
			"hint: start xlbd; it replaces the stale socket\n", path);
	else if (err == EACCES)
		fprintf(stderr, "Couldn't connect to xlbd at '%s': permission denied\n"
			"hint: run as root or as a member of the control groups in the config\n", path);
	else
		fprintf(stderr, "Couldn't connect to xlbd at '%s': %s\n", path, strerror(err));
	return -1;
}

/* The whole answer, until xlbd closes, or NULL at the deadline. */
static char *read_answer(int fd, long long deadline, size_t *len)
{
	size_t cap = 65536;
	char *buf = malloc(cap), *more;
	ssize_t n;

	*len = 0;
	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, left) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		if (*len == cap) {
			/* Bounded as over HTTP: a stream that never ends is not an answer. */
			if (cap >= CTL_MAX_ANSWER) {
				errno = EFBIG;
				break;
			}
			more = realloc(buf, cap * 2);
			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0)
			return buf;
		*len += n;
	}
	free(buf);
	return NULL;
}

json_t *ctl_call(const char *cmd, json_t *args, int *rc)
{
	return ctl_call_at(socket_path(), cmd, args, rc);
}

json_t *ctl_call_at(const char *path, const char *cmd, json_t *args, int *rc)
{
	json_t *req = json_pack("{s:s, s:o}", "cmd", cmd, "args", args ? args : json_object());
	json_t *resp = NULL, *result = NULL;
	long long deadline = now_ms() + 1000ll * ctl_timeout_s;
	json_error_t jerr;
	char *text = json_dumps(req, JSON_COMPACT), *answer;
	int fd;
	size_t len;

	ctl_unreachable = false;
	fd = connect_daemon(path);
	*rc = CTL_ERROR;
	json_decref(req);
	if (fd < 0 || !text)
		goto out;
	/* A refusal may come before the request is sent: read it even then. */
	if ((xlb_write_all(fd, text, strlen(text)) || shutdown(fd, SHUT_WR)) && errno != EPIPE &&
	    errno != ECONNRESET) {
		if (errno == EAGAIN)
			no_answer(path, cmd);
		else
			fprintf(stderr, "Couldn't send '%s' to xlbd: %s\n", cmd, strerror(errno));
		goto out;
	}
	answer = read_answer(fd, deadline, &len);
	/* Reset or closed mid-answer: xlbd went away, as for a failed connect. */
	if ((!answer && errno != ETIMEDOUT && errno != EFBIG) || (answer && !len))
		ctl_unreachable = true;
	if (ctl_unreachable && ctl_quiet_connect) {
		free(answer);
		goto out;
	}
	if (!answer) {
		if (errno == ETIMEDOUT)
			no_answer(path, cmd);
		else if (errno == EFBIG)
			fprintf(stderr, "Couldn't read xlbd's answer to '%s': larger than %u MiB; stopped reading\n"
				"hint: is '%s' xlbd's control socket?\n", cmd, CTL_MAX_ANSWER >> 20, path);
		else
			fprintf(stderr, "Couldn't read xlbd's answer to '%s': %s\n", cmd, strerror(errno));
		goto out;
	}
	resp = json_loadb(answer, len, 0, &jerr);
	free(answer);
	if (!resp) {
		fprintf(stderr, "Couldn't read xlbd's answer to '%s': %s\n", cmd,
			len ? jerr.text : "xlbd closed the connection without answering");
		goto out;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "%s: %s\n", cmd,
			json_string_value(json_object_get(resp, "error")) ?: "failed");
		goto out;
	}
	result = json_incref(json_object_get(resp, "result"));
	*rc = CTL_OK;
out:
	free(text);
	json_decref(resp);
	if (fd >= 0)
		close(fd);
	return result;
}

json_t *ctl_call_plain(const char *cmd, json_t *args, int *rc)
{
	json_t *r = ctl_call(cmd, args, rc);

	if (r && json_output) {
		ctl_print_json(r);
		json_decref(r);
		return NULL;
	}
	return r;
}

void ctl_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	putchar('\n');
}
