/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backends' counters as the monitor reads them: the ids one slice of
 * its pass judges, and only those (monitor.h). Ids close together are
 * read in one batch over their range; the map's ids that no VIP uses (it
 * is sized for growth: twice the backends in config_gen's configs) are
 * never read. Where the map cannot be reached in batches, each id is
 * read alone (xlb_dp_backend_stats).
 */
#ifndef XLBD_MONITOR_COUNTERS_H
#define XLBD_MONITOR_COUNTERS_H

#include <stddef.h>
#include <linux/types.h>

#include "dataplane.h"

/* Ids this close (or closer) are read in one batch with the ones between. */
#define MONITOR_COUNTERS_GAP	32
/* Ids a batch call reads at most (their values: this x CPUs x 24 bytes). */
#define MONITOR_COUNTERS_BATCH	1024

struct monitor_counters {
	struct xlb_backend_stats *by_id;	/* max entries; fresh for the ids last read */
	__u32 max;
	const struct xlb_dp *dp;	/* the data path fd was found for */
	int fd;				/* the program's backend_stats; -1: by id */
	int cpus;
	__u32 fd_max;			/* its entries */
	__u32 *keys;			/* batch buffers */
	__u64 *vals;
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
