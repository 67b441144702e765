// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime changes: weight, drain, disable, enable, add, remove, reset.
 * xlbd keeps them in its state file, over the config: they survive restarts
 * and reloads, and 'xlbctl diff' shows them as drift from the config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "ctl.h"
#include "guard.h"
#include "ipc.h"
#include "xlb_protocol.h"

/* --guard and --wait, taken out of argv by each command first. */
static struct ctl_guard guard;

#define TAKE_GUARD(argc, argv)						\
	do {								\
		if (!ctl_guard_opts(&(argc), (argv), &guard))		\
			return CTL_USAGE;				\
	} while (0)

static int run(const char *cmd, json_t *args)
{
	json_t *r;
	int rc;

	r = ctl_call(cmd, ctl_guard_args(&guard, args), &rc);
	if (!r)
		return rc;
	if (json_output)
		ctl_print_json(r);
	else
		printf("%s\n", json_string_value(json_object_get(r, "done")));
	rc = ctl_guard_wait(&guard, r);
	json_decref(r);
	return rc;
}

int weight_main(int argc, char **argv)
{
	__u32 w;
	int rc;

	TAKE_GUARD(argc, argv);
	if (ctl_usage(argc, argv, 4, 4, "weight VIP BACKEND WEIGHT" CTL_GUARD_USAGE, &rc))
		return rc;
	if (xlb_weight_parse(argv[3], &w)) {
		fprintf(stderr, "weight: invalid weight '%s': expected 0 to %u\n", argv[3], XLB_MAX_WEIGHT);
		return CTL_USAGE;
	}
	return run(XLB_CMD(SET), json_pack("{s:s, s:s, s:i}", "vip", argv[1], "backend", argv[2],
				    "weight", (int)w));
}

static int set_state(int argc, char **argv, const char *state)
{
	char usage[64];
	int rc;

	TAKE_GUARD(argc, argv);
	snprintf(usage, sizeof(usage), "%s VIP BACKEND" CTL_GUARD_USAGE, argv[0]);
	if (ctl_usage(argc, argv, 3, 3, usage, &rc))
		return rc;
	return run(XLB_CMD(SET), json_pack("{s:s, s:s, s:s}", "vip", argv[1], "backend", argv[2],
				    "state", state));
}

int drain_main(int argc, char **argv) { return set_state(argc, argv, "drain"); }
int disable_main(int argc, char **argv) { return set_state(argc, argv, "disabled"); }
int enable_main(int argc, char **argv) { return set_state(argc, argv, "up"); }

int add_main(int argc, char **argv)
{
	json_t *args;
	__u32 w;
	int rc, i;

	TAKE_GUARD(argc, argv);
	if (ctl_usage(argc, argv, 3, 7, "add VIP BACKEND [weight W] [mac MAC]" CTL_GUARD_USAGE, &rc))
		return rc;
	args = json_pack("{s:s, s:s}", "vip", argv[1], "backend", argv[2]);
	for (i = 3; i < argc; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(argv[i], "weight") && !xlb_weight_parse(argv[i + 1], &w))
			json_object_set_new(args, "weight", json_integer(w));
		else if (!strcmp(argv[i], "mac"))
			json_object_set_new(args, "mac", json_string(argv[i + 1]));
		else
			goto usage;
	}
	return run(XLB_CMD(BACKEND_ADD), args);
usage:
	json_decref(args);
	fprintf(stderr, "Usage: %s add VIP BACKEND [weight 0..%u] [mac MAC]\n", prog_name, XLB_MAX_WEIGHT);
	return CTL_USAGE;
}

int remove_main(int argc, char **argv)
{
	int rc;

	TAKE_GUARD(argc, argv);
	if (ctl_usage(argc, argv, 3, 3, "remove VIP BACKEND" CTL_GUARD_USAGE, &rc))
		return rc;
	return run(XLB_CMD(BACKEND_REMOVE), json_pack("{s:s, s:s}", "vip", argv[1], "backend", argv[2]));
}

int reset_main(int argc, char **argv)
{
	json_t *args = json_object();
	int rc;

	if (ctl_usage(argc, argv, 1, 3, "reset [VIP [BACKEND]]", &rc)) {
		json_decref(args);
		return rc;
	}
	if (argc > 1)
		json_object_set_new(args, "vip", json_string(argv[1]));
	if (argc > 2)
		json_object_set_new(args, "backend", json_string(argv[2]));
	return run(XLB_CMD(RESET), args);
}
