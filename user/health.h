/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Backend health from probe results: rise consecutive successes bring a
 * down backend up, fall consecutive failures take an up one down. Counts
 * are of consecutive results, not cumulative: one success in a run of
 * failures starts the failure count again. A backend starts up, so that
 * a restarting daemon does not empty its tables before the first probes.
 *
 * Flap damping: a change is a change of health, up to down or down to up,
 * as rise and fall decide it. A backend with more than `changes` of them in
 * `window` is held out as flapping: each time it went down its clients
 * failed until fall took it out, and each time it came back it took new
 * flows it may fail again. It is let back once it has been up for `hold`
 * with no health change (down, or changing, it stays held); its count then
 * starts afresh. Probe results are not counted: a failed probe that does
 * not take a backend down moves no flow in or out of the table, so one
 * failing now and then (never fall in a row) is never held out, however
 * often, and such failures neither hold nor keep a backend out.
 *
 * New damping settings (changes, window, hold) apply to the count and the
 * hold as they stand. A new probe (xlb_health_new_probe) forgets the
 * counted changes, but never lets a held backend go: it stays held until
 * it has been up for a full hold under the new probe. A hold outlives a
 * restart of xlbd through xlb_health_save and xlb_health_restore, in
 * wall-clock time: the time xlbd was stopped counts towards it.
 */
#ifndef XLB_HEALTH_H
#define XLB_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "config.h"

#define XLB_PROBE_DEFAULT_INTERVAL_MS	2000
#define XLB_PROBE_DEFAULT_TIMEOUT_MS	1000
#define XLB_PROBE_DEFAULT_RISE		2
#define XLB_PROBE_DEFAULT_FALL		3
#define XLB_FLAP_DEFAULT_CHANGES	6
#define XLB_FLAP_DEFAULT_WINDOW_MS	60000
#define XLB_FLAP_DEFAULT_HOLD_MS	60000
#define XLB_FLAP_MAX_CHANGES		64

enum xlb_health_state {
	XLB_HEALTH_UP = 0,
	XLB_HEALTH_DOWN,
};

enum xlb_health_change {
	XLB_HEALTH_SAME = 0,
	XLB_HEALTH_WENT_UP,
	XLB_HEALTH_WENT_DOWN,
	XLB_HEALTH_FLAPPING,		/* held out: too many health changes */
	XLB_HEALTH_STEADY,		/* up, unchanged for the hold time: let back */
};

struct xlb_flap_cfg {
	__u32 changes;			/* more than this in window: flapping; 0: off */
	__u32 window_ms, hold_ms;
};

struct xlb_health {
	enum xlb_health_state state;
	__u32 ok_run, fail_run;		/* current runs of results */
	bool last_ok;
	char last_reason[96];		/* "ok", "timeout", "refused", "status 503", ... */
	__u64 last_change_ms;
	__u64 probes, failures;
	/*
	 * Times of the last health changes, for flap damping: a ring, the
	 * newest just before change_pos, change_nr of them counted (read from
	 * the newest back; xlb_health_forget_changes is the one way to forget).
	 */
	__u64 change_ms[XLB_FLAP_MAX_CHANGES + 1];
	__u32 change_pos, change_nr;
	__u64 changes;			/* result changes in all (shown, not judged) */
	__u64 state_changes;		/* health changes in all */
	bool flapping;
	__u64 flap_since_ms;
	__u32 flap_count;		/* health changes in the window when held */
	/* Held: the hold counts from here, if up: its last health change, or a
	 * new probe. Signed: restored after a restart it may be before this
	 * clock's 0 (the host's boot). */
	__s64 hold_from_ms;
};

void xlb_health_init(struct xlb_health *h, __u64 now_ms);
enum xlb_health_change xlb_health_record(struct xlb_health *h, bool ok, const char *reason,
					 __u32 rise, __u32 fall, __u64 now_ms);

