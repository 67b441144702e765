// SPDX-License-Identifier: GPL-2.0
/*
 * What xlbd does for each xlbctl command. Names and rights are the
 * protocol's (include/xlb_protocol.h); this file maps each to its handler.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "xlb_protocol.h"
#include "xlbd.h"

static const command_fn handlers[XLB_CMD_COUNT] = {
	[XLB_CMD_STATUS]	 = cmd_status,
	[XLB_CMD_LIST]		 = cmd_list,
	[XLB_CMD_COUNTERS]	 = cmd_counters,
	[XLB_CMD_TRACE]		 = cmd_trace,
	[XLB_CMD_PLAN]		 = cmd_plan,
	[XLB_CMD_TABLE]		 = cmd_table,
	[XLB_CMD_CHANGE]	 = cmd_change,
	[XLB_CMD_HISTORY]	 = cmd_history,
	[XLB_CMD_FINGERPRINTS]	 = cmd_fingerprints,
	[XLB_CMD_RELOAD]	 = cmd_reload,
	[XLB_CMD_SET]		 = cmd_set,
	[XLB_CMD_BACKEND_ADD]	 = cmd_backend_add,
	[XLB_CMD_BACKEND_REMOVE] = cmd_backend_remove,
	[XLB_CMD_RESET]		 = cmd_reset,
	[XLB_CMD_ROLLBACK]	 = cmd_rollback,
	[XLB_CMD_DRAIN_NODE]	 = cmd_drain_node,
	[XLB_CMD_RESUME_NODE]	 = cmd_resume_node,
};

int commands_check(void)
{
	size_t i;
	int err = 0;

	for (i = 0; i < XLB_CMD_COUNT; i++) {
		if (!handlers[i]) {
			pr_err("Command '%s' of the protocol has no handler in xlbd: a build error\n",
			       xlb_commands[i].name);
			err = -ENOSYS;
		}
	}
	return err;
}

json_t *command_run(void *ctx, const struct ctl_request *req, char *err, size_t err_len)
{
	struct xlbd *x = ctx;
	size_t i;

	for (i = 0; i < XLB_CMD_COUNT; i++) {
		if (strcmp(req->cmd, xlb_commands[i].name))
			continue;
		if (xlb_commands[i].admin && !req->admin) {
			if (x->base->admin_group[0])
				snprintf(err, err_len,
					 "permission denied: '%s' needs root or membership of group '%s'",
					 req->cmd, x->base->admin_group);
			else
				snprintf(err, err_len,
					 "permission denied: '%s' needs root (the config sets no control.admin_group)",
					 req->cmd);
			pr_warn("Refused '%s' from uid %u: not allowed\n", req->cmd, req->uid);
			return NULL;
		}
		if (handlers[i])
			return handlers[i](x, req, err, err_len);
		break;
	}
	snprintf(err, err_len, "unknown command '%s'", req->cmd);
	return NULL;
}
