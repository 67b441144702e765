// SPDX-License-Identifier: GPL-2.0
/* Unit tests for the weighted Maglev table builder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "addr.h"
#include "maglev.h"

#define M_SMALL	65537
#define M_LARGE	655373

static void make_backends(struct maglev_backend *b, size_t n, __u32 weight)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* 198.18.0.0/15: distinct, deterministic addresses. */
		xlb_addr_from_v4(&b[i].addr, htonl(0xc6120000u + 1 + i));
		b[i].weight = weight;
		b[i].id = i;
	}
}

static void count_slots(const __u32 *table, __u32 m, __u64 *counts, size_t n)
{
	__u32 i;

	memset(counts, 0, n * sizeof(*counts));
	for (i = 0; i < m; i++) {
		assert_true(table[i] < n);
		counts[table[i]]++;
	}
}

/* Every backend's share within 1% (relative) of weight / total weight. */
static void assert_shares_follow_weights(const struct maglev_backend *b,
					 size_t n, __u32 m)
{
	__u32 *table = malloc(m * sizeof(*table));
	__u64 *counts = calloc(n, sizeof(*counts)), total = 0;
	size_t i;

	assert_non_null(table);
	assert_non_null(counts);
	assert_int_equal(maglev_build(b, n, m, table), 0);
	count_slots(table, m, counts, n);
	for (i = 0; i < n; i++)
		total += b[i].weight;
	for (i = 0; i < n; i++) {
		double want = (double)m * b[i].weight / total;
		double err = (counts[i] - want) / want;

		if (err < 0)
			err = -err;
		if (err > 0.01)
			fail_msg("backend %zu weight %u: %llu slots, want %.1f (%.2f%% off)",
				 i, b[i].weight, (unsigned long long)counts[i], want,
				 err * 100);
	}
	free(table);
	free(counts);
}

static void test_weights_1_2(void **state)
{
	struct maglev_backend b[2];

	(void)state;
	make_backends(b, 2, 1);
	b[1].weight = 2;
	assert_shares_follow_weights(b, 2, M_SMALL);
}

static void test_mixed_weights(void **state)
{
	static const __u32 weights[] = { 1, 2, 3, 5, 8, 13, 21, 34, 55, 100 };
	struct maglev_backend b[10];
	size_t i;

	(void)state;
	make_backends(b, 10, 1);
	for (i = 0; i < 10; i++)
		b[i].weight = weights[i];
	assert_shares_follow_weights(b, 10, M_SMALL);
}

static void test_many_equal_backends_balance(void **state)
{
	const size_t n = 1000;
	struct maglev_backend *b = calloc(n, sizeof(*b));
	__u32 *table = malloc(M_LARGE * sizeof(*table));
	__u64 *counts = calloc(n, sizeof(*counts)), lo = UINT64_MAX, hi = 0;
	size_t i;

	(void)state;
	make_backends(b, n, 1);
	assert_int_equal(maglev_build(b, n, M_LARGE, table), 0);
	count_slots(table, M_LARGE, counts, n);
	for (i = 0; i < n; i++) {
		if (counts[i] < lo)
			lo = counts[i];
		if (counts[i] > hi)
			hi = counts[i];
	}
	assert_true(lo > 0);
	if ((double)hi / lo > 1.02)
		fail_msg("max/min slots %llu/%llu > 1.02", (unsigned long long)hi,
			 (unsigned long long)lo);
	free(b);
	free(table);
	free(counts);
}

/* Removing one of n backends moves at most 1/n + 1% of the slots. */
static void assert_small_disruption(size_t n, __u32 m, size_t victim)
{
	struct maglev_backend *b = calloc(n, sizeof(*b));
	__u32 *before = malloc(m * sizeof(__u32)), *after = malloc(m * sizeof(__u32));
	__u32 i, moved = 0;
	double frac, bound = 1.0 / n + 0.01;

	make_backends(b, n, 1);
	assert_int_equal(maglev_build(b, n, m, before), 0);
	b[victim].weight = 0;
	assert_int_equal(maglev_build(b, n, m, after), 0);
	for (i = 0; i < m; i++) {
		assert_int_not_equal(after[i], victim);
		moved += before[i] != after[i];
	}
	frac = (double)moved / m;
	if (frac > bound)
		fail_msg("n=%zu: %.4f of slots moved, bound %.4f", n, frac, bound);
	free(b);
	free(before);
	free(after);
}

