/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names hashed to their index in an array of structs: a VIP found by name
 * in O(1), where a scan per VIP made a pass over 5,000 VIPs quadratic.
 */
#ifndef XLB_NAMES_H
#define XLB_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct xlb_names;

/*
 * Over nr items of stride bytes from base, each with its name (a C string
 * array) at offset off. The array must not move or change names while the
 * index is used. NULL: out of memory.
 */
struct xlb_names *xlb_names_new(const void *base, size_t nr, size_t stride, size_t off);
/* The first item named name, as a scan would find it; -1: none. */
long xlb_names_find(const struct xlb_names *n, const char *name);
/* Whether n was built over this array, as it is now. */
bool xlb_names_over(const struct xlb_names *n, const void *base, size_t nr);
void xlb_names_free(struct xlb_names *n);

#endif /* XLB_NAMES_H */
