// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl: the xlb command line. Shaped like wg(8): a table of subcommands,
 * `help` to stdout with exit 0, usage errors to stderr with exit 2.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "ipc.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
} subcommands[] = {
	{ "status", status_main, "Shows what xlbd runs (also: bare xlbctl)" },
	{ "show", show_main, "Lists VIPs and backends: weight, state, table share" },
	{ "dump", dump_main, "Lists VIPs and backends as stable tab-separated lines" },
	{ "counters", counters_main, "Shows per-reason and per-VIP counters" },
	{ "weight", weight_main, "Sets a backend's weight" },
	{ "drain", drain_main, "Drains a backend: existing flows stay, no new ones" },
	{ "disable", disable_main, "Takes a backend out: its flows move" },
	{ "enable", enable_main, "Puts a drained or disabled backend back" },
	{ "add", add_main, "Adds a backend to a VIP" },
	{ "remove", remove_main, "Removes a backend from a VIP" },
	{ "reset", reset_main, "Drops runtime changes, back to the config" },
	{ "rollback", rollback_main, "Undoes one change: the newest, or --change ID" },
	{ "history", history_main, "The changes xlbd keeps: source, who, guard, in force" },
	{ "check", check_main, "Checks a config file for errors, touching nothing" },
	{ "diff", diff_main, "Dry run: how traffic would move under a config" },
	{ "compare", compare_main, "Do other nodes build the same tables? (SOCKET|URL...)" },
	{ "drain-node", drain_node_main, "Withdraws this node's routes, keeps forwarding (BGP)" },
	{ "resume-node", resume_node_main, "Announces this node's routes again after drain-node" },
	{ "reload", reload_main, "Makes xlbd re-read its config" },
	{ "trace", trace_main, "Shows which backend a flow gets, and why" },
	{ "top", top_main, "Live view: expected and observed share per backend" },
	{ "events", events_main, "The event journal: changes, health, skew" },
	{ "report", report_main, "A Markdown incident report for a time range" },
};

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j] [--timeout SECONDS] <cmd> [<args>]\n\n", prog_name);
	fprintf(f, "Available subcommands:\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-12s %s\n", subcommands[i].name, subcommands[i].description);
	fprintf(f, "\n-j prints JSON. --timeout: how long to wait for xlbd's answer (default %u s).\n"
		"'%s <cmd> help' explains a subcommand.\n", CTL_DEFAULT_TIMEOUT_S, prog_name);
}

int main(int argc, char **argv)
{
	size_t i;

	argv++, argc--;
	while (argc > 0) {
		if (!strcmp(argv[0], "-j")) {
			json_output = true;
			argv++, argc--;
		} else if (!strcmp(argv[0], "--timeout")) {
			if (argc < 2 || xlb_parse_u32(argv[1], 86400, &ctl_timeout_s) || !ctl_timeout_s) {
				fprintf(stderr, "%s: --timeout takes a number of seconds, 1 to 86400; got '%s'\n",
					prog_name, argc < 2 ? "" : argv[1]);
				return CTL_USAGE;
			}
			argv += 2, argc -= 2;
		} else {
			break;
		}
	}
	if (argc == 0) {
		char *status[] = { "status", NULL };

		return status_main(1, status);
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		show_usage(stdout);
		return CTL_OK;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[0], subcommands[i].name))
			return subcommands[i].fn(argc, argv);
	fprintf(stderr, "%s: invalid subcommand '%s'\n", prog_name, argv[0]);
	show_usage(stderr);
	return CTL_USAGE;
}
