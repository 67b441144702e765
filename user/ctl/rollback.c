// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl rollback [VIP]: undoes the newest change xlbd made (reload,
 * weight, drain, enable, disable, add, remove, reset), putting back what
 * was in force before it. With a VIP, only if that change touched it.
 */
#include <stdio.h>

#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

int rollback_main(int argc, char **argv)
{
	json_t *r, *args = json_object();
	int rc;

	if (ctl_usage(argc, argv, 1, 2, "rollback [VIP]", &rc)) {
		json_decref(args);
		return rc;
	}
	if (argc == 2)
		json_object_set_new(args, "vip", json_string(argv[1]));
	r = ctl_call_plain(XLB_CMD(ROLLBACK), args, &rc);
	if (!r)
		return rc;
	printf("%s\n", json_string_value(json_object_get(r, "done")));
	json_decref(r);
	return CTL_OK;
}
