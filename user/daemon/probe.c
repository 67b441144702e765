// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE /* pidfd_open */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <curl/curl.h>

#include "addr.h"
#include "log.h"
#include "probe.h"

extern char **environ;

/* Waits vary over this share of the interval, centred on it. */
#define JITTER_PERCENT	10
/* curl ends an HTTP probe at its timeout; ours only catches a stuck one. */
#define CURL_GRACE_MS	500

__u64 monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int ev_watch(int epfd, int fd, uint32_t events, struct ev_handler *h)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (!h)
		return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) ? -errno : 0;
	if (!epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		return 0;
	if (errno == EEXIST && !epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev))
		return 0;
	return -errno;
}

const char *probe_type_name(enum xlb_probe_type t)
{
	static const char *const names[] = {
		[XLB_PROBE_UNSET] = "default", [XLB_PROBE_NONE] = "none",
		[XLB_PROBE_TCP] = "tcp", [XLB_PROBE_HTTP] = "http",
		[XLB_PROBE_HTTPS] = "https", [XLB_PROBE_UDP] = "udp",
		[XLB_PROBE_EXEC] = "exec",
	};

	return t <= XLB_PROBE_EXEC ? names[t] : "?";
}

/* Fields given at a level override the ones below it. */
static void merge(struct xlb_cfg_probe *to, const struct xlb_cfg_probe *from)
{
	if (from->type)
		to->type = from->type;
	if (from->interval_ms)
		to->interval_ms = from->interval_ms;
	if (from->timeout_ms)
		to->timeout_ms = from->timeout_ms;
	if (from->rise)
		to->rise = from->rise;
	if (from->fall)
		to->fall = from->fall;
	if (from->port)
		to->port = from->port;
	if (from->has_address) {
		to->address = from->address;
		to->has_address = true;
	}
	if (from->expect_status)
		to->expect_status = from->expect_status;
	if (from->path[0])
		memcpy(to->path, from->path, sizeof(to->path));
	if (from->host[0])
		memcpy(to->host, from->host, sizeof(to->host));
	if (from->command[0])
		memcpy(to->command, from->command, sizeof(to->command));
	if (from->send[0])
		memcpy(to->send, from->send, sizeof(to->send));
	if (from->expect[0])
		memcpy(to->expect, from->expect, sizeof(to->expect));
}

void probe_resolve(const struct xlb_cfg_vip *vip, const struct xlb_cfg_backend *be,
		   struct xlb_cfg_probe *out)
{
	memset(out, 0, sizeof(*out));
	out->interval_ms = XLB_PROBE_DEFAULT_INTERVAL_MS;
	out->timeout_ms = XLB_PROBE_DEFAULT_TIMEOUT_MS;
	out->rise = XLB_PROBE_DEFAULT_RISE;
	out->fall = XLB_PROBE_DEFAULT_FALL;
	merge(out, &vip->probe);
	merge(out, &be->probe);
	if (!out->port)
		out->port = ntohs(vip->key.port);
	/* Unless told otherwise, a TCP service is probed with a TCP connect. */
	if (out->type == XLB_PROBE_UNSET)
		out->type = vip->key.proto == IPPROTO_TCP ? XLB_PROBE_TCP : XLB_PROBE_NONE;
	/* A port-0 VIP has no port to probe unless one is given. */
	if (!out->port && out->type != XLB_PROBE_EXEC)
		out->type = XLB_PROBE_NONE;
	if (!out->path[0])
		strcpy(out->path, "/");
}

static void defer_free(struct prober *pr, void *p)
{
	if (pr->nr_garbage == pr->cap_garbage) {
		size_t cap = pr->cap_garbage ? 2 * pr->cap_garbage : 64;
		void **more = realloc(pr->garbage, cap * sizeof(*more));

		if (!more) {
			/* Better a leak than a use after free. */
			return;
		}
		pr->garbage = more;
		pr->cap_garbage = cap;
	}
	pr->garbage[pr->nr_garbage++] = p;
}

void prober_collect(struct prober *pr)
{
	size_t i;

	for (i = 0; i < pr->nr_garbage; i++)
		free(pr->garbage[i]);
	pr->nr_garbage = 0;
}

