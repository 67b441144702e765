// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl: the xlb command line. Shaped like wg(8): a table of subcommands,
 * `help` to stdout with exit 0, usage errors to stderr with exit 2.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

const char *prog_name = "xlbctl";
bool json_output;

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
} subcommands[] = {
	{ "check", check_main, "Checks a config file for errors, touching nothing" },
};

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j] <cmd> [<args>]\n\n", prog_name);
	fprintf(f, "Available subcommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].description);
	fprintf(f, "\n-j prints JSON. '%s <cmd> help' explains a subcommand.\n", prog_name);
}

int main(int argc, char **argv)
{
	size_t i;

	argv++, argc--;
	if (argc > 0 && !strcmp(argv[0], "-j")) {
		json_output = true;
		argv++, argc--;
	}
	if (argc == 0) {
		show_usage(stderr);
		return CTL_USAGE;
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		show_usage(stdout);
		return CTL_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[0], subcommands[i].name))
			return subcommands[i].fn(argc, argv);
	fprintf(stderr, "%s: invalid subcommand '%s'\n", prog_name, argv[0]);
	show_usage(stderr);
	return CTL_USAGE;
}
