// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for finding a VIP by name (user/config.c): the hashed index
 * answers as a scan would (first of equal names, absent names, a copy,
 * a VIP array replaced after the index was built).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static struct xlb_cfg *make(size_t nr)
{
	struct xlb_cfg *cfg = calloc(1, sizeof(*cfg));
	size_t i;

	assert_non_null(cfg);
	cfg->vips = calloc(nr, sizeof(*cfg->vips));
	assert_non_null(cfg->vips);
	cfg->nr_vips = nr;
	for (i = 0; i < nr; i++)
		snprintf(cfg->vips[i].name, sizeof(cfg->vips[i].name), "v%zu", i);
	return cfg;
}

static void test_every_name_found(void **state)
{
	struct xlb_cfg *cfg = make(5000);
	char name[16];

	(void)state;
	for (size_t i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "v%zu", i);
		assert_ptr_equal(xlb_cfg_find_vip(cfg, name), &cfg->vips[i]);
	}
	assert_null(xlb_cfg_find_vip(cfg, "v5000"));
	assert_null(xlb_cfg_find_vip(cfg, ""));
	xlb_cfg_free(cfg);
}

static void test_first_of_equal_names(void **state)
{
	struct xlb_cfg *cfg = make(100);

	(void)state;
	strcpy(cfg->vips[70].name, "v30");
	assert_ptr_equal(xlb_cfg_find_vip(cfg, "v30"), &cfg->vips[30]);
	assert_null(xlb_cfg_find_vip(cfg, "v70"));
	xlb_cfg_free(cfg);
}

/* The copy gets an index of its own; the original's stays its own. */
static void test_copy_and_changed_array(void **state)
{
	struct xlb_cfg *cfg = make(100), *dup, byval;
	struct xlb_cfg_vip *more;

	(void)state;
	assert_non_null(xlb_cfg_find_vip(cfg, "v99"));
	dup = xlb_cfg_dup(cfg);
	assert_non_null(dup);
	assert_ptr_equal(xlb_cfg_find_vip(dup, "v99"), &dup->vips[99]);
	byval = *cfg;	/* shares the original's index: must not use it */
	byval.nr_vips = 50;
	assert_null(xlb_cfg_find_vip(&byval, "v99"));
	assert_ptr_equal(xlb_cfg_find_vip(&byval, "v49"), &cfg->vips[49]);
	/* A grown array: the index is built again, the new VIP found. */
	more = realloc(cfg->vips, 101 * sizeof(*more));
	assert_non_null(more);
	cfg->vips = more;
	memset(&cfg->vips[100], 0, sizeof(cfg->vips[100]));
	strcpy(cfg->vips[100].name, "late");
	cfg->nr_vips = 101;
	assert_ptr_equal(xlb_cfg_find_vip(cfg, "late"), &cfg->vips[100]);
	assert_ptr_equal(xlb_cfg_find_vip(cfg, "v0"), &cfg->vips[0]);
	xlb_cfg_free(dup);
	xlb_cfg_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_name_found),
		cmocka_unit_test(test_first_of_equal_names),
		cmocka_unit_test(test_copy_and_changed_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
