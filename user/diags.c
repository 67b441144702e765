// SPDX-License-Identifier: GPL-2.0
/*
 * Problems found in a config: collected (the first XLB_DIAGS_MAX listed,
 * the rest counted), sorted by position, printed as file:line:col lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diags.h"


void xlb_diags_init(struct xlb_diags *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

void xlb_diags_free(struct xlb_diags *d)
{
	free(d->items);
	d->items = NULL;
	d->nr = d->cap = 0;
}

void xlb_diag_add(struct xlb_diags *d, enum xlb_severity sev, struct xlb_pos pos,
		  const char *fmt, ...)
{
	struct xlb_diag *item;
	va_list ap;

	if (sev == XLB_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
	/* A file with a million problems is told in a hundred lines and a count. */
	if (d->nr >= XLB_DIAGS_MAX) {
		d->unlisted++;
		return;
	}
	if (d->nr == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct xlb_diag *items = realloc(d->items, cap * sizeof(*items));

		if (!items)
			return;
		d->items = items;
		d->cap = cap;
	}
	item = &d->items[d->nr];
	item->seq = d->nr++;
	item->sev = sev;
	item->pos = pos;
	va_start(ap, fmt);
	vsnprintf(item->msg, sizeof(item->msg), fmt, ap);
	va_end(ap);
}

static int cmp_diag(const void *a, const void *b)
{
	const struct xlb_diag *x = a, *y = b;

	if (x->pos.line != y->pos.line)
		return x->pos.line - y->pos.line;
	if (x->pos.col != y->pos.col)
		return x->pos.col - y->pos.col;
	return x->seq < y->seq ? -1 : 1;
}

void xlb_diags_print(const struct xlb_diags *d, FILE *f)
{
	struct xlb_diag *sorted;
	size_t i;

	sorted = malloc((d->nr ? d->nr : 1) * sizeof(*sorted));
	if (!sorted)
		return;
	if (d->nr)
		memcpy(sorted, d->items, d->nr * sizeof(*sorted));
	/* File order; problems at one place in the order they were found. */
	qsort(sorted, d->nr, sizeof(*sorted), cmp_diag);
	for (i = 0; i < d->nr; i++) {
		const char *sev = sorted[i].sev == XLB_SEV_ERROR ? "error" : "warning";

		if (sorted[i].pos.line)
			fprintf(f, "%s:%d:%d: %s: %s\n", d->file, sorted[i].pos.line,
				sorted[i].pos.col, sev, sorted[i].msg);
		else
			fprintf(f, "%s: %s: %s\n", d->file, sev, sorted[i].msg);
	}
	if (d->unlisted)
		fprintf(f, "%s: and %zu more problem%s (only the first %d are listed)\n", d->file,
			d->unlisted, d->unlisted == 1 ? "" : "s", XLB_DIAGS_MAX);
	free(sorted);
}

char *xlb_diags_text(const struct xlb_diags *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	xlb_diags_print(d, f);
	fclose(f);
	/* Without the last newline: it ends a message, not a list. */
	if (len && text[len - 1] == '\n')
		text[len - 1] = '\0';
	return text;
}
