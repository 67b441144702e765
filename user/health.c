// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "health.h"

void xlb_health_init(struct xlb_health *h, __u64 now_ms)
{
	memset(h, 0, sizeof(*h));
	h->state = XLB_HEALTH_UP;
	h->last_ok = true;
	snprintf(h->last_reason, sizeof(h->last_reason), "not probed yet");
	h->last_change_ms = now_ms;
}

#define RING	(XLB_FLAP_MAX_CHANGES + 1)

/* A health change, remembered for flap damping. */
static void set_state(struct xlb_health *h, enum xlb_health_state state, __u64 now_ms)
{
	h->state = state;
	h->last_change_ms = now_ms;
	h->hold_from_ms = now_ms;
	h->state_changes++;
	h->change_ms[h->change_pos] = now_ms;
	h->change_pos = (h->change_pos + 1) % RING;
	if (h->change_nr < RING)
		h->change_nr++;
}

enum xlb_health_change xlb_health_record(struct xlb_health *h, bool ok, const char *reason,
					 __u32 rise, __u32 fall, __u64 now_ms)
{
	/* The first result is a change only if it is a failure (a backend starts up). */
	h->changes += ok != h->last_ok;
	h->probes++;
	h->last_ok = ok;
	snprintf(h->last_reason, sizeof(h->last_reason), "%s", reason);
	if (ok) {
		h->ok_run++;
		h->fail_run = 0;
		if (h->state == XLB_HEALTH_DOWN && h->ok_run >= rise) {
			set_state(h, XLB_HEALTH_UP, now_ms);
			return XLB_HEALTH_WENT_UP;
		}
	} else {
		h->failures++;
		h->fail_run++;
		h->ok_run = 0;
		if (h->state == XLB_HEALTH_UP && h->fail_run >= fall) {
			set_state(h, XLB_HEALTH_DOWN, now_ms);
			return XLB_HEALTH_WENT_DOWN;
		}
	}
	return XLB_HEALTH_SAME;
}

/* The i-th newest change counted (0: the newest); i < change_nr. */
static __u64 change_at(const struct xlb_health *h, __u32 i)
{
	return h->change_ms[(h->change_pos + RING - 1 - i) % RING];
}

__u32 xlb_health_flap_count(const struct xlb_health *h, __u32 window_ms, __u64 now_ms)
{
	__u32 i, n = 0;

	/* From the newest back: whatever was forgotten is never read. */
	for (i = 0; i < h->change_nr; i++)
		n += change_at(h, i) + window_ms > now_ms;
	return n;
}

void xlb_health_forget_changes(struct xlb_health *h)
{
	h->change_nr = 0;
	h->change_pos = 0;
}

void xlb_health_new_probe(struct xlb_health *h, __u64 now_ms)
{
	xlb_health_forget_changes(h);
	/* Held, it stays held: up, for a full hold from now under the new
	 * probe; down, for a full hold from when it comes up. */
	if (h->flapping)
		h->hold_from_ms = now_ms;
}

long long xlb_health_hold_left_ms(const struct xlb_health *h, const struct xlb_flap_cfg *cfg,
				  __u64 now_ms)
{
	long long left;

	/* Damping off: the probe judges alone, the hold is over. */
	if (!h->flapping || !cfg->changes)
		return 0;
	/* Down, it cannot be let back: the hold counts from when it comes up. */
	if (h->state == XLB_HEALTH_DOWN)
		return -1;
	left = h->hold_from_ms + (long long)cfg->hold_ms - (long long)now_ms;
	return left > 0 ? left : 0;
}

enum xlb_health_change xlb_health_damp(struct xlb_health *h, const struct xlb_flap_cfg *cfg,
				       __u64 now_ms)
{
	if (h->flapping) {
		/* Only a change of health restarts the hold: a failed probe that
		 * leaves the health as it was says nothing new of the flapping. */
		if (xlb_health_hold_left_ms(h, cfg, now_ms))
			return XLB_HEALTH_SAME;
		h->flapping = false;
		/* Counted afresh: the changes that held it out are paid for. */
		xlb_health_forget_changes(h);
		return XLB_HEALTH_STEADY;
	}
	if (!cfg->changes)
		return XLB_HEALTH_SAME;
	h->flap_count = xlb_health_flap_count(h, cfg->window_ms, now_ms);
	if (h->flap_count <= cfg->changes)
		return XLB_HEALTH_SAME;
	h->flapping = true;
	h->flap_since_ms = now_ms;
	return XLB_HEALTH_FLAPPING;
}

/* Monotonic (now_ms) to wall clock (now_wall_ms) and back; signed, as
 * hold_from_ms may be before either's 0. A time ahead of the clock: now. */
