// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus /metrics, served by libmicrohttpd on xlbd's own loop (its
 * epoll fd sits in ours; no thread), loopback by default. No number of
 * clients can delay probes or the control socket: libmicrohttpd's own
 * limits bound connections in total, per address and in time, and one
 * rendered response is cached for XLB_METRICS_CACHE_MS and shared by every
 * scrape in that time, so a thousand scrapers cost one render. Names follow the
 * Prometheus conventions (xlb_ prefix, _total on counters, ratios as 0..1);
 * labels follow node_exporter's IPVS collector where they overlap
 * (local_address, local_port, proto, remote_address, remote_port), so
 * dashboards built for IPVS carry over.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

/* A response shared by every request until it is XLB_METRICS_CACHE_MS old. */
struct page {
	const char *url, *type;
	char *(*render)(struct xlbd *x, size_t *len);
	struct MHD_Response *cached;
	__u64 cached_ms;
};

struct metrics {
	struct xlbd *x;
	struct MHD_Daemon *httpd;
	sd_event_source *io, *timer;
	struct page pages[2];		/* /metrics, /fingerprints */
	__u64 renders, scrapes;
};

struct row {
	char labels[512];
	double v[12];
};

enum {
	B_PACKETS, B_BYTES, B_FLOWS, B_WEIGHT, B_UP, B_TABLE, B_EXPECTED, B_OBSERVED,
	B_OBSERVED_PACKETS, B_FLAPPING, B_WEIGHT_IN_FORCE,
};

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

static void vip_labels(const struct xlb_cfg_vip *vip, char *buf, size_t len)
{
	char name[2 * XLB_NAME_MAX], a[XLB_ADDR_STRLEN];

	escape(vip->name, name, sizeof(name));
	snprintf(buf, len, "vip=\"%s\",local_address=\"%s\",local_port=\"%u\",proto=\"%s\"", name,
		 xlb_addr_str(&vip->key.addr, a, sizeof(a)), ntohs(vip->key.port),
		 vip->key.proto == IPPROTO_UDP ? "UDP" : "TCP");
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void rows_of(FILE *f, const char *name, const struct row *rows, size_t n, int field,
		    const char *extra)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s{%s%s} %.17g\n", name, rows[i].labels, extra ? extra : "",
			rows[i].v[field]);
}

/* Probe times per backend and phase, from every probe that answered. */
static void probe_duration_metrics(struct xlbd *x, FILE *f, const struct row *rows)
{
	size_t v, b, n = 0, k;
	enum xlb_lat_phase ph;

	family(f, "xlb_backend_probe_duration_seconds", "histogram",
	       "Probe times of the backend: connect, first_byte (HTTP) and total.");
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];

		for (b = 0; b < vip->nr_backends; b++, n++) {
			const struct probe_target *t = prober_find(&x->pr, vip->name,
								   &vip->backends[b].addr);
			__u64 cum;

			for (ph = 0; t && ph < XLB_LAT_PHASES; ph++) {
				const char *name = xlb_lat_phase_name(ph);

				if (!t->lat.count[ph])
					continue;
				for (k = 0, cum = 0; k <= XLB_LAT_BUCKETS; k++) {
					cum += t->lat.bucket[ph][k];
					if (k < XLB_LAT_BUCKETS)
						fprintf(f, "xlb_backend_probe_duration_seconds_bucket{%s,phase=\"%s\",le=\"%g\"} %llu\n",
							rows[n].labels, name, xlb_lat_bounds[k],
							(unsigned long long)cum);
					else
						fprintf(f, "xlb_backend_probe_duration_seconds_bucket{%s,phase=\"%s\",le=\"+Inf\"} %llu\n",
							rows[n].labels, name, (unsigned long long)cum);
				}
				fprintf(f, "xlb_backend_probe_duration_seconds_sum{%s,phase=\"%s\"} %.9g\n",
					rows[n].labels, name, t->lat.sum_s[ph]);
				fprintf(f, "xlb_backend_probe_duration_seconds_count{%s,phase=\"%s\"} %llu\n",
					rows[n].labels, name, (unsigned long long)t->lat.count[ph]);
			}
		}
	}
}

