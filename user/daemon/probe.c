// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <curl/curl.h>

#include "addr.h"
#include "log.h"
#include "probe.h"

/* curl ends an HTTP probe at its timeout; ours only catches a stuck one. */
#define CURL_GRACE_MS	500
/* "xlbd couldn't run a probe" is logged at most this often. */
#define UNKNOWN_LOG_MS	10000

/* ---- timer ------------------------------------------------------------- */

static void arm(struct probe_target *t, __u64 when_ms)
{
	sd_event_source_set_time(t->timer, when_ms * 1000);
	sd_event_source_set_enabled(t->timer, SD_EVENT_ONESHOT);
}

/* The next start: the health probe's, or a latency probe's if sooner. */
static __u64 next_due(const struct probe_target *t)
{
	return t->p.latency_interval_ms && t->lat_due_ms < t->due_ms ? t->lat_due_ms : t->due_ms;
}

/* ---- finishing a probe ------------------------------------------------- */

static void release(struct probe_target *t)
{
	struct prober *pr = t->pr;

	t->io = sd_event_source_disable_unref(t->io);
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	/* Still running at its deadline: its whole process group goes. */
	xlb_child_free(t->child);
	t->child = NULL;
	if (t->curl) {
		curl_multi_remove_handle(pr->multi, t->curl);
		curl_easy_cleanup(t->curl);
		t->curl = NULL;
	}
	curl_slist_free_all(t->curl_resolve);
	t->curl_resolve = NULL;
	if (t->in_flight)
		t->finished_ms = monotonic_ms();
	t->in_flight = false;
	t->local_error = false;
	arm(t, next_due(t));
}

static void log_unknown(struct prober *pr, struct probe_target *t)
{
	char a[XLB_ADDR_STRLEN];
	__u64 now = monotonic_ms();

	if (now - pr->last_unknown_log_ms < UNKNOWN_LOG_MS && pr->last_unknown_log_ms)
		return;
	pr->last_unknown_log_ms = now;
	pr_warn("xlbd couldn't run the %s probe of backend %s of VIP '%s': %s; this is xlbd's problem, not the backend's: its health is unchanged (%llu such probes so far)\n",
		probe_type_name(t->p.type), xlb_addr_str(&t->backend, a, sizeof(a)), t->vip,
		t->unknown_reason, (unsigned long long)pr->unknown);
}

/*
 * A probe's times: those curl measured for HTTP(S), else from start to
 * answer (a TCP connect, a UDP reply, a command's run).
 */
static void times_of(const struct probe_target *t, struct xlb_lat_probe *lp)
{
	__u64 took = monotonic_us() - t->started_us;
	curl_off_t c = 0, fb = 0, total = 0;

	memset(lp, 0, sizeof(*lp));
	lp->us[XLB_LAT_TOTAL] = took ? took : 1;
	if (t->p.type == XLB_PROBE_TCP)
		lp->us[XLB_LAT_CONNECT] = lp->us[XLB_LAT_TOTAL];
	if (!t->curl)
		return;
	curl_easy_getinfo(t->curl, CURLINFO_CONNECT_TIME_T, &c);
	curl_easy_getinfo(t->curl, CURLINFO_STARTTRANSFER_TIME_T, &fb);
	curl_easy_getinfo(t->curl, CURLINFO_TOTAL_TIME_T, &total);
	lp->us[XLB_LAT_CONNECT] = c > 0 ? c : 1;
	lp->us[XLB_LAT_FIRST_BYTE] = fb > 0 ? fb : 1;
	lp->us[XLB_LAT_TOTAL] = total > 0 ? total : 1;
}

struct xlb_flap_cfg probe_flap_cfg(const struct probe_target *t)
{
	return (struct xlb_flap_cfg){ .changes = t->p.flap_changes,
				      .window_ms = t->p.flap_window_ms,
				      .hold_ms = t->p.flap_hold_ms };
}

