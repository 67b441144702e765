// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for table fingerprints: two nodes with the same backends agree
 * whatever ids and config order they have; one weight, the table size, the
 * hash settings, one backend's state or one slot of the table tells them
 * apart, and says which part.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "fingerprint.h"
#include "service.h"

#define NR	5
#define M	1009

/* One node's VIP: backends NR in the order given, ids from first_id. */
struct node {
	struct xlb_backend_spec be[NR];
	struct xlb_vip_spec spec;
	__u32 table[M];
	union xlb_addr addr_of[64];
	__u32 weights[NR];
	union xlb_addr addrs[NR];
	struct xlb_fp fp;
};

static void node_init(struct node *n, const int *order, __u32 first_id)
{
	size_t i;

	memset(n, 0, sizeof(*n));
	for (i = 0; i < NR; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.1.%d", 11 + order[i]);
		assert_int_equal(xlb_addr_parse(a, &n->be[i].addr), 0);
		n->be[i].weight = 1;
		n->be[i].state = XLB_BE_UP;
		n->be[i].id = first_id + i;
	}
	n->spec.table_size = M;
	n->spec.backends = n->be;
	n->spec.nr_backends = NR;
}

/* What xlbd does: the table built, read slot by slot, folded by address. */
static void node_fingerprint(struct node *n)
{
	struct xlb_fp_table t;
	size_t i;

	assert_int_equal(xlb_service_build_table(&n->spec, n->table), 0);
	for (i = 0; i < NR; i++) {
		n->addr_of[n->be[i].id] = n->be[i].addr;
		n->addrs[i] = n->be[i].addr;
		n->weights[i] = xlb_be_takes_new_flows(n->be[i].state) ? n->be[i].weight : 0;
	}
	xlb_fp_table_init(&t);
	for (i = 0; i < M; i++)
		xlb_fp_table_add(&t, n->table[i] == XLB_NO_BACKEND ? XLB_FP_EMPTY :
				 xlb_fp_addr(&n->addr_of[n->table[i]]));
	xlb_fp_finish(&n->fp, xlb_fp_config(n->addrs, n->weights, NR, M,
					    !(n->spec.flags & XLB_VIP_F_HASH_NO_SPORT)), &t);
}

static const int in_order[NR] = { 0, 1, 2, 3, 4 };
static const int shuffled[NR] = { 3, 0, 4, 2, 1 };

static void test_same_backends_agree(void **state)
{
	struct node *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char s1[XLB_FP_STRLEN], s2[XLB_FP_STRLEN];

	(void)state;
	node_init(a, in_order, 0);
	node_init(b, shuffled, 40);	/* other ids, other order */
	node_fingerprint(a);
	node_fingerprint(b);
	assert_memory_not_equal(a->table, b->table, sizeof(a->table));	/* ids differ */
	assert_true(a->fp.digest == b->fp.digest);
	assert_string_equal(xlb_fp_str(a->fp.digest, s1), xlb_fp_str(b->fp.digest, s2));
	assert_int_equal(strlen(s1), 16);
	free(a);
	free(b);
}

static void test_each_difference_shows(void **state)
{
	struct node *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	(void)state;
	node_init(a, in_order, 0);
	node_fingerprint(a);

	/* One weight. */
	node_init(b, in_order, 0);
	b->be[3].weight = 2;
	node_fingerprint(b);
	assert_true(a->fp.config != b->fp.config);
	assert_true(a->fp.table != b->fp.table);
	assert_true(a->fp.digest != b->fp.digest);

	/* The table size. */
	node_init(b, in_order, 0);
	b->spec.table_size = 1013;
	{
		__u32 *t = calloc(1013, sizeof(*t));
		struct xlb_fp_table ft;
		size_t i;

		assert_int_equal(xlb_service_build_table(&b->spec, t), 0);
		xlb_fp_table_init(&ft);
		for (i = 0; i < 1013; i++)
			xlb_fp_table_add(&ft, xlb_fp_addr(&b->be[t[i]].addr));
		for (i = 0; i < NR; i++)
			b->weights[i] = 1, b->addrs[i] = b->be[i].addr;
		xlb_fp_finish(&b->fp, xlb_fp_config(b->addrs, b->weights, NR, 1013, true), &ft);
		free(t);
	}
	assert_true(a->fp.config != b->fp.config);
	assert_true(a->fp.digest != b->fp.digest);

	/* The hash settings: the same table, another flow-to-slot mapping. */
	node_init(b, in_order, 0);
	b->spec.flags |= XLB_VIP_F_HASH_NO_SPORT;
	node_fingerprint(b);
	assert_true(a->fp.table == b->fp.table);
	assert_true(a->fp.config != b->fp.config);
	assert_true(a->fp.digest != b->fp.digest);

	/* One backend drained on one node only. */
	node_init(b, in_order, 0);
	b->be[1].state = XLB_BE_DRAINING;
	node_fingerprint(b);
	assert_true(a->fp.digest != b->fp.digest);
	free(a);
	free(b);
}

/* The configs agree, one slot does not: the table part alone says so. */
static void test_damaged_table(void **state)
{
	struct node *a = calloc(1, sizeof(*a));
	struct xlb_fp_table t;
	struct xlb_fp bad;
	size_t i;

	(void)state;
	node_init(a, in_order, 0);
	node_fingerprint(a);
	xlb_fp_table_init(&t);
	for (i = 0; i < M; i++) {
		__u32 id = i == 500 ? (a->table[i] + 1) % NR : a->table[i];

		xlb_fp_table_add(&t, xlb_fp_addr(&a->addr_of[id]));
	}
	xlb_fp_finish(&bad, xlb_fp_config(a->addrs, a->weights, NR, M, true), &t);
	assert_true(bad.config == a->fp.config);
	assert_true(bad.table != a->fp.table);
	assert_true(bad.digest != a->fp.digest);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_backends_agree),
		cmocka_unit_test(test_each_difference_shows),
		cmocka_unit_test(test_damaged_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
