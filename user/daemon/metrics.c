// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus /metrics, served by libmicrohttpd on xlbd's own loop (its
 * epoll fd sits in ours), loopback by default. No number of clients can
 * delay probes or the control socket: libmicrohttpd's own limits bound
 * connections in total, per address and in time, and one rendered response
 * is cached for XLB_METRICS_CACHE_MS and shared by every scrape in that
 * time, so a thousand scrapers cost one render. Names follow the
 * Prometheus conventions (xlb_ prefix, _total on counters, ratios as 0..1);
 * labels follow node_exporter's IPVS collector where they overlap
 * (local_address, local_port, proto, remote_address, remote_port), so
 * dashboards built for IPVS carry over.
 *
 * A render never holds the loop (issue 27: 1.5 s at 90,000 backends). It
 * goes in two steps, one at a time however many scrape:
 *  1. the walk, on the loop: the numbers are copied out of xlbd's state
 *     into a snapshot of plain values, in slices of at most
 *     XLB_METRICS_SLICE_MS, from a deferred source below the clients'
 *     priority; between two slices the loop runs whatever else waits. The
 *     VIPs (names, keys) are copied first, a VIP's backends (addresses)
 *     when the walk comes to it, and each slice finds them again in the
 *     config in force by name and address: a reload between two slices
 *     cannot make a series twice or a label of one VIP on another's
 *     numbers; what it took away is left out.
 *  2. the text, in a thread, from the snapshot alone: it reads nothing of
 *     xlbd's but the backend counters map (struct snap's dp says why that
 *     is safe), and the loop touches the snapshot only after the thread
 *     said it is done (an eventfd) and was joined.
 * A scrape that finds no fresh render waits for the next, suspended in
 * libmicrohttpd (it still counts against the connection limits), and is
 * resumed with it. The page goes out XLB_METRICS_SEND_BLOCK a client at a
 * turn of the loop, below the clients' priority, and a big one is freed in
 * a thread. 'metrics: { backends: aggregate | none }' leaves the
 * per-backend series out.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <microhttpd.h>

#include "addr.h"
#include "announce.h"
#include "fingerprints.h"
#include "health.h"
#include "health_apply.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "xlbd.h"

/* ---- The snapshot: what a render needs, as plain values. ---- */

struct snap_lat {
	__u64 bucket[XLB_LAT_PHASES][XLB_LAT_BUCKETS + 1];
	__u64 count[XLB_LAT_PHASES];
	double sum_s[XLB_LAT_PHASES];
};

struct snap_be {
	union xlb_addr addr;
	__u64 packets, bytes, flows;
	double table, expected, observed, observed_packets;
	__u32 weight, weight_in_force;
	__u32 id;			/* its counters' slot in the data path */
	__u32 lat;			/* 1 + its index in lats; 0: no probe answered */
	size_t label_at;		/* the text's: where its labels are */
	bool found, up, flapping, skew;
	enum xlb_skew_cause cause;
};

struct snap_vip {
	char name[XLB_NAME_MAX];
	struct xlb_vip_key key;
	struct snap_be *be;		/* its backends, as they were when the walk came to it */
	size_t nr;
	bool found;			/* in force when it was read */
	struct xlb_vip_stats st;
	struct xlb_dp_table_info ti;
	bool has_ti, has_fp, announced;
	enum xlb_diag_kind diag;
	struct xlb_fp fp;
	__u32 backends, up, flapping, skewed;	/* over its backends found */
	__u32 lat;			/* 1 + the index in lats of its backends' sum */
	long shift;			/* where the walk last found a backend, less where it looked */
};

struct snap {
	enum xlb_metrics_backends mode;
	__u64 start_ms;
	long long applied;
	size_t changes;
	size_t nr_ifaces;
	char iface[XLB_MAX_IFACES][IF_NAMESIZE];
	bool attached[XLB_MAX_IFACES];
	__u64 stalls, journal_errors, probes_unknown;
	struct xlb_dp_moved_stats moved;
	bool has_reason[XLB_R_MAX];
	struct xlb_counter reason[XLB_R_MAX];
	bool announce;
	enum node_state node;
	struct snap_vip *vips;
	size_t nr_vips, nr_bes;
	struct snap_lat *lats;
	size_t nr_lats, cap_lats;
	bool failed;			/* out of memory: no render */
	/*
	 * Where the thread reads every backend's counters (mode all): 54 ms
	 * at 200,000 slots, too long for a slice. It touches no more of
	 * xlbd's state than the map's fd and size, set when the data path is
	 * loaded at the start and never changed while xlbd runs; and
	 * metrics_stop, before the data path is closed, waits for the thread.
	 */
	struct xlb_dp *dp;
	/* Where the walk goes on. */
	bool begun;
	size_t v, b;
	bool vip_begun;
};

/* What the thread makes from a snapshot; it touches nothing else. */
struct job {
	struct snap *s;
	char *body;
	size_t len;
	__u64 format_us;
	int done_fd;
	atomic_bool *stop;
};

/* A response shared by every request until it is XLB_METRICS_CACHE_MS old. */
struct page {
	const char *url, *type;
	char *(*render)(struct xlbd *x, size_t *len);	/* NULL: /metrics, in steps */
	struct MHD_Response *cached;
	__u64 cached_ms;
};

enum render_state { R_IDLE, R_WALK, R_TEXT };

/* The last render's costs, for status. */
struct render_cost {
	__u64 bytes, total_us, loop_us, slice_us_max, slices, format_us;
};

struct metrics {
	struct xlbd *x;
	struct MHD_Daemon *httpd;
	sd_event_source *io, *timer, *again, *slice, *done;
	int done_fd;
	struct page pages[2];		/* /metrics, /fingerprints */
	__u64 renders, scrapes;
	bool stopping;
	/* /metrics' render under way: one at a time. */
	enum render_state state;
	struct snap *snap;
	struct job job;
	pthread_t thread;
	bool thread_running, thread_warned;
	atomic_bool stop_thread;
	__u64 started_us;
	struct render_cost cur, last;
	__u64 slice_us_max;		/* ever */
	__u64 http_us_max;		/* the longest turn of libmicrohttpd (sending, say), ever */
	/* Scrapes suspended until it is done (bounded by the connection limit). */
	struct MHD_Connection *waiting[XLB_METRICS_MAX_CONNS];
	size_t nr_waiting;
};

static void snap_free(struct snap *s)
{
	size_t v;

	if (!s)
		return;
	for (v = 0; v < s->nr_vips; v++)
		free(s->vips[v].be);
	free(s->vips);
	free(s->lats);
	free(s);
}