/* ---- timer ------------------------------------------------------------- */

static void arm_timer(struct prober *pr)
{
	struct itimerspec its = {};
	__u64 next = pr->curl_due_ms;
	size_t i;

	for (i = 0; i < pr->nr; i++) {
		struct probe_target *t = pr->targets[i];
		__u64 when = t->in_flight ? t->deadline_ms : t->due_ms;

		if (!next || when < next)
			next = when;
	}
	if (!next)
		next = monotonic_ms() + 3600 * 1000;
	/* 0 would disarm: an already due time fires at once instead. */
	its.it_value.tv_sec = next / 1000;
	its.it_value.tv_nsec = (next % 1000) * 1000000 + 1;
	timerfd_settime(pr->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* ---- finishing a probe ------------------------------------------------- */

static void release(struct probe_target *t)
{
	struct prober *pr = t->pr;

	if (t->fd >= 0) {
		ev_watch(pr->epfd, t->fd, 0, NULL);
		close(t->fd);
		t->fd = -1;
	}
	if (t->pidfd >= 0) {
		ev_watch(pr->epfd, t->pidfd, 0, NULL);
		close(t->pidfd);
		t->pidfd = -1;
	}
	if (t->pid > 0) {
		/* Still running at its timeout: it gets no more time. */
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
	if (t->curl) {
		curl_multi_remove_handle(pr->multi, t->curl);
		curl_easy_cleanup(t->curl);
		t->curl = NULL;
	}
	curl_slist_free_all(t->curl_resolve);
	t->curl_resolve = NULL;
	t->in_flight = false;
}

static void finish(struct probe_target *t, bool ok, const char *reason)
{
	enum xlb_health_change change;

	release(t);
	change = xlb_health_record(&t->health, ok, reason, t->p.rise, t->p.fall, monotonic_ms());
	if (change != XLB_HEALTH_SAME && t->pr->on_change)
		t->pr->on_change(t->pr->ctx, t, change);
}

static const char *errno_reason(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case EHOSTUNREACH:
		return "host unreachable";
	case ENETUNREACH:
		return "network unreachable";
	case ECONNRESET:
		return "reset";
	default:
		return strerror(err);
	}
}

/* ---- socket probes (TCP connect, UDP send/expect) ---------------------- */

static socklen_t sockaddr_of(const union xlb_addr *a, __u16 port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (xlb_addr_is_v4(a)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = a->w[3];
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a->b, 16);
	return sizeof(*sin6);
}

static void socket_event(struct ev_handler *h, uint32_t events)
{
	struct probe_target *t = (struct probe_target *)((char *)h - offsetof(struct probe_target, ev));
	struct sockaddr_storage peer;
	socklen_t len = sizeof(int), plen = sizeof(peer);
	char buf[XLB_NAME_MAX];
	int err = 0;
	ssize_t n;

	(void)events;
	/* A late event from a probe that already ended. */
	if (!t->in_flight || t->fd < 0)
		return;
	if (t->p.type == XLB_PROBE_TCP) {
		getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err)
			finish(t, false, errno_reason(err));
		else if (!getpeername(t->fd, (struct sockaddr *)&peer, &plen))
			finish(t, true, "ok");
		/* else: still connecting; an event meant for an earlier socket */
		return;
	}
	n = recv(t->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		finish(t, false, errno_reason(errno));
	else if ((size_t)n < strlen(t->p.expect) || memcmp(buf, t->p.expect, strlen(t->p.expect)))
		finish(t, false, "unexpected reply");
	else
		finish(t, true, "ok");
}

static void start_socket(struct probe_target *t)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(&t->addr, t->port, &ss);
	bool udp = t->p.type == XLB_PROBE_UDP;
	const char *payload = t->p.send[0] ? t->p.send : "xlb";

	t->fd = socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		finish(t, false, errno_reason(errno));
		return;
	}
	if (connect(t->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		finish(t, false, errno_reason(errno));
		return;
	}
	if (udp && send(t->fd, payload, strlen(payload), 0) < 0) {
		finish(t, false, errno_reason(errno));
		return;
	}
	t->ev.fn = socket_event;
	ev_watch(t->pr->epfd, t->fd, udp ? EPOLLIN : EPOLLOUT, &t->ev);
}

/* ---- external command ---------------------------------------------------- */

static void exec_event(struct ev_handler *h, uint32_t events)
{
	struct probe_target *t = (struct probe_target *)((char *)h - offsetof(struct probe_target, ev));
	char reason[48];
	int status;

	(void)events;
	if (!t->in_flight || t->pid <= 0 || waitpid(t->pid, &status, WNOHANG) <= 0)
		return;
	t->pid = 0;
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		finish(t, true, "ok");
		return;
	}
	if (WIFEXITED(status))
		snprintf(reason, sizeof(reason), "exit %d", WEXITSTATUS(status));
	else
		snprintf(reason, sizeof(reason), "signal %d", WTERMSIG(status));
	finish(t, false, reason);
}

