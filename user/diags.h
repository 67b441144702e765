/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Problems found in a config, each with where it is: collected, not stopped
 * at, so that a check reports every one (config.h's users and diff's).
 */
#ifndef XLB_DIAGS_H
#define XLB_DIAGS_H

#include <stddef.h>
#include <stdio.h>

#define XLB_DIAGS_MAX		100		/* problems listed; the rest are counted */

struct xlb_pos {
	int line, col;			/* 1-based; 0 when not from a file */
};

enum xlb_severity { XLB_SEV_ERROR, XLB_SEV_WARNING };

struct xlb_diag {
	size_t seq;			/* order found, to sort stably */
	enum xlb_severity sev;
	struct xlb_pos pos;
	char msg[320];
};

struct xlb_diags {
	const char *file;		/* as named to the user */
	struct xlb_diag *items;		/* the first XLB_DIAGS_MAX */
	size_t nr, cap;
	size_t errors, warnings;	/* all of them */
	size_t unlisted;		/* past XLB_DIAGS_MAX: counted only */
};

void xlb_diags_init(struct xlb_diags *d, const char *file);
void xlb_diags_free(struct xlb_diags *d);
void xlb_diag_add(struct xlb_diags *d, enum xlb_severity sev, struct xlb_pos pos,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "file:line:col: error: msg" lines, in file order. */
void xlb_diags_print(const struct xlb_diags *d, FILE *f);
/* The same lines as one string (caller frees), for an error reply. */
char *xlb_diags_text(const struct xlb_diags *d);

#endif /* XLB_DIAGS_H */
