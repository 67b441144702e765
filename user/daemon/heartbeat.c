// SPDX-License-Identifier: GPL-2.0
/*
 * Once a second, in this order: commands that outlived their time are
 * swept, each interface is looked at again, slow starts take a step (their
 * VIPs marked dirty: dirty.c writes them), routes are brought
 * in line, the monitor judges the second, and guarded changes are judged on
 * its verdicts. Each part owns its state; only this file knows the order.
 *
 * The monitor judges the second in slices over the next turns of the loop
 * (monitor.h), so the guards are judged when its pass is over, on the
 * verdicts of every VIP: monitor_tick is given judge_guards to call then.
 * A pass still under way at a beat starts no other; the guards wait for it.
 */
#include <time.h>
#include <systemd/sd-event.h>

#include "announce.h"
#include "child.h"
#include "guard.h"
#include "health_apply.h"
#include "heartbeat.h"
#include "xlbd.h"

#define HEARTBEAT_MS	1000

/* After a whole pass of the monitor. */
static void judge_guards(struct xlbd *x)
{
	guard_tick(x);
}

static int beat(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct xlbd *x = userdata;
	__u64 now = monotonic_ms();
	size_t i;

	(void)usec;
	sd_event_source_set_time(s, (now + HEARTBEAT_MS) * 1000);
	xlb_children_sweep();
	for (i = 0; i < x->nr_watched; i++)
		link_watch_check(x->ifaces[i].watch);
	/* Nothing else to do before the first config is applied. */
	if (!x->effective)
		return 0;
	slow_start_tick(x);
	/* Catches what no event reported: a failed route write, a device deleted by hand. */
	announce_sync(x);
	monitor_tick(x, now, judge_guards);
	return 0;
}

int heartbeat_start(struct xlbd *x)
{
	int err;

	err = sd_event_add_time(x->event, &x->heartbeat, CLOCK_MONOTONIC,
				(monotonic_ms() + HEARTBEAT_MS) * 1000, 1000, beat, x);
	if (err < 0)
		return err;
	sd_event_source_set_priority(x->heartbeat, XLB_PRIO_TIMER);
	return sd_event_source_set_enabled(x->heartbeat, SD_EVENT_ON);
}

void heartbeat_stop(struct xlbd *x)
{
	x->heartbeat = sd_event_source_disable_unref(x->heartbeat);
}