/* A new histogram in the snapshot, all zero; 0 when out of memory. */
static __u32 lat_new(struct snap *s)
{
	if (s->nr_lats == s->cap_lats) {
		size_t cap = s->cap_lats ? 2 * s->cap_lats : 64;
		struct snap_lat *l = realloc(s->lats, cap * sizeof(*l));

		if (!l) {
			s->failed = true;
			return 0;
		}
		s->lats = l;
		s->cap_lats = cap;
	}
	memset(&s->lats[s->nr_lats], 0, sizeof(s->lats[0]));
	return ++s->nr_lats;
}

static void lat_add(struct snap_lat *to, const struct xlb_latency *lat)
{
	enum xlb_lat_phase ph;
	size_t k;

	for (ph = 0; ph < XLB_LAT_PHASES; ph++) {
		if (!lat->count[ph])
			continue;
		for (k = 0; k <= XLB_LAT_BUCKETS; k++)
			to->bucket[ph][k] += lat->bucket[ph][k];
		to->count[ph] += lat->count[ph];
		to->sum_s[ph] += lat->sum_s[ph];
	}
}

static bool lat_any(const struct xlb_latency *lat)
{
	enum xlb_lat_phase ph;

	for (ph = 0; ph < XLB_LAT_PHASES; ph++)
		if (lat->count[ph])
			return true;
	return false;
}

/* The start of a walk: the scalars, and the VIPs as they are now, by name and key. */
static struct snap *snap_begin(struct xlbd *x)
{
	const struct xlb_cfg *cfg = x->effective;
	struct prober_summary ps;
	struct snap *s = calloc(1, sizeof(*s));
	size_t v;
	__u32 r;

	if (!s)
		return NULL;
	s->mode = x->base->metrics_backends;
	s->start_ms = monotonic_ms();
	s->applied = x->applied;
	s->changes = x->ov.nr;
	for (size_t i = 0; i < x->nr_watched && i < XLB_MAX_IFACES; i++, s->nr_ifaces++) {
		snprintf(s->iface[i], sizeof(s->iface[i]), "%s", x->base->ifaces[i].name);
		s->attached[i] = link_watch_attached(x->ifaces[i].watch);
	}
	s->stalls = x->stall.stalls;
	s->journal_errors = x->journal.write_errors;
	prober_summary(&x->pr, &ps);
	s->probes_unknown = ps.unknown;
	xlb_dp_moved_stats(x->dp, &s->moved);
	for (r = 0; r < XLB_R_MAX; r++)
		s->has_reason[r] = !xlb_dp_reason_stats(x->dp, r, &s->reason[r]);
	s->announce = announce_enabled(x);
	s->node = announce_node_state(x);
	s->vips = calloc(cfg->nr_vips ? cfg->nr_vips : 1, sizeof(*s->vips));
	if (!s->vips) {
		free(s);
		return NULL;
	}
	s->nr_vips = cfg->nr_vips;
	for (v = 0; v < cfg->nr_vips; v++) {
		memcpy(s->vips[v].name, cfg->vips[v].name, sizeof(s->vips[v].name));
		s->vips[v].key = cfg->vips[v].key;
	}
	if (s->mode == XLB_METRICS_BACKENDS_ALL)
		s->dp = x->dp;
	return s;
}

/* The VIP of the snapshot in the config in force; NULL if it went. */
static struct xlb_cfg_vip *live_vip(struct xlbd *x, const struct snap_vip *sv)
{
	struct xlb_cfg_vip *vip = xlb_cfg_find_vip(x->effective, sv->name);

	if (!vip || xlb_addr_cmp(&vip->key.addr, &sv->key.addr) || vip->key.port != sv->key.port ||
	    vip->key.proto != sv->key.proto)
		return NULL;
	return vip;
}

/* A VIP's own numbers, and its backends' addresses: what the walk reads next. */
static void read_vip(struct xlbd *x, struct snap *s, struct snap_vip *sv,
		     const struct xlb_cfg_vip *vip)
{
	const struct vip_monitor *vm = monitor_vip(x, vip->name);
	__u32 id = xlbd_vip_id(x, vip);
	size_t b;

	sv->be = calloc(vip->nr_backends ? vip->nr_backends : 1, sizeof(*sv->be));
	if (!sv->be) {
		s->failed = true;
		return;
	}
	sv->nr = vip->nr_backends;
	s->nr_bes += sv->nr;
	for (b = 0; b < sv->nr; b++)
		sv->be[b].addr = vip->backends[b].addr;
	sv->found = true;
	memset(&sv->st, 0, sizeof(sv->st));
	xlb_dp_vip_stats(x->dp, id, &sv->st);
	sv->has_ti = xlb_dp_table_info(x->dp, id, &sv->ti);
	sv->diag = vm ? vm->diag.kind : XLB_DIAG_INSUFFICIENT;
	sv->has_fp = vm && vm->fp_ms;
	if (sv->has_fp)
		sv->fp = vm->fp;
	sv->announced = s->announce && announce_vip_announced(x, vip);
}

/* Backend b of the snapshot's VIP in the live one: where it was, or moved by as much as the last. */
static long live_backend(struct snap_vip *sv, const struct xlb_cfg_vip *vip, size_t b,
			 const union xlb_addr *addr)
{
	long at[2] = { (long)b + sv->shift, (long)b };
	size_t i;

	for (i = 0; i < 2; i++)
		if (at[i] >= 0 && (size_t)at[i] < vip->nr_backends &&
		    !xlb_addr_cmp(&vip->backends[at[i]].addr, addr))
			return at[i];
	for (i = 0; i < vip->nr_backends; i++) {
		if (!xlb_addr_cmp(&vip->backends[i].addr, addr)) {
			sv->shift = (long)i - (long)b;
			return i;
		}
	}
	return -1;
}

