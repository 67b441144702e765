// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "stats.h"

const double xlb_lat_bounds[XLB_LAT_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

const char *xlb_lat_phase_name(enum xlb_lat_phase p)
{
	static const char *const names[] = {
		[XLB_LAT_CONNECT] = "connect", [XLB_LAT_FIRST_BYTE] = "first_byte",
		[XLB_LAT_TOTAL] = "total",
	};

	return p < XLB_LAT_PHASES ? names[p] : "?";
}

void xlb_lat_init(struct xlb_latency *l, __u64 now_ms)
{
	memset(l, 0, sizeof(*l));
	l->period_start_ms = now_ms;
}

size_t xlb_lat_window(const struct xlb_latency *l, __u64 now_ms, __u32 window_ms,
		      __u32 *out, size_t *failed)
{
	size_t n = 0, f = 0;
	__u32 i;

	for (i = 0; i < l->nr; i++) {
		/* Oldest first: the ring starts at pos once it is full. */
		const struct xlb_lat_sample *s =
			&l->s[(l->pos + XLB_LAT_SAMPLES - l->nr + i) % XLB_LAT_SAMPLES];

		if (s->t_ms + window_ms < now_ms)
			continue;
		out[n++] = s->us;
		f += !s->ok;
	}
	if (failed)
		*failed = f;
	return n;
}

/* Closes the periods that ended before now: each one's median is kept. */
static void close_periods(struct xlb_latency *l, __u64 now_ms)
{
	__u32 v[XLB_LAT_SAMPLES];
	size_t n;

	while (now_ms >= l->period_start_ms + XLB_LAT_PERIOD_MS) {
		n = xlb_lat_window(l, l->period_start_ms + XLB_LAT_PERIOD_MS,
				   XLB_LAT_PERIOD_MS, v, NULL);
		/* Every sample in the ring predates this period's end: periods
		 * are closed as each sample comes. */
		if (n) {
			l->period_median[l->period_pos] = xlb_median_u32(v, n);
			l->period_pos = (l->period_pos + 1) % XLB_LAT_PERIODS;
			if (l->period_nr < XLB_LAT_PERIODS)
				l->period_nr++;
		}
		l->period_start_ms += XLB_LAT_PERIOD_MS;
		/* A long silence: start the periods afresh from now. */
		if (now_ms - l->period_start_ms > (__u64)XLB_LAT_PERIODS * XLB_LAT_PERIOD_MS)
			l->period_start_ms = now_ms;
	}
}

static void add(struct xlb_latency *l, __u32 us, bool ok, __u64 now_ms)
{
	close_periods(l, now_ms);
	l->s[l->pos] = (struct xlb_lat_sample){ .t_ms = now_ms, .us = us, .ok = ok };
	l->pos = (l->pos + 1) % XLB_LAT_SAMPLES;
	if (l->nr < XLB_LAT_SAMPLES)
		l->nr++;
}

void xlb_lat_ok(struct xlb_latency *l, const struct xlb_lat_probe *p, __u64 now_ms)
{
	enum xlb_lat_phase ph;
	size_t b;

	for (ph = 0; ph < XLB_LAT_PHASES; ph++) {
		double s = p->us[ph] / 1e6;

		if (!p->us[ph])
			continue;
		for (b = 0; b < XLB_LAT_BUCKETS && s > xlb_lat_bounds[b]; b++)
			;
		l->bucket[ph][b]++;
		l->count[ph]++;
		l->sum_s[ph] += s;
		l->last_us[ph] = p->us[ph];
	}
	add(l, p->us[XLB_LAT_FIRST_BYTE] ? p->us[XLB_LAT_FIRST_BYTE] : p->us[XLB_LAT_TOTAL],
	    true, now_ms);
}

void xlb_lat_failed(struct xlb_latency *l, __u32 timeout_us, __u64 now_ms)
{
	l->failed++;
	add(l, timeout_us, false, now_ms);
}

__u32 xlb_lat_baseline(const struct xlb_latency *l)
{
	__u32 i, low = 0;

	for (i = 0; i < l->period_nr; i++)
		if (!low || l->period_median[i] < low)
			low = l->period_median[i];
	return low;
}