static void start_exec(struct probe_target *t)
{
	char vip[XLB_NAME_MAX + 8], be[XLB_ADDR_STRLEN + 12], addr[XLB_ADDR_STRLEN + 20];
	char port[32], a[XLB_ADDR_STRLEN];
	char *argv[] = { "/bin/sh", "-c", t->p.command, NULL };
	char *envp[] = { vip, be, addr, port, "PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	int err;

	snprintf(vip, sizeof(vip), "XLB_VIP=%s", t->vip);
	snprintf(be, sizeof(be), "XLB_BACKEND=%s", xlb_addr_str(&t->backend, a, sizeof(a)));
	snprintf(addr, sizeof(addr), "XLB_PROBE_ADDRESS=%s", xlb_addr_str(&t->addr, a, sizeof(a)));
	snprintf(port, sizeof(port), "XLB_PROBE_PORT=%u", t->port);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawn(&t->pid, "/bin/sh", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		t->pid = 0;
		finish(t, false, strerror(err));
		return;
	}
	t->pidfd = pidfd_open(t->pid, 0);
	if (t->pidfd < 0) {
		finish(t, false, errno_reason(errno));
		return;
	}
	t->ev.fn = exec_event;
	ev_watch(t->pr->epfd, t->pidfd, EPOLLIN, &t->ev);
}

/* ---- HTTP and HTTPS through curl's multi interface ----------------------- */

struct curl_sock {
	struct ev_handler ev;
	curl_socket_t fd;
	struct prober *pr;
};

static void check_curl_done(struct prober *pr)
{
	struct probe_target *t;
	CURLMsg *msg;
	long status = 0;
	char reason[96];
	int left;

	while ((msg = curl_multi_info_read(pr->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (msg->data.result != CURLE_OK) {
			finish(t, false, msg->data.result == CURLE_OPERATION_TIMEDOUT ? "timeout" :
				 msg->data.result == CURLE_COULDNT_CONNECT ? "refused" :
				 curl_easy_strerror(msg->data.result));
			continue;
		}
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		snprintf(reason, sizeof(reason), "status %ld", status);
		finish(t, t->p.expect_status ? status == (long)t->p.expect_status :
			  status >= 200 && status < 400, reason);
	}
}

static void curl_sock_event(struct ev_handler *h, uint32_t events)
{
	struct curl_sock *cs = (struct curl_sock *)h;
	struct prober *pr = cs->pr;
	int flags = 0, running;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	/* This may remove the socket, and with it cs: use only pr after. */
	curl_multi_socket_action(pr->multi, cs->fd, flags, &running);
	check_curl_done(pr);
	arm_timer(pr);
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct prober *pr = userp;
	struct curl_sock *cs = sockp;
	uint32_t events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cs) {
			ev_watch(pr->epfd, fd, 0, NULL);
			curl_multi_assign(pr->multi, fd, NULL);
			defer_free(pr, cs);
		}
		return 0;
	}
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return -1;
		cs->ev.fn = curl_sock_event;
		cs->fd = fd;
		cs->pr = pr;
		curl_multi_assign(pr->multi, fd, cs);
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	return ev_watch(pr->epfd, fd, events, &cs->ev) ? -1 : 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct prober *pr = userp;

	(void)multi;
	pr->curl_due_ms = timeout_ms < 0 ? 0 : monotonic_ms() + timeout_ms;
	arm_timer(pr);
	return 0;
}

static size_t discard_body(char *ptr, size_t size, size_t n, void *userp)
{
	(void)ptr, (void)userp;
	return size * n;
}

static void start_http(struct probe_target *t)
{
	bool https = t->p.type == XLB_PROBE_HTTPS;
	char url[XLB_PATH_MAX + XLB_NAME_MAX + 32], a[XLB_ADDR_STRLEN], resolve[XLB_NAME_MAX + 64];
	struct curl_slist *pin = NULL;
	const char *host;
	CURL *c = curl_easy_init();

	if (!c) {
		finish(t, false, "curl init failed");
		return;
	}
	xlb_addr_str(&t->addr, a, sizeof(a));
	/* With a Host name the URL carries it (Host header and SNI) and curl is
	 * pinned to the backend's address; without one, the address is the URL. */
	if (t->p.host[0]) {
		host = t->p.host;
		snprintf(resolve, sizeof(resolve), "%s:%u:%s", host, t->port, a);
		pin = curl_slist_append(NULL, resolve);
		curl_easy_setopt(c, CURLOPT_RESOLVE, pin);
		snprintf(url, sizeof(url), "%s://%s:%u%s", https ? "https" : "http", host, t->port,
			 t->p.path);
	} else {
		snprintf(url, sizeof(url), xlb_addr_is_v4(&t->addr) ? "%s://%s:%u%s" : "%s://[%s]:%u%s",
			 https ? "https" : "http", a, t->port, t->p.path);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, t);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)t->p.timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "xlb-probe");
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	/* Backends often serve self-signed certificates to the balancer. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	t->curl = c;
	t->curl_resolve = pin;	/* libcurl reads it while the transfer runs */
	t->deadline_ms += CURL_GRACE_MS;
	curl_multi_add_handle(t->pr->multi, c);
}

