/* SPDX-License-Identifier: GPL-2.0 */
/* Prometheus /metrics on xlbd's loop; the limits a scraper meets. */
#ifndef XLBD_METRICS_H
#define XLBD_METRICS_H

#include <jansson.h>

#define XLB_METRICS_CACHE_MS	1000	/* one render serves every scrape this long */
#define XLB_METRICS_MAX_CONNS	32	/* at once, in total */
#define XLB_METRICS_MAX_PER_IP	8	/* at once, per client address */
#define XLB_METRICS_TIMEOUT_S	5	/* an idle or slow client is closed after this */
/*
 * A render reads xlbd's state on the loop in slices of at most this long
 * (then anything else waiting runs), and writes the text in a thread.
 */
#define XLB_METRICS_SLICE_MS	5
/*
 * /metrics is sent at most this much per client at a turn of the loop: on
 * loopback one send() of a whole page to a reader that keeps up went on
 * for 90 MB, 20-70 ms.
 */
#define XLB_METRICS_SEND_BLOCK	(256 * 1024)

struct xlbd;
struct metrics;

/* Nothing to start when the config sets port 0: *m stays NULL. */
int metrics_start(struct metrics **m, struct xlbd *x);
void metrics_stop(struct metrics *m);
json_t *metrics_stats(const struct metrics *m);

#endif /* XLBD_METRICS_H */
