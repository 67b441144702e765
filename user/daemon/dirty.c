// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "dirty.h"
#include "log.h"
#include "xlbd.h"

#define BACKOFF_FIRST_MS	100
#define BACKOFF_MAX_MS		5000

static void arm(struct xlbd *x)
{
	struct dirty *d = &x->dirty;

	/* While a write fails, the retry timer runs the handler, not each mark. */
	if (d->count && !d->backoff_ms)
		sd_event_source_set_enabled(d->run, SD_EVENT_ONESHOT);
}

/*
 * Plans and writes each dirty VIP. Table swaps go in one batch; a VIP is
 * clean only once its swap went in: a failed batch leaves every VIP it
 * held dirty and forced (its plan in memory is already the new one, so
 * "nothing changed" must not skip its write next time).
 */
static int run(sd_event_source *s, void *userdata)
{
	struct xlbd *x = userdata;
	struct dirty *d = &x->dirty;
	size_t v, n = 0, failed = 0;
	bool *written;
	int err;

	(void)s;
	if (!x->effective || !d->count)
		return 0;
	written = calloc(d->nr ? d->nr : 1, sizeof(*written));
	if (!written)
		return 0;	/* marks kept: the next mark or retry comes back */
	xlb_dp_batch_begin(x->dp);
	for (v = 0; v < d->nr && v < x->effective->nr_vips; v++) {
		if (!d->vip[v])
			continue;
		err = d->write(x, &x->effective->vips[v], d->force[v]);
		if (err) {
			failed++;
			continue;
		}
		written[v] = true;
		n++;
	}
	err = xlb_dp_batch_end(x->dp);
	for (v = 0; v < d->nr; v++) {
		if (!written[v])
			continue;
		if (err) {
			d->force[v] = true;
			failed++;
			continue;
		}
		d->vip[v] = d->force[v] = false;
		d->count--;
	}
	free(written);
	if (err)
		pr_err("Couldn't write the tables of %zu VIPs: %s; the data path keeps their last tables, tried again\n",
		       n, strerror(-err));
	if (failed) {
		d->backoff_ms = d->backoff_ms ? d->backoff_ms * 2 : BACKOFF_FIRST_MS;
		if (d->backoff_ms > BACKOFF_MAX_MS)
			d->backoff_ms = BACKOFF_MAX_MS;
		sd_event_source_set_time_relative(d->retry, d->backoff_ms * 1000ull);
		sd_event_source_set_enabled(d->retry, SD_EVENT_ONESHOT);
	} else if (d->backoff_ms) {
		d->backoff_ms = 0;
		pr_info("The data path follows health again\n");
	}
	announce_sync(x);
	return 0;
}

static int retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)usec;
	return run(s, userdata);
}

int dirty_init(struct xlbd *x, dirty_write_fn write)
{
	struct dirty *d = &x->dirty;
	int err;

	d->write = write;
	err = sd_event_add_defer(x->event, &d->run, run, x);
	if (err < 0)
		return err;
	sd_event_source_set_enabled(d->run, SD_EVENT_OFF);
	err = sd_event_add_time_relative(x->event, &d->retry, CLOCK_MONOTONIC, 0, 1000, retry, x);
	if (err < 0)
		return err;
	sd_event_source_set_enabled(d->retry, SD_EVENT_OFF);
	return 0;
}

void dirty_fini(struct xlbd *x)
{
	struct dirty *d = &x->dirty;

	d->run = sd_event_source_disable_unref(d->run);
	d->retry = sd_event_source_disable_unref(d->retry);
	free(d->vip);
	free(d->force);
	memset(d, 0, sizeof(*d));
}

void dirty_reset(struct xlbd *x)
{
	struct dirty *d = &x->dirty;
	size_t nr = x->effective ? x->effective->nr_vips : 0;
	bool *vip = calloc(nr ? nr : 1, sizeof(*vip)), *force = calloc(nr ? nr : 1, sizeof(*force));

	if (!vip || !force) {
		/* Out of memory: the old marks stay, as long as they fit. */
		free(vip);
		free(force);
		return;
	}
	free(d->vip);
	free(d->force);
	d->vip = vip;
	d->force = force;
	d->nr = nr;
	d->count = 0;
	d->backoff_ms = 0;
	if (d->run)
		sd_event_source_set_enabled(d->run, SD_EVENT_OFF);
	if (d->retry)
		sd_event_source_set_enabled(d->retry, SD_EVENT_OFF);
}

void dirty_mark(struct xlbd *x, const struct xlb_cfg_vip *vip)
{
	struct dirty *d = &x->dirty;
	size_t v = vip - x->effective->vips;

	if (v >= d->nr || d->vip[v])
		return;
	d->vip[v] = true;
	d->count++;
	arm(x);
}

size_t dirty_count(const struct xlbd *x)
{
	return x->dirty.count;
}
