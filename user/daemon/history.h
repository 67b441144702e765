/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One history of the changes to what is in force: reloads (xlbctl reload,
 * SIGHUP, systemctl reload), runtime changes (weight, drain, enable,
 * disable, add, remove, reset), a start on a config file that changed while
 * xlbd was stopped, and the undoing of any of them. Each entry keeps what
 * it changed and nothing else (the touched backends' runtime changes
 * before and after; the config text before a reload), so undoing one puts
 * back exactly that change, whichever is newest, and refuses when a newer
 * change in force touched the same thing. A newer change of any source
 * ends the watch of a guarded one (guard.c). The history is kept next to
 * the state file (<state>.history) so that rollback and guards outlive a
 * restart; it is a record, not what is in force: losing it loses no
 * change, only the means to undo it.
 */
#ifndef XLBD_HISTORY_H
#define XLBD_HISTORY_H

#include <stdbool.h>
#include <jansson.h>

#include "config.h"
#include "overrides.h"

#define HISTORY_MAX		64
#define GUARD_MAX_MS		3600000	/* an hour at most */

struct xlbd;

enum change_source {
	CHANGE_XLBCTL,		/* weight, state, add, remove, reset */
	CHANGE_RELOAD,		/* xlbctl reload */
	CHANGE_SIGHUP,		/* kill -HUP, systemctl reload */
	CHANGE_START,		/* the config file changed while xlbd was stopped */
	CHANGE_ROLLBACK,	/* xlbctl rollback */
	CHANGE_GUARD,		/* a guard rolled a change back */
};

enum guard_state {
	GUARD_NONE,		/* not guarded */
	GUARD_WATCHING,
	GUARD_HELD,		/* the guard passed: the change stays */
	GUARD_ROLLED_BACK,	/* by the guard */
	GUARD_UNDONE,		/* by hand: xlbctl rollback */
	GUARD_SUPERSEDED,	/* a newer change came while it was watched */
	GUARD_ENDED_BY_RESTART,	/* its time ran out while xlbd was stopped */
	GUARD_ROLLBACK_FAILED,	/* evidence came, but putting back what was before failed */
};

/* A backend the change moved traffic to or from, and what held when it was made. */
struct guard_mark {
	char vip[XLB_NAME_MAX];
	union xlb_addr addr;
	bool skewed, down, overloaded;
	bool gained;			/* the change moved traffic to it */
};

struct change {
	__u64 id;
	enum change_source source;
	long uid;			/* -1: a signal, or xlbd itself */
	__u64 when_ms;			/* wall clock */
	char what[320];
	char vip[XLB_NAME_MAX];		/* the one VIP of a runtime change; "": several */
	/* Runtime changes: the touched backends' overrides, before and after. */
	struct xlb_overrides before, after;
	/* Reloads: the config text before, and which text each side was. */
	char *before_text;
	size_t before_len;
	__u64 before_hash, after_hash;
	json_t *vips;			/* reloads: the names of the VIPs that differ */
	__u64 undone_by;		/* the change that undid it; 0: in force */
	__u64 undoes;			/* a rollback: the change it undid */
	/* The guard (guard.c). */
	enum guard_state state;
	__u64 until_ms;			/* monotonic */
	__u32 guard_ms;			/* how long it was asked to watch */
	__u64 resume_wall_ms;		/* read from the file: watched until then (wall clock) */
	struct guard_mark *marks;
	size_t nr_marks;
	char outcome[1600];
};

struct history {
	struct change *c[HISTORY_MAX];	/* oldest first */
	size_t nr;
	__u64 next_id;
	char *path;			/* <state>.history */
};

/* Each backend's share of its VIP's new flows before a change, to see what it moved. */
struct share {
	char vip[XLB_NAME_MAX];
	union xlb_addr addr;
	double share;
};

