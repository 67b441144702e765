/* SPDX-License-Identifier: GPL-2.0 */
/* The event journal read back: one line per event, and the incident report. */
#ifndef XLB_REPORT_H
#define XLB_REPORT_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include <linux/types.h>

/* One line per event, as the timeline and `xlbctl events` show it. */
void xlb_event_line(json_t *ev, char *buf, size_t len);
/* A Markdown incident report over events (as xlb_journal_read gives them). */
char *xlb_incident_report(json_t *events, time_t since, time_t until, __u32 sample_interval_ms,
			  size_t *len);

#endif /* XLB_REPORT_H */
