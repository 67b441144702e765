// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl rollback [VIP] [--change ID]: undoes one change xlbd made (a
 * reload, SIGHUP included, or a runtime change) and nothing else: the
 * newest in force, the newest that touched VIP, or change ID. Refused,
 * with the newer change named, when a newer change touched the same thing.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

int rollback_main(int argc, char **argv)
{
	static const char usage[] = "rollback [VIP] [--change ID]";
	json_t *r, *args = json_object();
	__u32 id = 0;
	int i, o = 1, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--change")) {
			argv[o++] = argv[i];
			continue;
		}
		if (i + 1 >= argc || xlb_parse_u32(argv[i + 1], UINT32_MAX, &id) || !id) {
			fprintf(stderr, "%s: --change takes a change's number ('xlbctl history' lists them); got '%s'\n",
				prog_name, i + 1 < argc ? argv[i + 1] : "");
			json_decref(args);
			return CTL_USAGE;
		}
		i++;
	}
	argc = o;
	if (ctl_usage(argc, argv, 1, 2, usage, &rc)) {
		json_decref(args);
		return rc;
	}
	if (argc == 2)
		json_object_set_new(args, "vip", json_string(argv[1]));
	if (id)
		json_object_set_new(args, "change", json_integer(id));
	r = ctl_call_plain(XLB_CMD(ROLLBACK), args, &rc);
	if (!r)
		return rc;
	printf("%s\n", json_string_value(json_object_get(r, "done")));
	json_decref(r);
	return CTL_OK;
}
