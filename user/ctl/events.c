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

/* The request's arguments in *args; -1 to go on, else the exit code. */
static int time_request(int argc, char **argv, const char *usage, bool samples_ok,
			json_t **args)
{
	int rc;

	if (ctl_usage(argc, argv, 1, samples_ok ? 6 : 5, usage, &rc))
		return rc;
	*args = json_object();
	if (time_args(argc, argv, *args, samples_ok)) {
		json_decref(*args);
		fprintf(stderr, "Usage: %s %s\n", prog_name, usage);
		return CTL_USAGE;
	}
	return -1;
}

int events_main(int argc, char **argv)
{
	json_t *args = NULL, *r, *ev;
	size_t i;
	int rc;

	rc = time_request(argc, argv, "events [--since T] [--until T] [--samples]", true, &args);
	if (rc >= 0)
		return rc;
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
	json_t *args = NULL, *r;
	int rc;

	rc = time_request(argc, argv, "report [--since T] [--until T]", false, &args);
	if (rc >= 0)
		return rc;
	r = ctl_call_plain("report", args, &rc);
	if (!r)
		return rc;
	fputs(json_string_value(json_object_get(r, "markdown")), stdout);
	json_decref(r);
	return CTL_OK;
}
