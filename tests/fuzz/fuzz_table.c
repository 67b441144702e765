// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for a table on the wire (diff.c: what xlbd sends
 * `xlbctl diff`): any JSON is refused or read into a table whose slots are
 * backends it listed or empty, and a dry run compares it with itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL), *d;
	union xlb_addr none = {};
	struct xlb_addr_table t;
	__u32 i;

	if (!j)
		return 0;
	if (xlb_addr_table_from_json(j, &t)) {
		if (t.slot || t.m)
			__builtin_trap();	/* refused means nothing kept */
		json_decref(j);
		return 0;
	}
	for (i = 0; i < t.m; i++) {
		union xlb_addr a;
		size_t k, n = json_array_size(json_object_get(j, "backends"));
		bool listed = !memcmp(&t.slot[i], &none, sizeof(none));

		for (k = 0; k < n && !listed; k++) {
			const char *s = json_string_value(json_array_get(json_object_get(j, "backends"), k));

			listed = s && !xlb_addr_parse(s, &a) && !xlb_addr_cmp(&a, &t.slot[i]);
		}
		if (!listed)
			__builtin_trap();
	}
	d = xlb_vip_diff("fuzz", NULL, 0, &t, NULL, 0, &t);
	if (t.m && json_real_value(json_object_get(d, "moved")) != 0.0)
		__builtin_trap();	/* a table against itself moves nothing */
	json_decref(d);
	xlb_addr_table_free(&t);
	json_decref(j);
	return 0;
}
