/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runtime changes (weight, state, backends added and removed, reset) from
 * the control socket are queued and committed together: requests that
 * arrive in the same turn of the loop are validated one after the other,
 * each on top of the ones before, then persisted and applied once (one
 * state file write, one plan, one batch of table swaps), and each is
 * recorded, journaled and answered as its own change. 100 weights sent at
 * once cost one apply, not 100 (each holds an RCU grace period: 17 ms).
 *
 * Exactly as if applied one by one: a change to a backend already changed
 * in the batch, a guarded change (its evidence must be its own) and a
 * reset each start a new batch; if the batch as a whole is refused, each
 * of its changes is applied alone, in order, and answered as then.
 */
#ifndef XLBD_CHANGE_QUEUE_H
#define XLBD_CHANGE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <linux/types.h>
#include <systemd/sd-event.h>

#include "control.h"
#include "overrides.h"

struct xlbd;
struct pending;
struct collected;

typedef json_t *(*change_fn)(struct xlbd *x, const struct ctl_request *req, char *err,
			     size_t err_len);

enum change_mode {
	CHANGES_QUEUE,		/* from the socket: queued, answered later */
	CHANGES_COLLECT,	/* the queue's run: validated, gathered */
	CHANGES_NOW,		/* applied at once, answered by the caller */
};

struct change_queue {
	enum change_mode mode;
	sd_event_source *run;
	struct pending *head, **tail;
	struct collected *items;
	size_t nr, cap;
};

int change_queue_init(struct xlbd *x);
/* Every queued change is answered (xlbd is stopping) before the socket closes. */
void change_queue_fini(struct xlbd *x);
/*
 * A runtime change's handler calls this first: in CHANGES_QUEUE mode the
 * request is queued and *queued set (the handler returns its result: NULL,
 * answered later); else the handler goes on.
 */
json_t *change_queue_take(struct xlbd *x, const struct ctl_request *req, change_fn fn,
			  bool *queued);
/*
 * A handler's new set of runtime changes (next, consumed), described as
 * what: applied now (CHANGES_NOW: persisted first, then applied; on any
 * failure the old set is put back, in memory and on disk), or gathered
 * for the batch (CHANGES_COLLECT). The answer, or NULL with err.
 */
json_t *change_commit(struct xlbd *x, const struct ctl_request *req, struct xlb_overrides *next,
		      const char *what, char *err, size_t err_len);

/* --guard: how long to watch the change, in ms; 0 when not asked. */
int change_guard_arg(const struct ctl_request *req, __u32 *ms, char *err, size_t err_len);
/* A change's id in an answer, and its guard when it has one; "unchanged" when 0. */
void reply_change(json_t *r, __u64 id, __u32 guard_ms);

#endif /* XLBD_CHANGE_QUEUE_H */
