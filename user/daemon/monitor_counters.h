/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backends' counters as the monitor reads them: the ids one slice of
 * its pass judges, and only those (monitor.h). Ids close together are
 * read in one batch over their range; the map's ids that no VIP uses (it
 * is sized for growth: twice the backends in config_gen's configs) are
 * never read (xlb_dp_backend_stats_range).
 */
#ifndef XLBD_MONITOR_COUNTERS_H
#define XLBD_MONITOR_COUNTERS_H

#include <stddef.h>
#include <linux/types.h>

#include "dataplane.h"

/* Ids this close (or closer) are read in one batch with the ones between. */
#define MONITOR_COUNTERS_GAP	32

struct monitor_counters {
	struct xlb_backend_stats *by_id;	/* max entries; fresh for the ids last read */
	__u32 max;
	const struct xlb_dp *dp;	/* the data path by_id is sized for */
};

/*
 * Reads the counters of ids[0..n-1] (sorted in place) into by_id. On
 * failure those ids read as 0 and -errno is returned.
 */
int monitor_counters_read(struct xlb_dp *dp, struct monitor_counters *c, __u32 *ids, size_t n);
/* The counters of id as last read; zeros past the map. */
struct xlb_backend_stats monitor_counters_get(const struct monitor_counters *c, __u32 id);
void monitor_counters_free(struct monitor_counters *c);

#endif /* XLBD_MONITOR_COUNTERS_H */
