// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl diff [FILE]: a dry run. For every VIP and backend, the share of
 * new flows now (the live tables) and after FILE would be applied, and the
 * fraction of new-flow slots that would move; plus the runtime changes
 * that differ from the config (drift). Nothing is applied. Without FILE,
 * the running config file is compared, which shows the drift alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = len >= 0 && len < (1 << 20) ? calloc(1, len + 1) : NULL;
	if (buf && fread(buf, 1, len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int diff_main(int argc, char **argv)
{
	json_t *args = json_object(), *r, *v, *b, *s;
	char *text;
	size_t i, j;
	int rc;

	if (ctl_usage(argc, argv, 1, 2, "diff [FILE]", &rc)) {
		json_decref(args);
		return rc;
	}
	if (argc == 2) {
		/* The file is read here, with the caller's rights, and sent. */
		text = read_file(argv[1]);
		if (!text) {
			fprintf(stderr, "Couldn't read config '%s'\n", argv[1]);
			json_decref(args);
			return CTL_ERROR;
		}
		json_object_set_new(args, "config", json_string(text));
		json_object_set_new(args, "file", json_string(argv[1]));
		free(text);
	}
	r = ctl_call_plain("diff", args, &rc);
	if (!r)
		return rc;
	json_array_foreach(json_object_get(r, "warnings"), i, s)
		printf("%s\n", json_string_value(s));
	if (json_array_size(json_object_get(r, "drift"))) {
		printf("runtime changes over the config (drift):\n");
		json_array_foreach(json_object_get(r, "drift"), i, s)
			printf("  %s\n", json_string_value(s));
	}
	json_array_foreach(json_object_get(r, "vips"), i, v) {
		printf("vip %s: %s, %.2f%% of new-flow slots move (table %lld -> %lld)\n",
		       json_string_value(json_object_get(v, "name")),
		       json_string_value(json_object_get(v, "status")),
		       100 * json_real_value(json_object_get(v, "moved")),
		       (long long)json_integer_value(json_object_get(v, "table_now")),
		       (long long)json_integer_value(json_object_get(v, "table_after")));
		printf("  %-24s %9s %9s\n", "backend", "now", "after");
		json_array_foreach(json_object_get(v, "backends"), j, b)
			printf("  %-24s %8.2f%% %8.2f%%\n",
			       json_string_value(json_object_get(b, "address")),
			       100 * json_real_value(json_object_get(b, "share_now")),
			       100 * json_real_value(json_object_get(b, "share_after")));
	}
	json_decref(r);
	return CTL_OK;
}
