/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A backend's latency as its probes see it. Every probe that answers adds
 * a sample: connect time, time to first byte and total (HTTP and HTTPS
 * have all three; TCP has connect; UDP and exec have total). The signal
 * the diagnosis judges is time to first byte where there is one, else the
 * total: what a client of the backend waits for. A probe that fails counts
 * as its timeout: a failing backend is at least as bad as a slow one.
 *
 * Kept per backend: the last XLB_LAT_SAMPLES signals with their times (the
 * diagnosis reads a window of them), a cumulative histogram per phase for
 * /metrics, and the median of each XLB_LAT_PERIOD_MS period for the last
 * XLB_LAT_PERIODS periods: the baseline "what it was before" is the
 * lowest of those, so slowness that lasts is still measured against the
 * latency from before it began, for up to half an hour.
 */
#ifndef XLB_LATENCY_H
#define XLB_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define XLB_LAT_SAMPLES		128
#define XLB_LAT_PERIOD_MS	10000
#define XLB_LAT_PERIODS		180		/* 30 minutes of period medians */
#define XLB_LAT_BUCKETS		12		/* finite histogram bounds */

enum xlb_lat_phase {
	XLB_LAT_CONNECT,
	XLB_LAT_FIRST_BYTE,
	XLB_LAT_TOTAL,
	XLB_LAT_PHASES,
};

/* One probe's times in microseconds; 0: the phase was not measured. */
struct xlb_lat_probe {
	__u32 us[XLB_LAT_PHASES];
};

struct xlb_lat_sample {
	__u64 t_ms;
	__u32 us;		/* the signal */
	bool ok;
};

struct xlb_latency {
	struct xlb_lat_sample s[XLB_LAT_SAMPLES];
	__u32 pos, nr;
	__u32 period_median[XLB_LAT_PERIODS];
	__u32 period_pos, period_nr;
	__u64 period_start_ms;
	/* Cumulative, for /metrics: counts per bucket (not cumulative across buckets). */
	__u64 bucket[XLB_LAT_PHASES][XLB_LAT_BUCKETS + 1];
	__u64 count[XLB_LAT_PHASES];
	double sum_s[XLB_LAT_PHASES];
	__u32 last_us[XLB_LAT_PHASES];
	__u64 failed;
};

/* The histogram's upper bounds in seconds (the last bucket is +Inf). */
extern const double xlb_lat_bounds[XLB_LAT_BUCKETS];

void xlb_lat_init(struct xlb_latency *l, __u64 now_ms);
/* A probe that answered: its phases; the signal is first byte, else total. */
void xlb_lat_ok(struct xlb_latency *l, const struct xlb_lat_probe *p, __u64 now_ms);
/* A probe that failed, after elapsed_us, with timeout_us as its limit. */
void xlb_lat_failed(struct xlb_latency *l, __u32 timeout_us, __u64 now_ms);
/*
 * The signals of the last window_ms (failed ones at their timeout) into
 * out (room for XLB_LAT_SAMPLES), oldest first; *failed counts failures.
 */
size_t xlb_lat_window(const struct xlb_latency *l, __u64 now_ms, __u32 window_ms,
		      __u32 *out, size_t *failed);
/* The lowest period median on record, 0 when there is none yet. */
__u32 xlb_lat_baseline(const struct xlb_latency *l);
const char *xlb_lat_phase_name(enum xlb_lat_phase p);

#endif /* XLB_LATENCY_H */
