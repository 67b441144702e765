/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reloads of the config file (xlbctl reload, SIGHUP): the file is read and
 * parsed off the loop, in a thread of its own (5,000 VIPs are 2.5 MB of
 * YAML, about 100 ms to parse: the loop would wait), then checked against
 * what runs and applied on the loop, recorded in the history and guarded.
 * One reload at a time: requests that come while one runs wait and are
 * served by one more read of the file, made after it.
 */
#ifndef XLBD_RELOAD_H
#define XLBD_RELOAD_H

#include <linux/types.h>

#include "history.h"

struct xlbd;
struct ctl_later;
struct reloader;

int reload_init(struct xlbd *x);
/* A reload in flight is waited for and not applied; waiters are told. */
void reload_fini(struct xlbd *x);
/*
 * Reload for uid as src, guarded for guard_ms; later (NULL for a signal)
 * gets the answer. A SIGHUP's reload tells systemd READY=1 when done.
 */
void reload_request(struct xlbd *x, enum change_source src, long uid, __u32 guard_ms,
		    struct ctl_later *later);

#endif /* XLBD_RELOAD_H */
