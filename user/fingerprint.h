/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VIP's table fingerprint: what every xlb node behind one ECMP group must
 * agree on, so that a flow the routers move to another node keeps its
 * backend. Two parts, and a digest of both:
 *
 *   config  the backends that take new flows with their weights in force,
 *           the table size, the hash settings and XLB_FP_VERSION (Maglev's
 *           fill and this digest): what the table is built from;
 *   table   the table itself, slot by slot, each slot as its backend's
 *           address (ids differ between nodes; addresses do not).
 *
 * Equal configs with unequal tables mean a data-path fault or another
 * Maglev. 64-bit digests, not cryptographic: they tell honest nodes apart.
 */
#ifndef XLB_FINGERPRINT_H
#define XLB_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "xlb_shared.h"

/* Bump when Maglev's fill or this digest changes: old and new nodes differ. */
#define XLB_FP_VERSION		1
#define XLB_FP_STRLEN		17	/* 16 hex digits and a NUL */

struct xlb_fp {
	__u64 config, table, digest;
};

/* A table's digest, folded a slot at a time (a table may be read in parts). */
struct xlb_fp_table {
	__u64 h;
	__u32 slots;
};

/* What a slot of backend addr folds in; empty slots fold XLB_FP_EMPTY. */
__u64 xlb_fp_addr(const union xlb_addr *addr);
#define XLB_FP_EMPTY		0x9e3779b97f4a7c15ull

void xlb_fp_table_init(struct xlb_fp_table *t);
static inline void xlb_fp_table_add(struct xlb_fp_table *t, __u64 slot)
{
	t->h = (t->h ^ slot) * 0x100000001b3ull;
	t->h ^= t->h >> 29;
	t->slots++;
}

/*
 * The config part. addrs[i] with weights[i]: 0 for a backend that takes no
 * new flows (down, drained, weight 0); their order does not matter.
 */
__u64 xlb_fp_config(const union xlb_addr *addrs, const __u32 *weights, size_t n,
		    __u32 table_size, bool hash_source_port);
void xlb_fp_finish(struct xlb_fp *fp, __u64 config, const struct xlb_fp_table *t);
/* 16 lower-case hex digits. */
char *xlb_fp_str(__u64 v, char *buf);

#endif /* XLB_FINGERPRINT_H */
