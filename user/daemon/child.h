/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Commands xlbd runs (exec probes, the skew hook), one way: /bin/sh -c in
 * a process group of its own, default signal dispositions, an empty signal
 * mask, stdio on /dev/null and no other descriptor inherited. Its exit is
 * seen through a pidfd on the event loop. When it exits, or is killed at
 * its owner's timeout, its whole process group goes with it: a probe that
 * backgrounds `sleep 300 &` leaves nothing behind.
 *
 * xlbd is a child subreaper, so a grandchild that escaped its group with
 * setsid() is re-parented to xlbd rather than to init; the sweep kills and
 * reaps any child of xlbd that no owner knows.
 */
#ifndef XLBD_CHILD_H
#define XLBD_CHILD_H

#include <signal.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

struct xlb_child;

/* Called once when the command exits; si as waitid(2) gives it. */
typedef void (*xlb_child_fn)(void *ctx, const siginfo_t *si);

/*
 * Starts cmd with the environment envp. Returns 0 and the child, or a
 * negative errno: that is xlbd's problem (EMFILE, EAGAIN...), not the
 * command's.
 */
int xlb_child_spawn(sd_event *e, const char *cmd, char *const envp[], int64_t priority,
		    xlb_child_fn fn, void *ctx, struct xlb_child **out);
/*
 * Kills the child's whole process group. fn is not called any more; the
 * child is reaped when it is gone, without its owner.
 */
void xlb_child_kill(struct xlb_child *c);
/* The owner is done with a child that exited (after fn). */
void xlb_child_free(struct xlb_child *c);
pid_t xlb_child_pid(const struct xlb_child *c);

/* Makes xlbd the subreaper of what it runs. */
int xlb_children_init(void);
/* At exit: every command still running is killed with its group. */
void xlb_children_fini(void);
/* Kills and reaps children of xlbd that no owner knows. */
void xlb_children_sweep(void);
/* How many commands run now; how many orphans the sweep took. */
size_t xlb_children_running(void);
unsigned long long xlb_children_swept(void);

#endif /* XLBD_CHILD_H */
