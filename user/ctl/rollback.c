// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl rollback [VIP] [--change ID]: undoes one change xlbd made (a
 * reload, SIGHUP included, or a runtime change) and nothing else: the
 * newest in force, the newest that touched VIP, or change ID. Refused,
 * with the newer change named, when a newer change touched the same thing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

/* A change's number: digits alone, 1 up to what 64 bits hold. */
static bool parse_id(const char *s, unsigned long long *id)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*id = strtoull(s, &end, 10);
	return !*end && !errno && *id;
}

int rollback_main(int argc, char **argv)
{
	static const char usage[] = "rollback [VIP] [--change N]";
	json_t *r, *args = json_object();
	unsigned long long id = 0;
	int i, o = 1, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--change")) {
			argv[o++] = argv[i];
			continue;
		}
		if (id || i + 1 >= argc || !parse_id(argv[i + 1], &id)) {
			fprintf(stderr, id ? "%s: --change is given once: one rollback undoes one change\n" :
				"%s: --change takes a change's number, 1 or more ('xlbctl history' lists them); got '%s'\n",
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
		json_object_set_new(args, "change", json_integer((json_int_t)id));
	r = ctl_call_plain(XLB_CMD(ROLLBACK), args, &rc);
	if (!r)
		return rc;
	printf("%s\n", json_string_value(json_object_get(r, "done")));
	json_decref(r);
	return CTL_OK;
}