static void finish(struct probe_target *t, enum probe_result r, const char *reason)
{
	struct prober *pr = t->pr;
	enum xlb_health_change change, damped;
	struct xlb_flap_cfg flap;
	__u64 now = monotonic_ms(), started = t->started_ms;
	bool judges = t->judges_health;
	struct xlb_lat_probe lp;

	times_of(t, &lp);
	release(t);
	if (r == PROBE_UNKNOWN) {
		pr->unknown++;
		snprintf(t->unknown_reason, sizeof(t->unknown_reason), "%s", reason);
		log_unknown(pr, t);
		return;
	}
	/* Silence while xlbd itself did not run is xlbd's, not the backend's. */
	if (r == PROBE_FAIL && stall_spoilt(pr->stall, started, now)) {
		pr->not_judged++;
		pr_debug("probe of a backend of VIP '%s' failed (%s) while xlbd was stalled: not judged\n",
			 t->vip, reason);
		return;
	}
	/* A reply that waited on a stalled xlbd says nothing of the backend's speed. */
	if (r == PROBE_OK && !stall_spoilt(pr->stall, started, now))
		xlb_lat_ok(&t->lat, &lp, now);
	else if (r == PROBE_FAIL)
		xlb_lat_failed(&t->lat, t->p.timeout_ms * 1000, now);
	/* A latency probe times the backend; only health probes judge it. */
	if (!judges)
		return;
	change = xlb_health_record(&t->health, r == PROBE_OK, reason, t->p.rise, t->p.fall, now);
	/* Damped before either is told: a backend whose coming up is the change
	 * too many never enters the table, not even between the two. */
	flap = probe_flap_cfg(t);
	damped = xlb_health_damp(&t->health, &flap, now);
	if (change != XLB_HEALTH_SAME && pr->on_change)
		pr->on_change(pr->ctx, t, change);
	if (damped != XLB_HEALTH_SAME && pr->on_change)
		pr->on_change(pr->ctx, t, damped);
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

/* Errors that say xlbd lacks resources, not that the backend failed. */
static bool local_errno(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM ||
	       err == EAGAIN || err == EPERM || err == EACCES;
}

static void finish_errno(struct probe_target *t, int err)
{
	char why[96];

	if (local_errno(err)) {
		snprintf(why, sizeof(why), "%s", strerror(err));
		finish(t, PROBE_UNKNOWN, why);
	} else {
		finish(t, PROBE_FAIL, errno_reason(err));
	}
}

/* ---- socket probes (TCP connect, UDP send/expect) ---------------------- */

/*
 * Looks at the socket: 1 when the probe is decided (and finished), 0 when
 * there is nothing yet.
 */
static int check_socket(struct probe_target *t)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(int), plen = sizeof(peer);
	char buf[XLB_NAME_MAX];
	int err = 0;
	ssize_t n;

	if (t->p.type == XLB_PROBE_TCP) {
		getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			finish(t, PROBE_FAIL, errno_reason(err));
			return 1;
		}
		if (!getpeername(t->fd, (struct sockaddr *)&peer, &plen)) {
			finish(t, PROBE_OK, "ok");
			return 1;
		}
		return 0;	/* still connecting */
	}
	n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		finish(t, PROBE_FAIL, errno_reason(errno));
	else if ((size_t)n < strlen(t->p.expect) || memcmp(buf, t->p.expect, strlen(t->p.expect)))
		finish(t, PROBE_FAIL, "unexpected reply");
	else
		finish(t, PROBE_OK, "ok");
	return 1;
}

static int socket_event(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
	(void)s, (void)fd, (void)events;
	check_socket(userdata);
	return 0;
}