static void read_backend(struct xlbd *x, struct snap *s, struct snap_vip *sv,
			 const struct xlb_cfg_vip *vip, const struct xlb_vip_plan *plan, size_t b)
{
	struct snap_be *e = &sv->be[b];
	long i = live_backend(sv, vip, b, &e->addr);
	const struct xlb_cfg_backend *be;
	const struct xlb_skew_backend *sk;
	const struct probe_target *t;
	__u32 slots, mm;

	e->found = i >= 0 && (size_t)i < plan->nr;
	if (!e->found)
		return;
	be = &vip->backends[i];
	sk = monitor_backend(x, vip->name, i, &be->addr);
	e->skew = sk && sk->raised;
	e->cause = e->skew ? sk->cause : 0;
	sv->skewed += e->skew;
	sv->backends++;
	if (s->mode == XLB_METRICS_BACKENDS_NONE)
		return;
	t = prober_find(&x->pr, vip->name, &be->addr);
	e->up = !plan->be[i].health_down;
	e->flapping = t && t->health.flapping;
	sv->up += e->up;
	sv->flapping += e->flapping;
	if (t && lat_any(&t->lat)) {
		if (!sv->lat)
			sv->lat = lat_new(s);
		if (sv->lat)
			lat_add(&s->lats[sv->lat - 1], &t->lat);
		if (s->mode == XLB_METRICS_BACKENDS_ALL) {
			e->lat = lat_new(s);
			if (e->lat)
				lat_add(&s->lats[e->lat - 1], &t->lat);
		}
	}
	if (s->mode != XLB_METRICS_BACKENDS_ALL)
		return;
	e->id = xlbd_backend_id(x, vip, be);
	e->weight = be->weight;
	slots = monitor_table_slots(x, vip->name, i, &be->addr, &mm);
	e->table = mm ? (double)slots / mm : 0;
	e->expected = plan->be[i].expected_share;
	e->observed = sk ? sk->observed : 0;
	e->observed_packets = sk ? sk->observed_packets : 0;
	e->weight_in_force = plan->be[i].weight;
}

/* Time to give the loop back? Looked at every 32 steps. */
static bool slice_over(unsigned int *steps, __u64 until_us)
{
	return !(++*steps % 32) && monotonic_us() >= until_us;
}

/* One slice of the walk; true when it is done. */
static bool walk(struct xlbd *x, struct snap *s, __u64 until_us)
{
	unsigned int steps = 0;

	for (; s->v < s->nr_vips; s->v++, s->b = 0, s->vip_begun = false) {
		struct snap_vip *sv = &s->vips[s->v];
		const struct xlb_cfg_vip *vip;
		const struct xlb_vip_plan *plan;

		if (slice_over(&steps, until_us))
			return false;
		vip = live_vip(x, sv);
		if (!vip) {
			sv->found = false;	/* taken away by a change: left out */
			continue;
		}
		if (!s->vip_begun) {
			read_vip(x, s, sv, vip);
			s->vip_begun = true;
			if (s->failed)
				return true;
		}
		plan = &x->plans[vip - x->effective->vips];
		for (; s->b < sv->nr; s->b++) {
			if (slice_over(&steps, until_us))
				return false;
			read_backend(x, s, sv, vip, plan, s->b);
		}
	}
	return true;
}

/* ---- The text, from the snapshot alone (the thread's part). ---- */

struct out {
	char *p;
	size_t len, cap;
	bool failed;
};

static bool out_room(struct out *o, size_t n)
{
	if (o->failed)
		return false;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 65536;
		char *p;

		while (o->len + n + 1 > cap)
			cap *= 2;
		p = realloc(o->p, cap);
		if (!p) {
			o->failed = true;
			return false;
		}
		o->p = p;
		o->cap = cap;
	}
	return true;
}

