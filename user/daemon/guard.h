/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guards: a change made with --guard DURATION is watched for DURATION and
 * rolled back by xlbd, alone (history.c undoes exactly it), on evidence
 * that the change could have caused, and only that:
 *  - a skew alarm on a backend it moved traffic to or from (its share of
 *    the VIP's new flows changed) whose cause is not traffic concentration
 *    (a few clients hashing to one backend is not what a weight causes);
 *  - an overload verdict naming such a backend, for a cause other than
 *    traffic concentration;
 *  - such a backend, or one it named, going down by its probes.
 * Each only if it did not already hold when the change was made. A newer
 * change of any source (a reload, SIGHUP, another xlbctl change, a
 * rollback) ends the watch, "superseded": the change stays, unwatched.
 * Guards outlive a restart of xlbd (the history keeps them with their
 * time); one whose time ran out while xlbd was stopped ends "ended by
 * restart", the change in force.
 */
#ifndef XLBD_GUARD_H
#define XLBD_GUARD_H

#include <jansson.h>
#include "history.h"

struct xlbd;

/* Watches change id for guard_ms (0: not), judged against what held before it (b). */
void guard_watch(struct xlbd *x, __u64 id, const struct change_before *b, __u32 guard_ms);
/* Every second: watched changes checked, rolled back or let be. */
void guard_tick(struct xlbd *x);
/* A change's state for xlbctl --wait; NULL if unknown. */
json_t *guard_status(struct xlbd *x, __u64 id);

#endif /* XLBD_GUARD_H */
