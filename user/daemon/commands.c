// SPDX-License-Identifier: GPL-2.0
/* What xlbd does for each xlbctl command: the table, and who may run what. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "xlbd.h"

/* Every command xlbd answers, and whether it changes anything (admin). */
static const struct {
	const char *name;
	command_fn fn;
	bool admin;
} commands[] = {
	{ "status", cmd_status, false },
	{ "list", cmd_list, false },
	{ "counters", cmd_counters, false },
	{ "trace", cmd_trace, false },
	{ "plan", cmd_plan, false },
	{ "table", cmd_table, false },
	{ "reload", cmd_reload, true },
	{ "set", cmd_set, true },
	{ "backend-add", cmd_backend_add, true },
	{ "backend-remove", cmd_backend_remove, true },
	{ "reset", cmd_reset, true },
	{ "rollback", cmd_rollback, true },
	{ "change", cmd_change, false },
	{ "fingerprints", cmd_fingerprints, false },
	{ "drain-node", cmd_drain_node, true },
	{ "resume-node", cmd_resume_node, true },
};

json_t *command_run(void *ctx, const struct ctl_request *req, char *err, size_t err_len)
{
	struct xlbd *x = ctx;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(req->cmd, commands[i].name))
			continue;
		if (commands[i].admin && !req->admin) {
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
		return commands[i].fn(x, req, err, err_len);
	}
	snprintf(err, err_len, "unknown command '%s'", req->cmd);
	return NULL;
}
