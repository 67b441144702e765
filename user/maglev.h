/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Weighted Maglev lookup tables (Eisenbud et al., NSDI 2016), built so that
 *  - shares follow weights: each backend gets its quota of M * w / W slots,
 *    rounded by largest remainder, so weights 1:2 give shares 1:2;
 *  - the table is a function of the set of (address, weight) pairs alone:
 *    backends are sorted by address first, so listing order does not matter
 *    and every host builds the same table, byte for byte;
 *  - a backend keeps its preferred slots (its own permutation of the table)
 *    as far as the quotas allow, so a change moves few slots.
 */
#ifndef XLB_MAGLEV_H
#define XLB_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xlb_shared.h"

/* Table size must be at least this many times the backends in it. */
#define MAGLEV_MIN_SLOTS_PER_BACKEND	100

struct maglev_backend {
	union xlb_addr addr;	/* identity: decides the permutation */
	__u32 weight;		/* 0: not in the table */
	__u32 id;		/* what the table's slots hold */
};

bool maglev_is_prime(__u64 n);

/*
 * Checks that m can hold nr_in_table backends. Returns 0, or -EINVAL with
 * a reason in *why (a static string).
 */
int maglev_check_size(__u32 m, size_t nr_in_table, const char **why);

/*
 * Fills table[0..m-1] with backend ids. Backends of weight 0 are left out;
 * if none remain, every slot is XLB_NO_BACKEND. Returns 0, -EINVAL (bad
 * size or duplicate address) or -ENOMEM.
 */
int maglev_build(const struct maglev_backend *backends, size_t n, __u32 m,
		 __u32 *table);

#endif /* XLB_MAGLEV_H */
