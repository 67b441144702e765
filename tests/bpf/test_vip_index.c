// SPDX-License-Identifier: GPL-2.0
/*
 * The VIP index (include/xlb_shared.h): every service of the VIP map is in
 * its window with its value, kept so through changes; a packet whose key
 * the window cannot answer (a slot being written, a window full of others)
 * is answered by the VIP map; and a sync makes the index true again,
 * whatever state it was left in.
 */
#include <sys/stat.h>

#include "xdp_harness.h"

struct index_view {
	int fd;
	__u32 nr;
};

static bool index_open(struct fixture *f, struct index_view *iv)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	iv->fd = prog_map_fd(f->prog_fd, "vip_index");
	iv->nr = 0;
	if (iv->fd >= 0 && !bpf_obj_get_info_by_fd(iv->fd, &info, &len))
		iv->nr = info.max_entries;
	return ASSERT_TRUE(iv->fd >= 0, "the index map found") &&
	       ASSERT_TRUE(iv->nr >= NR_VIPS * XLB_VIP_INDEX_PER_VIP && !(iv->nr & (iv->nr - 1)),
			   "sized a power of two, room for every VIP");
}

static struct xlb_vip_slot slot_read(struct index_view *iv, __u32 i)
{
	struct xlb_vip_slot s = {};

	bpf_map_lookup_elem(iv->fd, &i, &s);
	return s;
}

static bool slot_write(struct index_view *iv, __u32 i, const struct xlb_vip_slot *s)
{
	return !bpf_map_update_elem(iv->fd, &i, s, 0);
}

static __u32 home_of(struct index_view *iv, const struct xlb_vip_key *k, __u32 i)
{
	return (xlb_vip_slot_home(&k->addr, k->port, k->proto) + i) & (iv->nr - 1);
}

/* The key's slot in its window (as the data path finds it), or -1. */
static int slot_of(struct index_view *iv, const struct xlb_vip_key *k, struct xlb_vip_slot *out)
{
	__u32 i;

	for (i = 0; i < XLB_VIP_INDEX_WINDOW; i++) {
		struct xlb_vip_slot s = slot_read(iv, home_of(iv, k, i));

		if (s.state == XLB_SLOT_EMPTY)
			return -1;
		if (s.state == XLB_SLOT_USED && s.port == k->port && s.proto == k->proto &&
		    !memcmp(&s.addr, &k->addr, sizeof(s.addr))) {
			*out = s;
			return home_of(iv, k, i);
		}
	}
	return -1;
}

static bool all_indexed(struct fixture *f, struct index_view *iv)
{
	struct xlb_vip_slot s;
	struct xlb_vip v;
	int i;

	for (i = 0; i < NR_VIPS; i++) {
		if (!ASSERT_TRUE(slot_of(iv, &f->vips[i].key, &s) >= 0, "the service is indexed") ||
		    !ASSERT_EQ(xlb_dp_get_vip(f->dp, &f->vips[i].key, &v), 0, "in the VIP map") ||
		    !ASSERT_MEMEQ(&s.vip, &v, sizeof(v), "with the VIP map's value") ||
		    !ASSERT_EQ(s.seq % 2, 0, "not left half-written"))
			return false;
	}
	return true;
}

void test_vip_index_kept_true(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct pkt_spec s = to_vip(vip, 3, 41100);
	struct xlb_vip_slot slot;
	struct index_view iv;
	struct xlb_vip v;
	__u8 in[PKT_MAX];
	struct run r;
	size_t len;
	__u32 i, used = 0;

	if (!index_open(f, &iv))
		return;
	ASSERT_TRUE(all_indexed(f, &iv), "every service indexed once applied");
	for (i = 0; i < iv.nr; i++)
		used += slot_read(&iv, i).state == XLB_SLOT_USED;
	ASSERT_EQ(used, NR_VIPS, "services alone: no address entries");
	ASSERT_TRUE(all_vips_forward(f, 2, 41000), "every VIP forwards");

	/* A flag set through the library reaches the index. */
	ASSERT_EQ(xlb_dp_get_vip(f->dp, &f->vips[vip].key, &v), 0, "VIP read");
	v.flags |= XLB_VIP_F_MOVED;
	ASSERT_EQ(xlb_dp_set_vip(f->dp, &f->vips[vip].key, &v), 0, "flag set");
	ASSERT_TRUE(slot_of(&iv, &f->vips[vip].key, &slot) >= 0 &&
		    slot.vip.flags == v.flags, "the index has the new flags");

	/* Removed: its slot is gone (not empty: keys after it stay found). */
	ASSERT_EQ(xlb_dp_delete_vip(f->dp, &f->vips[vip].key), 0, "VIP removed");
	ASSERT_TRUE(slot_of(&iv, &f->vips[vip].key, &slot) < 0, "no longer indexed");
	ASSERT_EQ(slot_read(&iv, home_of(&iv, &f->vips[vip].key, 0)).state, XLB_SLOT_GONE,
		  "its slot marked gone");
	len = pkt_build(&s, in, sizeof(in));
	ASSERT_EQ(run_prog(f, in, len, &r), 0, "run");
	ASSERT_TRUE(r.retval != XDP_TX, "a removed VIP forwards nothing");
	ASSERT_EQ(xlb_service_apply(f->dp, &f->vips[vip]), 0, "VIP applied again");
	ASSERT_TRUE(all_indexed(f, &iv), "indexed again");
	ASSERT_TRUE(send_and_check(f, vip, &s) != NULL, "and forwards");
	close(iv.fd);
}

