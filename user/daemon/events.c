// SPDX-License-Identifier: GPL-2.0
#include "events.h"
#include "log.h"
#include "xlbd.h"

int events_open(struct xlbd *x)
{
	int err;

	err = xlb_journal_open(&x->journal, x->journal_path ? x->journal_path :
			       x->base->journal_path, (size_t)x->base->journal_max_mb << 20,
			       x->base->read_group);
	x->journal_open = !err;
	return err;
}

void events_close(struct xlbd *x)
{
	if (x->journal_open)
		xlb_journal_close(&x->journal);
	x->journal_open = false;
}

void journal_event(struct xlbd *x, const char *type, json_t *fields)
{
	if (!x->journal_open) {
		json_decref(fields);
		return;
	}
	if (xlb_journal_add(&x->journal, type, fields))
		pr_debug("Couldn't append '%s' to the event journal\n", type);
}
