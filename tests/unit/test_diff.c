// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the dry run behind `xlbctl diff` (user/diff.c): the table
 * a plan builds, its wire form read back, and each VIP's verdict, shares
 * and moved fraction, without a daemon or a data path.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "diff.h"
#include "plan.h"

#define NR	4
#define M	1009	/* prime */

static struct xlb_cfg_backend backends[NR];
static struct xlb_cfg_vip vip = { .name = "web", .backends = backends, .nr_backends = NR,
				  .table_size = M };

static int setup(void **state)
{
	char a[XLB_ADDR_STRLEN];

	(void)state;
	memset(backends, 0, sizeof(backends));
	for (int i = 0; i < NR; i++) {
		snprintf(a, sizeof(a), "198.18.1.%d", 11 + i);
		assert_int_equal(xlb_addr_parse(a, &backends[i].addr), 0);
		backends[i].weight = 1;
	}
	vip.table_size = M;
	return 0;
}

/* The table the VIP gets under its plan now (health: all up). */
static void table_now(struct xlb_addr_table *t)
{
	struct xlb_vip_plan p;

	assert_int_equal(xlb_plan_vip(&vip, NULL, &p), 0);
	assert_int_equal(xlb_addr_table_build(&vip, &p, t), 0);
	xlb_vip_plan_free(&p);
}

static double share(const struct xlb_addr_table *t, int be)
{
	__u32 i, n = 0;

	for (i = 0; i < t->m; i++)
		n += !xlb_addr_cmp(&t->slot[i], &backends[be].addr);
	return (double)n / t->m;
}

/* Every slot holds a backend of the VIP, in shares that follow the weights. */
static void test_table_follows_weights(void **state)
{
	struct xlb_addr_table t;

	(void)state;
	backends[0].weight = 2;
	backends[3].admin = XLB_ADMIN_DRAIN;
	table_now(&t);
	assert_int_equal(t.m, M);
	assert_true(fabs(share(&t, 0) - 0.5) < 0.02);
	assert_true(fabs(share(&t, 1) - 0.25) < 0.02);
	assert_true(fabs(share(&t, 2) - 0.25) < 0.02);
	assert_int_equal(share(&t, 3) * M, 0);	/* drained: no new flows */
	assert_true(fabs(share(&t, 0) + share(&t, 1) + share(&t, 2) - 1.0) < 1e-9);
	xlb_addr_table_free(&t);
}

/* The wire form xlbd sends reads back to the same table, slot by slot. */
static void test_wire_round_trip(void **state)
{
	union xlb_addr by_id[8] = {};
	__u32 ids[M], i;
	struct xlb_addr_table t;
	json_t *j;

	(void)state;
	for (i = 0; i < NR; i++)
		by_id[5 - i] = backends[i].addr;	/* ids are not indices */
	for (i = 0; i < M; i++)
		ids[i] = i % 7 == 3 ? XLB_NO_BACKEND : 5 - (i % NR);
	j = xlb_addr_table_to_json(ids, M, by_id, 8);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "size")), M);
	assert_int_equal(json_array_size(json_object_get(j, "backends")), NR);
	assert_int_equal(xlb_addr_table_from_json(j, &t), 0);
	assert_int_equal(t.m, M);
	for (i = 0; i < M; i++) {
		union xlb_addr none = {};

		if (i % 7 == 3)
			assert_memory_equal(&t.slot[i], &none, sizeof(none));
		else
			assert_int_equal(xlb_addr_cmp(&t.slot[i], &backends[i % NR].addr), 0);
	}
	xlb_addr_table_free(&t);
	json_decref(j);
}

/* A table from a peer is checked, not trusted: each bad form is refused. */
static void test_wire_refuses_bad_tables(void **state)
{
	static const char *const bad[] = {
		"{\"backends\": [\"198.18.1.11\"], \"slots\": \"000\"}",	/* not 4 digits a slot */
		"{\"backends\": [\"198.18.1.11\"], \"slots\": \"00g0\"}",	/* not hex */
		"{\"backends\": [\"198.18.1.11\"], \"slots\": \"00G0\"}",	/* upper case */
		"{\"backends\": [\"not an address\"], \"slots\": \"0000\"}",
		"{\"backends\": [7], \"slots\": \"0000\"}",
		"{\"backends\": [\"198.18.1.11\"]}",				/* no slots */
		"{\"backends\": [\"198.18.1.11\"], \"slots\": 5}",
	};
	struct xlb_addr_table t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		assert_non_null(j);
		assert_int_equal(xlb_addr_table_from_json(j, &t), -EINVAL);
		assert_null(t.slot);
		json_decref(j);
	}
}

/* An index past the backends listed is an empty slot, never a read past them. */
static void test_wire_index_past_list_is_empty(void **state)
{
	json_t *j = json_loads("{\"backends\": [\"198.18.1.11\"], \"slots\": \"00000001ffff\"}",
			       0, NULL);
	union xlb_addr none = {};
	struct xlb_addr_table t;

	(void)state;
	assert_int_equal(xlb_addr_table_from_json(j, &t), 0);
	assert_int_equal(t.m, 3);
	assert_int_equal(xlb_addr_cmp(&t.slot[0], &backends[0].addr), 0);
	assert_memory_equal(&t.slot[1], &none, sizeof(none));
	assert_memory_equal(&t.slot[2], &none, sizeof(none));
	xlb_addr_table_free(&t);
	json_decref(j);
}

