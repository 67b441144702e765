// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl drain-node / resume-node: take this node out of the routers' ECMP
 * group and back. drain-node withdraws every VIP route first, then xlb keeps
 * forwarding what still arrives for the grace period (announce.drain_grace,
 * or --grace) while BGP moves the traffic to the other nodes; it waits and
 * says "drained" at the end, unless --no-wait. Forwarding never stops: the
 * node is safe to work on once drained.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "guard.h"
#include "ipc.h"
#include "xlb_protocol.h"

#define MAX_GRACE_S	3600

static void print_node(json_t *r)
{
	json_t *routes = json_object_get(r, "routes");

	printf("node %s: %zu route%s announced in table %lld on %s",
	       json_string_value(json_object_get(r, "node")), json_array_size(routes),
	       json_array_size(routes) == 1 ? "" : "s",
	       (long long)json_integer_value(json_object_get(r, "table")),
	       json_string_value(json_object_get(r, "device")));
	if (!strcmp(json_string_value(json_object_get(r, "node")), "draining"))
		printf("; drained in %lld s", (long long)json_integer_value(json_object_get(r, "grace_left_s")));
	printf("\n");
}

/* Both commands' answer: the node as it is now. */
static json_t *call(const char *cmd, json_t *args, int *rc)
{
	json_t *r = ctl_call(cmd, args, rc);

	if (r && json_output)
		ctl_print_json(r);
	else if (r)
		print_node(r);
	return r;
}

/* Polls status until the node is drained; bounded by the grace plus a margin. */
static int wait_drained(json_int_t grace_ms)
{
	time_t until = time(NULL) + grace_ms / 1000 + 10;
	int rc = CTL_OK;

	while (time(NULL) <= until) {
		json_t *s = ctl_call(XLB_CMD(STATUS), NULL, &rc), *a;
		const char *node;

		if (!s)
			return rc;
		a = json_object_get(s, "announce");
		node = json_string_value(json_object_get(a, "node"));
		if (node && strcmp(node, "draining")) {
			/* Resumed meanwhile: not drained, and not for this command to hide. */
			rc = strcmp(node, "drained") ? CTL_ERROR : CTL_OK;
			printf("node %s: no route announced; xlb still forwards what arrives ('xlbctl resume-node' announces again)\n",
			       node);
			json_decref(s);
			return rc;
		}
		json_decref(s);
		sleep(1);
	}
	fprintf(stderr, "drain-node: the node did not report drained in time; see 'xlbctl status'\n");
	return CTL_ERROR;
}

int drain_node_main(int argc, char **argv)
{
	json_t *args = json_object(), *r;
	bool wait = true;
	int i, o = 1, rc;
	__u32 ms;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-wait")) {
			wait = false;
		} else if (!strcmp(argv[i], "--grace")) {
			if (i + 1 >= argc || !ctl_duration_ms(argv[i + 1], MAX_GRACE_S, &ms)) {
				fprintf(stderr, "drain-node: invalid --grace '%s': expected 0s to %dm (for example 30s)\n",
					i + 1 < argc ? argv[i + 1] : "", MAX_GRACE_S / 60);
				json_decref(args);
				return CTL_USAGE;
			}
			json_object_set_new(args, "grace_ms", json_integer(ms));
			i++;
		} else {
			argv[o++] = argv[i];
		}
	}
	if (ctl_usage(o, argv, 1, 1, "drain-node [--grace DURATION] [--no-wait]", &rc)) {
		json_decref(args);
		return rc;
	}
	r = call(XLB_CMD(DRAIN_NODE), args, &rc);
	if (!r)
		return rc;
	if (wait && !json_output)
		rc = wait_drained(json_integer_value(json_object_get(r, "grace_ms")));
	json_decref(r);
	return rc;
}

int resume_node_main(int argc, char **argv)
{
	json_t *r;
	int rc;

	if (ctl_usage(argc, argv, 1, 1, "resume-node", &rc))
		return rc;
	r = call(XLB_CMD(RESUME_NODE), NULL, &rc);
	if (!r)
		return rc;
	json_decref(r);
	return CTL_OK;
}
