// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skew.h"
#include "stats.h"

void xlb_skew_cfg_default(struct xlb_skew_cfg *cfg)
{
	*cfg = (struct xlb_skew_cfg){
		.window = 5,
		.ratio = 1.5,
		.config_ratio = 2.0,
		.z = 4.0,
		.min_flows = 100,
		.raise_after = 3,
		.clear_after = 10,
		.table_tolerance = 0.05,
	};
}

int xlb_skew_vip_init(struct xlb_skew_vip *v, size_t nr)
{
	memset(v, 0, sizeof(*v));
	v->be = calloc(nr ? nr : 1, sizeof(*v->be));
	v->scratch = calloc(nr ? nr : 1, sizeof(*v->scratch));
	if (!v->be || !v->scratch) {
		xlb_skew_vip_free(v);
		return -ENOMEM;
	}
	v->nr = nr;
	v->hash_source_port = true;
	return 0;
}

void xlb_skew_vip_free(struct xlb_skew_vip *v)
{
	free(v->be);
	free(v->scratch);
	memset(v, 0, sizeof(*v));
}

const char *xlb_skew_cause_name(enum xlb_skew_cause c)
{
	switch (c) {
	case XLB_SKEW_CONFIGURATION:
		return "configuration";
	case XLB_SKEW_DATA_PATH:
		return "data path";
	case XLB_SKEW_TRAFFIC:
		return "traffic concentration";
	default:
		return "none";
	}
}

static __u32 median_weight(const struct xlb_skew_input *in, size_t nr, __u32 *w)
{
	size_t i, n = 0;

	for (i = 0; i < nr; i++)
		if (in[i].takes_new_flows && in[i].weight)
			w[n++] = in[i].weight;
	return xlb_median_u32(w, n);
}

static bool departs(double observed, double reference, double ratio)
{
	if (reference <= 0)
		return observed > 0;
	return observed / reference >= ratio || observed / reference <= 1 / ratio;
}

/*
 * The table explains a share that departs from the weights only if the
 * table departs from them too and the share follows the table (within
 * ratio): 100% of new flows on 7 slots of 401 where the weight gives 6.57
 * is not the table's doing, though its rounding is over the tolerance.
 */
static bool table_explains(const struct xlb_skew_cfg *cfg, const struct xlb_skew_backend *b)
{
	return b->expected > 0 && fabs(b->table / b->expected - 1) > cfg->table_tolerance &&
	       !departs(b->observed, b->table, cfg->ratio);
}

enum xlb_skew_cause xlb_skew_explain(const struct xlb_skew_cfg *cfg,
				     const struct xlb_skew_backend *b)
{
	if (table_explains(cfg, b))
		return XLB_SKEW_DATA_PATH;
	/* Weights explain it only if the share follows them. */
	if (b->peer > 0 && b->expected / b->peer >= cfg->config_ratio &&
	    !departs(b->observed, b->expected, cfg->ratio))
		return XLB_SKEW_CONFIGURATION;
	return XLB_SKEW_TRAFFIC;
}

static enum xlb_skew_cause judge(const struct xlb_skew_cfg *cfg, struct xlb_skew_backend *b,
				 __u64 n)
{
	bool off_expected, off_peers;
	double z_expected, z_peer;

	if (n < cfg->min_flows)
		return XLB_SKEW_NONE;
	z_expected = xlb_binomial_z(b->window_flows, n, b->expected);
	z_peer = xlb_binomial_z(b->window_flows, n, b->peer);
	off_expected = departs(b->observed, b->expected, cfg->ratio) && fabs(z_expected) >= cfg->z;
	/* Only over-weighting is a configuration skew: it is what drowns a backend. */
	off_peers = b->expected / b->peer >= cfg->config_ratio &&
		    b->observed / b->peer >= cfg->config_ratio && z_peer >= cfg->z;
	b->z = off_expected ? z_expected : z_peer;
	if (off_expected)
		return table_explains(cfg, b) ? XLB_SKEW_DATA_PATH : XLB_SKEW_TRAFFIC;
	if (off_peers)
		return XLB_SKEW_CONFIGURATION;
	return XLB_SKEW_NONE;
}

bool xlb_skew_over_fair(const struct xlb_skew_cfg *cfg, const struct xlb_skew_backend *b,
			__u64 n)
{
	if (n < cfg->min_flows || b->peer <= 0)
		return false;
	return b->observed / b->peer >= cfg->ratio &&
	       xlb_binomial_z(b->window_flows, n, b->peer) >= cfg->z;
}

/* A fingerprint of what the expected shares follow from. */
static __u64 expectation_of(const struct xlb_skew_input *in, size_t nr)
{
	__u64 h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < nr; i++) {
		h = (h ^ in[i].weight) * 1099511628211ull;
		h = (h ^ in[i].takes_new_flows) * 1099511628211ull;
	}
	return h;
}

static void restart_window(struct xlb_skew_vip *v)
{
	size_t i;

	for (i = 0; i < v->nr; i++) {
		memset(v->be[i].flows, 0, sizeof(v->be[i].flows));
		memset(v->be[i].packets, 0, sizeof(v->be[i].packets));
		v->be[i].flagged_run = 0;
		v->be[i].clean_run = 0;
	}
	v->pos = 0;
	v->filled = 0;
}