static void backend_metrics(struct xlbd *x, FILE *f)
{
	static const struct { const char *name, *type, *help; int field; } fams[] = {
		{ "xlb_backend_packets_total", "counter", "Packets forwarded to the backend.", B_PACKETS },
		{ "xlb_backend_bytes_total", "counter", "Bytes forwarded to the backend (as received).", B_BYTES },
		{ "xlb_backend_new_flows_total", "counter", "New flows given to the backend.", B_FLOWS },
		{ "xlb_backend_weight", "gauge", "Weight in force (config and runtime changes).", B_WEIGHT },
		{ "xlb_backend_up", "gauge", "1 if the backend's probes say it is healthy.", B_UP },
		{ "xlb_backend_table_share", "gauge", "Share of the programmed Maglev table (0..1).", B_TABLE },
		{ "xlb_backend_expected_share", "gauge", "Share of new flows its weight asks for (0..1).", B_EXPECTED },
		{ "xlb_backend_observed_share", "gauge", "Share of the VIP's new flows in the skew window (0..1).", B_OBSERVED },
		{ "xlb_backend_observed_packet_share", "gauge", "Share of the VIP's packets in the skew window (0..1).", B_OBSERVED_PACKETS },
		{ "xlb_backend_weight_in_force", "gauge", "Weight the table is built with now: less than xlb_backend_weight during a slow start.", B_WEIGHT_IN_FORCE },
		{ "xlb_backend_flapping", "gauge", "1 while the backend is held out as flapping.", B_FLAPPING },
	};
	struct xlb_backend_stats *all = NULL;
	struct row *rows;
	size_t n = 0, cap = 0, v, b, i;
	char vl[384], a[XLB_ADDR_STRLEN], cause[96];
	__u32 nr_all = 0;

	for (v = 0; v < x->effective->nr_vips; v++)
		cap += x->effective->vips[v].nr_backends;
	rows = calloc(cap ? cap : 1, sizeof(*rows));
	if (!rows)
		return;
	/* Every backend's counters in one read: none, and they show 0. */
	xlb_dp_backend_stats_all(x->dp, &all, &nr_all);
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		const struct xlb_vip_plan *plan = &x->plans[v];

		vip_labels(vip, vl, sizeof(vl));
		for (b = 0; b < vip->nr_backends; b++) {
			const struct xlb_cfg_backend *be = &vip->backends[b];
			const struct xlb_skew_backend *s = monitor_backend(x, vip->name, b, &be->addr);
			struct xlb_backend_stats st = {};
			struct row *r = &rows[n++];
			const struct probe_target *t;
			__u32 slots, m, id = xlbd_backend_id(x, vip, be);

			if (id < nr_all)
				st = all[id];
			snprintf(r->labels, sizeof(r->labels), "%s,remote_address=\"%s\",remote_port=\"%u\"",
				 vl, xlb_addr_str(&be->addr, a, sizeof(a)), ntohs(vip->key.port));
			r->v[B_PACKETS] = st.packets;
			r->v[B_BYTES] = st.bytes;
			r->v[B_FLOWS] = st.new_flows;
			r->v[B_WEIGHT] = be->weight;
			r->v[B_UP] = !plan->be[b].health_down;
			slots = monitor_table_slots(x, vip->name, b, &be->addr, &m);
			r->v[B_TABLE] = m ? (double)slots / m : 0;
			r->v[B_EXPECTED] = plan->be[b].expected_share;
			r->v[B_OBSERVED] = s ? s->observed : 0;
			r->v[B_OBSERVED_PACKETS] = s ? s->observed_packets : 0;
			t = prober_find(&x->pr, vip->name, &be->addr);
			r->v[B_FLAPPING] = t && t->health.flapping;
			r->v[B_WEIGHT_IN_FORCE] = plan->be[b].weight;
		}
	}
	for (i = 0; i < ARRAY_SIZE(fams); i++) {
		family(f, fams[i].name, fams[i].type, fams[i].help);
		rows_of(f, fams[i].name, rows, n, fams[i].field, NULL);
	}
	family(f, "xlb_backend_skew", "gauge",
	       "1 while the backend's share is skewed; cause: configuration, data path, traffic concentration or none.");
	n = 0;
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];

		for (b = 0; b < vip->nr_backends; b++, n++) {
			const struct xlb_skew_backend *s = monitor_backend(x, vip->name, b, &vip->backends[b].addr);

			snprintf(cause, sizeof(cause), ",cause=\"%s\"",
				 s && s->raised ? xlb_skew_cause_name(s->cause) : "none");
			fprintf(f, "xlb_backend_skew{%s%s} %d\n", rows[n].labels, cause, s && s->raised);
		}
	}
	probe_duration_metrics(x, f, rows);
	free(rows);
	free(all);
}

