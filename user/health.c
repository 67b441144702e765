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

enum xlb_health_change xlb_health_record(struct xlb_health *h, bool ok, const char *reason,
					 __u32 rise, __u32 fall, __u64 now_ms)
{
	h->probes++;
	h->last_ok = ok;
	h->last_probe_ms = now_ms;
	snprintf(h->last_reason, sizeof(h->last_reason), "%s", reason);
	if (ok) {
		h->ok_run++;
		h->fail_run = 0;
		if (h->state == XLB_HEALTH_DOWN && h->ok_run >= rise) {
			h->state = XLB_HEALTH_UP;
			h->last_change_ms = now_ms;
			return XLB_HEALTH_WENT_UP;
		}
	} else {
		h->failures++;
		h->fail_run++;
		h->ok_run = 0;
		if (h->state == XLB_HEALTH_UP && h->fail_run >= fall) {
			h->state = XLB_HEALTH_DOWN;
			h->last_change_ms = now_ms;
			return XLB_HEALTH_WENT_DOWN;
		}
	}
	return XLB_HEALTH_SAME;
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
