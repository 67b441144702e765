// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl events [--since T] [--until T] [--samples]: the event journal.
 * xlbctl report [--since T] [--until T]: a Markdown incident report.
 * T: 2026-11-21T09:40:00Z, a Unix time, or an age like 90s, 15m, 2h, 1d.
 *
 * xlbctl reads the journal file itself (xlbd only names it): however large
 * the journal, reading it costs xlbd nothing. Root and the read group may.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"
#include "journal.h"
#include "report.h"
#include "xlb_protocol.h"

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

/*
 * The journal's events in the requested range, read here. *status gets
 * xlbd's status (journal path, sample interval).
 */
static json_t *read_events(json_t *args, time_t default_age, time_t *since, time_t *until,
			   json_t **status, int *rc)
{
	const char *s = json_string_value(json_object_get(args, "since"));
	const char *u = json_string_value(json_object_get(args, "until"));
	time_t now = time(NULL);
	const char *path;

	*since = *until = 0;
	if ((s && xlb_time_parse(s, now, since)) || (u && xlb_time_parse(u, now, until))) {
		fprintf(stderr, "invalid time '%s': expected 2026-11-21T09:40:00Z, a Unix time, or an age like 90s, 15m, 2h, 1d\n",
			s && xlb_time_parse(s, now, since) ? s : u);
		*rc = CTL_USAGE;
		return NULL;
	}
	if (!*since && default_age)
		*since = now - default_age;
	*status = ctl_call(XLB_CMD(STATUS), NULL, rc);
	if (!*status)
		return NULL;
	path = json_string_value(json_object_get(*status, "journal"));
	if (!path || access(path, R_OK)) {
		fprintf(stderr, "Couldn't read the event journal '%s': %s\n"
			"hint: root and members of the config's control.read_group may read it\n",
			path ? path : "?", path ? strerror(errno) : "xlbd did not name it");
		json_decref(*status);
		*rc = CTL_ERROR;
		return NULL;
	}
	return xlb_journal_read(path, *since, *until);
}

int events_main(int argc, char **argv)
{
	json_t *args = NULL, *all, *out, *ev, *status;
	time_t since, until;
	bool samples;
	char line[1024];
	size_t i;
	int rc;

	rc = time_request(argc, argv, "events [--since T] [--until T] [--samples]", true, &args);
	if (rc >= 0)
		return rc;
	samples = json_is_true(json_object_get(args, "samples"));
	all = read_events(args, 0, &since, &until, &status, &rc);
	json_decref(args);
	if (!all)
		return rc;
	json_decref(status);
	out = json_array();
	json_array_foreach(all, i, ev) {
		if (!samples && !strcmp(json_string_value(json_object_get(ev, "type")) ?: "", "sample"))
			continue;
		xlb_event_line(ev, line, sizeof(line));
		if (json_output) {
			json_object_set_new(ev, "summary", json_string(line));
			json_array_append(out, ev);
		} else {
			printf("%s  %s\n", json_string_value(json_object_get(ev, "time")), line);
		}
	}
	if (json_output)
		ctl_print_json(out);
	json_decref(out);
	json_decref(all);
	return CTL_OK;
}

int report_main(int argc, char **argv)
{
	json_t *args = NULL, *all, *status;
	time_t since, until;
	size_t len;
	char *md;
	int rc;

	rc = time_request(argc, argv, "report [--since T] [--until T]", false, &args);
	if (rc >= 0)
		return rc;
	/* Without --since: the last hour. */
	all = read_events(args, 3600, &since, &until, &status, &rc);
	json_decref(args);
	if (!all)
		return rc;
	md = xlb_incident_report(all, since, until,
				 json_integer_value(json_object_get(status, "sample_interval_ms")), &len);
	json_decref(all);
	json_decref(status);
	if (!md) {
		fprintf(stderr, "Couldn't build the report: out of memory\n");
		return CTL_ERROR;
	}
	if (json_output) {
		json_t *r = json_pack("{s:s}", "markdown", md);

		ctl_print_json(r);
		json_decref(r);
	} else {
		fputs(md, stdout);
	}
	free(md);
	return CTL_OK;
}