static void put(struct out *o, const char *s, size_t n)
{
	if (!out_room(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u64(struct out *o, unsigned long long v)
{
	char buf[24], *p = buf + sizeof(buf);

	do
		*--p = '0' + v % 10;
	while (v /= 10);
	put(o, p, buf + sizeof(buf) - p);
}

/* As "%.17g" prints it; whole numbers the short way, to the same text. */
static void put_double(struct out *o, double d)
{
	char buf[40];
	int n;

	if (d >= 0 && d < 1e15 && d == (double)(unsigned long long)d) {
		put_u64(o, (unsigned long long)d);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.17g", d);
	put(o, buf, n > 0 ? (size_t)n : 0);
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	putf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels extra} value, with an integer value. */
static void line_u64(struct out *o, const char *name, const char *labels, const char *extra,
		     unsigned long long v)
{
	puts_(o, name);
	put(o, "{", 1);
	puts_(o, labels);
	if (extra)
		puts_(o, extra);
	put(o, "} ", 2);
	put_u64(o, v);
	put(o, "\n", 1);
}

static void escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* The labels, made once: a VIP's, and each backend's (the VIP's and its own). */
struct labels {
	struct out vip, be;
	size_t *vip_at;
};

static bool labels_make(struct snap *s, struct labels *l)
{
	char name[2 * XLB_NAME_MAX], a[XLB_ADDR_STRLEN];
	size_t v, b;

	memset(l, 0, sizeof(*l));
	l->vip_at = calloc(s->nr_vips ? s->nr_vips : 1, sizeof(*l->vip_at));
	if (!l->vip_at)
		return false;
	for (v = 0; v < s->nr_vips; v++) {
		const struct snap_vip *sv = &s->vips[v];
		size_t at;

		l->vip_at[v] = l->vip.len;
		escape(sv->name, name, sizeof(name));
		putf(&l->vip, "vip=\"%s\",local_address=\"%s\",local_port=\"%u\",proto=\"%s\"", name,
		     xlb_addr_str(&sv->key.addr, a, sizeof(a)), ntohs(sv->key.port),
		     sv->key.proto == IPPROTO_UDP ? "UDP" : "TCP");
		at = l->vip_at[v];
		put(&l->vip, "", 1);	/* its NUL, kept */
		if (s->mode != XLB_METRICS_BACKENDS_ALL || !sv->found)
			continue;
		for (b = 0; b < sv->nr; b++) {
			struct snap_be *e = &sv->be[b];

			if (!e->found)
				continue;
			e->label_at = l->be.len;
			puts_(&l->be, l->vip.p + at);
			putf(&l->be, ",remote_address=\"%s\",remote_port=\"%u\"",
			     xlb_addr_str(&e->addr, a, sizeof(a)), ntohs(sv->key.port));
			put(&l->be, "", 1);
		}
	}
	return !l->vip.failed && !l->be.failed;
}

static void labels_free(struct labels *l)
{
	free(l->vip.p);
	free(l->be.p);
	free(l->vip_at);
}

#define VL(l, v)	((l)->vip.p + (l)->vip_at[v])
#define BL(l, e)	((l)->be.p + (e)->label_at)

/* A histogram of probe times per phase: bucket lines, sum and count. */
static void lat_lines(struct out *o, const char *name, const char *labels,
		      const struct snap_lat *lat)
{
	enum xlb_lat_phase ph;
	char extra[96];
	size_t k;
	__u64 cum;

	for (ph = 0; ph < XLB_LAT_PHASES; ph++) {
		const char *pn = xlb_lat_phase_name(ph);

		if (!lat->count[ph])
			continue;
		for (k = 0, cum = 0; k <= XLB_LAT_BUCKETS; k++) {
			char bl[32];

			cum += lat->bucket[ph][k];
			if (k < XLB_LAT_BUCKETS)
				snprintf(bl, sizeof(bl), "%g", xlb_lat_bounds[k]);
			snprintf(extra, sizeof(extra), ",phase=\"%s\",le=\"%s\"", pn,
				 k < XLB_LAT_BUCKETS ? bl : "+Inf");
			puts_(o, name);
			line_u64(o, "_bucket", labels, extra, cum);
		}
		puts_(o, name);
		putf(o, "_sum{%s,phase=\"%s\"} %.9g\n", labels, pn, lat->sum_s[ph]);
		snprintf(extra, sizeof(extra), ",phase=\"%s\"", pn);
		puts_(o, name);
		line_u64(o, "_count", labels, extra, lat->count[ph]);
	}
}

static bool stopped(atomic_bool *stop)
{
	return stop && atomic_load_explicit(stop, memory_order_relaxed);
}

static void backend_text(const struct snap *s, const struct labels *l, struct out *o,
			 atomic_bool *stop)
{
	static const struct { const char *name, *type, *help; } fams[] = {
		{ "xlb_backend_packets_total", "counter", "Packets forwarded to the backend." },
		{ "xlb_backend_bytes_total", "counter", "Bytes forwarded to the backend (as received)." },
		{ "xlb_backend_new_flows_total", "counter", "New flows given to the backend." },
		{ "xlb_backend_weight", "gauge", "Weight in force (config and runtime changes)." },
		{ "xlb_backend_up", "gauge", "1 if the backend's probes say it is healthy." },
		{ "xlb_backend_table_share", "gauge", "Share of the programmed Maglev table (0..1)." },
		{ "xlb_backend_expected_share", "gauge", "Share of new flows its weight asks for (0..1)." },
		{ "xlb_backend_observed_share", "gauge", "Share of the VIP's new flows in the skew window (0..1)." },
		{ "xlb_backend_observed_packet_share", "gauge", "Share of the VIP's packets in the skew window (0..1)." },
		{ "xlb_backend_weight_in_force", "gauge", "Weight the table is built with now: less than xlb_backend_weight during a slow start." },
		{ "xlb_backend_flapping", "gauge", "1 while the backend is held out as flapping." },
	};
	char cause[96];
	size_t f, v, b;

	for (f = 0; f < ARRAY_SIZE(fams); f++) {
		family(o, fams[f].name, fams[f].type, fams[f].help);
		for (v = 0; v < s->nr_vips && !stopped(stop); v++) {
			const struct snap_vip *sv = &s->vips[v];

			for (b = 0; sv->found && b < sv->nr; b++) {
				const struct snap_be *e = &sv->be[b];
				double val;

				if (!e->found)
					continue;
				switch (f) {
				case 0: val = e->packets; break;
				case 1: val = e->bytes; break;
				case 2: val = e->flows; break;
				case 3: val = e->weight; break;
				case 4: val = e->up; break;
				case 5: val = e->table; break;
				case 6: val = e->expected; break;
				case 7: val = e->observed; break;
				case 8: val = e->observed_packets; break;
				case 9: val = e->weight_in_force; break;
				default: val = e->flapping; break;
				}
				puts_(o, fams[f].name);
				put(o, "{", 1);
				puts_(o, BL(l, e));
				put(o, "} ", 2);
				/* Counters exact as integers; the rest as before, "%.17g". */
				if (f <= 2)
					put_u64(o, f == 0 ? e->packets : f == 1 ? e->bytes : e->flows);
				else
					put_double(o, val);
				put(o, "\n", 1);
			}
		}
	}
	family(o, "xlb_backend_skew", "gauge",
	       "1 while the backend's share is skewed; cause: configuration, data path, traffic concentration or none.");
	for (v = 0; v < s->nr_vips && !stopped(stop); v++) {
		const struct snap_vip *sv = &s->vips[v];

		for (b = 0; sv->found && b < sv->nr; b++) {
			const struct snap_be *e = &sv->be[b];

			if (!e->found)
				continue;
			snprintf(cause, sizeof(cause), ",cause=\"%s\"",
				 e->skew ? xlb_skew_cause_name(e->cause) : "none");
			line_u64(o, "xlb_backend_skew", BL(l, e), cause, e->skew);
		}
	}
	family(o, "xlb_backend_probe_duration_seconds", "histogram",
	       "Probe times of the backend: connect, first_byte (HTTP) and total.");
	for (v = 0; v < s->nr_vips && !stopped(stop); v++) {
		const struct snap_vip *sv = &s->vips[v];

		for (b = 0; sv->found && b < sv->nr; b++) {
			const struct snap_be *e = &sv->be[b];

			if (e->found && e->lat)
				lat_lines(o, "xlb_backend_probe_duration_seconds",
					  BL(l, e), &s->lats[e->lat - 1]);
		}
	}
}

static void vip_text(const struct snap *s, const struct labels *l, struct out *o)
{
	static const char *const names[] = {
		"xlb_vip_packets_total", "xlb_vip_bytes_total", "xlb_vip_new_flows_total",
		"xlb_vip_dropped_packets_total", "xlb_vip_skewed_backends",
	};
	static const char *const helps[] = {
		"Packets received for the VIP.", "Bytes received for the VIP.",
		"New flows of the VIP.",
		"Packets of the VIP dropped because no backend could take them.",
		"Backends of the VIP whose share is skewed now (0: in line).",
	};
	size_t i, v;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		family(o, names[i], i < 4 ? "counter" : "gauge", helps[i]);
		for (v = 0; v < s->nr_vips; v++) {
			const struct snap_vip *sv = &s->vips[v];

			if (sv->found)
				line_u64(o, names[i], VL(l, v), NULL,
					 i == 0 ? sv->st.packets : i == 1 ? sv->st.bytes :
					 i == 2 ? sv->st.new_flows : i == 3 ? sv->st.no_backend :
					 sv->skewed);
		}
	}
}

/* What the per-backend series add up to per VIP (backends: all and aggregate). */
static void aggregate_text(const struct snap *s, const struct labels *l, struct out *o)
{
	static const char *const names[] = {
		"xlb_vip_backends", "xlb_vip_backends_up", "xlb_vip_backends_flapping",
	};
	static const char *const helps[] = {
		"Backends of the VIP (config and runtime changes).",
		"Backends of the VIP whose probes say they are healthy (the sum of xlb_backend_up).",
		"Backends of the VIP held out as flapping (the sum of xlb_backend_flapping).",
	};
	size_t i, v;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		family(o, names[i], "gauge", helps[i]);
		for (v = 0; v < s->nr_vips; v++) {
			const struct snap_vip *sv = &s->vips[v];

			if (sv->found)
				line_u64(o, names[i], VL(l, v), NULL,
					 i == 0 ? sv->backends : i == 1 ? sv->up : sv->flapping);
		}
	}
	family(o, "xlb_vip_probe_duration_seconds", "histogram",
	       "Probe times of the VIP's backends together: connect, first_byte (HTTP) and total.");
	for (v = 0; v < s->nr_vips; v++)
		if (s->vips[v].found && s->vips[v].lat)
			lat_lines(o, "xlb_vip_probe_duration_seconds", VL(l, v),
				  &s->lats[s->vips[v].lat - 1]);
}

/*
 * How much of a VIP's table keeps no flow state (table_state.c): its
 * slots whose packets look for a record, and whether it keeps an old table.
 */
static void table_state_text(const struct snap *s, const struct labels *l, struct out *o)
{
	static const char *const names[] = {
		"xlb_vip_consistent", "xlb_vip_lookup_slots", "xlb_vip_table_slots",
		"xlb_vip_old_table",
	};
	static const char *const help[] = {
		"1 while no slot of the VIP's table needs a flow lookup: every packet is sent by the table alone (0 after a change moved slots, until the flows on them have been recorded and let go).",
		"Slots of the VIP's table whose packets look for the flow's record (a change moved them, or flows recorded there live on).",
		"Slots of the VIP's table.",
		"1 while the VIP keeps the table from before its last changes for the flows that were there (TCP; for tcp_idle_timeout after the last change that moved a slot).",
	};
	size_t i, v;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		family(o, names[i], "gauge", help[i]);
		for (v = 0; v < s->nr_vips; v++) {
			const struct snap_vip *sv = &s->vips[v];
			const struct xlb_dp_table_info *in = &sv->ti;

			if (sv->found && sv->has_ti)
				line_u64(o, names[i], VL(l, v), NULL,
					 i == 0 ? !in->look : i == 1 ? in->look : i == 2 ? in->m : !!in->m_o);
		}
	}
}

/* One series per verdict kind, 1 for the one in force. */
static void diagnosis_text(const struct snap *s, const struct labels *l, struct out *o)
{
	enum xlb_diag_kind k;
	char extra[64];
	size_t v;

	family(o, "xlb_vip_diagnosis", "gauge",
	       "1 for the VIP's verdict in force: none, insufficient, overload (by the balancer), shared (dependency) or sick (backend).");
	for (v = 0; v < s->nr_vips; v++) {
		if (!s->vips[v].found)
			continue;
		for (k = 0; k < XLB_DIAG_KINDS; k++) {
			snprintf(extra, sizeof(extra), ",kind=\"%s\"", xlb_diag_kind_name(k));
			line_u64(o, "xlb_vip_diagnosis", VL(l, v), extra, k == s->vips[v].diag);
		}
	}
}

/*
 * The table fingerprint as an info metric: nodes of a site that disagree
 * on a VIP send one flow to different backends (alerts.yml compares them).
 */
static void fingerprint_text(const struct snap *s, const struct labels *l, struct out *o)
{
	char d[XLB_FP_STRLEN], c[XLB_FP_STRLEN], t[XLB_FP_STRLEN];
	size_t v;

	family(o, "xlb_vip_table_fingerprint", "gauge",
	       "1, labelled with the digest of the VIP's table and what it is built from: equal on every node of an ECMP group ('xlbctl compare' says where they differ).");
	for (v = 0; v < s->nr_vips; v++) {
		const struct snap_vip *sv = &s->vips[v];

		if (!sv->found || !sv->has_fp)
			continue;
		putf(o, "xlb_vip_table_fingerprint{%s,fingerprint=\"%s\",config=\"%s\",table=\"%s\"} 1\n",
		     VL(l, v), xlb_fp_str(sv->fp.digest, d), xlb_fp_str(sv->fp.config, c),
		     xlb_fp_str(sv->fp.table, t));
	}
}

/* Only with 'announce:': what this node tells the routers. */
static void announce_text(const struct snap *s, const struct labels *l, struct out *o)
{
	enum node_state st;
	size_t v;

	if (!s->announce)
		return;
	family(o, "xlb_vip_announced", "gauge",
	       "1 while the VIP's address is announced (a route for BIRD to export): the node can serve it.");
	for (v = 0; v < s->nr_vips; v++)
		if (s->vips[v].found)
			line_u64(o, "xlb_vip_announced", VL(l, v), NULL, s->vips[v].announced);
	family(o, "xlb_node_state", "gauge",
	       "1 for the node's state: serving, draining (withdrawn, still forwarding) or drained.");
	for (st = NODE_SERVING; st <= NODE_DRAINED; st++)
		putf(o, "xlb_node_state{state=\"%s\"} %d\n", node_state_name(st), st == s->node);
}

static void reason_text(const struct snap *s, struct out *o)
{
	__u32 r;

	family(o, "xlb_packets_total", "counter",
	       "Packets by what the data path did with them (verdict reasons and LRU events).");
	for (r = 0; r < XLB_R_MAX; r++)
		if (s->has_reason[r])
			putf(o, "xlb_packets_total{reason=\"%s\"} %llu\n", xlb_reason_name(r),
			     (unsigned long long)s->reason[r].packets);
	family(o, "xlb_bytes_total", "counter", "Bytes by verdict reason.");
	for (r = 0; r < XLB_R_VERDICT_MAX; r++)
		if (s->has_reason[r])
			putf(o, "xlb_bytes_total{reason=\"%s\"} %llu\n", xlb_reason_name(r),
			     (unsigned long long)s->reason[r].bytes);
}

static void moved_text(const struct snap *s, struct out *o)
{
	family(o, "xlb_moved_flows", "gauge",
	       "Flows held apart from the connection table because their backend is no longer the table's choice (draining, or their slot moved); a flood cannot evict them.");
	putf(o, "xlb_moved_flows %u\n", s->moved.held);
	family(o, "xlb_moved_flows_capacity", "gauge", "Entries the moved-flow table has room for.");
	putf(o, "xlb_moved_flows_capacity %u\n", s->moved.capacity);
	family(o, "xlb_moved_flows_refused_total", "counter",
	       "Flows that should have been held but found the moved-flow table full.");
	putf(o, "xlb_moved_flows_refused_total %llu\n", (unsigned long long)s->moved.refused);
}

/* Every backend's counters in one read (the thread's): none, and they show 0. */
static void read_counters(struct snap *s)
{
	struct xlb_backend_stats *all = NULL;
	__u32 nr = 0;
	size_t v, b;

	if (!s->dp || xlb_dp_backend_stats_all(s->dp, &all, &nr))
		return;
	for (v = 0; v < s->nr_vips; v++) {
		for (b = 0; b < s->vips[v].nr; b++) {
			struct snap_be *e = &s->vips[v].be[b];

			if (e->found && e->id < nr) {
				e->packets = all[e->id].packets;
				e->bytes = all[e->id].bytes;
				e->flows = all[e->id].new_flows;
			}
		}
	}
	free(all);
}

/* The whole page from the snapshot; NULL when out of memory or stopped. */
static char *snap_text(struct snap *s, size_t *len, atomic_bool *stop)
{
	struct labels l = {};
	struct out o = {};
	size_t i;

	*len = 0;
	read_counters(s);
	if (s->failed || !labels_make(s, &l)) {
		labels_free(&l);
		return NULL;
	}
	/* About what it will take (1.7 kB a backend with every series): fewer reallocs. */
	out_room(&o, 65536 + s->nr_vips * 2048 +
		     (s->mode == XLB_METRICS_BACKENDS_ALL ? s->nr_bes * 2048 : 0));
	family(&o, "xlb_build_info", "gauge", "xlb's version, always 1.");
	putf(&o, "xlb_build_info{version=\"%s\"} 1\n", XLB_VERSION);
	family(&o, "xlb_config_applied_timestamp_seconds", "gauge",
	       "When the running config was applied (Unix time).");
	putf(&o, "xlb_config_applied_timestamp_seconds %lld\n", s->applied);
	family(&o, "xlb_runtime_changes", "gauge",
	       "Runtime changes laid over the config (xlbctl diff lists them).");
	putf(&o, "xlb_runtime_changes %zu\n", s->changes);
	family(&o, "xlb_interface_attached", "gauge",
	       "1 while xlb's XDP program is attached to the configured interface.");
	for (i = 0; i < s->nr_ifaces; i++)
		putf(&o, "xlb_interface_attached{interface=\"%s\"} %d\n", s->iface[i], s->attached[i]);
	family(&o, "xlb_daemon_stalls_total", "counter",
	       "Times xlbd itself did not run for longer than its stall bound.");
	putf(&o, "xlb_daemon_stalls_total %llu\n", (unsigned long long)s->stalls);
	family(&o, "xlb_journal_write_errors_total", "counter",
	       "Events that could not be written to the event journal (disk full, unwritable).");
	putf(&o, "xlb_journal_write_errors_total %llu\n", (unsigned long long)s->journal_errors);
	family(&o, "xlb_probes_unknown_total", "counter",
	       "Probes xlbd could not run (its own problem, not the backends').");
	putf(&o, "xlb_probes_unknown_total %llu\n", (unsigned long long)s->probes_unknown);
	moved_text(s, &o);
	table_state_text(s, &l, &o);
	reason_text(s, &o);
	vip_text(s, &l, &o);
	if (s->mode != XLB_METRICS_BACKENDS_NONE)
		aggregate_text(s, &l, &o);
	if (s->mode == XLB_METRICS_BACKENDS_ALL)
		backend_text(s, &l, &o, stop);
	diagnosis_text(s, &l, &o);
	fingerprint_text(s, &l, &o);
	announce_text(s, &l, &o);
	labels_free(&l);
	if (o.failed || stopped(stop)) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	__u64 one = 1, t0 = monotonic_us();

	j->body = snap_text(j->s, &j->len, j->stop);
	j->format_us = monotonic_us() - t0;
	if (write(j->done_fd, &one, sizeof(one)) != sizeof(one)) {
		/* An eventfd write fails only on overflow: never with one job. */
	}
	return NULL;
}

/* The thread yields to the loop when both want a CPU. */
static void *job_thread(void *arg)
{
	if (setpriority(PRIO_PROCESS, syscall(SYS_gettid), 10)) {
		/* Not allowed: it runs at the loop's priority, as it would on the loop. */
	}
	return job_run(arg);
}

/* ---- The page as a response: sent a block at a time, freed off the loop. ---- */

struct body {
	char *p;
	size_t len;
	const bool *stopping;		/* the metrics': then freed at once */
};

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct body *b = cls;
	size_t n;

	if (pos >= b->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = b->len - pos < max ? b->len - pos : max;
	memcpy(buf, b->p + pos, n);
	return n;
}

static void *body_free_thread(void *arg)
{
	struct body *b = arg;

	free(b->p);
	free(b);
	return NULL;
}

/*
 * When the last scrape of a page is done with it. Giving 175 MB back to
 * the kernel takes 13 ms: a page that big goes in a thread of its own.
 */
static void body_free(void *cls)
{
	struct body *b = cls;
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int err = -1;

	if (b->len >= 8u << 20 && !*b->stopping && !pthread_attr_init(&attr)) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		err = pthread_create(&t, &attr, body_free_thread, b);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
	}
	if (err)
		body_free_thread(b);
}

/* The page's response, which owns it from now on (NULL: not made, still the caller's). */
static struct MHD_Response *body_response(struct metrics *m, char *p, size_t len)
{
	struct body *b = malloc(sizeof(*b));
	struct MHD_Response *r;

	if (!b)
		return NULL;
	*b = (struct body){ .p = p, .len = len, .stopping = &m->stopping };
	r = MHD_create_response_from_callback(len, XLB_METRICS_SEND_BLOCK, body_read, b, body_free);
	if (!r)
		free(b);
	return r;
}

/* ---- The render's steps on the loop. ---- */

/* The walk is done: the text is made in a thread (on the loop if none can start). */
static void text_start(struct metrics *m)
{
	sigset_t all, old;
	int err;

	m->state = R_TEXT;
	m->job = (struct job){ .s = m->snap, .done_fd = m->done_fd, .stop = &m->stop_thread };
	/* Signals stay with the loop (sd-event's signal sources). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&m->thread, NULL, job_thread, &m->job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		if (!m->thread_warned)
			pr_warn("Couldn't start a thread for /metrics: %s; its text is made on the loop\n",
				strerror(err));
		m->thread_warned = true;
		job_run(&m->job);
		return;
	}
	m->thread_running = true;
}

static int on_slice(sd_event_source *src, void *userdata)
{
	struct metrics *m = userdata;
	__u64 t0 = monotonic_us(), dt;
	bool done;

	(void)src;
	if (!m->snap->begun) {
		struct snap *s = snap_begin(m->x);

		if (!s) {
			m->snap->failed = true;
			done = true;
		} else {
			free(m->snap);
			m->snap = s;
			s->begun = true;
			done = walk(m->x, s, t0 + XLB_METRICS_SLICE_MS * 1000);
		}
	} else {
		done = walk(m->x, m->snap, t0 + XLB_METRICS_SLICE_MS * 1000);
	}
	dt = monotonic_us() - t0;
	m->cur.loop_us += dt;
	m->cur.slices++;
	if (dt > m->cur.slice_us_max)
		m->cur.slice_us_max = dt;
	if (dt > m->slice_us_max)
		m->slice_us_max = dt;
	if (done) {
		sd_event_source_set_enabled(m->slice, SD_EVENT_OFF);
		text_start(m);
	}
	return 0;
}

/* A render for the scrapes waiting; one at a time. */
static int render_start(struct metrics *m)
{
	if (m->state != R_IDLE)
		return 0;
	/* A placeholder: the first slice reads the state, so that it is timed as one. */
	m->snap = calloc(1, sizeof(*m->snap));
	if (!m->snap)
		return -ENOMEM;
	m->cur = (struct render_cost){};
	m->started_us = monotonic_us();
	m->state = R_WALK;
	return sd_event_source_set_enabled(m->slice, SD_EVENT_ON);
}

static void run(struct metrics *m);

/* The text is made: the new response for every scrape, the waiting ones first. */
static int on_done(sd_event_source *src, int fd, uint32_t events, void *userdata)
{
	struct metrics *m = userdata;
	struct page *p = &m->pages[0];
	struct MHD_Response *r = NULL;
	__u64 n;
	size_t i;

	(void)src, (void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n) || m->state != R_TEXT)
		return 0;
	if (m->thread_running) {
		pthread_join(m->thread, NULL);
		m->thread_running = false;
	}
	if (m->job.body)
		r = body_response(m, m->job.body, m->job.len);
	if (r) {
		MHD_add_response_header(r, "Content-Type", p->type);
		if (p->cached)
			MHD_destroy_response(p->cached);	/* queued copies hold their own reference */
		p->cached = r;
		p->cached_ms = m->snap->start_ms;
		m->job.body = NULL;	/* the response's */
		m->renders++;
		m->cur.bytes = m->job.len;
		m->cur.format_us = m->job.format_us;
		m->cur.total_us = monotonic_us() - m->started_us;
		m->last = m->cur;
	} else {
		pr_warn("Couldn't render /metrics (out of memory); scrapes get the last one\n");
	}
	free(m->job.body);
	m->job.body = NULL;
	snap_free(m->snap);
	m->snap = NULL;
	m->state = R_IDLE;
	for (i = 0; i < m->nr_waiting; i++)
		MHD_resume_connection(m->waiting[i]);
	m->nr_waiting = 0;
	run(m);
	return 0;
}

static struct MHD_Response *text_response(const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);

	if (r)
		MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	return r;
}

