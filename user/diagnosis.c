// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnosis.h"
#include "latency.h"
#include "stats.h"

/* Half the backends or fewer is "one or a few"; more is everyone's problem. */
#define FEW(n_slow, n_judged)	((n_slow) * 2 <= (n_judged))
/* A backend failing this share of its probes is failing, however fast the rest. */
#define FAILING_SHARE		0.5

void xlb_diag_cfg_default(struct xlb_diag_cfg *cfg)
{
	*cfg = (struct xlb_diag_cfg){
		.window_ms = 10000,
		.slow_ratio = 2.0,
		.min_delta_us = 5000,
		.z = 3.0,
		.min_samples = 8,
		.raise_after = 3,
		.clear_after = 10,
		.shared_fraction = 0.75,
	};
}

void xlb_diag_vip_init(struct xlb_diag_vip *v, __u64 now_ms)
{
	memset(v, 0, sizeof(*v));
	v->kind = XLB_DIAG_INSUFFICIENT;
	v->since_ms = now_ms;
	snprintf(v->message, sizeof(v->message), "no verdict yet: not evaluated");
}

const char *xlb_diag_kind_name(enum xlb_diag_kind k)
{
	static const char *const names[] = {
		[XLB_DIAG_NONE] = "none", [XLB_DIAG_INSUFFICIENT] = "insufficient",
		[XLB_DIAG_OVERLOAD] = "overload", [XLB_DIAG_SHARED] = "shared",
		[XLB_DIAG_SICK] = "sick",
	};

	return k < XLB_DIAG_KINDS ? names[k] : "?";
}

bool xlb_diag_is_alert(enum xlb_diag_kind k)
{
	return k == XLB_DIAG_OVERLOAD || k == XLB_DIAG_SHARED || k == XLB_DIAG_SICK;
}

/* What one evaluation finds out about each backend. */
struct finding {
	bool data;		/* judged, with min_samples */
	__u32 median, peers;	/* µs: its own, its peers' (median of their medians) */
	double z;		/* against the peers */
	bool slow;		/* markedly slower than its peers, or failing */
	bool sick;		/* slow for most requests (its lower quartile), or failing */
	bool failing;
	bool slowed;		/* markedly slower than its own baseline */
	bool over;		/* above its fair share */
};

static double ms(__u32 us)
{
	return us / 1000.0;
}

static __u32 median_of(const __u32 *v, size_t n)
{
	__u32 *c = malloc((n ? n : 1) * sizeof(*c)), m;

	if (!c)
		return 0;
	memcpy(c, v, n * sizeof(*c));
	m = xlb_median_u32(c, n);
	free(c);
	return m;
}

static bool markedly(const struct xlb_diag_cfg *cfg, __u32 value, __u32 reference)
{
	return value >= cfg->slow_ratio * reference && value >= reference + cfg->min_delta_us;
}

/*
 * Every backend with data against the others: all their samples sorted
 * once, each backend's own sorted, ranks counted by binary search. A VIP
 * of a thousand backends costs a few sorts, not a million comparisons.
 */
static void find(const struct xlb_diag_cfg *cfg, const struct xlb_skew_cfg *skew,
		 __u64 window_flows, const struct xlb_diag_input *in, size_t nr,
		 struct finding *f, size_t total_samples)
{
	__u32 *all = malloc((total_samples ? total_samples : 1) * sizeof(*all));
	__u32 *own = malloc(XLB_LAT_SAMPLES * sizeof(*own));
	__u32 *meds = malloc((nr ? nr : 1) * sizeof(*meds));
	size_t i, n_all = 0, k = 0;

