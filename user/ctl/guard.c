// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "guard.h"
#include "ipc.h"

#define MAX_GUARD_S	3600
#define POLL_MS		500

/* "30s", "2m", "1500ms", or seconds; 0 on a bad value. */
static __u32 duration_ms(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || v > MAX_GUARD_S * 1000ul)
		return 0;
	if (!strcmp(end, "ms"))
		return v;
	if (!strcmp(end, "s") || !*end)
		return v <= MAX_GUARD_S ? v * 1000 : 0;
	if (!strcmp(end, "m"))
		return v <= MAX_GUARD_S / 60 ? v * 60000 : 0;
	return 0;
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
		json_t *r = ctl_call("change", json_pack("{s:I}", "id", id), &rc);
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
