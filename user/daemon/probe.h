/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Health probes, run by xlbd's own event loop: no thread per probe. TCP
 * connect, UDP send/expect and external commands are non-blocking fds (a
 * pidfd for commands) in the epoll set; HTTP and HTTPS go through libcurl's
 * multi-socket interface on the same loop. One timerfd starts probes when
 * due and ends them at their timeout.
 */
#ifndef XLBD_PROBE_H
#define XLBD_PROBE_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "event.h"
#include "health.h"

struct prober;

struct probe_target {
	char vip[XLB_NAME_MAX];
	union xlb_addr backend;		/* with vip: the identity */
	struct xlb_cfg_probe p;		/* resolved: defaults, VIP, backend */
	union xlb_addr addr;		/* where the probe goes */
	__u16 port;
	struct xlb_health health;
	bool in_last_healthy;		/* for the all_down: keep policy */
	bool seen;			/* mark and sweep on sync */

	__u64 due_ms;			/* next start, monotonic */
	__u64 deadline_ms;		/* while in flight */
	bool in_flight;
	int fd, pidfd;
	pid_t pid;
	void *curl;			/* CURL * while an HTTP(S) probe runs */
	void *curl_resolve;		/* its CURLOPT_RESOLVE list, kept as long */
	struct ev_handler ev;
	struct prober *pr;
};

typedef void (*probe_change_fn)(void *ctx, struct probe_target *t,
				enum xlb_health_change change);

struct prober {
	int epfd, timerfd;
	void *multi;			/* CURLM * */
	struct probe_target **targets;
	size_t nr, cap;
	probe_change_fn on_change;
	void *ctx;
	struct ev_handler timer_ev;
	__u64 curl_due_ms;		/* 0: curl wants no timer */
	/*
	 * Freed only between epoll batches: an event for an object freed by an
	 * earlier handler of the same batch must find it still there.
	 */
	void **garbage;
	size_t nr_garbage, cap_garbage;
	/* How late probes start: the measure of falling behind. */
	__u64 started, late_ms_max, late_ms_sum;
};

int prober_init(struct prober *pr, int epfd, probe_change_fn fn, void *ctx);
void prober_fini(struct prober *pr);
/*
 * Makes the targets match cfg: a backend whose probe is unchanged keeps its
 * health, new ones start up, gone ones are dropped (their probes ended).
 */
int prober_sync(struct prober *pr, const struct xlb_cfg *cfg);
/* Frees what handlers gave up during the last epoll batch. */
void prober_collect(struct prober *pr);
struct probe_target *prober_find(struct prober *pr, const char *vip,
				 const union xlb_addr *backend);
/* The probe settings a backend of a VIP gets (type NONE: not probed). */
void probe_resolve(const struct xlb_cfg_vip *vip, const struct xlb_cfg_backend *be,
		   struct xlb_cfg_probe *out);
const char *probe_type_name(enum xlb_probe_type t);
__u64 monotonic_ms(void);

#endif /* XLBD_PROBE_H */
