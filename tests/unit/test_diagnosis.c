// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for latency records and the "was it the balancer?" diagnosis,
 * on simulated seconds: probe latencies with log-normal noise, new flows
 * spread by the shares, the real skew detector giving the shares.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diagnosis.h"
#include "xlb_shared.h"
#include "latency.h"
#include "skew.h"
#include "stats.h"

#define NR		4
#define PROBES_PER_S	4	/* a latency_interval of 250 ms */
#define FLOWS_PER_S	80

struct sim {
	struct xlb_diag_cfg cfg;
	struct xlb_skew_cfg skew_cfg;
	struct xlb_skew_vip skew;
	struct xlb_skew_input in[NR];
	struct xlb_latency lat[NR];
	struct xlb_diag_vip diag;
	double median_ms[NR];		/* each backend's latency now */
	double second_p[NR];		/* the share of probes in a second mode: */
	double second_ms;		/* one request ahead of the probe */
	double share[NR];		/* of new flows now */
	double noise;			/* log-normal sigma */
	double fail;			/* share of probes that fail */
	unsigned probes_per_s;
	uint64_t rng;
	__u64 now;			/* ms */
	int raised, cleared;
	enum xlb_diag_kind raised_kind[64];
};

static double uniform(struct sim *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return ((s->rng * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static double gaussian(struct sim *s)
{
	double u = uniform(s) + 1e-12, v = uniform(s);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static void sim_init(struct sim *s, const __u32 *weights, uint64_t seed)
{
	__u32 total = 0;
	size_t i;

	memset(s, 0, sizeof(*s));
	xlb_diag_cfg_default(&s->cfg);
	xlb_skew_cfg_default(&s->skew_cfg);
	assert_int_equal(xlb_skew_vip_init(&s->skew, NR), 0);
	s->rng = seed;
	s->noise = 0.3;
	s->probes_per_s = PROBES_PER_S;
	s->now = 1000000;
	xlb_diag_vip_init(&s->diag, s->now);
	for (i = 0; i < NR; i++)
		total += weights[i];
	for (i = 0; i < NR; i++) {
		s->in[i].weight = weights[i];
		s->in[i].takes_new_flows = true;
		s->in[i].table_share = (double)weights[i] / total;
		s->share[i] = (double)weights[i] / total;
		s->median_ms[i] = 12;
		xlb_lat_init(&s->lat[i], s->now);
	}
}

/* One second of probes and flows, then one evaluation; returns its event. */
static enum xlb_diag_event sim_second(struct sim *s)
{
	enum xlb_skew_event ev[NR];
	struct xlb_diag_input in[NR];
	__u32 samples[NR][XLB_LAT_SAMPLES];
	char names[NR][16];
	enum xlb_diag_event e;
	unsigned p, f;
	size_t i;

	for (p = 0; p < s->probes_per_s; p++) {
		__u64 t = s->now + p * (1000 / s->probes_per_s);

		for (i = 0; i < NR; i++) {
			struct xlb_lat_probe pr = {};
			double v = (uniform(s) < s->second_p[i] ? s->second_ms : s->median_ms[i]) *
				   exp(s->noise * gaussian(s));

			if (uniform(s) < s->fail) {
				xlb_lat_failed(&s->lat[i], 1000000, t);
				continue;
			}
			pr.us[XLB_LAT_FIRST_BYTE] = v * 1000;
			pr.us[XLB_LAT_TOTAL] = v * 1000 + 100;
			xlb_lat_ok(&s->lat[i], &pr, t);
		}
	}
	for (f = 0; f < FLOWS_PER_S; f++) {
		double u = uniform(s), acc = 0;

		for (i = 0; i < NR - 1 && u >= acc + s->share[i]; i++)
			acc += s->share[i];
		s->in[i].new_flows++;
	}
	s->now += 1000;
	xlb_skew_evaluate(&s->skew_cfg, &s->skew, s->in, ev);
	for (i = 0; i < NR; i++) {
		snprintf(names[i], sizeof(names[i]), "be%zu", i + 1);
		in[i] = (struct xlb_diag_input){
			.name = names[i], .judged = true, .health = "health: up", .probed = true,
			.lat = samples[i], .baseline_us = xlb_lat_baseline(&s->lat[i]),
			.weight = s->in[i].weight, .share = &s->skew.be[i],
		};
		in[i].n = xlb_lat_window(&s->lat[i], s->now, s->cfg.window_ms, samples[i],
					 &in[i].failed);
	}
	e = xlb_diag_evaluate(&s->cfg, &s->skew_cfg, s->skew.window_flows, &s->diag, in, NR,
			      s->now);
	if (e == XLB_DIAG_RAISED && s->raised < 64)
		s->raised_kind[s->raised++] = s->diag.kind;
	s->cleared += e == XLB_DIAG_CLEARED;
	return e;
}

/* Seconds until the verdict is kind, at most max; -1 if it never is. */
static int run_until(struct sim *s, enum xlb_diag_kind kind, int max)
{
	int t;

	for (t = 1; t <= max; t++) {
		sim_second(s);
		if (s->diag.kind == kind)
			return t;
	}
	return -1;
}

static void run(struct sim *s, int seconds)
{
	while (seconds-- > 0)
		sim_second(s);
}

static void test_latency_window_and_baseline(void **state)
{
	struct xlb_latency l;
	struct xlb_lat_probe p = {};
	__u32 v[XLB_LAT_SAMPLES];
	size_t n, failed, i;

	(void)state;
	xlb_lat_init(&l, 0);
	assert_int_equal(xlb_lat_baseline(&l), 0);
	/* 40 s at 10 ms, then 10 s at 100 ms: the baseline stays 10 ms. */
	for (i = 0; i < 200; i++) {
		p.us[XLB_LAT_TOTAL] = i < 160 ? 10000 : 100000;
		xlb_lat_ok(&l, &p, i * 250);
	}
	xlb_lat_failed(&l, 1000000, 50000);
	assert_int_equal(xlb_lat_baseline(&l), 10000);
	n = xlb_lat_window(&l, 50000, 5000, v, &failed);
	assert_int_equal(n, 21);
	assert_int_equal(failed, 1);
	assert_int_equal(v[0], 100000);
	assert_int_equal(v[n - 1], 1000000);
	/* First byte is the signal when there is one. */
	p.us[XLB_LAT_FIRST_BYTE] = 7000;
	xlb_lat_ok(&l, &p, 50100);
	n = xlb_lat_window(&l, 50100, 10, v, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(v[0], 7000);
	/* The histogram: 10 ms and 100 ms in their buckets, the sum in seconds. */
	assert_int_equal(l.count[XLB_LAT_TOTAL], 201);
	assert_int_equal(l.bucket[XLB_LAT_TOTAL][3], 160);	/* <= 0.01 */
	assert_int_equal(l.bucket[XLB_LAT_TOTAL][6], 41);	/* <= 0.1 */
	assert_true(fabs(l.sum_s[XLB_LAT_TOTAL] - (160 * 0.01 + 41 * 0.1)) < 1e-6);
	assert_int_equal(l.failed, 1);
}

static void test_stats(void **state)
{
	__u32 a[] = { 10, 11, 12, 13, 14, 15, 16, 17 }, b[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	(void)state;
	assert_true(xlb_mann_whitney_z(a, 8, b, 8) > 3.0);
	assert_true(xlb_mann_whitney_z(b, 8, a, 8) < -3.0);
	assert_true(fabs(xlb_mann_whitney_z(a, 8, a, 8)) < 1e-9);
	assert_true(xlb_sign_z(a, 8, 9) > 2.8);
	assert_true(fabs(xlb_sign_z(a, 8, 13)) < 1e-9);
	assert_true(fabs(xlb_binomial_z(50, 100, 0.5)) < 1e-9);
}

/* The rank count gives the pairwise Mann-Whitney U, ties and all. */
static void test_rank_test_is_pairwise_u(void **state)
{
	__u32 a[37], b[211];
	uint64_t r = 77;
	double u = 0, n1 = 37, n2 = 211, z;
	size_t i, j;

	(void)state;
	for (i = 0; i < 37; i++)
		a[i] = (r = r * 6364136223846793005ull + 1) >> 58;	/* 0..63: many ties */
	for (j = 0; j < 211; j++)
		b[j] = (r = r * 6364136223846793005ull + 1) >> 59;
	for (i = 0; i < 37; i++)
		for (j = 0; j < 211; j++)
			u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
	z = (u - n1 * n2 / 2) / sqrt(n1 * n2 * (n1 + n2 + 1) / 12);
	assert_true(fabs(xlb_mann_whitney_z(a, 37, b, 211) - z) < 1e-9);
}

/* A VIP of 1000 backends, one of them slow: found, by name, among them all. */
static void test_thousand_backends(void **state)
{
	enum { N = 1000, S = 40 };
	static __u32 lat[N][S];
	static struct xlb_diag_input in[N];
	static char names[N][16];
	struct xlb_diag_cfg cfg;
	struct xlb_skew_cfg skew;
	struct xlb_diag_vip v;
	uint64_t r = 5;
	size_t i, k;

	(void)state;
	xlb_diag_cfg_default(&cfg);
	cfg.raise_after = 1;
	xlb_skew_cfg_default(&skew);
	xlb_diag_vip_init(&v, 0);
	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "be%zu", i);
		for (k = 0; k < S; k++)
			lat[i][k] = (i == 617 ? 200000 : 10000) + ((r = r * 6364136223846793005ull + 1) >> 52);
		in[i] = (struct xlb_diag_input){ .name = names[i], .judged = true, .probed = true,
						 .lat = lat[i], .n = S, .weight = 1, .health = "up" };
	}
	assert_int_equal(xlb_diag_evaluate(&cfg, &skew, 0, &v, in, N, 1000), XLB_DIAG_RAISED);
	assert_int_equal(v.kind, XLB_DIAG_SICK);
	assert_string_equal(v.named, "be617");
}

/*
 * The largest VIP the config lets through (maps backends up to 1 << 20; a
 * VIP's table needs 100 slots only per backend that takes new flows): the
 * evaluation must neither outgrow the stack nor compare every backend with
 * every other. The sick one is still found.
 */
static void test_huge_vip(void **state)
{
	enum { N = 300000, S = 8 };
	__u32 (*lat)[S] = calloc(N, sizeof(*lat));
	struct xlb_diag_input *in = calloc(N, sizeof(*in));
	struct xlb_diag_cfg cfg;
	struct xlb_skew_cfg skew;
	struct xlb_diag_vip v;
	uint64_t r = 11;
	size_t i, k;

	(void)state;
	assert_non_null(lat);
	assert_non_null(in);
	xlb_diag_cfg_default(&cfg);
	cfg.raise_after = 1;
	xlb_skew_cfg_default(&skew);
	xlb_diag_vip_init(&v, 0);
	for (i = 0; i < N; i++) {
		for (k = 0; k < S; k++)
			lat[i][k] = (i == 123457 ? 400000 : 10000) +
				    ((r = r * 6364136223846793005ull + 1) >> 50);
		in[i] = (struct xlb_diag_input){ .name = i == 123457 ? "sick" : "be", .judged = true,
						 .probed = true, .lat = lat[i], .n = S, .weight = 1,
						 .health = "up" };
	}
	assert_int_equal(xlb_diag_evaluate(&cfg, &skew, 0, &v, in, N, 1000), XLB_DIAG_RAISED);
	assert_int_equal(v.kind, XLB_DIAG_SICK);
	assert_string_equal(v.named, "sick");
	free(lat);
	free(in);
}

/* Weights 1:1:1:4 and a backend whose latency grows with its load. */
static void test_overload_by_configuration(void **state)
{
	__u32 w[NR] = { 1, 1, 1, 4 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, w, 0x9e3779b97f4a7c15ull);
	s.median_ms[3] = 32;	/* base 10 ms + 15 ms per request in flight at 46/s */
	t = run_until(&s, XLB_DIAG_OVERLOAD, 30);
	print_message("overload after %d s: %s\n", t, s.diag.message);
	assert_in_range(t, 1, 10);
	assert_string_equal(s.diag.named, "be4");
	assert_int_equal(s.diag.cause, XLB_SKEW_CONFIGURATION);
	assert_non_null(strstr(s.diag.message, "cause: configuration: its weight 4 is 4.0x"));
	assert_int_equal(s.raised, 1);
	xlb_skew_vip_free(&s.skew);
}

/* Five minutes as usual, then every backend slows down together. */
static void test_shared_dependency(void **state)
{
	__u32 w[NR] = { 1, 1, 1, 1 };
	struct sim s;
	size_t i;
	int t;

	(void)state;
	sim_init(&s, w, 0x1234567887654321ull);
	run(&s, 300);
	assert_int_equal(s.diag.kind, XLB_DIAG_NONE);
	for (i = 0; i < NR; i++)
		s.median_ms[i] = 480;
	t = run_until(&s, XLB_DIAG_SHARED, 30);
	print_message("shared after %d s: %s\n", t, s.diag.message);
	assert_in_range(t, 1, 12);
	assert_non_null(strstr(s.diag.message, "all 4 backends slowed from 1"));
	assert_non_null(strstr(s.diag.message, "the balancer is not the cause"));
	assert_string_equal(s.diag.named, "");
	/* Back to normal: the verdict clears, after clear_after clean seconds. */
	for (i = 0; i < NR; i++)
		s.median_ms[i] = 12;
	t = run_until(&s, XLB_DIAG_NONE, 60);
	assert_in_range(t, (int)s.cfg.clear_after, 30);
	assert_int_equal(s.cleared, 1);
	xlb_skew_vip_free(&s.skew);
}

static void test_single_sick_backend(void **state)
{
	__u32 w[NR] = { 1, 1, 1, 1 };
	struct sim s;
	int t;

	(void)state;
	sim_init(&s, w, 0xdeadbeefcafef00dull);
	run(&s, 60);
	s.median_ms[1] = 210;
	t = run_until(&s, XLB_DIAG_SICK, 30);
	print_message("sick after %d s: %s\n", t, s.diag.message);
	/* Its lower quartile must be slow: three quarters of a window (10 s). */
	assert_in_range(t, 1, 12);
	assert_string_equal(s.diag.named, "be2");
	assert_non_null(strstr(s.diag.message, "at a normal share"));
	assert_non_null(strstr(s.diag.message, "health: up"));
	xlb_skew_vip_free(&s.skew);
}

/* Ten minutes of steady traffic, noisy latency, rare failures: nothing. */
static void test_steady_ten_minutes_no_verdict(void **state)
{
	static const uint64_t seeds[] = { 1, 0xabcdef, 0x5555aaaa5555aaaaull, 42, 7777 };
	__u32 w[NR] = { 1, 1, 1, 1 };
	struct sim s;
	size_t k;

	(void)state;
	for (k = 0; k < ARRAY_SIZE(seeds); k++) {
		sim_init(&s, w, seeds[k] * 0x9e3779b97f4a7c15ull + 1);
		s.noise = 0.5;
		s.fail = 0.01;
		run(&s, 600);
		if (s.raised)
			print_message("seed %zu raised %s: %s\n", k,
				      xlb_diag_kind_name(s.raised_kind[0]), s.diag.message);
		assert_int_equal(s.raised, 0);
		assert_int_equal(s.diag.kind, XLB_DIAG_NONE);
		xlb_skew_vip_free(&s.skew);
	}
}

/* A short slow spell (2 s) is noise to the hysteresis. */
static void test_blip_is_not_a_verdict(void **state)
{
	__u32 w[NR] = { 1, 1, 1, 1 };
	struct sim s;

	(void)state;
	sim_init(&s, w, 99);
	s.cfg.window_ms = 2000;		/* so that the blip dominates its window */
	run(&s, 60);
	s.median_ms[2] = 300;
	run(&s, 1);
	s.median_ms[2] = 12;
	run(&s, 30);
	assert_int_equal(s.raised, 0);
	xlb_skew_vip_free(&s.skew);
}

/*
 * CI's false verdict: with the test servers' latency of 10 ms + 18 ms per
 * request in flight, a probe finds one request ahead of it a third of the
 * time: two modes, 10 and 28 ms. One backend, by chance or because its two
 * VIPs' probes met, found one ahead most of the time for some seconds; its
 * median flipped to 29 ms against 12 ms and "single sick backend" was
 * raised, then for another. Most of its requests were as fast as its
 * peers': not a sick host. A slow spell shorter than a window is not one
 * either; a host slow for good still is.
 */
static void test_two_modes_are_not_sick(void **state)
{
	__u32 w[NR] = { 1, 1, 1, 1 };
	struct sim s;
	size_t i;
	int t;

	(void)state;
	sim_init(&s, w, 0x5eed5eed5eedull);
	s.second_ms = 28;
	for (i = 0; i < NR; i++) {
		s.median_ms[i] = 10;
		s.second_p[i] = 0.35;
	}
	run(&s, 60);
	s.second_p[0] = 0.75;
	run(&s, 30);
	s.second_p[0] = 0.35;
	run(&s, 30);
	s.median_ms[2] = 28;
	run(&s, 6);
	s.median_ms[2] = 10;
	run(&s, 30);
	if (s.raised)
		print_message("raised %s: %s\n", xlb_diag_kind_name(s.raised_kind[0]), s.diag.message);
	assert_int_equal(s.raised, 0);
	/* Slow for most requests, for good: a verdict. */
	s.median_ms[2] = 60;
	s.second_p[2] = 0;
	t = run_until(&s, XLB_DIAG_SICK, 40);
	print_message("sick after %d s: %s\n", t, s.diag.message);
	assert_in_range(t, 1, 12);
	assert_string_equal(s.diag.named, "be3");
	xlb_skew_vip_free(&s.skew);
}

/* Health probes alone (one every 2 s): too few samples, and it says so. */
static void test_insufficient_says_what_is_missing(void **state)
{
	__u32 w[NR] = { 1, 1, 1, 1 };
	struct sim s;
	int i;

	(void)state;
	sim_init(&s, w, 5);
	s.probes_per_s = 1;
	s.cfg.min_samples = 11;	/* ten in a 10 s window at one a second */
	s.median_ms[0] = 500;
	for (i = 0; i < 30; i++)
		sim_second(&s);
	assert_int_equal(s.diag.kind, XLB_DIAG_INSUFFICIENT);
	assert_non_null(strstr(s.diag.message, "latency_interval"));
	assert_int_equal(s.raised, 0);
	xlb_skew_vip_free(&s.skew);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency_window_and_baseline),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_rank_test_is_pairwise_u),
		cmocka_unit_test(test_thousand_backends),
		cmocka_unit_test(test_huge_vip),
		cmocka_unit_test(test_overload_by_configuration),
		cmocka_unit_test(test_shared_dependency),
		cmocka_unit_test(test_single_sick_backend),
		cmocka_unit_test(test_steady_ten_minutes_no_verdict),
		cmocka_unit_test(test_blip_is_not_a_verdict),
		cmocka_unit_test(test_two_modes_are_not_sick),
		cmocka_unit_test(test_insufficient_says_what_is_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