static void vip_metrics(struct xlbd *x, FILE *f)
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
	size_t i, v, b;
	char vl[384];

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		family(f, names[i], i < 4 ? "counter" : "gauge", helps[i]);
		for (v = 0; v < x->effective->nr_vips; v++) {
			const struct xlb_cfg_vip *vip = &x->effective->vips[v];
			struct xlb_vip_stats vs = {};
			__u64 val, skewed = 0;

			xlb_dp_vip_stats(x->dp, xlbd_vip_id(x, vip), &vs);
			for (b = 0; b < vip->nr_backends; b++) {
				const struct xlb_skew_backend *s =
					monitor_backend(x, vip->name, b, &vip->backends[b].addr);

				skewed += s && s->raised;
			}
			val = i == 0 ? vs.packets : i == 1 ? vs.bytes : i == 2 ? vs.new_flows :
			      i == 3 ? vs.no_backend : skewed;
			vip_labels(vip, vl, sizeof(vl));
			fprintf(f, "%s{%s} %llu\n", names[i], vl, (unsigned long long)val);
		}
	}
}

/*
 * How much of a VIP's table keeps no flow state (table_state.c): its
 * slots whose packets look for a record, and whether it keeps an old table.
 */
static void table_state_metrics(struct xlbd *x, FILE *f)
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
	struct xlb_dp_table_info in;
	char vl[384];
	size_t i, v;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		family(f, names[i], "gauge", help[i]);
		for (v = 0; v < x->effective->nr_vips; v++) {
			const struct xlb_cfg_vip *vip = &x->effective->vips[v];
			long long val;

			if (!xlb_dp_table_info(x->dp, xlbd_vip_id(x, vip), &in))
				continue;
			val = i == 0 ? !in.look : i == 1 ? in.look : i == 2 ? in.m : !!in.m_o;
			vip_labels(vip, vl, sizeof(vl));
			fprintf(f, "%s{%s} %lld\n", names[i], vl, val);
		}
	}
}

/* One series per verdict kind, 1 for the one in force. */
static void diagnosis_metrics(struct xlbd *x, FILE *f)
{
	enum xlb_diag_kind k;
	char vl[384];
	size_t v;

	family(f, "xlb_vip_diagnosis", "gauge",
	       "1 for the VIP's verdict in force: none, insufficient, overload (by the balancer), shared (dependency) or sick (backend).");
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		const struct vip_monitor *vm = monitor_vip(x, vip->name);
		enum xlb_diag_kind now = vm ? vm->diag.kind : XLB_DIAG_INSUFFICIENT;

		vip_labels(vip, vl, sizeof(vl));
		for (k = 0; k < XLB_DIAG_KINDS; k++)
			fprintf(f, "xlb_vip_diagnosis{%s,kind=\"%s\"} %d\n", vl, xlb_diag_kind_name(k),
				k == now);
	}
}

/*
 * The table fingerprint as an info metric: nodes of a site that disagree
 * on a VIP send one flow to different backends (alerts.yml compares them).
 */
