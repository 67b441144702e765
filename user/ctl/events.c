// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl events [--since T] [--until T] [--samples]: the event journal.
 * xlbctl report [--since T] [--until T]: a Markdown incident report.
 * T: 2026-11-21T09:40:00Z, a Unix time, or an age like 90s, 15m, 2h, 1d.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"

static int time_args(int argc, char **argv, json_t *args, bool samples_ok)
{
	int i;

	for (i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--since") || !strcmp(argv[i], "--until")) && i + 1 < argc) {
			json_object_set_new(args, argv[i] + 2, json_string(argv[i + 1]));
			i++;
		} else if (samples_ok && !strcmp(argv[i], "--samples")) {
			json_object_set_new(args, "samples", json_true());
		} else {
			return -1;
		}
	}
	return 0;
}

int events_main(int argc, char **argv)
{
	json_t *args = json_object(), *r, *ev;
	size_t i;
	int rc;

	if (ctl_usage(argc, argv, 1, 6, "events [--since T] [--until T] [--samples]", &rc) ||
	    time_args(argc, argv, args, true)) {
		json_decref(args);
		if (argc == 2 && !strcmp(argv[1], "help"))
			return CTL_OK;
		fprintf(stderr, "Usage: %s events [--since T] [--until T] [--samples]\n", prog_name);
		return CTL_USAGE;
	}
	r = ctl_call_plain("events", args, &rc);
	if (!r)
		return rc;
	json_array_foreach(r, i, ev)
		printf("%s  %s\n", json_string_value(json_object_get(ev, "time")),
		       json_string_value(json_object_get(ev, "summary")));
	json_decref(r);
	return CTL_OK;
}

int report_main(int argc, char **argv)
{
	json_t *args = json_object(), *r;
	int rc;

	if (ctl_usage(argc, argv, 1, 5, "report [--since T] [--until T]", &rc) ||
	    time_args(argc, argv, args, false)) {
		json_decref(args);
		if (argc == 2 && !strcmp(argv[1], "help"))
			return CTL_OK;
		fprintf(stderr, "Usage: %s report [--since T] [--until T]\n", prog_name);
		return CTL_USAGE;
	}
	r = ctl_call_plain("report", args, &rc);
	if (!r)
		return rc;
	fputs(json_string_value(json_object_get(r, "markdown")), stdout);
	json_decref(r);
	return CTL_OK;
}
