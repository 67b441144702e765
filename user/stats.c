// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>

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

double xlb_mann_whitney_z(const __u32 *a, size_t na, const __u32 *b, size_t nb)
{
	double u = 0, mean, sd;
	size_t i, j;

	if (!na || !nb)
		return 0;
	/* O(na * nb): the windows hold at most a few hundred samples each. */
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
	mean = (double)na * nb / 2;
	sd = sqrt((double)na * nb * (na + nb + 1) / 12);
	return (u - mean) / sd;
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