/* 'xlbctl compare URL' reads this: the same as the fingerprints command. */
static char *render_fingerprints(struct xlbd *x, size_t *len)
{
	json_t *j = fingerprints_json(x);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	*len = body ? strlen(body) : 0;
	return body;
}

/* A small page's cached response, rendered again at once once it is older than the cache time. */
static struct MHD_Response *current(struct metrics *m, struct page *p)
{
	__u64 now = monotonic_ms();
	size_t len = 0;
	char *body;

	if (p->cached && now - p->cached_ms < XLB_METRICS_CACHE_MS)
		return p->cached;
	body = p->render(m->x, &len);
	if (!body)
		return p->cached;
	if (p->cached)
		MHD_destroy_response(p->cached);	/* queued copies hold their own reference */
	p->cached = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!p->cached) {
		free(body);
		return NULL;
	}
	MHD_add_response_header(p->cached, "Content-Type", p->type);
	p->cached_ms = now;
	m->renders++;
	return p->cached;
}

/*
 * /metrics: the cached render while it is fresh; else the scrape waits,
 * suspended, for the render under way (started if there is none) and is
 * called again when it is done.
 */
static enum MHD_Result metrics_page(struct metrics *m, struct page *p,
				    struct MHD_Connection *conn, void **state)
{
	if (*state) {
		/* Resumed: the render it waited for is done (or failed: the last one). */
		return p->cached ? MHD_queue_response(conn, MHD_HTTP_OK, p->cached) : MHD_NO;
	}
	m->scrapes++;
	if (p->cached && monotonic_ms() - p->cached_ms < XLB_METRICS_CACHE_MS)
		return MHD_queue_response(conn, MHD_HTTP_OK, p->cached);
	if (m->nr_waiting == ARRAY_SIZE(m->waiting) || render_start(m) < 0)
		return p->cached ? MHD_queue_response(conn, MHD_HTTP_OK, p->cached) : MHD_NO;
	m->waiting[m->nr_waiting++] = conn;
	*state = m;
	MHD_suspend_connection(conn);
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;