static void fingerprint_metrics(struct xlbd *x, FILE *f)
{
	char vl[384], d[XLB_FP_STRLEN], c[XLB_FP_STRLEN], t[XLB_FP_STRLEN];
	size_t v;

	family(f, "xlb_vip_table_fingerprint", "gauge",
	       "1, labelled with the digest of the VIP's table and what it is built from: equal on every node of an ECMP group ('xlbctl compare' says where they differ).");
	for (v = 0; v < x->effective->nr_vips; v++) {
		const struct xlb_cfg_vip *vip = &x->effective->vips[v];
		const struct vip_monitor *vm = monitor_vip(x, vip->name);

		if (!vm || !vm->fp_ms)
			continue;
		vip_labels(vip, vl, sizeof(vl));
		fprintf(f, "xlb_vip_table_fingerprint{%s,fingerprint=\"%s\",config=\"%s\",table=\"%s\"} 1\n",
			vl, xlb_fp_str(vm->fp.digest, d), xlb_fp_str(vm->fp.config, c),
			xlb_fp_str(vm->fp.table, t));
	}
}

/* Only with 'announce:': what this node tells the routers. */
static void announce_metrics(struct xlbd *x, FILE *f)
{
	enum node_state s, now = announce_node_state(x);
	char vl[384];
	size_t v;

	if (!announce_enabled(x))
		return;
	family(f, "xlb_vip_announced", "gauge",
	       "1 while the VIP's address is announced (a route for BIRD to export): the node can serve it.");
	for (v = 0; v < x->effective->nr_vips; v++) {
		vip_labels(&x->effective->vips[v], vl, sizeof(vl));
		fprintf(f, "xlb_vip_announced{%s} %d\n", vl,
			announce_vip_announced(x, &x->effective->vips[v]));
	}
	family(f, "xlb_node_state", "gauge",
	       "1 for the node's state: serving, draining (withdrawn, still forwarding) or drained.");
	for (s = NODE_SERVING; s <= NODE_DRAINED; s++)
		fprintf(f, "xlb_node_state{state=\"%s\"} %d\n", node_state_name(s), s == now);
}

static void reason_metrics(struct xlbd *x, FILE *f)
{
	struct xlb_counter c;
	__u32 r;

	family(f, "xlb_packets_total", "counter",
	       "Packets by what the data path did with them (verdict reasons and LRU events).");
	for (r = 0; r < XLB_R_MAX; r++)
		if (!xlb_dp_reason_stats(x->dp, r, &c))
			fprintf(f, "xlb_packets_total{reason=\"%s\"} %llu\n", xlb_reason_name(r),
				(unsigned long long)c.packets);
	family(f, "xlb_bytes_total", "counter", "Bytes by verdict reason.");
	for (r = 0; r < XLB_R_VERDICT_MAX; r++)
		if (!xlb_dp_reason_stats(x->dp, r, &c))
			fprintf(f, "xlb_bytes_total{reason=\"%s\"} %llu\n", xlb_reason_name(r),
				(unsigned long long)c.bytes);
}

static void moved_metrics(struct xlbd *x, FILE *f)
{
	struct xlb_dp_moved_stats st;

	xlb_dp_moved_stats(x->dp, &st);
	family(f, "xlb_moved_flows", "gauge",
	       "Flows held apart from the connection table because their backend is no longer the table's choice (draining, or their slot moved); a flood cannot evict them.");
	fprintf(f, "xlb_moved_flows %u\n", st.held);
	family(f, "xlb_moved_flows_capacity", "gauge", "Entries the moved-flow table has room for.");
	fprintf(f, "xlb_moved_flows_capacity %u\n", st.capacity);
	family(f, "xlb_moved_flows_refused_total", "counter",
	       "Flows that should have been held but found the moved-flow table full.");
	fprintf(f, "xlb_moved_flows_refused_total %llu\n", (unsigned long long)st.refused);
}

