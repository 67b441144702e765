/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few statistics the detectors share: medians, and the significance
 * tests that keep a verdict from resting on noise. Normal approximations
 * throughout: the detectors ask for enough samples that they hold.
 */
#ifndef XLB_STATS_H
#define XLB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The median of n values (the upper one for even n); sorts them. 0 if n is 0. */
__u32 xlb_median_u32(__u32 *values, size_t n);
/* z of k successes in n trials against share p (binomial). */
double xlb_binomial_z(__u64 k, __u64 n, double p);
/*
 * Mann-Whitney U test, as z: how far the values of a sit above those of b
 * (positive: a is larger), ties counted half. 0 when either set is empty.
 */
double xlb_mann_whitney_z(const __u32 *a, size_t na, const __u32 *b, size_t nb);
/*
 * The same, of own (sorted) against the rest of all (sorted, own's values
 * among them): O(n log total), so every backend of a VIP can be judged
 * against all the others with one sort.
 */
double xlb_mann_whitney_rest_z(const __u32 *own, size_t n, const __u32 *all, size_t total);
void xlb_sort_u32(__u32 *v, size_t n);

/* First index in sorted v[0..n) whose value is >= x (strict: > x). */
size_t xlb_bound_u32(const __u32 *v, size_t n, __u32 x, bool strict);
/* Sign test, as z: how many of the n values exceed limit, against half. */
double xlb_sign_z(const __u32 *v, size_t n, __u32 limit);

#endif /* XLB_STATS_H */