	(void)version, (void)upload, (void)upload_len;
	if (m->stopping)
		return MHD_NO;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		resp = text_response("only GET\n");
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(m->pages); i++) {
			if (strcmp(url, m->pages[i].url))
				continue;
			if (!m->pages[i].render)
				return metrics_page(m, &m->pages[i], conn, state);
			resp = current(m, &m->pages[i]);
			m->scrapes++;
			if (!resp)
				return MHD_NO;
			return MHD_queue_response(conn, code, resp);
		}
		resp = text_response("xlb: see /metrics and /fingerprints\n");
		code = MHD_HTTP_NOT_FOUND;
	}
	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * Runs libmicrohttpd, then wakes it again when it next needs to time out a
 * client, or at the next turn of the loop when it has more to do now (a
 * page goes out a block a turn).
 */
static void run(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG timeout;
	__u64 t0 = monotonic_us(), dt;

	MHD_run(m->httpd);
	dt = monotonic_us() - t0;
	if (dt > m->http_us_max)
		m->http_us_max = dt;
	if (MHD_get_timeout(m->httpd, &timeout) != MHD_YES || timeout > 1000)
		timeout = 1000;
	if (!timeout) {
		sd_event_source_set_enabled(m->again, SD_EVENT_ONESHOT);
		return;
	}
	sd_event_source_set_time(m->timer, (monotonic_ms() + timeout) * 1000);
	sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
}

