/* SPDX-License-Identifier: GPL-2.0 */
/* Talking to xlbd over its control socket. */
#ifndef XLB_CTL_IPC_H
#define XLB_CTL_IPC_H

#include <stdbool.h>
#include <jansson.h>

/* The most of an answer read, over the socket as over HTTP (a show of 100,000 backends is some 30 MiB). */
#define CTL_MAX_ANSWER		(256u << 20)
/* How long a call waits for xlbd's whole answer (--timeout). */
#define CTL_DEFAULT_TIMEOUT_S	30
extern unsigned int ctl_timeout_s;

/*
 * Sends {"cmd": cmd, "args": args} (args is consumed) and returns the result
 * object, or NULL after printing why to stderr. *rc gets the exit code.
 */
json_t *ctl_call(const char *cmd, json_t *args, int *rc);
/* The same, to the xlbd whose control socket is at path. */
json_t *ctl_call_at(const char *path, const char *cmd, json_t *args, int *rc);
/*
 * ctl_call for commands whose -j output is the result as it is: with -j it
 * prints the result and returns NULL with *rc = CTL_OK, so the caller only
 * formats the plain view.
 */
json_t *ctl_call_plain(const char *cmd, json_t *args, int *rc);
/*
 * The last call found no xlbd at the socket (none, or a stale one); with
 * ctl_quiet_connect that is not printed, for callers that wait for xlbd
 * to come back.
 */
extern bool ctl_unreachable;
extern bool ctl_quiet_connect;
/* Prints JSON to stdout (-j). */
void ctl_print_json(json_t *j);

#endif /* XLB_CTL_IPC_H */
