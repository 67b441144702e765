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

/* A health change, remembered for flap damping. */
static void set_state(struct xlb_health *h, enum xlb_health_state state, __u64 now_ms)
{
	h->state = state;
	h->last_change_ms = now_ms;
	h->state_changes++;
	h->change_ms[h->change_pos] = now_ms;
	h->change_pos = (h->change_pos + 1) % (XLB_FLAP_MAX_CHANGES + 1);
	if (h->change_nr < XLB_FLAP_MAX_CHANGES + 1)
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

__u32 xlb_health_flap_count(const struct xlb_health *h, __u32 window_ms, __u64 now_ms)
{
	__u32 i, n = 0;

	for (i = 0; i < h->change_nr; i++)
		n += h->change_ms[i] + window_ms > now_ms;
	return n;
}

/* The last health change counted; 0 when none is (a reload forgot them). */
static __u64 last_change(const struct xlb_health *h)
{
	return h->change_nr ? h->change_ms[(h->change_pos + XLB_FLAP_MAX_CHANGES) %
					   (XLB_FLAP_MAX_CHANGES + 1)] : 0;
}

/*
 * Nothing counted (new probe settings forgot the changes) or damping off:
 * the probe judges alone, so the hold is over whatever the health.
 */
static bool judged_afresh(const struct xlb_health *h, const struct xlb_flap_cfg *cfg)
{
	return !h->change_nr || !cfg->changes;
}

long long xlb_health_hold_left_ms(const struct xlb_health *h, const struct xlb_flap_cfg *cfg,
				  __u64 now_ms)
{
	__u64 end = last_change(h) + cfg->hold_ms;

	if (!h->flapping || judged_afresh(h, cfg))
		return 0;
	/* Down, it cannot be let back: the hold counts from when it comes up. */
	if (h->state == XLB_HEALTH_DOWN)
		return -1;
	return end > now_ms ? (long long)(end - now_ms) : 0;
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
		h->change_nr = 0;
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

const char *xlb_health_state_name(enum xlb_health_state s)
{
	return s == XLB_HEALTH_UP ? "up" : "down";
}
