// SPDX-License-Identifier: GPL-2.0
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

struct xlb_names {
	const char *base;
	size_t nr, stride, off, mask;
	uint32_t slot[];		/* item index + 1; 0: empty */
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static const char *name_at(const struct xlb_names *n, size_t i)
{
	return n->base + i * n->stride + n->off;
}

struct xlb_names *xlb_names_new(const void *base, size_t nr, size_t stride, size_t off)
{
	struct xlb_names *n;
	size_t size = 16, i, j;

	while (size < 2 * nr)
		size *= 2;
	n = calloc(1, sizeof(*n) + size * sizeof(n->slot[0]));
	if (!n)
		return NULL;
	*n = (struct xlb_names){ .base = base, .nr = nr, .stride = stride, .off = off,
				 .mask = size - 1 };
	for (i = 0; i < nr; i++) {
		/* The first of equal names keeps the slot. */
		for (j = name_hash(name_at(n, i)) & n->mask; n->slot[j]; j = (j + 1) & n->mask)
			if (!strcmp(name_at(n, n->slot[j] - 1), name_at(n, i)))
				break;
		if (!n->slot[j])
			n->slot[j] = i + 1;
	}
	return n;
}

long xlb_names_find(const struct xlb_names *n, const char *name)
{
	size_t j;

	for (j = name_hash(name) & n->mask; n->slot[j]; j = (j + 1) & n->mask)
		if (!strcmp(name_at(n, n->slot[j] - 1), name))
			return n->slot[j] - 1;
	return -1;
}

bool xlb_names_over(const struct xlb_names *n, const void *base, size_t nr)
{
	return n && n->base == base && n->nr == nr;
}

void xlb_names_free(struct xlb_names *n)
{
	free(n);
}
