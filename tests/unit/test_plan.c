// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the plan: the one place that decides which backends take
 * new flows, their data-path state and their expected shares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plan.h"

#define NR	5

static struct xlb_cfg_backend backends[NR];
static struct xlb_cfg_vip vip = { .name = "web", .backends = backends, .nr_backends = NR };

/* Five backends at weight 1, all up, policy keep. */
static int setup(void **state)
{
	(void)state;
	memset(backends, 0, sizeof(backends));
	for (int i = 0; i < NR; i++)
		backends[i].weight = 1;
	vip.all_down = XLB_ALL_DOWN_KEEP;
	return 0;
}

static void test_all_up_even_shares(void **state)
{
	struct xlb_vip_plan p;

	(void)state;
	assert_int_equal(xlb_plan_vip(&vip, NULL, &p), 0);
	for (int i = 0; i < NR; i++) {
		assert_true(p.be[i].takes_new_flows);
		assert_int_equal(p.be[i].dp_state, XLB_BE_UP);
		assert_float_equal(p.be[i].expected_share, 0.2, 1e-9);
	}
	assert_false(p.all_down);
	xlb_vip_plan_free(&p);
}

/* Down, drained, disabled, weight 0 and up side by side: only the last takes flows. */
static void test_down_drained_disabled_weight0(void **state)
{
	struct xlb_backend_health h[NR] = { [0] = { .down = true } };
	struct xlb_vip_plan p;

	(void)state;
	backends[1].admin = XLB_ADMIN_DRAIN;
	backends[2].admin = XLB_ADMIN_DISABLED;
	backends[3].weight = 0;
	backends[4].weight = 3;
	assert_int_equal(xlb_plan_vip(&vip, h, &p), 0);
	assert_int_equal(p.be[0].dp_state, XLB_BE_DOWN);
	assert_int_equal(p.be[1].dp_state, XLB_BE_DRAINING);
	assert_int_equal(p.be[2].dp_state, XLB_BE_DOWN);
	assert_int_equal(p.be[3].dp_state, XLB_BE_DRAINING);
	assert_int_equal(p.be[4].dp_state, XLB_BE_UP);
	for (int i = 0; i < 4; i++) {
		assert_false(p.be[i].takes_new_flows);
		assert_float_equal(p.be[i].expected_share, 0.0, 0);
	}
	assert_true(p.be[4].takes_new_flows);
	assert_float_equal(p.be[4].expected_share, 1.0, 1e-9);
	assert_int_equal(p.total_weight, 3);
	/* Only be0 could take flows and is down, but be4 is up: not all down. */
	assert_false(p.all_down);
	xlb_vip_plan_free(&p);
}

/* A drained backend that dies loses its flows: down wins over draining. */
static void test_drained_and_down_is_down(void **state)
{
	struct xlb_backend_health h[NR] = { [1] = { .down = true } };
	struct xlb_vip_plan p;

	(void)state;
	backends[1].admin = XLB_ADMIN_DRAIN;
	assert_int_equal(xlb_plan_vip(&vip, h, &p), 0);
	assert_int_equal(p.be[1].dp_state, XLB_BE_DOWN);
	assert_true(p.be[1].health_down);
	assert_float_equal(p.be[0].expected_share, 0.25, 1e-9);
	xlb_vip_plan_free(&p);
}

/* All down under keep: the last healthy set stays, and takes the flows. */
static void test_all_down_keep_last_healthy(void **state)
{
	struct xlb_backend_health h[NR];
	struct xlb_vip_plan p;

	(void)state;
	for (int i = 0; i < NR; i++)
		h[i] = (struct xlb_backend_health){ .down = true, .last_healthy = i == 2 };
	assert_int_equal(xlb_plan_vip(&vip, h, &p), 0);
	assert_true(p.all_down);
	for (int i = 0; i < NR; i++) {
		assert_int_equal(p.be[i].kept, i == 2);
		assert_int_equal(p.be[i].takes_new_flows, i == 2);
		assert_int_equal(p.be[i].dp_state, i == 2 ? XLB_BE_UP : XLB_BE_DOWN);
	}
	assert_float_equal(p.be[2].expected_share, 1.0, 1e-9);
	xlb_vip_plan_free(&p);
}

/* All down with no healthy set on record: keep them all. */
static void test_all_down_keep_none_recorded(void **state)
{
	struct xlb_backend_health h[NR];
	struct xlb_vip_plan p;

	(void)state;
	for (int i = 0; i < NR; i++)
		h[i] = (struct xlb_backend_health){ .down = true };
	assert_int_equal(xlb_plan_vip(&vip, h, &p), 0);
	for (int i = 0; i < NR; i++)
		assert_true(p.be[i].kept && p.be[i].takes_new_flows);
	xlb_vip_plan_free(&p);
}

/* All down under drop: nothing takes flows; the data path counts the drops. */
static void test_all_down_drop(void **state)
{
	struct xlb_backend_health h[NR];
	struct xlb_vip_plan p;

	(void)state;
	vip.all_down = XLB_ALL_DOWN_DROP;
	for (int i = 0; i < NR; i++)
		h[i] = (struct xlb_backend_health){ .down = true, .last_healthy = true };
	assert_int_equal(xlb_plan_vip(&vip, h, &p), 0);
	assert_true(p.all_down);
	for (int i = 0; i < NR; i++) {
		assert_false(p.be[i].takes_new_flows);
		assert_int_equal(p.be[i].dp_state, XLB_BE_DOWN);
	}
	assert_int_equal(p.total_weight, 0);
	xlb_vip_plan_free(&p);
}

