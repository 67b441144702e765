// SPDX-License-Identifier: GPL-2.0
/* Table fingerprints: see fingerprint.h. */
#include <stdio.h>
#include <string.h>

#include "fingerprint.h"

/* splitmix64's finaliser: every input bit reaches every output bit. */
static __u64 mix(__u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static __u64 bytes(const void *p, size_t len, __u64 h)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return mix(h);
}

__u64 xlb_fp_addr(const union xlb_addr *addr)
{
	return bytes(addr, sizeof(*addr), 0xcbf29ce484222325ull);
}

void xlb_fp_table_init(struct xlb_fp_table *t)
{
	t->h = 0xcbf29ce484222325ull;
	t->slots = 0;
}

__u64 xlb_fp_config(const union xlb_addr *addrs, const __u32 *weights, size_t n,
		    __u32 table_size, bool hash_source_port)
{
	__u64 set = 0, takers = 0;
	size_t i;

	/* A sum of mixed terms: the same backends in any order, the same sum. */
	for (i = 0; i < n; i++) {
		if (!weights[i])
			continue;
		set += mix(xlb_fp_addr(&addrs[i]) ^ mix(weights[i]));
		takers++;
	}
	return mix(mix(mix(set ^ XLB_FP_VERSION) ^ table_size) ^ (hash_source_port ? 1 : 2) ^
		   (takers << 32));
}

void xlb_fp_finish(struct xlb_fp *fp, __u64 config, const struct xlb_fp_table *t)
{
	fp->config = config;
	fp->table = mix(t->h ^ t->slots);
	fp->digest = mix(fp->config ^ mix(fp->table));
}

char *xlb_fp_str(__u64 v, char *buf)
{
	snprintf(buf, XLB_FP_STRLEN, "%016llx", (unsigned long long)v);
	return buf;
}
