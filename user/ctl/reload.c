// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl reload: xlbd re-reads its config. A config with errors is refused
 * and the running one stays in force; the errors are printed.
 */
#include <stdio.h>

#include "ctl.h"
#include "ipc.h"

int reload_main(int argc, char **argv)
{
	json_t *r, *w;
	size_t i;
	int rc;

	if (ctl_usage(argc, argv, 1, 1, "reload", &rc))
		return rc;
	r = ctl_call_plain("reload", NULL, &rc);
	if (!r) {
		if (rc != CTL_OK)
			fprintf(stderr, "reload: refused; the running config stays in force\n");
		return rc;
	}
	json_array_foreach(json_object_get(r, "warnings"), i, w)
		printf("%s\n", json_string_value(w));
	printf("reloaded %s: %lld VIPs\n", json_string_value(json_object_get(r, "config")),
	       (long long)json_integer_value(json_object_get(r, "vips")));
	json_decref(r);
	return CTL_OK;
}