size_t xlb_skew_evaluate(const struct xlb_skew_cfg *cfg, struct xlb_skew_vip *v,
			 const struct xlb_skew_input *in, enum xlb_skew_event *events)
{
	__u32 window = cfg->window < XLB_SKEW_MAX_WINDOW ? cfg->window : XLB_SKEW_MAX_WINDOW;
	__u64 total_w = 0, n = 0, n_packets = 0;
	__u32 median = median_weight(in, v->nr, v->scratch);

	v->median_weight = median;
	size_t i, changes = 0;
	__u32 k;

	for (i = 0; i < v->nr; i++)
		if (in[i].takes_new_flows)
			total_w += in[i].weight;
	if (v->expectation != expectation_of(in, v->nr)) {
		v->expectation = expectation_of(in, v->nr);
		restart_window(v);
	}

	/* Deltas since the last evaluation into the ring; the window's sums. */
	for (i = 0; i < v->nr; i++) {
		struct xlb_skew_backend *b = &v->be[i];

		b->flows[v->pos] = b->primed && in[i].new_flows >= b->last_flows ?
				   in[i].new_flows - b->last_flows : 0;
		b->packets[v->pos] = b->primed && in[i].packets >= b->last_packets ?
				     in[i].packets - b->last_packets : 0;
		b->last_flows = in[i].new_flows;
		b->last_packets = in[i].packets;
		b->primed = true;
		b->window_flows = 0;
		for (k = 0; k < window; k++) {
			b->window_flows += b->flows[k];
			n_packets += b->packets[k];
		}
		n += b->window_flows;
	}
	v->pos = (v->pos + 1) % window;
	if (v->filled < window)
		v->filled++;
	v->window_flows = n;

	for (i = 0; i < v->nr; i++) {
		struct xlb_skew_backend *b = &v->be[i];
		enum xlb_skew_cause cause = XLB_SKEW_NONE;
		__u64 pk = 0;

		for (k = 0; k < window; k++)
			pk += b->packets[k];
		b->expected = total_w && in[i].takes_new_flows ? (double)in[i].weight / total_w : 0;
		b->table = in[i].table_share;
		b->observed = n ? (double)b->window_flows / n : 0;
		b->observed_packets = n_packets ? (double)pk / n_packets : 0;
		/* Its share if its weight were the median of its peers'. */
		b->peer = median && in[i].takes_new_flows ?
			  (double)median / (total_w - in[i].weight + median) : 0;
		events[i] = XLB_SKEW_NO_CHANGE;
		if (b->expected > 0 && b->peer > 0)
			cause = judge(cfg, b, n);

		/* Too quiet to tell: an alert neither builds up nor clears. */
		if (n < cfg->min_flows)
			continue;
		if (cause) {
			b->flagged_run++;
			b->clean_run = 0;
			if (!b->raised && b->flagged_run >= cfg->raise_after) {
				b->raised = true;
				b->cause = cause;
				events[i] = XLB_SKEW_RAISED;
				changes++;
			}
		} else {
			b->clean_run++;
			b->flagged_run = 0;
			if (b->raised && b->clean_run >= cfg->clear_after) {
				b->raised = false;
				events[i] = XLB_SKEW_CLEARED;
				changes++;
			}
		}
	}
	return changes;
}

void xlb_skew_describe(const struct xlb_skew_vip *v, size_t i, const char *vip,
		       const char *backend, __u32 weight, __u32 median, char *buf, size_t len)
{
	const struct xlb_skew_backend *b = &v->be[i];
	int n;

	n = snprintf(buf, len,
		     "backend %s of VIP '%s' gets %.1f%% of new flows (%.1f%% of packets) where its weight gives %.1f%% and the table %.1f%% (%llu flows in the window, z=%.1f): ",
		     backend, vip, 100 * b->observed, 100 * b->observed_packets, 100 * b->expected,
		     100 * b->table, (unsigned long long)v->window_flows, b->z);
	if (n < 0 || (size_t)n >= len)
		return;
	switch (b->cause) {
	case XLB_SKEW_CONFIGURATION:
		snprintf(buf + n, len - n,
			 "likely cause: configuration: its weight %u is %.1fx the median weight %u of its peers; at the median it would get %.1f%%",
			 weight, median ? (double)weight / median : 0, median, 100 * b->peer);
		break;
	case XLB_SKEW_DATA_PATH:
		snprintf(buf + n, len - n,
			 "likely cause: data path: the programmed table does not match the configured weights");
		break;
	case XLB_SKEW_TRAFFIC:
		snprintf(buf + n, len - n,
			 "likely cause: traffic concentration: the table matches the weights but the traffic does not%s",
			 v->hash_source_port ? " (a few heavy clients?)" :
			 " (this VIP's hash leaves out the source port, so each client sticks to one backend)");
		break;
	default:
		snprintf(buf + n, len - n, "no skew");
	}
}
