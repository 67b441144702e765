/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket's protocol, once for both ends: every command xlbd
 * answers, whether it needs admin rights (root or control.admin_group) or
 * reading rights, and the arguments it takes. A request is one JSON object,
 * {"cmd": NAME, "args": {...}}; a '?' marks an optional argument. xlbd
 * dispatches and checks rights by this table, xlbctl sends by it.
 */
#ifndef XLB_PROTOCOL_H
#define XLB_PROTOCOL_H

#include <stdbool.h>

enum xlb_cmd {
	XLB_CMD_STATUS,
	XLB_CMD_LIST,
	XLB_CMD_COUNTERS,
	XLB_CMD_TRACE,
	XLB_CMD_PLAN,
	XLB_CMD_TABLE,
	XLB_CMD_CHANGE,
	XLB_CMD_HISTORY,
	XLB_CMD_FINGERPRINTS,
	XLB_CMD_RELOAD,
	XLB_CMD_SET,
	XLB_CMD_BACKEND_ADD,
	XLB_CMD_BACKEND_REMOVE,
	XLB_CMD_RESET,
	XLB_CMD_ROLLBACK,
	XLB_CMD_DRAIN_NODE,
	XLB_CMD_RESUME_NODE,
	XLB_CMD_COUNT
};

struct xlb_command {
	const char *name;
	bool admin;		/* changes things: root or control.admin_group */
	const char *args;	/* the JSON arguments, '?' when optional */
};

static const struct xlb_command xlb_commands[XLB_CMD_COUNT] = {
	[XLB_CMD_STATUS]	 = { "status", false, "" },
	[XLB_CMD_LIST]		 = { "list", false, "vip?" },
	[XLB_CMD_COUNTERS]	 = { "counters", false, "" },
	[XLB_CMD_TRACE]		 = { "trace", false, "proto src sport dst dport" },
	[XLB_CMD_PLAN]		 = { "plan", false, "" },
	[XLB_CMD_TABLE]		 = { "table", false, "vip" },
	[XLB_CMD_CHANGE]	 = { "change", false, "id" },
	[XLB_CMD_HISTORY]	 = { "history", false, "" },
	[XLB_CMD_FINGERPRINTS]	 = { "fingerprints", false, "" },
	[XLB_CMD_RELOAD]	 = { "reload", true, "guard_ms?" },
	[XLB_CMD_SET]		 = { "set", true, "vip backend weight? state? guard_ms?" },
	[XLB_CMD_BACKEND_ADD]	 = { "backend-add", true, "vip backend weight? mac? guard_ms?" },
	[XLB_CMD_BACKEND_REMOVE] = { "backend-remove", true, "vip backend guard_ms?" },
	[XLB_CMD_RESET]		 = { "reset", true, "vip? backend?" },
	[XLB_CMD_ROLLBACK]	 = { "rollback", true, "vip? change?" },
	[XLB_CMD_DRAIN_NODE]	 = { "drain-node", true, "grace_ms?" },
	[XLB_CMD_RESUME_NODE]	 = { "resume-node", true, "" },
};

/* The wire name of a command: XLB_CMD(SET) is "set". */
#define XLB_CMD(id)	(xlb_commands[XLB_CMD_##id].name)

#endif /* XLB_PROTOCOL_H */
