// SPDX-License-Identifier: GPL-2.0
/* xlbctl status (also bare xlbctl): what xlbd runs and since when. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

static void print_time(const char *label, json_int_t t)
{
	char buf[32];
	time_t tt = t;

	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", gmtime(&tt));
	printf("%s %s (%llds ago)\n", label, buf, (long long)(time(NULL) - tt));
}

int status_main(int argc, char **argv)
{
	json_t *r;
	int rc;

	if (ctl_usage(argc, argv, 1, 1, "status", &rc))
		return rc;
	r = ctl_call_plain(XLB_CMD(STATUS), NULL, &rc);
	if (!r)
		return rc;
	{
		json_int_t vips = json_integer_value(json_object_get(r, "vips"));
		json_int_t bes = json_integer_value(json_object_get(r, "backends"));
		json_int_t ov = json_integer_value(json_object_get(r, "overrides"));

		json_t *ifs = json_object_get(r, "interfaces"), *i;
		size_t n;

		printf("xlbd %s: interface%s", json_string_value(json_object_get(r, "version")),
		       json_array_size(ifs) == 1 ? "" : "s");
		json_array_foreach(ifs, n, i)
			printf("%s %s (%s XDP)", n ? "," : "", json_string_value(json_object_get(i, "name")),
			       json_string_value(json_object_get(i, "mode")));
		printf(", %lld VIP%s, %lld backend%s\n",
		       (long long)vips, vips == 1 ? "" : "s", (long long)bes, bes == 1 ? "" : "s");
		json_array_foreach(ifs, n, i) {
			char what[128];

			if (json_is_true(json_object_get(i, "attached")))
				continue;
			snprintf(what, sizeof(what),
				 "NOT ATTACHED: interface %s is gone; its traffic is not balanced since",
				 json_string_value(json_object_get(i, "name")));
			print_time(what, json_integer_value(json_object_get(i, "lost_at")));
		}
		printf("config %s, %lld runtime change%s%s\n",
		       json_string_value(json_object_get(r, "config")), (long long)ov,
		       ov == 1 ? "" : "s", ov ? " ('xlbctl diff' shows them)" : "");
		json_array_foreach(json_object_get(r, "guards"), n, i)
			printf("guard: change #%lld (%s) watched, %lld s left; 'xlbctl history' has it\n",
			       (long long)json_integer_value(json_object_get(i, "id")),
			       json_string_value(json_object_get(i, "what")),
			       (long long)json_integer_value(json_object_get(i, "left_s")));
		print_time("started", json_integer_value(json_object_get(r, "started")));
		print_time("applied", json_integer_value(json_object_get(r, "applied")));
		json_t *p = json_object_get(r, "probes");

		printf("probes: %lld backends probed, %lld down, %lld started, late by %.1f ms on average, %lld ms at most\n",
		       (long long)json_integer_value(json_object_get(p, "targets")),
		       (long long)json_integer_value(json_object_get(p, "down")),
		       (long long)json_integer_value(json_object_get(p, "started")),
		       json_real_value(json_object_get(p, "late_ms_mean")),
		       (long long)json_integer_value(json_object_get(p, "late_ms_max")));
		if (json_integer_value(json_object_get(r, "journal_write_errors")))
			printf("event journal %s: %lld events could not be written (disk full or unwritable?)\n",
			       json_string_value(json_object_get(r, "journal")),
			       (long long)json_integer_value(json_object_get(r, "journal_write_errors")));
		json_t *an = json_object_get(r, "announce");

		if (json_is_true(json_object_get(an, "enabled"))) {
			const char *node = json_string_value(json_object_get(an, "node"));
			size_t n = json_array_size(json_object_get(an, "routes"));

			if (!strcmp(node, "serving"))
				printf("announce: node serving, %zu VIP address%s announced (table %lld, device %s)\n",
				       n, n == 1 ? "" : "es",
				       (long long)json_integer_value(json_object_get(an, "table")),
				       json_string_value(json_object_get(an, "device")));
			else
				print_time(!strcmp(node, "draining") ?
					   "NODE DRAINING: routes withdrawn, xlb still forwards; since" :
					   "NODE DRAINED: nothing announced, xlb still forwards ('xlbctl resume-node'); since",
					   json_integer_value(json_object_get(an, "drain_started")));
		}
		const char *fp = json_string_value(json_object_get(r, "fingerprint"));

		printf("table fingerprint %s (all VIPs; 'xlbctl compare' checks other nodes)\n",
		       fp && *fp ? fp : "not read yet");
		printf("data path pinned under %s%s\n",
		       json_string_value(json_object_get(r, "pin_dir")),
		       json_is_true(json_object_get(r, "adopted")) ? ", adopted from an earlier run" : "");
	}
	json_decref(r);
	return CTL_OK;
}
