// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl history: the changes xlbd keeps, newest first: who made each and
 * how (xlbctl, reload, SIGHUP, start, rollback, guard), what it changed,
 * whether it is in force, and its guard. 'xlbctl rollback --change ID'
 * undoes one of them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

static void print_change(json_t *c)
{
	json_int_t id = json_integer_value(json_object_get(c, "id"));
	json_int_t uid = json_integer_value(json_object_get(c, "uid"));
	time_t when = json_integer_value(json_object_get(c, "when_ms")) / 1000;
	const char *guard = json_string_value(json_object_get(c, "guard"));
	json_t *vips = json_object_get(c, "vips"), *v;
	char stamp[32];
	size_t i;

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&when));
	printf("#%-4lld %s  %s", (long long)id, stamp,
	       json_string_value(json_object_get(c, "source")));
	if (uid >= 0)
		printf(", uid %lld", (long long)uid);
	printf(": %s", json_string_value(json_object_get(c, "what")));
	if (json_array_size(vips)) {
		printf(" (VIPs it changed:");
		json_array_foreach(vips, i, v)
			printf(" %s", json_string_value(v));
		printf(")");
	}
	if (json_object_get(c, "undone_by"))
		printf("\n      undone by change #%lld",
		       (long long)json_integer_value(json_object_get(c, "undone_by")));
	else if (json_object_get(c, "undoes"))
		printf("\n      in force (an undo: not undone itself)");
	else
		printf("\n      in force");
	if (strcmp(guard, "not guarded"))
		printf("; guard %s: %s", guard, json_string_value(json_object_get(c, "outcome")));
	printf("\n");
}

int history_main(int argc, char **argv)
{
	json_t *r, *list, *c;
	size_t i;
	int rc;

	if (ctl_usage(argc, argv, 1, 1, "history", &rc))
		return rc;
	r = ctl_call_plain(XLB_CMD(HISTORY), NULL, &rc);
	if (!r)
		return rc;
	list = json_object_get(r, "changes");
	if (!json_array_size(list))
		printf("no changes recorded\n");
	json_array_foreach(list, i, c)
		print_change(c);
	json_decref(r);
	return CTL_OK;
}