static char *render(struct xlbd *x, size_t *len)
{
	struct prober_summary ps;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	family(f, "xlb_build_info", "gauge", "xlb's version, always 1.");
	fprintf(f, "xlb_build_info{version=\"%s\"} 1\n", XLB_VERSION);
	family(f, "xlb_config_applied_timestamp_seconds", "gauge",
	       "When the running config was applied (Unix time).");
	fprintf(f, "xlb_config_applied_timestamp_seconds %lld\n", (long long)x->applied);
	family(f, "xlb_runtime_changes", "gauge",
	       "Runtime changes laid over the config (xlbctl diff lists them).");
	fprintf(f, "xlb_runtime_changes %zu\n", x->ov.nr);
	family(f, "xlb_interface_attached", "gauge",
	       "1 while xlb's XDP program is attached to the configured interface.");
	for (size_t i = 0; i < x->nr_watched; i++)
		fprintf(f, "xlb_interface_attached{interface=\"%s\"} %d\n", x->base->ifaces[i].name,
			link_watch_attached(x->ifaces[i].watch));
	family(f, "xlb_daemon_stalls_total", "counter",
	       "Times xlbd itself did not run for longer than its stall bound.");
	fprintf(f, "xlb_daemon_stalls_total %llu\n", (unsigned long long)x->stall.stalls);
	family(f, "xlb_journal_write_errors_total", "counter",
	       "Events that could not be written to the event journal (disk full, unwritable).");
	fprintf(f, "xlb_journal_write_errors_total %llu\n",
		(unsigned long long)x->journal.write_errors);
	family(f, "xlb_probes_unknown_total", "counter",
	       "Probes xlbd could not run (its own problem, not the backends').");
	prober_summary(&x->pr, &ps);
	fprintf(f, "xlb_probes_unknown_total %llu\n", (unsigned long long)ps.unknown);
	moved_metrics(x, f);
	table_state_metrics(x, f);
	reason_metrics(x, f);
	vip_metrics(x, f);
	backend_metrics(x, f);
	diagnosis_metrics(x, f);
	fingerprint_metrics(x, f);
	announce_metrics(x, f);
	fclose(f);
	return buf;
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

/* The page's cached response, rendered again once it is older than the cache time. */
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

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;

	(void)version, (void)upload, (void)upload_len, (void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		resp = text_response("only GET\n");
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(m->pages); i++) {
			if (strcmp(url, m->pages[i].url))
				continue;
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

/* Runs libmicrohttpd, then wakes it again when it next needs to time out a client. */
static void run(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG timeout;

	MHD_run(m->httpd);
	if (MHD_get_timeout(m->httpd, &timeout) != MHD_YES || timeout > 1000)
		timeout = 1000;
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

int metrics_start(struct metrics **out, struct xlbd *x)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	const union xlb_addr *a = &x->base->metrics_address;
	char addr[XLB_ADDR_STRLEN];
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct metrics *m;
	int err;

	*out = NULL;
	if (!x->base->metrics_port)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->x = x;
	m->pages[0] = (struct page){ .url = "/metrics", .render = render,
				     .type = "text/plain; version=0.0.4; charset=utf-8" };
	m->pages[1] = (struct page){ .url = "/fingerprints", .render = render_fingerprints,
				     .type = "application/json" };
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
		free(m);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(m->httpd, MHD_DAEMON_INFO_EPOLL_FD);
	err = sd_event_add_io(x->event, &m->io, info->epoll_fd, EPOLLIN, http_event, m);
	if (err >= 0)
		err = sd_event_add_time(x->event, &m->timer, CLOCK_MONOTONIC, 0, 1000, http_timer, m);
	if (err < 0) {
		metrics_stop(m);
		return err;
	}
	sd_event_source_set_priority(m->io, XLB_PRIO_CLIENT);
	sd_event_source_set_priority(m->timer, XLB_PRIO_CLIENT);
	pr_info("Serving /metrics on %s port %u\n", xlb_addr_str(a, addr, sizeof(addr)),
		x->base->metrics_port);
	*out = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	sd_event_source_disable_unref(m->io);
	sd_event_source_disable_unref(m->timer);
	if (m->httpd)
		MHD_stop_daemon(m->httpd);
	for (size_t i = 0; i < ARRAY_SIZE(m->pages); i++)
		if (m->pages[i].cached)
			MHD_destroy_response(m->pages[i].cached);
	free(m);
}

json_t *metrics_stats(const struct metrics *m)
{
	if (!m)
		return json_null();
	return json_pack("{s:I, s:I, s:i}", "scrapes", (json_int_t)m->scrapes,
			 "renders", (json_int_t)m->renders, "cache_ms", XLB_METRICS_CACHE_MS);
}