static void start_socket(struct probe_target *t)
{
	struct sockaddr_storage ss;
	socklen_t len = xlb_addr_sockaddr(&t->addr, t->port, &ss);
	bool udp = t->p.type == XLB_PROBE_UDP;
	const char *payload = t->p.send[0] ? t->p.send : "xlb";
	int err;

	t->fd = socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		finish_errno(t, errno);
		return;
	}
	if (connect(t->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		finish_errno(t, errno);
		return;
	}
	if (udp && send(t->fd, payload, strlen(payload), 0) < 0) {
		finish_errno(t, errno);
		return;
	}
	err = sd_event_add_io(t->pr->event, &t->io, t->fd, udp ? EPOLLIN : EPOLLOUT, socket_event, t);
	if (err < 0) {
		finish_errno(t, -err);
		return;
	}
	sd_event_source_set_priority(t->io, XLB_PRIO_PROBE_IO);
}

/* ---- external command ---------------------------------------------------- */

static void exec_done(void *ctx, const siginfo_t *si)
{
	struct probe_target *t = ctx;
	char reason[48];

	if (si->si_code == CLD_EXITED && !si->si_status) {
		finish(t, PROBE_OK, "ok");
		return;
	}
	if (si->si_code == CLD_EXITED)
		snprintf(reason, sizeof(reason), "exit %d", si->si_status);
	else
		snprintf(reason, sizeof(reason), "signal %d", si->si_status);
	finish(t, PROBE_FAIL, reason);
}

static void start_exec(struct probe_target *t)
{
	char vip[XLB_NAME_MAX + 8], be[XLB_ADDR_STRLEN + 12], addr[XLB_ADDR_STRLEN + 20];
	char port[32], a[XLB_ADDR_STRLEN];
	char *envp[] = { vip, be, addr, port, "PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	int err;

	snprintf(vip, sizeof(vip), "XLB_VIP=%s", t->vip);
	snprintf(be, sizeof(be), "XLB_BACKEND=%s", xlb_addr_str(&t->backend, a, sizeof(a)));
	snprintf(addr, sizeof(addr), "XLB_PROBE_ADDRESS=%s", xlb_addr_str(&t->addr, a, sizeof(a)));
	snprintf(port, sizeof(port), "XLB_PROBE_PORT=%u", t->port);
	err = xlb_child_spawn(t->pr->event, t->p.command, envp, XLB_PRIO_PROBE_IO, exec_done, t,
			      &t->child);
	if (err) {
		char why[96];

		snprintf(why, sizeof(why), "couldn't start the command: %s", strerror(-err));
		finish(t, PROBE_UNKNOWN, why);
	}
}

/* ---- HTTP and HTTPS through curl's multi interface ----------------------- */

struct curl_sock {
	sd_event_source *io;
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
		CURLcode res = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (res == CURLE_OUT_OF_MEMORY || res == CURLE_FAILED_INIT ||
		    (res == CURLE_COULDNT_CONNECT && t->local_error)) {
			snprintf(reason, sizeof(reason), "%s", t->local_error ?
				 "couldn't open a socket (descriptors or buffers exhausted)" :
				 curl_easy_strerror(res));
			finish(t, PROBE_UNKNOWN, reason);
			continue;
		}
		if (res != CURLE_OK) {
			finish(t, PROBE_FAIL, res == CURLE_OPERATION_TIMEDOUT ? "timeout" :
			       res == CURLE_COULDNT_CONNECT ? "refused" : curl_easy_strerror(res));
			continue;
		}
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		snprintf(reason, sizeof(reason), "status %ld", status);
		finish(t, (t->p.expect_status ? status == (long)t->p.expect_status :
			   status >= 200 && status < 400) ? PROBE_OK : PROBE_FAIL, reason);
	}
}

static int curl_sock_event(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
	struct curl_sock *cs = userdata;
	struct prober *pr = cs->pr;
	int flags = 0, running;

	(void)s;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	/* This may remove the socket, and with it cs: use only pr after. */
	curl_multi_socket_action(pr->multi, fd, flags, &running);
	check_curl_done(pr);
	return 0;
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct prober *pr = userp;
	struct curl_sock *cs = sockp;
	uint32_t events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cs) {
			curl_multi_assign(pr->multi, fd, NULL);
			/* Disabled first: no event can reach cs after this. */
			sd_event_source_disable_unref(cs->io);
			free(cs);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return -1;
		cs->fd = fd;
		cs->pr = pr;
		if (sd_event_add_io(pr->event, &cs->io, fd, events, curl_sock_event, cs) < 0) {
			free(cs);
			return -1;
		}
		sd_event_source_set_priority(cs->io, XLB_PRIO_PROBE_IO);
		curl_multi_assign(pr->multi, fd, cs);
		return 0;
	}
	sd_event_source_set_io_events(cs->io, events);
	return 0;
}

