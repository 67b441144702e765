// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl reload: xlbd re-reads its config. A config with errors is refused
 * and the running one stays in force; the errors are printed.
 */
#include <stdio.h>

#include "ctl.h"
#include "guard.h"
#include "ipc.h"
#include "xlb_protocol.h"

int reload_main(int argc, char **argv)
{
	struct ctl_guard g;
	json_t *r, *w;
	size_t i;
	int rc;

	if (!ctl_guard_opts(&argc, argv, &g))
		return CTL_USAGE;
	if (ctl_usage(argc, argv, 1, 1, "reload" CTL_GUARD_USAGE, &rc))
		return rc;
	r = ctl_call(XLB_CMD(RELOAD), ctl_guard_args(&g, NULL), &rc);
	if (!r) {
		if (rc != CTL_OK)
			fprintf(stderr, "reload: refused; the running config stays in force\n");
		return rc;
	}
	if (json_output) {
		ctl_print_json(r);
		rc = ctl_guard_wait(&g, r);
		json_decref(r);
		return rc;
	}
	json_array_foreach(json_object_get(r, "warnings"), i, w)
		printf("%s\n", json_string_value(w));
	if (json_is_true(json_object_get(r, "unchanged")))
		printf("reloaded %s: %lld VIPs; nothing in force changed, so no change is recorded\n",
		       json_string_value(json_object_get(r, "config")),
		       (long long)json_integer_value(json_object_get(r, "vips")));
	else
		printf("reloaded %s: %lld VIPs (change #%lld; 'xlbctl rollback' undoes it)\n",
		       json_string_value(json_object_get(r, "config")),
		       (long long)json_integer_value(json_object_get(r, "vips")),
		       (long long)json_integer_value(json_object_get(r, "change_id")));
	rc = ctl_guard_wait(&g, r);
	json_decref(r);
	return rc;
}