static int http_event(sd_event_source *s, int fd, uint32_t events, void *userdata)
{
	(void)s, (void)fd, (void)events;
	run(userdata);
	return 0;
}

static int http_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s, (void)usec;
	run(userdata);
	return 0;
}

static int http_again(sd_event_source *s, void *userdata)
{
	(void)s;
	run(userdata);
	return 0;
}

static int add_sources(struct metrics *m)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->httpd, MHD_DAEMON_INFO_EPOLL_FD);
	sd_event *e = m->x->event;
	int err;

	err = sd_event_add_io(e, &m->io, info->epoll_fd, EPOLLIN, http_event, m);
	if (err >= 0)
		err = sd_event_add_time(e, &m->timer, CLOCK_MONOTONIC, 0, 1000, http_timer, m);
	if (err >= 0)
		err = sd_event_add_io(e, &m->done, m->done_fd, EPOLLIN, on_done, m);
	if (err >= 0)
		err = sd_event_add_defer(e, &m->slice, on_slice, m);
	if (err >= 0)
		err = sd_event_add_defer(e, &m->again, http_again, m);
	if (err < 0)
		return err;
	sd_event_source_set_enabled(m->slice, SD_EVENT_OFF);
	sd_event_source_set_enabled(m->again, SD_EVENT_OFF);
	sd_event_source_set_priority(m->io, XLB_PRIO_CLIENT);
	sd_event_source_set_priority(m->timer, XLB_PRIO_CLIENT);
	/* Below every client too: between two blocks of a page, any of them goes first. */
	sd_event_source_set_priority(m->again, XLB_PRIO_CLIENT + 1);
	sd_event_source_set_priority(m->done, XLB_PRIO_CLIENT);
	/* Below every client: a status or a probe waits for one slice at most. */
	sd_event_source_set_priority(m->slice, XLB_PRIO_CLIENT + 1);
	return 0;
}