/* What was in force before a change, taken just before it is applied. */
struct change_before {
	struct xlb_overrides ov;
	char *text;
	size_t len;
	__u64 hash;
	struct xlb_cfg *base;
	struct share *shares;
	size_t nr_shares;
};

/* What was in force when the history was last written, where it differs from now. */
struct history_prev {
	bool text_differs, ov_differs;
	char *text;			/* the config text then */
	size_t len;
	struct xlb_overrides ov;	/* the runtime changes then */
};

/*
 * At start, after the first apply: the history as xlbd left it (a damaged
 * file is kept as .bad, the history starts empty). *prev: what differs
 * from then, for history_record_start; then history_resume for the guards.
 */
int history_load(struct xlbd *x, struct history_prev *prev);
/* The guards the file had watching resume with their time left, or end. */
void history_resume(struct xlbd *x);
void history_fini(struct history *h);
void change_free(struct change *c);
/*
 * What is in force before a change, for history_record (the runtime
 * changes and the text's hash, always), CHANGE_BEFORE_TEXT (the config text
 * and base: a change that may touch the file's config, a reload or an
 * undo) and CHANGE_BEFORE_SHARES (each backend's share: a guarded change).
 * Each is a copy of a whole config's worth: a weight needs neither.
 */
#define CHANGE_BEFORE_TEXT	1u
#define CHANGE_BEFORE_SHARES	2u
int change_before_take(struct xlbd *x, struct change_before *b, unsigned int what);
void change_before_free(struct change_before *b);
/*
 * A change was applied: records what it changed since b (b's text is
 * taken; b still to be freed), ends every watch (a newer change supersedes
 * them). Returns its id; 0 when nothing in force changed (nothing is
 * recorded, no watch ends). The caller persists the history
 * (history_save) once it has set the change's guard.
 */
__u64 history_record(struct xlbd *x, struct change_before *b, enum change_source src, long uid,
		     const char *what, const char *vip);
/*
 * xlbd started on a config or runtime changes unlike those in force when
 * the history was last written (prev, consumed): a change of its own.
 */
void history_record_start(struct xlbd *x, struct history_prev *prev);
/* The change a rollback is asked for: by id, else the newest in force (touching vip). */
struct change *history_pick(struct xlbd *x, const char *vip, __u64 id, char *err, size_t len);
/* Undoes c alone, as src (a rollback or a guard); recorded as a change, to be saved. */
int history_undo(struct xlbd *x, struct change *c, enum change_source src, long uid,
		 char *err, size_t err_len);
struct change *history_find(struct xlbd *x, __u64 id);
bool change_touches_vip(const struct change *c, const char *vip);
/* Does any change of the history touch vip? */
bool history_touches(struct xlbd *x, const char *vip);
void history_save(struct xlbd *x);
/*
 * history_texts.c: the config texts the history needs, one file each
 * beside it (hist: its path), named by text_hash. keep writes one unless
 * it is there; read gives it back (NUL-terminated) only if its bytes have
 * that hash; prune removes those not in keep[].
 */
int history_text_keep(const char *hist, __u64 hash, const char *text, size_t len);
char *history_text_read(const char *hist, __u64 hash, size_t *len);
void history_texts_prune(const char *hist, const __u64 *keep, size_t nr);
json_t *history_json(struct xlbd *x);
json_t *change_json(const struct change *c);
const char *change_source_name(enum change_source s);
const char *guard_state_name(enum guard_state s);
/* From the names above; the first of each when s is none of them. */
enum change_source change_source_parse(const char *s);
enum guard_state guard_state_parse(const char *s);
/* A guard's step in the journal: type, and the evidence or outcome. */
void guard_journal(struct xlbd *x, const struct change *c, const char *type, const char *text);
/* The FNV-1a hash of a config's text: which text is in force. */
static inline __u64 text_hash(const char *text, size_t len)
{
	__u64 h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
	return h;
}

#endif /* XLBD_HISTORY_H */