	for (i = 0; i < nr; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		f[i].data = in[i].judged && in[i].n >= cfg->min_samples &&
			    in[i].n <= XLB_LAT_SAMPLES;
		if (!f[i].data)
			continue;
		f[i].median = median_of(in[i].lat, in[i].n);
		f[i].failing = in[i].failed >= FAILING_SHARE * in[i].n;
		f[i].over = in[i].share && xlb_skew_over_fair(skew, in[i].share, window_flows);
		if (in[i].baseline_us) {
			/* Halfway to slow_ratio: a sign test needs a line the samples cross. */
			__u32 line = in[i].baseline_us * (1 + (cfg->slow_ratio - 1) / 2);

			f[i].slowed = markedly(cfg, f[i].median, in[i].baseline_us) &&
				      xlb_sign_z(in[i].lat, in[i].n, line) >= cfg->z;
		}
		if (all) {
			memcpy(all + n_all, in[i].lat, in[i].n * sizeof(*all));
			n_all += in[i].n;
		}
		if (meds)
			meds[k++] = f[i].median;
	}
	if (!all || !own || !meds || k < 2)
		goto out;
	xlb_sort_u32(all, n_all);
	xlb_sort_u32(meds, k);
	for (i = 0; i < nr; i++) {
		size_t at, mid = (k - 1) / 2;

		if (!f[i].data)
			continue;
		/* The peers' median: the upper median of the others' medians. */
		at = xlb_bound_u32(meds, k, f[i].median, false);
		f[i].peers = meds[at <= mid ? mid + 1 : mid];
		memcpy(own, in[i].lat, in[i].n * sizeof(*own));
		xlb_sort_u32(own, in[i].n);
		f[i].z = xlb_mann_whitney_rest_z(own, in[i].n, all, n_all);
		f[i].slow = (markedly(cfg, f[i].median, f[i].peers) && f[i].z >= cfg->z) ||
			    (f[i].failing && f[i].z >= cfg->z);
		f[i].sick = f[i].slow && (f[i].failing || markedly(cfg, own[in[i].n / 4], f[i].peers));
	}
out:
	free(all);
	free(own);
	free(meds);
}

static int appendf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	int n;

	if (used >= len)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	return n;
}

static void cause_words(const struct xlb_skew_cfg *skew, const struct xlb_diag_input *b,
			__u32 median_weight, enum xlb_skew_cause *cause, char *buf, size_t len)
{
	const struct xlb_skew_backend *s = b->share;

	*cause = xlb_skew_explain(skew, s);
	switch (*cause) {
	case XLB_SKEW_CONFIGURATION:
		appendf(buf, len, "cause: configuration: its weight %u is %.1fx the median weight %u of its peers",
			b->weight, median_weight ? (double)b->weight / median_weight : 0, median_weight);
		break;
	case XLB_SKEW_DATA_PATH:
		appendf(buf, len, "cause: data path: the programmed table gives it %.1f%% where its weight gives %.1f%%",
			100 * s->table, 100 * s->expected);
		break;
	default:
		appendf(buf, len, "cause: traffic concentration: the table matches the weights but the traffic does not (a few heavy clients?)");
	}
}

/* scratch: room for nr values. */
static __u32 median_weight(const struct xlb_diag_input *in, size_t nr, __u32 *w)
{
	size_t i, n = 0;

	for (i = 0; i < nr; i++)
		if (in[i].judged && in[i].weight)
			w[n++] = in[i].weight;
	return xlb_median_u32(w, n);
}

/* The verdict of this evaluation alone, in words. */
static enum xlb_diag_kind judge(const struct xlb_diag_cfg *cfg, const struct xlb_skew_cfg *skew,
				__u64 window_flows, const struct xlb_diag_input *in, size_t nr,
				const struct finding *f, struct xlb_diag_vip *v, char *msg,
				size_t len, char *named, size_t named_len,
				enum xlb_skew_cause *cause, __u32 *scratch)
{
	size_t i, judged = 0, with_data = 0, slow = 0, sick = 0, over = 0, slowed = 0, down = 0;
	size_t unprobed = 0, baseline = 0, candidates = 0;
	__u32 mw = median_weight(in, nr, scratch);
	__u32 *meds = scratch, *bases = scratch + nr;
	size_t nm = 0, nb = 0;

