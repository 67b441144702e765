/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Undo and guard for changes to the running state (reload, weight, drain,
 * enable, disable, add, remove). Before each change xlbd keeps what was in
 * force (the config as applied and the runtime changes); the last
 * GUARD_HISTORY changes can be undone, newest first, with 'xlbctl
 * rollback'. A change made with --guard DURATION is watched for DURATION:
 * if a skew alarm is raised on a VIP it touched, its verdict turns to
 * balancer-induced overload, or one of its backends goes down (none of
 * which held when it was made), xlbd puts back what was in force before
 * it, by itself, and journals "rolled back" with the evidence. A newer
 * change ends the watch (superseded): a rollback never undoes a change it
 * was not asked to.
 */
#ifndef XLBD_GUARD_H
#define XLBD_GUARD_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "config.h"
#include "overrides.h"

#define GUARD_HISTORY		8
#define GUARD_MAX_MS		3600000	/* an hour at most */

struct xlbd;

enum guard_state {
	GUARD_NONE,		/* not guarded */
	GUARD_WATCHING,
	GUARD_HELD,		/* the guard passed: the change stays */
	GUARD_ROLLED_BACK,	/* by the guard */
	GUARD_UNDONE,		/* by hand: xlbctl rollback */
	GUARD_SUPERSEDED,	/* a newer change came while it was watched */
};

/* What held when a change was made, per backend of the VIPs it touched. */
struct guard_mark {
	char vip[XLB_NAME_MAX];
	union xlb_addr addr;
	bool skewed, down;
};

struct guard_change {
	__u64 id;
	char what[320];
	char vip[XLB_NAME_MAX];		/* the VIP it touched; "": all (reload) */
	uid_t uid;
	struct xlb_cfg *base;		/* before it: the config as applied */
	struct xlb_overrides ov;	/* before it: the runtime changes */
	enum guard_state state;
	__u64 made_ms, until_ms;
	bool overload_before;		/* some touched VIP was diagnosed overloaded */
	struct guard_mark *marks;
	size_t nr_marks;
	char outcome[1600];
};

struct guard {
	struct guard_change *changes[GUARD_HISTORY];	/* oldest first */
	size_t nr;
	__u64 next_id;
};

/* What is in force now, to put back if the change about to be made is undone. */
struct guard_before {
	struct xlb_cfg *base;
	struct xlb_overrides ov;
};

int guard_before_take(struct xlbd *x, struct guard_before *b);
void guard_before_free(struct guard_before *b);
/*
 * A change was applied: keeps b (consumed) to undo it, and watches it for
 * guard_ms (0: not guarded). vip NULL: it touched every VIP. Returns its id.
 */
__u64 guard_record(struct xlbd *x, struct guard_before *b, const char *what, const char *vip,
		   uid_t uid, __u32 guard_ms);
/* Every second: watched changes checked, rolled back or let be. */
void guard_tick(struct xlbd *x);
/* A change's state for xlbctl --wait; NULL if unknown. */
json_t *guard_status(struct xlbd *x, __u64 id);
/* Undoes the newest change (that must touch vip, if given). */
int guard_undo(struct xlbd *x, const char *vip, uid_t uid, char *err, size_t err_len,
	       char *done, size_t done_len);
void guard_fini(struct guard *g);
const char *guard_state_name(enum guard_state s);

#endif /* XLBD_GUARD_H */
