/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The handlers of the control socket's commands, one file per kind: views
 * (cmd_views.c), changes (cmd_changes.c), trace (cmd_trace.c); commands.c
 * has the table that names each, and whether it needs admin rights.
 */
#ifndef XLBD_COMMANDS_H
#define XLBD_COMMANDS_H

#include <jansson.h>
#include "control.h"
#include "history.h"

struct xlbd;

/* The control socket's ctl_run_fn: rights checked, then the handler. */
json_t *command_run(void *ctx, const struct ctl_request *req, char *err, size_t err_len);
/* Every command of the protocol has a handler; -ENOSYS (logged) when not. */
int commands_check(void);


typedef json_t *(*command_fn)(struct xlbd *x, const struct ctl_request *req,
			      char *err, size_t err_len);

json_t *cmd_status(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_list(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_counters(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_trace(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_plan(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_table(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_reload(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_set(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_backend_add(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_backend_remove(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_reset(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_rollback(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_history(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_change(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_fingerprints(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_drain_node(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);
json_t *cmd_resume_node(struct xlbd *x, const struct ctl_request *req, char *err, size_t err_len);

#endif /* XLBD_COMMANDS_H */