	msg[0] = named[0] = 0;
	for (i = 0; i < nr; i++) {
		judged += in[i].judged;
		candidates += in[i].judged || in[i].health_down;
		unprobed += in[i].judged && !in[i].probed;
		down += in[i].health_down;
		if (!f[i].data)
			continue;
		with_data++;
		meds[nm++] = f[i].median;
		if (in[i].baseline_us) {
			bases[nb++] = in[i].baseline_us;
			baseline++;
		}
		slow += f[i].slow;
		sick += f[i].sick;
		over += f[i].over;
		slowed += f[i].slowed;
	}
	v->median_us = xlb_median_u32(meds, nm);
	v->baseline_us = xlb_median_u32(bases, nb);

	/* Every backend down together: what they share, not one host. */
	if (candidates >= 2 && down == candidates) {
		snprintf(msg, len, "shared dependency, not the balancer: all %zu backends fail their probes together; the balancer is not the cause; look at what they share (a database, a network)",
			 candidates);
		return XLB_DIAG_SHARED;
	}
	/* Markedly slower than its peers and over its fair share: overloaded by us. */
	if (over && FEW(slow + down, candidates)) {
		bool first = true;

		snprintf(msg, len, "balancer-induced overload: ");
		for (i = 0; i < nr; i++) {
			const struct xlb_skew_backend *s = in[i].share;

			if (!f[i].slow || !f[i].over)
				continue;
			appendf(named, named_len, "%s%s", first ? "" : ",", in[i].name);
			appendf(msg, len, "%sbackend %s answers in %.1f ms against %.1f ms for its peers (median of %zu probes, z=%.1f) and gets %.1f%% of new flows where its fair share at its peers' median weight is %.1f%% (%llu flows in the window); ",
				first ? "" : "; ", in[i].name, ms(f[i].median), ms(f[i].peers), in[i].n,
				f[i].z, 100 * s->observed, 100 * s->peer,
				(unsigned long long)window_flows);
			if (first)
				cause_words(skew, &in[i], mw, cause, msg, len);
			first = false;
		}
		if (!first)
			return XLB_DIAG_OVERLOAD;
		msg[0] = named[0] = 0;
	}
	/* Slow or failing at a normal share: the host. */
	if ((sick || down) && FEW(slow + down, candidates)) {
		bool first = true;

		snprintf(msg, len, "single sick backend, not the balancer: ");
		for (i = 0; i < nr; i++) {
			if (!f[i].sick && !in[i].health_down)
				continue;
			appendf(named, named_len, "%s%s", first ? "" : ",", in[i].name);
			if (in[i].health_down)
				appendf(msg, len, "%sbackend %s is %s %s",
					first ? "" : "; ", in[i].name,
					in[i].flapping ? "held out as flapping" : "down by its probes;",
					in[i].health);
			else
				appendf(msg, len, "%sbackend %s %s in %.1f ms against %.1f ms for its peers (median of %zu probes, %zu failed, z=%.1f) at a normal share (%.1f%% of new flows, %.1f%% by its weight): a host problem; %s",
					first ? "" : "; ", in[i].name,
					f[i].failing ? "fails its probes, timing out" : "answers",
					ms(f[i].median), ms(f[i].peers), in[i].n, in[i].failed, f[i].z,
					in[i].share ? 100 * in[i].share->observed : 0,
					in[i].share ? 100 * in[i].share->expected : 0, in[i].health);
			first = false;
		}
		return XLB_DIAG_SICK;
	}
	/* Slowed together, none standing out, shares as weighted: not us. */
	if (with_data >= 2 && !slow && !over && slowed >= cfg->shared_fraction * with_data &&
	    with_data == judged) {
		snprintf(msg, len, "shared dependency, not the balancer: %s%zu backends slowed from %.1f ms to %.1f ms together; shares match the weights; the balancer is not the cause; look at what they share (a database, a network)",
			 slowed == with_data ? "all " : "", slowed, ms(v->baseline_us), ms(v->median_us));
		if (slowed < with_data)
			appendf(msg, len, " (%zu of %zu slowed)", slowed, with_data);
		return XLB_DIAG_SHARED;
	}
	if (!judged) {
		snprintf(msg, len, "no verdict: no backend takes new flows");
		return XLB_DIAG_INSUFFICIENT;
	}
	if (unprobed) {
		snprintf(msg, len, "no verdict: %zu of %zu backends have no probe that times them (probe type none); give the VIP a tcp or http probe",
			 unprobed, judged);
		return XLB_DIAG_INSUFFICIENT;
	}
	if (with_data < judged || with_data < 2) {
		snprintf(msg, len, "no verdict: %zu of %zu backends have %u latency samples in the last %u s; set a probe latency_interval (for example 500ms) for more",
			 with_data, judged, cfg->min_samples, cfg->window_ms / 1000);
		return XLB_DIAG_INSUFFICIENT;
	}
	snprintf(msg, len, "no verdict: %zu backends answer in %.1f ms (median), %s; shares %s",
		 with_data, ms(v->median_us),
		 baseline ? "in line with their baselines" : "no baseline yet to compare with",
		 window_flows >= skew->min_flows ? "match the weights" :
		 "not judged (too few new flows)");
	return XLB_DIAG_NONE;
}