static __s64 to_wall(__s64 t, __u64 now_ms, __u64 now_wall_ms)
{
	return t >= (__s64)now_ms ? (__s64)now_wall_ms : (__s64)now_wall_ms - ((__s64)now_ms - t);
}

static __s64 to_mono_signed(__s64 wall, __u64 now_ms, __u64 now_wall_ms)
{
	/* Ahead of the wall clock: it was set back since. */
	return wall >= (__s64)now_wall_ms ? (__s64)now_ms : (__s64)now_ms - ((__s64)now_wall_ms - wall);
}

/* Before this clock's 0 (the host has booted since): its 0. */
static __u64 to_mono(__u64 wall, __u64 now_ms, __u64 now_wall_ms)
{
	__s64 t = to_mono_signed(wall, now_ms, now_wall_ms);

	return t > 0 ? (__u64)t : 0;
}

void xlb_health_save(const struct xlb_health *h, __u64 now_ms, __u64 now_wall_ms,
		     struct xlb_flap_saved *out)
{
	__u32 i;

	out->down = h->state == XLB_HEALTH_DOWN;
	out->since_ms = to_wall(h->flap_since_ms, now_ms, now_wall_ms);
	out->hold_from_ms = to_wall(h->hold_from_ms, now_ms, now_wall_ms);
	out->last_change_ms = to_wall(h->last_change_ms, now_ms, now_wall_ms);
	out->flap_count = h->flap_count;
	out->nr_changes = h->change_nr;
	for (i = 0; i < h->change_nr; i++)
		out->change_ms[h->change_nr - 1 - i] = to_wall(change_at(h, i), now_ms, now_wall_ms);
}

void xlb_health_restore(struct xlb_health *h, const struct xlb_flap_saved *s, bool same_probe,
			__u64 now_ms, __u64 now_wall_ms)
{
	__u32 i, nr = s->nr_changes < RING ? s->nr_changes : RING;

	h->state = s->down ? XLB_HEALTH_DOWN : XLB_HEALTH_UP;
	h->last_ok = !s->down;
	h->ok_run = h->fail_run = 0;
	h->last_change_ms = to_mono(s->last_change_ms, now_ms, now_wall_ms);
	h->flapping = true;
	h->flap_since_ms = to_mono(s->since_ms, now_ms, now_wall_ms);
	h->flap_count = s->flap_count;
	xlb_health_forget_changes(h);
	for (i = 0; i < nr; i++)
		h->change_ms[i] = to_mono(s->change_ms[i], now_ms, now_wall_ms);
	h->change_nr = nr;
	h->change_pos = nr % RING;
	h->hold_from_ms = to_mono_signed(s->hold_from_ms, now_ms, now_wall_ms);
	if (!same_probe)
		xlb_health_new_probe(h, now_ms);
}

void xlb_health_flap_words(const struct xlb_health *h, const struct xlb_flap_cfg *cfg,
			   __u64 now_ms, char *buf, size_t len)
{
	long long left = xlb_health_hold_left_ms(h, cfg, now_ms);
	int n;

	n = snprintf(buf, len, "%u health changes in %u s (more than %u); ", h->flap_count,
		     cfg->window_ms / 1000, cfg->changes);
	if (n < 0 || (size_t)n >= len)
		return;
	if (left < 0)
		snprintf(buf + n, len - n, "down now: let back once up for %u s with no health change",
			 cfg->hold_ms / 1000);
	else
		snprintf(buf + n, len - n, "up now: let back in %lld s if it stays up",
			 (left + 999) / 1000);
}

bool xlb_health_is_down(const struct xlb_health *h)
{
	return h->state == XLB_HEALTH_DOWN || h->flapping;
}

const char *xlb_health_name(const struct xlb_health *h)
{
	return h->flapping ? "flapping" : xlb_health_state_name(h->state);
}

enum xlb_backend_state xlb_effective_state(enum xlb_admin_state admin,
					   enum xlb_health_state health, __u32 weight)
{
	/* Admin decisions win over health: disabled stays out, drained stays drained. */
	if (admin == XLB_ADMIN_DISABLED)
		return XLB_BE_DOWN;
	if (health == XLB_HEALTH_DOWN)
		return XLB_BE_DOWN;
	if (admin == XLB_ADMIN_DRAIN || !weight)
		return XLB_BE_DRAINING;
	return XLB_BE_UP;
}

enum xlb_backend_state xlb_asked_state(enum xlb_backend_state asked, __u32 weight)
{
	return xlb_effective_state(asked == XLB_BE_DRAINING ? XLB_ADMIN_DRAIN : XLB_ADMIN_UP,
				   asked == XLB_BE_DOWN ? XLB_HEALTH_DOWN : XLB_HEALTH_UP, weight);
}

const char *xlb_health_state_name(enum xlb_health_state s)
{
	return s == XLB_HEALTH_UP ? "up" : "down";
}
