// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <time.h>

#include "events.h"
#include "journal.h"
#include "monitor_sample.h"
#include "xlbd.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_PRESERVE_ORDER)

static int count_bytes(const char *buf, size_t size, void *data)
{
	(void)buf;
	*(size_t *)data += size;
	return 0;
}

/* What json_dumps(j) would be long, without making it. */
static size_t dumped_size(const json_t *j)
{
	size_t n = 0;

	json_dump_callback(j, count_bytes, &n, DUMP_FLAGS);
	return n;
}

/* The event without a VIP: {"time":"...","type":"sample","vips":[]}, as the journal writes it. */
static size_t envelope_size(void)
{
	char ts[32];
	json_t *ev;
	size_t n;

	xlb_time_format(time(NULL), ts, sizeof(ts));
	ev = json_pack("{s:s, s:s, s:[]}", "time", ts, "type", "sample", "vips");
	n = ev ? dumped_size(ev) : 0;
	json_decref(ev);
	return n;
}

void monitor_sample_begin(struct monitor_sample *s)
{
	monitor_sample_drop(s);
	s->on = true;
	s->vips = json_array();
	s->bytes = envelope_size();
}

void monitor_sample_add(struct monitor_sample *s, json_t *vip)
{
	if (!s->on || !vip) {
		json_decref(vip);
		return;
	}
	s->bytes += dumped_size(vip) + (s->nr ? 1 : 0);	/* and a comma before it */
	s->nr++;
	if (s->vips && s->bytes <= XLB_JOURNAL_EVENT_MAX) {
		json_array_append_new(s->vips, vip);
		return;
	}
	/* The journal would only say how long it is: the rows go now. */
	json_decref(vip);
	json_decref(s->vips);
	s->vips = NULL;
}

void monitor_sample_end(struct xlbd *x, struct monitor_sample *s)
{
	if (!s->on)
		return;
	if (s->vips) {
		journal_event(x, "sample", json_pack("{s:o}", "vips", s->vips));
		s->vips = NULL;
	} else {
		/* The line the journal writes for one too long (journal.c), counted as it counts it. */
		journal_event(x, "sample", json_pack("{s:b, s:I}", "truncated", 1,
						     "bytes", (json_int_t)s->bytes));
		if (x->journal_open)
			x->journal.truncated++;
	}
	monitor_sample_drop(s);
}

void monitor_sample_drop(struct monitor_sample *s)
{
	json_decref(s->vips);
	memset(s, 0, sizeof(*s));
}
