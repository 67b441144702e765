// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "maglev.h"
#include "xlb_hash.h"

/* Seeds for the two permutation hashes; fixed, so all hosts agree. */
#define MAGLEV_SEED_OFFSET	0x6d61676cu
#define MAGLEV_SEED_SKIP	0x65766c21u

struct slot_filler {
	const struct maglev_backend *be;
	__u64 quota;		/* slots this backend ends with */
	__u64 remainder;	/* of m * weight / total, for rounding */
	__u64 placed;
	__u64 credit;		/* pacing: places one slot per max_weight */
	__u32 pos;		/* next slot in this backend's permutation */
	__u32 skip;
};

bool maglev_is_prime(__u64 n)
{
	__u64 d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

int maglev_check_size(__u32 m, size_t nr_in_table, const char **why)
{
	if (m < 3 || m > XLB_MAX_TABLE_SIZE) {
		*why = "table size must be between 3 and 16777213";
		return -EINVAL;
	}
	if (!maglev_is_prime(m)) {
		*why = "table size must be a prime number (e.g. 65537, 655373)";
		return -EINVAL;
	}
	if ((__u64)nr_in_table * MAGLEV_MIN_SLOTS_PER_BACKEND > m) {
		*why = "table size must be at least 100 x the number of backends";
		return -EINVAL;
	}
	return 0;
}

static __u32 addr_hash(const union xlb_addr *addr, __u32 seed)
{
	return xlb_hash_final(xlb_hash_addr(addr, seed), sizeof(*addr));
}

static int cmp_filler_addr(const void *a, const void *b)
{
	const struct slot_filler *x = a, *y = b;

	return xlb_addr_cmp(&x->be->addr, &y->be->addr);
}

/* Largest remainder first; ties keep address order (qsort is not stable). */
static int cmp_filler_remainder(const void *a, const void *b)
{
	const struct slot_filler *x = a, *y = b;

	if (x->remainder != y->remainder)
		return x->remainder < y->remainder ? 1 : -1;
	return xlb_addr_cmp(&x->be->addr, &y->be->addr);
}

/* Gives each backend its share of m slots, rounded by largest remainder. */
static void assign_quotas(struct slot_filler *f, size_t n, __u32 m)
{
	__u64 total = 0, given = 0;
	size_t i;

	for (i = 0; i < n; i++)
		total += f[i].be->weight;
	for (i = 0; i < n; i++) {
		__u64 scaled = (__u64)m * f[i].be->weight;

		f[i].quota = scaled / total;
		f[i].remainder = scaled % total;
		given += f[i].quota;
	}
	qsort(f, n, sizeof(*f), cmp_filler_remainder);
	for (i = 0; given < m; i++, given++)
		f[i].quota++;
	qsort(f, n, sizeof(*f), cmp_filler_addr);
}

static void fill(struct slot_filler *f, size_t n, __u32 m, __u32 *table)
{
	__u32 max_weight = 0;
	__u64 filled = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].be->weight > max_weight)
			max_weight = f[i].be->weight;

	/*
	 * Maglev's round robin, paced by weight: in each round a backend earns
	 * weight/max_weight of a turn, and stops once it has its quota. The
	 * quotas add up to m, so the loop ends with every slot taken.
	 */
	while (filled < m) {
		for (i = 0; i < n && filled < m; i++) {
			struct slot_filler *s = &f[i];

			if (s->placed >= s->quota)
				continue;
			s->credit += s->be->weight;
			if (s->credit < max_weight)
				continue;
			s->credit -= max_weight;
			while (table[s->pos] != XLB_NO_BACKEND)
				s->pos = (s->pos + s->skip) % m;
			table[s->pos] = s->be->id;
			s->pos = (s->pos + s->skip) % m;
			s->placed++;
			filled++;
		}
	}
}

int maglev_build(const struct maglev_backend *backends, size_t n, __u32 m,
		 __u32 *table)
{
	struct slot_filler *f;
	const char *why;
	size_t i, nr = 0;

	for (i = 0; i < m; i++)
		table[i] = XLB_NO_BACKEND;
	for (i = 0; i < n; i++)
		nr += backends[i].weight > 0;
	if (maglev_check_size(m, nr, &why))
		return -EINVAL;
	if (!nr)
		return 0;

	f = calloc(nr, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (i = 0, nr = 0; i < n; i++) {
		if (!backends[i].weight)
			continue;
		f[nr].be = &backends[i];
		f[nr].pos = addr_hash(&backends[i].addr, MAGLEV_SEED_OFFSET) % m;
		f[nr].skip = addr_hash(&backends[i].addr, MAGLEV_SEED_SKIP) % (m - 1) + 1;
		nr++;
	}
	qsort(f, nr, sizeof(*f), cmp_filler_addr);
	for (i = 1; i < nr; i++) {
		if (!xlb_addr_cmp(&f[i - 1].be->addr, &f[i].be->addr)) {
			free(f);
			return -EINVAL;
		}
	}
	assign_quotas(f, nr, m);
	fill(f, nr, m, table);
	free(f);
	return 0;
}
