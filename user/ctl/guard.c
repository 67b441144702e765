// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* How long --wait waits for an xlbd that went away (a restart) to answer again. */
#define RECONNECT_S	60

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* The exit code a guard's end gives --wait, with its outcome printed. */
static int guard_end(json_int_t id, json_t *r)
{
	const char *state = json_string_value(json_object_get(r, "state"));
	const char *outcome = json_string_value(json_object_get(r, "outcome"));
	const char *why = "";
	int rc = CTL_UNWATCHED;

	if (!strcmp(state, "held"))
		rc = CTL_OK;
	else if (!strcmp(state, "rolled back"))
		rc = CTL_ERROR;
	else if (!strcmp(state, "rollback failed"))
		rc = CTL_ROLLBACK_FAILED;
	else if (!strcmp(state, "undone by hand"))
		why = " (exit 3: no verdict; undone by hand, not in force)";
	else if (!strcmp(state, "unknown"))
		why = " (exit 3: no verdict)";
	else
		why = " (exit 3: no verdict; the change is in force, unwatched)";
	fprintf(rc == CTL_OK ? stdout : stderr, "change #%lld %s%s%s\n", (long long)id, outcome, why,
		rc == CTL_ROLLBACK_FAILED ? " (exit 4)" : "");
	return rc;
}

int ctl_guard_wait(const struct ctl_guard *g, json_t *reply)
{
	json_int_t id = json_integer_value(json_object_get(reply, "change_id"));
	long long deadline = mono_ms() + 2ll * g->ms + 1000ll * (RECONNECT_S + 10), lost = 0;
	int rc;

	if (json_is_true(json_object_get(reply, "unchanged"))) {
		if (g->ms)
			printf("nothing in force changed: there is nothing to guard\n");
		return CTL_OK;
	}
	if (g->ms && !g->wait)
		printf("guarded for %u s: 'xlbctl history' tells if it is rolled back (change #%lld)\n",
		       g->ms / 1000, (long long)id);
	if (!g->wait)
		return CTL_OK;
	/* Bounded: the guard's time, as long again for a slow xlbd, and a restart's. */
	ctl_quiet_connect = true;
	while (mono_ms() < deadline) {
		json_t *r = ctl_call(XLB_CMD(CHANGE), json_pack("{s:I}", "id", id), &rc);

		if (!r && ctl_unreachable) {
			if (!lost) {
				lost = mono_ms();
				fprintf(stderr, "xlbd is not answering (restarting?); waiting up to %d s for it to come back\n",
					RECONNECT_S);
			} else if (mono_ms() - lost > RECONNECT_S * 1000ll) {
				break;
			}
			usleep(POLL_MS * 1000);
			continue;
		}
		if (!r)
			return rc;
		if (lost)
			fprintf(stderr, "xlbd answers again; still waiting for the guard of change #%lld\n",
				(long long)id);
		lost = 0;
		if (strcmp(json_string_value(json_object_get(r, "state")), "watching")) {
			rc = guard_end(id, r);
			json_decref(r);
			return rc;
		}
		json_decref(r);
		usleep(POLL_MS * 1000);
	}
	fprintf(stderr, lost ? "change #%lld: xlbd did not come back within %d s; the change is in force, its guard's outcome unknown ('xlbctl history' once xlbd is back)\n" :
		"change #%lld: still watched after %d s; gave up waiting ('xlbctl history' tells its outcome)\n",
		(long long)id, lost ? RECONNECT_S : (int)(2 * g->ms / 1000 + RECONNECT_S));
	return CTL_UNWATCHED;
}