/* After each result: held out as flapping, or let back once steady. */
enum xlb_health_change xlb_health_damp(struct xlb_health *h, const struct xlb_flap_cfg *cfg,
				       __u64 now_ms);
/* Health changes in the window that ends now. */
__u32 xlb_health_flap_count(const struct xlb_health *h, __u32 window_ms, __u64 now_ms);
/* The counted health changes forgotten: counting starts afresh. */
void xlb_health_forget_changes(struct xlb_health *h);
/*
 * The probe that judges it changed (a reload): the changes the old probe
 * counted are forgotten, but a held backend stays held until it has been
 * up for a full hold from now (from when it comes up, if down).
 */
void xlb_health_new_probe(struct xlb_health *h, __u64 now_ms);
/*
 * Held out as flapping: milliseconds until it is let back if it stays up
 * (0: at its next result); -1 while it is down (it must come up first).
 */
long long xlb_health_hold_left_ms(const struct xlb_health *h, const struct xlb_flap_cfg *cfg,
				  __u64 now_ms);
/* Why it is held out and when it comes back, in words (the log, show). */
void xlb_health_flap_words(const struct xlb_health *h, const struct xlb_flap_cfg *cfg,
			   __u64 now_ms, char *buf, size_t len);
/*
 * A held-out backend as the damping file keeps it across a restart of
 * xlbd: times on the wall clock (ms since the epoch), changes oldest first.
 */
struct xlb_flap_saved {
	char vip[XLB_NAME_MAX];
	union xlb_addr backend;
	__u64 probe_key;		/* xlb_probe_key of the probe that judged it */
	bool down;			/* its health when saved */
	__u64 since_ms;			/* held out since */
	__s64 hold_from_ms;		/* the hold counts from (if up) */
	__u64 last_change_ms;		/* its last health change */
	__u32 flap_count;
	__u32 nr_changes;
	__u64 change_ms[XLB_FLAP_MAX_CHANGES + 1];
};

/* h (held out) as saved at now_ms, wall clock now_wall_ms. */
void xlb_health_save(const struct xlb_health *h, __u64 now_ms, __u64 now_wall_ms,
		     struct xlb_flap_saved *out);
/*
 * h, new (xlb_health_init), held out again as s says, at now_ms, wall
 * clock now_wall_ms: the time in between counts towards its hold. Down
 * when saved, it is down (it must come up, and then be up for a hold); up,
 * its hold goes on where it was. same_probe false (the probe changed while
 * xlbd was stopped): as xlb_health_new_probe, a full hold from now.
 */
void xlb_health_restore(struct xlb_health *h, const struct xlb_flap_saved *s, bool same_probe,
			__u64 now_ms, __u64 now_wall_ms);

/* The damping file's text (JSON, malloc'ed; NULL: out of memory). */
char *xlb_flap_file_format(const struct xlb_flap_saved *s, size_t nr);
/*
 * Its entries back (*out malloc'ed, *nr of them), or -EINVAL with why in
 * err: a file that is not whole and valid gives none.
 */
int xlb_flap_file_parse(const char *text, size_t len, struct xlb_flap_saved **out, size_t *nr,
			char *err, size_t err_len);

/* Out of the table by its probes: down, or held out as flapping. */
bool xlb_health_is_down(const struct xlb_health *h);
/* "up", "down" or "flapping". */
const char *xlb_health_name(const struct xlb_health *h);

/* What the data path gets from admin state and health together. */
enum xlb_backend_state xlb_effective_state(enum xlb_admin_state admin,
					   enum xlb_health_state health, __u32 weight);

/*
 * The same for a state asked for directly (xlb-load's state=, the BPF
 * tests): up, draining or down, and the weight, by the plan's rule.
 */
enum xlb_backend_state xlb_asked_state(enum xlb_backend_state asked, __u32 weight);

const char *xlb_health_state_name(enum xlb_health_state s);

#endif /* XLB_HEALTH_H */