/* The data path's spec carries the plan's states, and weights as configured. */
static void test_spec_follows_plan(void **state)
{
	struct xlb_backend_health h[NR] = { [3] = { .down = true } };
	struct xlb_vip_spec spec;
	struct xlb_vip_plan p;

	(void)state;
	backends[0].admin = XLB_ADMIN_DRAIN;
	assert_int_equal(xlb_plan_vip(&vip, h, &p), 0);
	assert_int_equal(xlb_vip_spec_from_plan(&vip, NULL, &p, &spec), 0);
	for (int i = 0; i < NR; i++)
		assert_int_equal(spec.backends[i].state, p.be[i].dp_state);
	assert_int_equal(spec.backends[3].state, XLB_BE_DOWN);
	assert_int_equal(spec.backends[0].state, XLB_BE_DRAINING);
	free(spec.backends);
	xlb_vip_plan_free(&p);
}

/*
 * Ids are reconcile's, kept beside the config: the spec takes them from
 * there; without them, backends are numbered by index (tables only read).
 */
static void test_spec_takes_ids_from_beside_the_config(void **state)
{
	struct xlb_cfg cfg = { .vips = &vip, .nr_vips = 1 };
	struct xlb_ids *ids = xlb_ids_new(&cfg);
	struct xlb_vip_spec spec;
	struct xlb_vip_plan p;

	(void)state;
	assert_non_null(ids);
	assert_int_equal(ids->nr_vips, 1);
	assert_int_equal(ids->vips[0].nr_backends, NR);
	assert_int_equal(ids->vips[0].vip, XLB_NO_BACKEND);
	for (int i = 0; i < NR; i++)
		assert_int_equal(ids->vips[0].backends[i], XLB_NO_BACKEND);
	ids->vips[0].vip = 7;
	for (int i = 0; i < NR; i++)
		ids->vips[0].backends[i] = 100 + 2 * i;
	assert_int_equal(xlb_plan_vip(&vip, NULL, &p), 0);
	assert_int_equal(xlb_vip_spec_from_plan(&vip, &ids->vips[0], &p, &spec), 0);
	assert_int_equal(spec.id, 7);
	for (int i = 0; i < NR; i++)
		assert_int_equal(spec.backends[i].id, 100 + 2 * i);
	free(spec.backends);
	assert_int_equal(xlb_vip_spec_from_plan(&vip, NULL, &p, &spec), 0);
	assert_int_equal(spec.id, 0);
	for (int i = 0; i < NR; i++)
		assert_int_equal(spec.backends[i].id, i);
	free(spec.backends);
	xlb_vip_plan_free(&p);
	xlb_ids_free(ids);
}

/* Slow start: ten steps from a tenth, whole at the end; 0 duration: off. */
static void test_slow_start_ramp(void **state)
{
	(void)state;
	assert_float_equal(xlb_slow_start_ramp(0, 10000), 0.1, 1e-9);
	assert_float_equal(xlb_slow_start_ramp(999, 10000), 0.1, 1e-9);
	assert_float_equal(xlb_slow_start_ramp(1000, 10000), 0.2, 1e-9);
	assert_float_equal(xlb_slow_start_ramp(9999, 10000), 1.0, 1e-9);
	assert_float_equal(xlb_slow_start_ramp(10000, 10000), 1.0, 1e-9);
	assert_float_equal(xlb_slow_start_ramp(5, 0), 1.0, 1e-9);
}

/* A ramping backend: part of its weight, never 0, in shares and the spec. */
static void test_ramping_weight_in_shares_and_spec(void **state)
{
	struct xlb_backend_health h[NR] = { [0] = { .ramp = 0.1 }, [1] = { .ramp = 0.5 } };
	struct xlb_vip_spec spec;
	struct xlb_vip_plan p, q;

	(void)state;
	for (int i = 0; i < NR; i++)
		backends[i].weight = 10;
	backends[0].weight = 4;		/* 0.4 rounds to 0: still 1 */
	assert_int_equal(xlb_plan_vip(&vip, h, &p), 0);
	assert_int_equal(p.be[0].weight, 1);
	assert_int_equal(p.be[1].weight, 5);
	assert_int_equal(p.be[2].weight, 10);
	assert_int_equal(p.total_weight, 1 + 5 + 30);
	assert_float_equal(p.be[1].expected_share, 5.0 / 36, 1e-9);
	assert_int_equal(xlb_vip_spec_from_plan(&vip, NULL, &p, &spec), 0);
	assert_int_equal(spec.backends[1].weight, 5);
	free(spec.backends);
	/* A weight step is a change for the data path. */
	assert_int_equal(xlb_plan_vip(&vip, NULL, &q), 0);
	assert_false(xlb_plan_same(&p, &q));
	xlb_vip_plan_free(&p);
	xlb_vip_plan_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_all_up_even_shares, setup),
		cmocka_unit_test_setup(test_down_drained_disabled_weight0, setup),
		cmocka_unit_test_setup(test_drained_and_down_is_down, setup),
		cmocka_unit_test_setup(test_all_down_keep_last_healthy, setup),
		cmocka_unit_test_setup(test_all_down_keep_none_recorded, setup),
		cmocka_unit_test_setup(test_all_down_drop, setup),
		cmocka_unit_test_setup(test_spec_follows_plan, setup),
		cmocka_unit_test_setup(test_spec_takes_ids_from_beside_the_config, setup),
		cmocka_unit_test_setup(test_slow_start_ramp, setup),
		cmocka_unit_test_setup(test_ramping_weight_in_shares_and_spec, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