/* ---- scheduling ---------------------------------------------------------- */

/* The wait until the next probe: the interval, give or take JITTER_PERCENT / 2. */
static __u64 next_wait(__u32 interval_ms)
{
	__u32 width = interval_ms * JITTER_PERCENT / 100;

	return interval_ms - width / 2 + (width ? random() % width : 0);
}

static void start(struct probe_target *t, __u64 now)
{
	struct prober *pr = t->pr;
	__u64 late = now - t->due_ms;

	pr->started++;
	pr->late_ms_sum += late;
	if (late > pr->late_ms_max)
		pr->late_ms_max = late;
	/* Keep the cadence; one that fell behind starts counting afresh. */
	t->due_ms += next_wait(t->p.interval_ms);
	if (t->due_ms <= now)
		t->due_ms = now + next_wait(t->p.interval_ms);
	t->deadline_ms = now + t->p.timeout_ms;
	t->in_flight = true;

	switch (t->p.type) {
	case XLB_PROBE_TCP:
	case XLB_PROBE_UDP:
		start_socket(t);
		break;
	case XLB_PROBE_EXEC:
		start_exec(t);
		break;
	case XLB_PROBE_HTTP:
	case XLB_PROBE_HTTPS:
		start_http(t);
		break;
	default:
		t->in_flight = false;
	}
}