void test_vip_index_unsure_asks_the_vip_map(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP, other = V4_TCP_DSR;
	const struct xlb_vip_key *k = &f->vips[vip].key;
	struct pkt_spec s = to_vip(vip, 4, 41200);
	struct xlb_vip_slot slot, bogus;
	struct index_view iv;
	int at;
	__u32 i;

	if (!index_open(f, &iv))
		return;
	at = slot_of(&iv, k, &slot);
	if (!ASSERT_TRUE(at >= 0, "the VIP indexed"))
		goto out;

	/* Half-written (odd seq), with another VIP's value: not believed. */
	bogus = slot;
	bogus.seq |= 1;
	bogus.vip.id = f->vips[other].id;
	bogus.vip.flags = 0;
	ASSERT_TRUE(slot_write(&iv, at, &bogus), "slot caught mid-write");
	ASSERT_TRUE(send_and_check(f, vip, &s) != NULL, "mid-write: the VIP map answers");

	/* A window full of others: the VIP map answers too. */
	memset(&bogus, 0, sizeof(bogus));
	bogus.state = XLB_SLOT_USED;
	bogus.proto = IPPROTO_TCP;
	bogus.port = htons(9);
	for (i = 0; i < XLB_VIP_INDEX_WINDOW; i++)
		ASSERT_TRUE(slot_write(&iv, home_of(&iv, k, i), &bogus), "window filled");
	ASSERT_TRUE(send_and_check(f, vip, &s) != NULL, "window full: the VIP map answers");

	/* An empty slot mid-write proves nothing either. */
	memset(&bogus, 0, sizeof(bogus));
	bogus.seq = 1;
	for (i = 0; i < XLB_VIP_INDEX_WINDOW; i++)
		ASSERT_TRUE(slot_write(&iv, home_of(&iv, k, i), &bogus), "window emptied mid-write");
	ASSERT_TRUE(send_and_check(f, vip, &s) != NULL, "empty mid-write: the VIP map answers");

	/* The sync (at load, and at a reconcile) makes the index true again. */
	ASSERT_EQ(xlb_dp_vip_sync(f->dp), 0, "index written from the VIP map");
	ASSERT_TRUE(all_indexed(f, &iv), "every service indexed after the sync");
	ASSERT_TRUE(all_vips_forward(f, 2, 41000), "every VIP forwards after the sync");
out:
	close(iv.fd);
}

/*
 * The data path trusts the index to say a key is absent, so a process that
 * cannot write the index (here: the pin names a map it cannot map as one)
 * must not write VIPs, and says so; the VIP map is left as it was.
 */
void test_vip_index_unwritable_refuses_vip_writes(struct fixture *f)
{
	struct xlb_vip_key key = f->vips[V4_TCP_ENCAP].key;
	struct xlb_vip v = {}, after = {};
	struct xlb_dp *dp = NULL;
	char dir[64], path[96];
	int fd, err_set, err_del, got;

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/xlb-test-index-%d", getpid());
	if (mkdir(dir, 0700) || xlb_dp_pin(f->dp, dir)) {
		print_error("  %s: no bpffs to pin to (%s): %s\n", __func__, dir, strerror(errno));
		rmdir(dir);
		skip();
	}
	snprintf(path, sizeof(path), "%s/vip_index", dir);
	unlink(path);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vip_index", 4, 8, 4, NULL);
	if (fd < 0 || bpf_obj_pin(fd, path) || xlb_dp_open_pinned(&dp, dir)) {
		if (fd >= 0)
			close(fd);
		xlb_dp_unpin(dir, false);
		ASSERT_TRUE(false, "pins with a stand-in index opened");
		return;
	}
	xlb_dp_get_vip(f->dp, &key, &v);
	v.flags ^= XLB_VIP_F_MOVED;
	err_set = xlb_dp_set_vip(dp, &key, &v);
	err_del = xlb_dp_delete_vip(dp, &key);
	got = xlb_dp_get_vip(f->dp, &key, &after);
	xlb_dp_destroy(dp);
	close(fd);
	xlb_dp_unpin(dir, false);
	ASSERT_EQ(err_set, -EPERM, "a VIP write refused");
	ASSERT_EQ(err_del, -EPERM, "a VIP removal refused");
	ASSERT_EQ(got, 0, "the VIP still there");
	ASSERT_TRUE(after.flags != v.flags, "unchanged");
}