static json_t *diff(const struct xlb_addr_table *now, const struct xlb_addr_table *after)
{
	union xlb_addr addrs[NR];

	for (int i = 0; i < NR; i++)
		addrs[i] = backends[i].addr;
	return xlb_vip_diff("web", addrs, NR, now, addrs, NR, after);
}

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The same plan: unchanged, nothing moves, every share as it is. */
static void test_same_plan_unchanged(void **state)
{
	struct xlb_addr_table a, b;
	json_t *d;

	(void)state;
	table_now(&a);
	table_now(&b);
	d = diff(&a, &b);
	assert_string_equal(str(d, "status"), "unchanged");
	assert_true(num(d, "moved") == 0.0);
	assert_int_equal(json_array_size(json_object_get(d, "backends")), NR);
	for (size_t i = 0; i < NR; i++) {
		json_t *row = json_array_get(json_object_get(d, "backends"), i);

		assert_true(num(row, "share_now") == num(row, "share_after"));
	}
	json_decref(d);
	xlb_addr_table_free(&a);
	xlb_addr_table_free(&b);
}

/*
 * A backend disabled: its flows, and about no others, move (Maglev), and
 * its share goes to 0 while the others' rise to a third each.
 */
static void test_disable_moves_its_share(void **state)
{
	struct xlb_addr_table a, b;
	json_t *d, *row;

	(void)state;
	table_now(&a);
	backends[1].admin = XLB_ADMIN_DISABLED;
	table_now(&b);
	d = diff(&a, &b);
	assert_string_equal(str(d, "status"), "changed");
	assert_true(num(d, "moved") > 0.24 && num(d, "moved") < 0.25 + 0.03);
	row = json_array_get(json_object_get(d, "backends"), 1);
	assert_true(fabs(num(row, "share_now") - 0.25) < 0.02);
	assert_true(num(row, "share_after") == 0.0);
	row = json_array_get(json_object_get(d, "backends"), 0);
	assert_true(fabs(num(row, "share_after") - 1.0 / 3) < 0.02);
	json_decref(d);
	xlb_addr_table_free(&a);
	xlb_addr_table_free(&b);
}

/* A new table size moves flows even at the same weights; measured by hash. */
static void test_resize_measured_by_hash(void **state)
{
	struct xlb_addr_table a, b;
	json_t *d;

	(void)state;
	table_now(&a);
	vip.table_size = 2003;	/* prime */
	table_now(&b);
	d = diff(&a, &b);
	assert_string_equal(str(d, "status"), "changed");
	assert_int_equal(json_integer_value(json_object_get(d, "table_now")), M);
	assert_int_equal(json_integer_value(json_object_get(d, "table_after")), 2003);
	/* Unrelated permutations: about 1 - 1/NR of new flows land elsewhere. */
	assert_true(num(d, "moved") > 0.6 && num(d, "moved") < 0.9);
	json_decref(d);
	xlb_addr_table_free(&a);
	xlb_addr_table_free(&b);
}

/* Added and removed VIPs: all of their flows are new or gone. */
static void test_added_and_removed(void **state)
{
	struct xlb_addr_table a;
	json_t *d;

	(void)state;
	table_now(&a);
	d = diff(NULL, &a);
	assert_string_equal(str(d, "status"), "added");
	assert_true(num(d, "moved") == 1.0);
	json_decref(d);
	d = diff(&a, NULL);
	assert_string_equal(str(d, "status"), "removed");
	assert_int_equal(json_integer_value(json_object_get(d, "table_after")), 0);
	json_decref(d);
	xlb_addr_table_free(&a);
}

/* A backend in both lists is one row; one in only one list still gets its row. */
static void test_rows_once_each(void **state)
{
	struct xlb_addr_table a, b;
	union xlb_addr now[NR], after[NR + 1];
	json_t *d;

	(void)state;
	table_now(&a);
	table_now(&b);
	for (int i = 0; i < NR; i++)
		now[i] = after[i] = backends[i].addr;
	assert_int_equal(xlb_addr_parse("198.18.1.99", &after[NR]), 0);
	d = xlb_vip_diff("web", now, NR, &a, after, NR + 1, &b);
	assert_int_equal(json_array_size(json_object_get(d, "backends")), NR + 1);
	assert_string_equal(str(json_array_get(json_object_get(d, "backends"), NR), "address"),
			    "198.18.1.99");
	json_decref(d);
	xlb_addr_table_free(&a);
	xlb_addr_table_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_table_follows_weights, setup),
		cmocka_unit_test_setup(test_wire_round_trip, setup),
		cmocka_unit_test_setup(test_wire_refuses_bad_tables, setup),
		cmocka_unit_test_setup(test_wire_index_past_list_is_empty, setup),
		cmocka_unit_test_setup(test_same_plan_unchanged, setup),
		cmocka_unit_test_setup(test_disable_moves_its_share, setup),
		cmocka_unit_test_setup(test_resize_measured_by_hash, setup),
		cmocka_unit_test_setup(test_added_and_removed, setup),
		cmocka_unit_test_setup(test_rows_once_each, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
