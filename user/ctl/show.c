// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl show [VIP]: VIPs and backends, with weight, state and table share
 * next to the share the weights ask for. xlbctl dump: the same as stable
 * tab-separated lines for scripts.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

#define S(obj, key)	json_string_value(json_object_get(obj, key))
#define I(obj, key)	((long long)json_integer_value(json_object_get(obj, key)))
#define F(obj, key)	json_real_value(json_object_get(obj, key))

static void print_vip(json_t *vip)
{
	json_t *be;
	size_t i;

	json_t *fp = json_object_get(vip, "fingerprint");

	printf("vip %s: %s%s%s:%lld/%s %s, table %lld%s, fingerprint %s\n", S(vip, "name"),
	       strchr(S(vip, "address"), ':') ? "[" : "", S(vip, "address"),
	       strchr(S(vip, "address"), ':') ? "]" : "", I(vip, "port"), S(vip, "protocol"),
	       S(vip, "mode"), I(vip, "table_size"),
	       json_is_true(json_object_get(vip, "hash_source_port")) ? "" : ", source port not hashed",
	       json_is_object(fp) ? S(fp, "digest") : "(table not read yet)");
	printf("  %-24s %6s %-8s %-10s %-9s %7s %8s %10s %12s %9s  %s\n", "backend", "weight",
	       "state", "health", "data path", "share", "expected", "new_flows", "packets",
	       "latency", "last probe");
	json_array_foreach(json_object_get(vip, "backends"), i, be) {
		json_t *lat = json_object_get(be, "latency");
		char probe[128] = "-", ms[16] = "-", weight[24];

		if (json_object_get(be, "probe"))
			snprintf(probe, sizeof(probe), "%s: %s, %llds since change", S(be, "probe"),
				 S(be, "last_result"), I(be, "since_change_s"));
		/* Ramping up (slow start): the weight it has now, of its own. */
		if (json_object_get(be, "slow_start_left_s"))
			snprintf(weight, sizeof(weight), "%lld/%lld", I(be, "weight_in_force"), I(be, "weight"));
		else
			snprintf(weight, sizeof(weight), "%lld", I(be, "weight"));
		if (lat && I(lat, "samples"))
			snprintf(ms, sizeof(ms), "%.1fms", F(lat, "median_ms"));
		printf("  %-24s %6s %-8s %-10s %-9s %6.1f%% %7.1f%% %10lld %12lld %9s  %s%s\n",
		       S(be, "address"), weight, S(be, "state"), S(be, "health"),
		       S(be, "dp_state"), 100 * F(be, "table_share"),
		       100 * F(be, "expected_share"), I(be, "new_flows"), I(be, "packets"), ms,
		       probe, json_is_true(json_object_get(be, "override")) ? " (runtime change)" : "");
		/* Held out as flapping: why, and when it comes back, under its row. */
		if (json_object_get(be, "held_out"))
			printf("    held out as flapping for %llds: %s\n", I(be, "flapping_since_s"),
			       S(be, "held_out"));
	}
	if (json_object_get(vip, "diagnosis"))
		printf("  diagnosis: %s\n", S(json_object_get(vip, "diagnosis"), "message"));
}

int show_main(int argc, char **argv)
{
	json_t *r, *vip;
	size_t i;
	int rc, shown = 0;

	if (ctl_usage(argc, argv, 1, 2, "show [VIP]", &rc))
		return rc;
	/* One VIP: xlbd builds that one alone. */
	r = ctl_call(XLB_CMD(LIST), argc == 2 ? json_pack("{s:s}", "vip", argv[1]) : NULL, &rc);
	if (!r)
		return rc;
	if (argc == 2) {
		json_t *one = NULL;

		json_array_foreach(r, i, vip)
			if (!strcmp(S(vip, "name"), argv[1]))
				one = json_incref(vip);
		json_decref(r);
		if (!one) {
			fprintf(stderr, "show: no VIP named '%s'\n", argv[1]);
			return CTL_ERROR;
		}
		r = json_array();
		json_array_append_new(r, one);
	}
	if (json_output) {
		ctl_print_json(r);
	} else {
		json_array_foreach(r, i, vip) {
			if (shown++)
				putchar('\n');
			print_vip(vip);
		}
	}
	json_decref(r);
	return CTL_OK;
}

int dump_main(int argc, char **argv)
{
	json_t *r, *vip, *be;
	size_t i, j;
	int rc;

	if (ctl_usage(argc, argv, 1, 1, "dump", &rc))
		return rc;
	r = ctl_call(XLB_CMD(LIST), NULL, &rc);
	if (!r)
		return rc;
	json_array_foreach(r, i, vip) {
		printf("vip\t%s\t%s\t%lld\t%s\t%s\t%lld\n", S(vip, "name"), S(vip, "address"),
		       I(vip, "port"), S(vip, "protocol"), S(vip, "mode"), I(vip, "table_size"));
		json_array_foreach(json_object_get(vip, "backends"), j, be)
			printf("backend\t%s\t%s\t%lld\t%s\t%s\t%lld\t%lld\t%lld\t%lld\n",
			       S(vip, "name"), S(be, "address"), I(be, "weight"), S(be, "state"),
			       S(be, "dp_state"), I(be, "slots"), I(be, "new_flows"),
			       I(be, "packets"), I(be, "bytes"));
	}
	json_decref(r);
	return CTL_OK;
}
