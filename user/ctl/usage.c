// SPDX-License-Identifier: GPL-2.0
/* What every subcommand shares: the program's name, -j, and usage. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

const char *prog_name = "xlbctl";
bool json_output;

bool ctl_usage(int argc, char **argv, int min, int max, const char *usage, int *rc)
{
	if (argc == 2 && !strcmp(argv[1], "help")) {
		printf("Usage: %s %s\n", prog_name, usage);
		*rc = CTL_OK;
		return true;
	}
	if (argc < min || argc > max) {
		fprintf(stderr, "Usage: %s %s\n", prog_name, usage);
		*rc = CTL_USAGE;
		return true;
	}
	return false;
}