enum xlb_diag_event xlb_diag_evaluate(const struct xlb_diag_cfg *cfg,
				      const struct xlb_skew_cfg *skew, __u64 window_flows,
				      struct xlb_diag_vip *v, const struct xlb_diag_input *in,
				      size_t nr, __u64 now_ms)
{
	/* On the heap: a VIP may have a million backends (maps backends). */
	struct finding *f = calloc(nr ? nr : 1, sizeof(*f));
	__u32 *scratch = calloc(2 * (nr ? nr : 1), sizeof(*scratch));
	enum xlb_skew_cause cause = XLB_SKEW_NONE;
	char msg[sizeof(v->message)], named[sizeof(v->named)];
	enum xlb_diag_kind k;
	size_t i, total = 0;

	if (!f || !scratch) {
		/* Out of memory: the verdict in force stands, as if unchanged. */
		free(f);
		free(scratch);
		return XLB_DIAG_SAME;
	}
	for (i = 0; i < nr; i++)
		total += in[i].n;
	find(cfg, skew, window_flows, in, nr, f, total);
	k = judge(cfg, skew, window_flows, in, nr, f, v, msg, sizeof(msg), named, sizeof(named),
		  &cause, scratch);
	free(f);
	free(scratch);

	/* The verdict in force, with today's numbers. */
	if (k == v->kind) {
		v->pending_run = v->clean_run = 0;
		memcpy(v->message, msg, sizeof(msg));
		memcpy(v->named, named, sizeof(named));
		v->cause = cause;
		return XLB_DIAG_SAME;
	}
	if (xlb_diag_is_alert(k)) {
		v->clean_run = 0;
		v->pending_run = v->pending == k ? v->pending_run + 1 : 1;
		v->pending = k;
		if (v->pending_run < cfg->raise_after)
			return XLB_DIAG_SAME;
	} else if (xlb_diag_is_alert(v->kind)) {
		v->pending_run = 0;
		if (++v->clean_run < cfg->clear_after)
			return XLB_DIAG_SAME;
	}
	/* Between none and insufficient there is nothing to wait for. */
	{
		bool was_alert = xlb_diag_is_alert(v->kind);

		v->kind = k;
		v->since_ms = now_ms;
		v->pending_run = v->clean_run = 0;
		memcpy(v->message, msg, sizeof(msg));
		memcpy(v->named, named, sizeof(named));
		v->cause = cause;
		if (xlb_diag_is_alert(k))
			return XLB_DIAG_RAISED;
		return was_alert ? XLB_DIAG_CLEARED : XLB_DIAG_SAME;
	}
}
