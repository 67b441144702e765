// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl trace tcp|udp SRC SPORT DST DPORT: which backend the running data
 * path picks for that flow, and why (connection table or Maglev slot).
 * xlbd runs a synthesized packet through a trace instance of the live
 * program with BPF_PROG_TEST_RUN: the live maps, nothing written.
 */
#include <stdio.h>

#include "addr.h"
#include "ctl.h"
#include "ipc.h"
#include "xlb_protocol.h"

int trace_main(int argc, char **argv)
{
	__u32 sport, dport;
	json_t *r;
	int rc;

	if (ctl_usage(argc, argv, 6, 6, "trace tcp|udp SRC SPORT DST DPORT", &rc))
		return rc;
	if (xlb_parse_u32(argv[3], 65535, &sport) || xlb_parse_u32(argv[5], 65535, &dport)) {
		fprintf(stderr, "trace: ports are numbers from 0 to 65535\n");
		return CTL_USAGE;
	}
	r = ctl_call_plain(XLB_CMD(TRACE), json_pack("{s:s, s:s, s:i, s:s, s:i}", "proto", argv[1],
					"src", argv[2], "sport", (int)sport, "dst", argv[4],
					"dport", (int)dport), &rc);
	if (!r)
		return rc;
	printf("%s\nverdict %s (%s)\n", json_string_value(json_object_get(r, "explanation")),
		       json_string_value(json_object_get(r, "verdict")),
		       json_string_value(json_object_get(r, "reason")));
	json_decref(r);
	return CTL_OK;
}