static void test_removal_moves_few_slots(void **state)
{
	(void)state;
	assert_small_disruption(3, M_SMALL, 1);
	assert_small_disruption(10, M_SMALL, 4);
	assert_small_disruption(100, M_SMALL, 37);
	assert_small_disruption(1000, M_LARGE, 999);
}

static void test_order_independent(void **state)
{
	const size_t n = 50;
	struct maglev_backend a[50], b[50];
	__u32 *ta = malloc(M_SMALL * sizeof(__u32)), *tb = malloc(M_SMALL * sizeof(__u32));
	size_t i;

	(void)state;
	make_backends(a, n, 1);
	for (i = 0; i < n; i++)
		a[i].weight = 1 + i % 7;
	/* Reverse, then rotate: a different listing of the same set. */
	for (i = 0; i < n; i++)
		b[i] = a[(n - 1 - i + 17) % n];
	assert_int_equal(maglev_build(a, n, M_SMALL, ta), 0);
	assert_int_equal(maglev_build(b, n, M_SMALL, tb), 0);
	assert_memory_equal(ta, tb, M_SMALL * sizeof(__u32));
	free(ta);
	free(tb);
}

static void test_zero_weight_left_out(void **state)
{
	struct maglev_backend b[3];
	__u32 *table = malloc(M_SMALL * sizeof(__u32));
	__u64 counts[3];

	(void)state;
	make_backends(b, 3, 5);
	b[1].weight = 0;
	assert_int_equal(maglev_build(b, 3, M_SMALL, table), 0);
	count_slots(table, M_SMALL, counts, 3);
	assert_int_equal(counts[1], 0);
	assert_true(counts[0] + counts[2] == M_SMALL);
	free(table);
}

static void test_all_zero_weight_gives_empty_table(void **state)
{
	struct maglev_backend b[2];
	__u32 table[101];
	size_t i;

	(void)state;
	make_backends(b, 2, 0);
	assert_int_equal(maglev_build(b, 2, 101, table), 0);
	for (i = 0; i < 101; i++)
		assert_int_equal(table[i], XLB_NO_BACKEND);
}

static void test_size_checks(void **state)
{
	struct maglev_backend b[2];
	__u32 *table = malloc(M_SMALL * sizeof(__u32));
	const char *why = NULL;

	(void)state;
	assert_true(maglev_is_prime(65537));
	assert_true(maglev_is_prime(655373));
	assert_false(maglev_is_prime(65536));
	assert_false(maglev_is_prime(1));
	assert_false(maglev_is_prime(9));

	assert_int_equal(maglev_check_size(65536, 2, &why), -EINVAL);
	assert_non_null(strstr(why, "prime"));
	assert_int_equal(maglev_check_size(65537, 656, &why), -EINVAL);
	assert_non_null(strstr(why, "100 x"));
	assert_int_equal(maglev_check_size(65537, 655, &why), 0);

	make_backends(b, 2, 1);
	assert_int_equal(maglev_build(b, 2, 65536, table), -EINVAL);
	b[1].addr = b[0].addr;
	assert_int_equal(maglev_build(b, 2, M_SMALL, table), -EINVAL);
	free(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weights_1_2),
		cmocka_unit_test(test_mixed_weights),
		cmocka_unit_test(test_many_equal_backends_balance),
		cmocka_unit_test(test_removal_moves_few_slots),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_zero_weight_left_out),
		cmocka_unit_test(test_all_zero_weight_gives_empty_table),
		cmocka_unit_test(test_size_checks),
	};

	return cmocka_run_group_tests_name("maglev", tests, NULL, NULL);
}