static int curl_timer_event(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct prober *pr = userdata;
	int running;

	(void)s, (void)usec;
	curl_multi_socket_action(pr->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_curl_done(pr);
	return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct prober *pr = userp;

	(void)multi;
	if (timeout_ms < 0)
		return sd_event_source_set_enabled(pr->curl_timer, SD_EVENT_OFF) < 0 ? -1 : 0;
	sd_event_source_set_time(pr->curl_timer, (monotonic_ms() + timeout_ms) * 1000);
	return sd_event_source_set_enabled(pr->curl_timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
}

/* Every socket of curl's is close-on-exec, and a failure to open one is ours. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct probe_target *t = clientp;
	int fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0 && local_errno(errno))
		t->local_error = true;
	return fd < 0 ? CURL_SOCKET_BAD : fd;
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
		finish(t, PROBE_UNKNOWN, "curl could not start a transfer");
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
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "xlb-probe");
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	/* Backends often serve self-signed certificates to the balancer. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	t->curl = c;
	t->curl_resolve = pin;	/* libcurl reads it while the transfer runs */
	t->deadline_ms += CURL_GRACE_MS;
	arm(t, t->deadline_ms);
	if (curl_multi_add_handle(t->pr->multi, c) != CURLM_OK)
		finish(t, PROBE_UNKNOWN, "curl could not start a transfer");
}

/* ---- scheduling ---------------------------------------------------------- */

/* The wait until the next probe: the interval, give or take XLB_PROBE_JITTER_PERCENT / 2. */
static __u64 next_wait(__u32 interval_ms)
{
	__u32 width = interval_ms * XLB_PROBE_JITTER_PERCENT / 100;

	return interval_ms - width / 2 + (width ? random() % width : 0);
}

static void note_lateness(struct prober *pr, __u64 late, __u64 now)
{
	pr->started++;
	pr->late_ms_sum += late;
	pr->late_hist[late < XLB_PROBE_LATE_BUCKETS ? late : XLB_PROBE_LATE_BUCKETS - 1]++;
	if (late > pr->late_ms_max)
		pr->late_ms_max = late;
	if (now - pr->late_window_start >= LATE_WINDOW_MS) {
		bool next = now - pr->late_window_start < 2 * LATE_WINDOW_MS;

		pr->late_max_prev = next ? pr->late_max_now : 0;
		if (next)
			memcpy(pr->late_hist_prev, pr->late_hist_now, sizeof(pr->late_hist_prev));
		else
			memset(pr->late_hist_prev, 0, sizeof(pr->late_hist_prev));
		memset(pr->late_hist_now, 0, sizeof(pr->late_hist_now));
		pr->late_max_now = 0;
		pr->late_window_start = now;
	}
	pr->late_hist_now[late < XLB_PROBE_LATE_BUCKETS ? late : XLB_PROBE_LATE_BUCKETS - 1]++;
	if (late > pr->late_max_now)
		pr->late_max_now = late;
}

/* The 99th percentile of start lateness, in ms, over the buckets of h (and more). */
static __u64 p99(const __u64 *h, const __u64 *more)
{
	__u64 total = 0, seen = 0;
	size_t i;

	for (i = 0; i < XLB_PROBE_LATE_BUCKETS; i++)
		total += h[i] + (more ? more[i] : 0);
	for (i = 0; total && i < XLB_PROBE_LATE_BUCKETS; i++) {
		seen += h[i] + (more ? more[i] : 0);
		if (seen * 100 >= total * 99)
			return i;
	}
	return 0;
}

void prober_summary(const struct prober *pr, struct prober_summary *out)
{
	size_t i;

	*out = (struct prober_summary){
		.targets = pr->nr, .started = pr->started, .late_ms_max = pr->late_ms_max,
		.late_ms_recent = pr->late_max_now > pr->late_max_prev ?
				  pr->late_max_now : pr->late_max_prev,
		.late_ms_mean = pr->started ? (double)pr->late_ms_sum / pr->started : 0.0,
		.unknown = pr->unknown, .not_judged = pr->not_judged,
	};
	out->late_ms_p99 = p99(pr->late_hist, NULL);
	out->late_ms_p99_recent = p99(pr->late_hist_now, pr->late_hist_prev);
	for (i = 0; i < pr->nr; i++) {
		out->in_flight += pr->targets[i]->in_flight;
		out->down += xlb_health_is_down(&pr->targets[i]->health);
	}
}

static void start(struct probe_target *t, __u64 now)
{
	t->judges_health = t->due_ms <= now;
	if (t->judges_health) {
		/* Late by the loop, not by a latency probe still in flight. */
		note_lateness(t->pr, now - (t->due_ms > t->finished_ms ? t->due_ms : t->finished_ms), now);
		/* Keep the cadence; one that fell behind starts counting afresh. */
		t->due_ms += next_wait(t->p.interval_ms);
		if (t->due_ms <= now)
			t->due_ms = now + next_wait(t->p.interval_ms);
	}
	/* Latency probes fill the gaps between health probes. */
	if (t->p.latency_interval_ms)
		t->lat_due_ms = now + next_wait(t->p.latency_interval_ms);
	t->started_ms = now;
	t->started_us = monotonic_us();
	t->deadline_ms = now + t->p.timeout_ms;
	t->in_flight = true;
	arm(t, t->deadline_ms);

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
		arm(t, next_due(t));
	}
}