int metrics_start(struct metrics **out, struct xlbd *x)
{
	struct sockaddr_storage ss;
	const union xlb_addr *a = &x->base->metrics_address;
	char addr[XLB_ADDR_STRLEN];
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct metrics *m;
	int err;

	*out = NULL;
	if (!x->base->metrics_port)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->x = x;
	m->pages[0] = (struct page){ .url = "/metrics", .render = NULL,
				     .type = "text/plain; version=0.0.4; charset=utf-8" };
	m->pages[1] = (struct page){ .url = "/fingerprints", .render = render_fingerprints,
				     .type = "application/json" };
	m->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->done_fd < 0) {
		err = -errno;
		free(m);
		return err;
	}
	xlb_addr_sockaddr(a, x->base->metrics_port, &ss);
	if (!xlb_addr_is_v4(a))
		flags |= MHD_USE_IPv6;
	m->httpd = MHD_start_daemon(flags, x->base->metrics_port, NULL, NULL, handle, m,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)XLB_METRICS_MAX_CONNS,
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)XLB_METRICS_MAX_PER_IP,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)XLB_METRICS_TIMEOUT_S,
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
				    MHD_OPTION_LISTEN_BACKLOG_SIZE, 64u,
				    MHD_OPTION_END);
	if (!m->httpd) {
		pr_err("Couldn't serve /metrics on %s port %u: %s\n",
		       xlb_addr_str(a, addr, sizeof(addr)), x->base->metrics_port, strerror(errno));
		pr_err("hint: another process has the port? set metrics: { port: ... } or port 0 to turn it off\n");
		close(m->done_fd);
		free(m);
		return -EADDRINUSE;
	}
	err = add_sources(m);
	if (err < 0) {
		metrics_stop(m);
		return err;
	}
	pr_info("Serving /metrics on %s port %u\n", xlb_addr_str(a, addr, sizeof(addr)),
		x->base->metrics_port);
	*out = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	size_t i;

	if (!m)
		return;
	m->stopping = true;
	sd_event_source_disable_unref(m->io);
	sd_event_source_disable_unref(m->timer);
	sd_event_source_disable_unref(m->again);
	sd_event_source_disable_unref(m->slice);
	sd_event_source_disable_unref(m->done);
	if (m->thread_running) {
		atomic_store(&m->stop_thread, true);
		pthread_join(m->thread, NULL);
	}
	free(m->job.body);
	snap_free(m->snap);
	/* libmicrohttpd stops only with no connection suspended: they are closed. */
	for (i = 0; i < m->nr_waiting; i++)
		MHD_resume_connection(m->waiting[i]);
	if (m->httpd)
		MHD_stop_daemon(m->httpd);
	for (i = 0; i < ARRAY_SIZE(m->pages); i++)
		if (m->pages[i].cached)
			MHD_destroy_response(m->pages[i].cached);
	if (m->done_fd >= 0)
		close(m->done_fd);
	free(m);
}

static const char *backends_name(enum xlb_metrics_backends b)
{
	return b == XLB_METRICS_BACKENDS_NONE ? "none" :
	       b == XLB_METRICS_BACKENDS_AGGREGATE ? "aggregate" : "all";
}

json_t *metrics_stats(const struct metrics *m)
{
	const struct render_cost *c;

	if (!m)
		return json_null();
	c = &m->last;
	/* The last render: its size, from the first slice to the response, the loop's share. */
	return json_pack("{s:I, s:I, s:i, s:s, s:i, s:{s:I, s:f, s:f, s:I, s:f, s:f}, s:f, s:f}",
			 "scrapes", (json_int_t)m->scrapes, "renders", (json_int_t)m->renders,
			 "cache_ms", XLB_METRICS_CACHE_MS,
			 "backends", backends_name(m->x->base->metrics_backends),
			 "waiting", (int)m->nr_waiting,
			 "last", "bytes", (json_int_t)c->bytes, "render_ms", c->total_us / 1000.0,
			 "loop_ms", c->loop_us / 1000.0, "slices", (json_int_t)c->slices,
			 "slice_ms_max", c->slice_us_max / 1000.0,
			 "text_ms", c->format_us / 1000.0,
			 "slice_ms_max_ever", m->slice_us_max / 1000.0,
			 "http_ms_max_ever", m->http_us_max / 1000.0);
}
