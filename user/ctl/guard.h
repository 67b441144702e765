/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --guard DURATION and --wait for the commands that change the running
 * state: xlbd watches the change for DURATION and rolls it back by itself
 * if it raises skew, an overload verdict or takes a backend down; --wait
 * waits for that verdict and exits 1 if the change was rolled back.
 */
#ifndef XLB_CTL_GUARD_H
#define XLB_CTL_GUARD_H

#include <stdbool.h>
#include <jansson.h>
#include <linux/types.h>

struct ctl_guard {
	__u32 ms;		/* 0: not guarded */
	bool wait;
};

#define CTL_GUARD_USAGE	" [--guard DURATION [--wait]]"

/* "30s", "2m", "1500ms", or seconds, up to max_s; false on a bad value. */
bool ctl_duration_ms(const char *s, __u32 max_s, __u32 *ms);
/* Takes the options out of argv; false (with a message) on a bad one. */
bool ctl_guard_opts(int *argc, char **argv, struct ctl_guard *g);
/* The change's request with the guard in it. */
json_t *ctl_guard_args(const struct ctl_guard *g, json_t *args);
/* After the change's reply: waits for its guard with --wait. The exit code. */
int ctl_guard_wait(const struct ctl_guard *g, json_t *reply);

#endif /* XLB_CTL_GUARD_H */
