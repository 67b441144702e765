// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "guard.h"
#include "ipc.h"
#include "xlb_protocol.h"

#define MAX_GUARD_S	3600
#define POLL_MS		500

bool ctl_duration_ms(const char *s, __u32 max_s, __u32 *ms)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (v > max_s * 1000ul)
		return false;
	if (!strcmp(end, "ms"))
		*ms = v;
	else if ((!strcmp(end, "s") || !*end) && v <= max_s)
		*ms = v * 1000;
	else if (!strcmp(end, "m") && v <= max_s / 60)
		*ms = v * 60000;
	else
		return false;
	return true;
}

static __u32 duration_ms(const char *s)
{
	__u32 ms;

	return ctl_duration_ms(s, MAX_GUARD_S, &ms) ? ms : 0;
}

bool ctl_guard_opts(int *argc, char **argv, struct ctl_guard *g)
{
	int i, o = 0;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--wait")) {
			g->wait = true;
		} else if (!strcmp(argv[i], "--guard")) {
			if (i + 1 >= *argc || (g->ms = duration_ms(argv[i + 1])) < 1000) {
				fprintf(stderr, "%s: invalid --guard '%s': expected 1s to %dm (for example 30s)\n",
					argv[0], i + 1 < *argc ? argv[i + 1] : "", MAX_GUARD_S / 60);
				return false;
			}
			i++;
		} else {
			argv[o++] = argv[i];
		}
	}
	*argc = o;
	argv[o] = NULL;
	if (g->wait && !g->ms) {
		fprintf(stderr, "%s: --wait waits for a guard: give --guard DURATION too\n", argv[0]);
		return false;
	}
	return true;
}

json_t *ctl_guard_args(const struct ctl_guard *g, json_t *args)
{
	if (!args)
		args = json_object();
	if (g->ms)
		json_object_set_new(args, "guard_ms", json_integer(g->ms));
	return args;
}

int ctl_guard_wait(const struct ctl_guard *g, json_t *reply)
{
	json_int_t id = json_integer_value(json_object_get(reply, "change_id"));
	int polls, rc;

	if (g->ms && !g->wait)
		printf("guarded for %u s: 'xlbctl events' tells if it is rolled back (change #%lld)\n",
		       g->ms / 1000, (long long)id);
	if (!g->wait)
		return CTL_OK;
	/* Bounded: the guard's time, and as long again for a slow xlbd. */
	for (polls = 0; polls < (int)(2 * g->ms / POLL_MS) + 20; polls++) {
		json_t *r = ctl_call(XLB_CMD(CHANGE), json_pack("{s:I}", "id", id), &rc);
		const char *state;

		if (!r)
			return rc;
		state = json_string_value(json_object_get(r, "state"));
		if (strcmp(state, "watching")) {
			bool back = !strcmp(state, "rolled back");

			fprintf(back ? stderr : stdout, "change #%lld %s\n", (long long)id,
				json_string_value(json_object_get(r, "outcome")));
			json_decref(r);
			return back ? CTL_ERROR : CTL_OK;
		}
		json_decref(r);
		usleep(POLL_MS * 1000);
	}
	fprintf(stderr, "change #%lld: still watched after %u s; gave up waiting\n", (long long)id,
		2 * g->ms / 1000);
	return CTL_ERROR;
}