static void timer_event(struct ev_handler *h, uint32_t events)
{
	struct prober *pr = (struct prober *)((char *)h - offsetof(struct prober, timer_ev));
	__u64 expirations, now = monotonic_ms();
	size_t i;
	int running;

	(void)events;
	if (read(pr->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	for (i = 0; i < pr->nr; i++) {
		struct probe_target *t = pr->targets[i];

		if (t->in_flight && now >= t->deadline_ms)
			finish(t, false, "timeout");
		else if (!t->in_flight && now >= t->due_ms)
			start(t, now);
	}
	if (pr->curl_due_ms && now >= pr->curl_due_ms) {
		pr->curl_due_ms = 0;
		curl_multi_socket_action(pr->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		check_curl_done(pr);
	}
	arm_timer(pr);
}

/* ---- targets ------------------------------------------------------------- */

struct probe_target *prober_find(struct prober *pr, const char *vip,
				 const union xlb_addr *backend)
{
	size_t i;

	for (i = 0; i < pr->nr; i++)
		if (!strcmp(pr->targets[i]->vip, vip) &&
		    !xlb_addr_cmp(&pr->targets[i]->backend, backend))
			return pr->targets[i];
	return NULL;
}

static struct probe_target *add_target(struct prober *pr, const char *vip,
				       const union xlb_addr *backend)
{
	struct probe_target *t;

	if (pr->nr == pr->cap) {
		size_t cap = pr->cap ? 2 * pr->cap : 64;
		struct probe_target **more = realloc(pr->targets, cap * sizeof(*more));

		if (!more)
			return NULL;
		pr->targets = more;
		pr->cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	snprintf(t->vip, sizeof(t->vip), "%s", vip);
	t->backend = *backend;
	t->fd = t->pidfd = -1;
	t->pr = pr;
	xlb_health_init(&t->health, monotonic_ms());
	t->in_last_healthy = true;
	pr->targets[pr->nr++] = t;
	return t;
}

int prober_sync(struct prober *pr, const struct xlb_cfg *cfg)
{
	__u64 now = monotonic_ms();
	size_t v, b, i, kept = 0;

	for (i = 0; i < pr->nr; i++)
		pr->targets[i]->seen = false;
	for (v = 0; v < cfg->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &cfg->vips[v];

		for (b = 0; b < vip->nr_backends; b++) {
			const struct xlb_cfg_backend *be = &vip->backends[b];
			struct xlb_cfg_probe p;
			struct probe_target *t;

			probe_resolve(vip, be, &p);
			if (p.type == XLB_PROBE_NONE)
				continue;
			t = prober_find(pr, vip->name, &be->addr);
			if (!t) {
				t = add_target(pr, vip->name, &be->addr);
				if (!t)
					return -ENOMEM;
				/* Spread the first probes over one interval. */
				t->due_ms = now + random() % p.interval_ms;
			}
			if (t->in_flight && memcmp(&t->p, &p, sizeof(p)))
				release(t);
			t->p = p;
			t->addr = p.has_address ? p.address : be->addr;
			t->port = p.port;
			t->seen = true;
		}
	}
	for (i = 0; i < pr->nr; i++) {
		if (pr->targets[i]->seen) {
			pr->targets[kept++] = pr->targets[i];
		} else {
			release(pr->targets[i]);
			defer_free(pr, pr->targets[i]);
		}
	}
	pr->nr = kept;
	arm_timer(pr);
	return 0;
}

int prober_init(struct prober *pr, int epfd, probe_change_fn fn, void *ctx)
{
	memset(pr, 0, sizeof(*pr));
	pr->epfd = epfd;
	pr->on_change = fn;
	pr->ctx = ctx;
	srandom(monotonic_ms() ^ getpid());
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -EIO;
	pr->multi = curl_multi_init();
	pr->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!pr->multi || pr->timerfd < 0)
		return errno ? -errno : -ENOMEM;
	curl_multi_setopt(pr->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(pr->multi, CURLMOPT_SOCKETDATA, pr);
	curl_multi_setopt(pr->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(pr->multi, CURLMOPT_TIMERDATA, pr);
	pr->timer_ev.fn = timer_event;
	return ev_watch(epfd, pr->timerfd, EPOLLIN, &pr->timer_ev);
}

void prober_fini(struct prober *pr)
{
	size_t i;

	for (i = 0; i < pr->nr; i++) {
		release(pr->targets[i]);
		free(pr->targets[i]);
	}
	free(pr->targets);
	prober_collect(pr);
	free(pr->garbage);
	if (pr->multi)
		curl_multi_cleanup(pr->multi);
	if (pr->timerfd >= 0)
		close(pr->timerfd);
	curl_global_cleanup();
	memset(pr, 0, sizeof(*pr));
}
