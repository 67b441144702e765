// SPDX-License-Identifier: GPL-2.0
/* xlbctl counters: verdict reasons and per-VIP totals. */
#include <stdio.h>

#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

int counters_main(int argc, char **argv)
{
	json_t *r, *v;
	const char *name;
	size_t i;
	int rc;

	if (ctl_usage(argc, argv, 1, 1, "counters", &rc))
		return rc;
	r = ctl_call_plain(XLB_CMD(COUNTERS), NULL, &rc);
	if (!r)
		return rc;
	printf("%-20s %14s %16s\n", "reason", "packets", "bytes");
	json_object_foreach(json_object_get(r, "reasons"), name, v)
		printf("%-20s %14lld %16lld\n", name,
		       (long long)json_integer_value(json_object_get(v, "packets")),
		       (long long)json_integer_value(json_object_get(v, "bytes")));
	printf("\n%-24s %14s %16s %12s %12s\n", "vip", "packets", "bytes", "new_flows",
	       "no_backend");
	json_array_foreach(json_object_get(r, "vips"), i, v)
		printf("%-24s %14lld %16lld %12lld %12lld\n",
		       json_string_value(json_object_get(v, "name")),
		       (long long)json_integer_value(json_object_get(v, "packets")),
		       (long long)json_integer_value(json_object_get(v, "bytes")),
		       (long long)json_integer_value(json_object_get(v, "new_flows")),
		       (long long)json_integer_value(json_object_get(v, "no_backend")));
	json_decref(r);
	return CTL_OK;
}