/* The deadline of a probe in flight, or the start of the next one. */
static int target_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct probe_target *t = userdata;
	__u64 now = monotonic_ms();

	(void)s, (void)usec;
	if (!t->in_flight) {
		start(t, now);
		return 0;
	}
	/* A reply that is already there counts, however late the loop is. */
	if (t->fd >= 0 && check_socket(t))
		return 0;
	finish(t, PROBE_FAIL, "timeout");
	return 0;
}

/* ---- targets ------------------------------------------------------------- */

static int target_cmp(const char *vip_a, const union xlb_addr *a, const char *vip_b,
		      const union xlb_addr *b)
{
	int c = strcmp(vip_a, vip_b);

	return c ? c : xlb_addr_cmp(a, b);
}

static int target_sort(const void *a, const void *b)
{
	const struct probe_target *x = *(struct probe_target *const *)a;
	const struct probe_target *y = *(struct probe_target *const *)b;

	return target_cmp(x->vip, &x->backend, y->vip, &y->backend);
}

/* The target's index, or -1. */
static long find_index(const struct prober *pr, const char *vip, const union xlb_addr *backend)
{
	size_t lo = 0, hi = pr->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct probe_target *t = pr->targets[mid];
		int c = target_cmp(vip, backend, t->vip, &t->backend);

		if (!c)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

struct probe_target *prober_find(const struct prober *pr, const char *vip,
				 const union xlb_addr *backend)
{
	long i = find_index(pr, vip, backend);

	return i < 0 ? NULL : pr->targets[i];
}

static void target_free(struct probe_target *t)
{
	release(t);
	sd_event_source_disable_unref(t->timer);
	free(t);
}

/* Where and how a backend is probed: the kept damping's key with its address. */
static __u64 kept_sig(const struct xlb_cfg_probe *p, const union xlb_addr *addr, __u16 port)
{
	const unsigned char *b = (const unsigned char *)addr;
	__u64 h = 0xcbf29ce484222325ull;
	__u32 v[] = { p->type, port };
	size_t i;

	for (i = 0; i < sizeof(*addr); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	for (b = (const unsigned char *)v, i = 0; i < sizeof(v); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h | 1;			/* never 0: unknown */
}

static long kept_find(const struct prober *pr, const union xlb_addr *backend,
		      const struct xlb_cfg_probe *p, __u64 sig)
{
	size_t i;

	for (i = 0; i < pr->kept_nr; i++) {
		const struct probe_kept *k = &pr->kept[i];

		if (!xlb_addr_cmp(&k->s.backend, backend) &&
		    (k->sig ? k->sig == sig : k->s.probe_key == xlb_probe_key(p)))
			return i;
	}
	return -1;
}

static void kept_drop(struct prober *pr, size_t i)
{
	pr->kept[i] = pr->kept[--pr->kept_nr];
}

void prober_kept_prune(struct prober *pr, __u64 now_ms)
{
	size_t i = 0;

	while (i < pr->kept_nr)
		if (pr->kept[i].until_ms <= now_ms)
			kept_drop(pr, i);
		else
			i++;
}

/* k in the list: replacing one for the same backend and probe, else the
 * one kept for the shortest time when full (the list is bounded). */
static void kept_add(struct prober *pr, const struct probe_kept *k)
{
	long i = -1;
	size_t j;

	for (j = 0; j < pr->kept_nr && i < 0; j++)
		if (!xlb_addr_cmp(&pr->kept[j].s.backend, &k->s.backend) &&
		    pr->kept[j].sig == k->sig && (k->sig || pr->kept[j].s.probe_key == k->s.probe_key))
			i = j;
	if (i < 0 && pr->kept_nr < PROBER_KEPT_MAX) {
		if (!pr->kept) {
			pr->kept = calloc(PROBER_KEPT_MAX, sizeof(*pr->kept));
			if (!pr->kept)
				return;
		}
		i = pr->kept_nr++;
	}
	for (j = 0; i < 0 && j < pr->kept_nr; j++)
		if (pr->kept[j].until_ms < k->until_ms &&
		    (i < 0 || pr->kept[j].until_ms < pr->kept[i].until_ms))
			i = j;
	if (i >= 0)
		pr->kept[i] = *k;
}

/* A target leaving the config: its damping kept, if it has any. */
static void keep(struct prober *pr, const struct probe_target *t, __u64 now)
{
	struct xlb_flap_cfg flap = probe_flap_cfg(t);
	struct probe_kept k = { .held = t->health.flapping };
	__u64 span = flap.hold_ms > flap.window_ms ? flap.hold_ms : flap.window_ms;

	if (!flap.changes || (!t->health.flapping && !t->health.change_nr))
		return;
	snprintf(k.s.vip, sizeof(k.s.vip), "%s", t->vip);
	k.s.backend = t->backend;
	k.s.probe_key = xlb_probe_key(&t->p);
	xlb_health_save(&t->health, now, now, &k.s);
	k.sig = kept_sig(&t->p, &t->addr, t->port);
	/* At least a hold (and the window its changes count in) from now;
	 * held and up, until its hold would be over in any case. */
	k.until_ms = now + span;
	if (k.held && !k.s.down && k.s.hold_from_ms + (__s64)flap.hold_ms > (__s64)k.until_ms)
		k.until_ms = k.s.hold_from_ms + flap.hold_ms;
	kept_add(pr, &k);
}

void prober_keep_saved(struct prober *pr, const struct xlb_flap_saved *s, __u32 hold_ms,
		       __u64 now_ms, __u64 now_wall_ms)
{
	struct probe_kept k = { .held = true };
	struct xlb_health h;

	/* Its times from the wall clock to the monotonic one. */
	xlb_health_init(&h, now_ms);
	xlb_health_restore(&h, s, true, now_ms, now_wall_ms);
	k.s = *s;
	xlb_health_save(&h, now_ms, now_ms, &k.s);
	k.until_ms = now_ms + hold_ms;
	if (!k.s.down && k.s.hold_from_ms + (__s64)hold_ms < (__s64)now_ms)
		return;			/* its hold is over */
	kept_add(pr, &k);
}

bool prober_kept_holds(const struct prober *pr, const struct xlb_cfg_vip *vip,
		       const struct xlb_cfg_backend *be)
{
	struct xlb_cfg_probe p;
	long i;

	if (!pr->kept_nr)
		return false;
	probe_resolve(vip, be, &p);
	if (p.type == XLB_PROBE_NONE || !p.flap_changes)
		return false;
	i = kept_find(pr, &be->addr, &p,
		      kept_sig(&p, p.has_address ? &p.address : &be->addr, p.port));
	return i >= 0 && pr->kept[i].held;
}

/* A new target for a backend whose damping was kept: held again as it was
 * (with the hold left; down, it must come up first), or its changes counted. */
static void unkeep(struct prober *pr, struct probe_target *t, __u64 now)
{
	long i = kept_find(pr, &t->backend, &t->p, kept_sig(&t->p, &t->addr, t->port));
	struct probe_kept *k;

	if (i < 0)
		return;
	k = &pr->kept[i];
	if (t->p.flap_changes) {
		if (k->held) {
			xlb_health_restore(&t->health, &k->s, k->s.probe_key == xlb_probe_key(&t->p),
					   now, now);
			t->kept_restored = true;
		} else {
			struct xlb_health h;

			xlb_health_init(&h, now);
			xlb_health_restore(&h, &k->s, true, now, now);
			memcpy(t->health.change_ms, h.change_ms, sizeof(h.change_ms));
			t->health.change_nr = h.change_nr;
			t->health.change_pos = h.change_pos;
		}
	}
	kept_drop(pr, i);
}

static struct probe_target *new_target(struct prober *pr, const char *vip,
				       const union xlb_addr *backend, __u64 due)
{
	struct probe_target *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->vip, sizeof(t->vip), "%s", vip);
	t->backend = *backend;
	t->fd = -1;
	t->pr = pr;
	t->due_ms = due;
	xlb_health_init(&t->health, monotonic_ms());
	xlb_lat_init(&t->lat, monotonic_ms());
	t->in_last_healthy = true;
	if (sd_event_add_time(pr->event, &t->timer, CLOCK_MONOTONIC, due * 1000, 1000,
			      target_timer, t) < 0) {
		free(t);
		return NULL;
	}
	sd_event_source_set_priority(t->timer, XLB_PRIO_TIMER);
	return t;
}

int prober_sync(struct prober *pr, const struct xlb_cfg *cfg)
{
	__u64 now = monotonic_ms();
	struct probe_target **next;
	size_t v, b, i, n = 0, total = 0;
	bool *kept;

	for (v = 0; v < cfg->nr_vips; v++)
		total += cfg->vips[v].nr_backends;
	next = calloc(total ? total : 1, sizeof(*next));
	kept = calloc(pr->nr ? pr->nr : 1, sizeof(*kept));
	if (!next || !kept) {
		free(next);
		free(kept);
		return -ENOMEM;
	}
	/* The targets that go keep their damping first: one coming back in
	 * this same sync (its VIP renamed) finds it. */
	for (v = 0; v < cfg->nr_vips; v++)
		for (b = 0; b < cfg->vips[v].nr_backends; b++) {
			struct xlb_cfg_probe p;
			long old;

			probe_resolve(&cfg->vips[v], &cfg->vips[v].backends[b], &p);
			old = p.type == XLB_PROBE_NONE ? -1 :
			      find_index(pr, cfg->vips[v].name, &cfg->vips[v].backends[b].addr);
			if (old >= 0)
				kept[old] = true;
		}
	prober_kept_prune(pr, now);
	for (i = 0; i < pr->nr; i++)
		if (!kept[i])
			keep(pr, pr->targets[i], now);
	memset(kept, 0, pr->nr * sizeof(*kept));
	for (v = 0; v < cfg->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &cfg->vips[v];

		for (b = 0; b < vip->nr_backends; b++) {
			const struct xlb_cfg_backend *be = &vip->backends[b];
			struct xlb_cfg_probe p;
			struct probe_target *t;
			long old;

			probe_resolve(vip, be, &p);
			if (p.type == XLB_PROBE_NONE)
				continue;
			old = find_index(pr, vip->name, &be->addr);
			t = old < 0 ? NULL : pr->targets[old];
			if (t) {
				bool same = xlb_probe_judges_same(&t->p, &p);

				kept[old] = true;
				if (t->in_flight && (!same ||
				    t->p.latency_interval_ms != p.latency_interval_ms))
					release(t);
				/* A new probe: the changes the old one counted are
				 * forgotten, and a held backend stays held for a full
				 * hold under the new one. New damping settings alone
				 * apply to the count and hold as they stand. */
				if (!same)
					xlb_health_new_probe(&t->health, now);
			} else {
				/* Spread the first probes over one interval. */
				t = new_target(pr, vip->name, &be->addr, now + random() % p.interval_ms);
				if (!t)
					goto fail;
				t->lat_due_ms = t->due_ms;
				arm(t, t->due_ms);
			}
			t->p = p;
			t->addr = p.has_address ? p.address : be->addr;
			t->port = p.port;
			if (old < 0)
				unkeep(pr, t, now);
			next[n++] = t;
		}
	}
	for (i = 0; i < pr->nr; i++)
		if (!kept[i])
			target_free(pr->targets[i]);
	free(kept);
	free(pr->targets);
	qsort(next, n, sizeof(*next), target_sort);
	pr->targets = next;
	pr->nr = n;
	return 0;
fail:
	/* New targets not yet in pr->targets go (what was kept for them kept
	 * again); the old set stays, none of it kept. */
	for (i = 0; i < n; i++)
		if (!prober_find(pr, next[i]->vip, &next[i]->backend)) {
			keep(pr, next[i], now);
			target_free(next[i]);
		}
	for (i = 0; i < pr->nr; i++) {
		long k = kept_find(pr, &pr->targets[i]->backend, &pr->targets[i]->p,
				   kept_sig(&pr->targets[i]->p, &pr->targets[i]->addr,
					    pr->targets[i]->port));

		if (k >= 0)
			kept_drop(pr, k);
	}
	free(next);
	free(kept);
	return -ENOMEM;
}

int prober_init(struct prober *pr, sd_event *e, const struct stall_watch *stall,
		probe_change_fn fn, void *ctx)
{
	int err;

	memset(pr, 0, sizeof(*pr));
	pr->event = e;
	pr->stall = stall;
	pr->on_change = fn;
	pr->ctx = ctx;
	pr->late_window_start = monotonic_ms();
	srandom(monotonic_ms() ^ getpid());
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -EIO;
	pr->multi = curl_multi_init();
	if (!pr->multi)
		return -ENOMEM;
	err = sd_event_add_time(e, &pr->curl_timer, CLOCK_MONOTONIC, 0, 1000, curl_timer_event, pr);
	if (err < 0)
		return err;
	sd_event_source_set_enabled(pr->curl_timer, SD_EVENT_OFF);
	sd_event_source_set_priority(pr->curl_timer, XLB_PRIO_TIMER);
	curl_multi_setopt(pr->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(pr->multi, CURLMOPT_SOCKETDATA, pr);
	curl_multi_setopt(pr->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(pr->multi, CURLMOPT_TIMERDATA, pr);
	return 0;
}

void prober_fini(struct prober *pr)
{
	size_t i;

	for (i = 0; i < pr->nr; i++)
		target_free(pr->targets[i]);
	free(pr->targets);
	free(pr->kept);
	if (pr->multi)
		curl_multi_cleanup(pr->multi);
	sd_event_source_disable_unref(pr->curl_timer);
	curl_global_cleanup();
	memset(pr, 0, sizeof(*pr));
}
