// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

__u32 xlb_median_u32(__u32 *values, size_t n)
{
	if (!n)
		return 0;
	qsort(values, n, sizeof(*values), cmp_u32);
	return values[n / 2];
}

double xlb_binomial_z(__u64 k, __u64 n, double p)
{
	double sd = sqrt(n * p * (1 - p));

	return sd > 0 ? ((double)k - n * p) / sd : 0;
}

/* First index in sorted v[0..n) whose value is >= x (strict: > x). */
size_t xlb_bound_u32(const __u32 *v, size_t n, __u32 x, bool strict)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x || (strict && v[mid] == x))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double xlb_mann_whitney_rest_z(const __u32 *own, size_t n, const __u32 *all, size_t total)
{
	size_t rest = total - n, i;
	double u = 0, mean, sd;

	if (!n || !rest)
		return 0;
	/* Each of own's values against all's minus own's: ranks, not pairs. */
	for (i = 0; i < n; i++) {
		size_t lo_all = xlb_bound_u32(all, total, own[i], false),
		       hi_all = xlb_bound_u32(all, total, own[i], true);
		size_t lo_own = xlb_bound_u32(own, n, own[i], false),
		       hi_own = xlb_bound_u32(own, n, own[i], true);

		u += (double)(lo_all - lo_own) + 0.5 * ((hi_all - lo_all) - (hi_own - lo_own));
	}
	mean = (double)n * rest / 2;
	sd = sqrt((double)n * rest * (n + rest + 1) / 12);
	return (u - mean) / sd;
}

double xlb_mann_whitney_z(const __u32 *a, size_t na, const __u32 *b, size_t nb)
{
	__u32 *own = malloc((na ? na : 1) * sizeof(*own));
	__u32 *all = malloc((na + nb ? na + nb : 1) * sizeof(*all));
	double z = 0;

	if (own && all) {
		memcpy(own, a, na * sizeof(*own));
		memcpy(all, a, na * sizeof(*all));
		memcpy(all + na, b, nb * sizeof(*all));
		qsort(own, na, sizeof(*own), cmp_u32);
		qsort(all, na + nb, sizeof(*all), cmp_u32);
		z = xlb_mann_whitney_rest_z(own, na, all, na + nb);
	}
	free(own);
	free(all);
	return z;
}

void xlb_sort_u32(__u32 *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u32);
}

double xlb_sign_z(const __u32 *v, size_t n, __u32 limit)
{
	size_t i, above = 0;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		above += v[i] > limit;
	return ((double)above - n / 2.0) / sqrt(n / 4.0);
}
