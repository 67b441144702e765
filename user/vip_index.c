// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "log.h"
#include "vip_index.h"
#include "xlb_hash.h"

struct xlb_vip_index {
	struct xlb_vip_slot *slots;
	__u32 nr;		/* a power of two */
	size_t len;		/* of the mapping */
};

__u32 xlb_vip_index_slots(__u32 max_vips)
{
	__u64 want = (__u64)max_vips * XLB_VIP_INDEX_PER_VIP;
	__u32 n = XLB_VIP_INDEX_WINDOW;

	while (n < want && n < (1u << 30))
		n <<= 1;
	return n;
}

__u32 xlb_vip_index_mask(__u32 slots)
{
	return slots >= XLB_VIP_INDEX_WINDOW && !(slots & (slots - 1)) ? slots - 1 : 0;
}

struct xlb_vip_index *xlb_vip_index_open(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct xlb_vip_index *ix;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.value_size != sizeof(struct xlb_vip_slot) || !xlb_vip_index_mask(info.max_entries))
		return NULL;
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	ix->nr = info.max_entries;
	ix->len = (size_t)ix->nr * sizeof(struct xlb_vip_slot);
	ix->slots = mmap(NULL, ix->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ix->slots == MAP_FAILED) {
		pr_warn("Couldn't map the VIP index: %s\n", strerror(errno));
		free(ix);
		return NULL;
	}
	return ix;
}

void xlb_vip_index_close(struct xlb_vip_index *ix)
{
	if (!ix)
		return;
	munmap(ix->slots, ix->len);
	free(ix);
}

/*
 * One slot rewritten under its seq: odd first, the fields, even again.
 * Release ordering puts the odd seq before the fields and the fields
 * before the even seq, as the data path (xlb.h: index_lookup) reads them.
 */
static void slot_write(struct xlb_vip_slot *s, __u8 state, const struct xlb_vip_key *key,
		       const struct xlb_vip *vip)
{
	__u32 seq = s->seq | 1;

	__atomic_store_n(&s->seq, seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->state = state;
	s->proto = key->proto;
	s->port = key->port;
	s->addr = key->addr;
	s->vip = *vip;
	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
}

static bool slot_holds(const struct xlb_vip_slot *s, const struct xlb_vip_key *key)
{
	return s->state == XLB_SLOT_USED && s->proto == key->proto && s->port == key->port &&
	       !memcmp(&s->addr, &key->addr, sizeof(s->addr));
}

/* The key's slot in its window, or NULL; *room: the first slot it could take. */
static struct xlb_vip_slot *find(struct xlb_vip_index *ix, const struct xlb_vip_key *key,
				 struct xlb_vip_slot **room)
{
	__u32 home = xlb_vip_slot_home(&key->addr, key->port, key->proto), i;
	struct xlb_vip_slot *s;

	*room = NULL;
	for (i = 0; i < XLB_VIP_INDEX_WINDOW; i++) {
		s = &ix->slots[(home + i) & (ix->nr - 1)];
		if (slot_holds(s, key))
			return s;
		if (s->state != XLB_SLOT_USED && !*room)
			*room = s;
		/* Never used: the key is not further on (slots are never emptied). */
		if (s->state == XLB_SLOT_EMPTY)
			break;
	}
	return NULL;
}

void xlb_vip_index_put(struct xlb_vip_index *ix, const struct xlb_vip_key *key,
		       const struct xlb_vip *vip)
{
	struct xlb_vip_slot *s, *room;

	if (!ix || !key->proto)
		return;
	s = find(ix, key, &room);
	if (s && !memcmp(&s->vip, vip, sizeof(*vip)))
		return;
	if (s || room)
		slot_write(s ? s : room, XLB_SLOT_USED, key, vip);
}

void xlb_vip_index_del(struct xlb_vip_index *ix, const struct xlb_vip_key *key)
{
	struct xlb_vip_slot *s, *room;

	if (!ix)
		return;
	s = find(ix, key, &room);
	if (s)
		slot_write(s, XLB_SLOT_GONE, key, &s->vip);
}

int xlb_vip_index_sync(struct xlb_vip_index *ix, int vips_fd)
{
	struct xlb_vip_key key, *prev = NULL;
	struct xlb_vip vip;
	__u32 i;
	int err;

	if (!ix)
		return 0;
	for (i = 0; i < ix->nr; i++) {
		struct xlb_vip_slot *s = &ix->slots[i];
		struct xlb_vip_key k = { .addr = s->addr, .port = s->port, .proto = s->proto };

		/* Left half-written by a writer that died: closed as it stands. */
		if (s->seq & 1)
			slot_write(s, s->state, &k, &s->vip);
		if (s->state == XLB_SLOT_USED && bpf_map_lookup_elem(vips_fd, &k, &vip))
			slot_write(s, XLB_SLOT_GONE, &k, &s->vip);
	}
	while (!(err = bpf_map_get_next_key(vips_fd, prev, &key) ? -errno : 0)) {
		if (!bpf_map_lookup_elem(vips_fd, &key, &vip))
			xlb_vip_index_put(ix, &key, &vip);
		prev = &key;
	}
	return err == -ENOENT ? 0 : err;
}
