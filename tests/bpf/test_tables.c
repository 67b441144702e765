// SPDX-License-Identifier: GPL-2.0
/*
 * The tables xlbd reads back (each apply, each status): what the kernel
 * has live, though xlbd keeps a copy of what it wrote (table_cache.h),
 * even when another table was swapped in behind its back.
 */
#include "xdp_harness.h"

/* Swaps in a table of m slots, all backend id, as another writer would. */
static int swap_behind_its_back(int outer_fd, __u32 vip_id, __u32 m, __u32 id)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	__u32 k, v;
	int fd, err = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "other", 4, 4, m + 1, &opts);
	if (fd < 0)
		return -1;
	for (k = 0; k <= m && !err; k++) {
		v = k ? id : m;
		err = bpf_map_update_elem(fd, &k, &v, 0);
	}
	if (!err)
		err = bpf_map_update_elem(outer_fd, &vip_id, &fd, 0);
	close(fd);
	return err;
}

static bool all_slots(const __u32 *t, __u32 m, __u32 id)
{
	__u32 i;

	for (i = 0; i < m; i++)
		if (t[i] != id)
			return false;
	return true;
}

void test_table_read_back_is_live(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	const struct xlb_vip_spec *spec = &f->vips[vip];
	__u32 *t = NULL, *built, m = 0, other = spec->backends[1].id;
	int outer = prog_map_fd(f->prog_fd, "maglev_tables");

	ASSERT_TRUE(outer >= 0, "the program's table map found");
	built = calloc(spec->table_size, sizeof(*built));
	ASSERT_EQ(xlb_service_build_table(spec, built), 0, "table built");

	/* As applied: the table the service built. */
	ASSERT_EQ(xlb_dp_get_table(f->dp, spec->id, &t, &m), 0, "read back");
	ASSERT_EQ(m, spec->table_size, "size as applied");
	ASSERT_TRUE(!memcmp(t, built, m * sizeof(*t)), "contents as applied");
	free(t);

	/* Another table swapped in: that one is read, not the copy. */
	ASSERT_EQ(swap_behind_its_back(outer, spec->id, 7, other), 0, "swapped behind its back");
	ASSERT_EQ(xlb_dp_get_table(f->dp, spec->id, &t, &m), 0, "read back after the swap");
	ASSERT_EQ(m, 7, "the live table's size");
	ASSERT_TRUE(all_slots(t, m, other), "the live table's contents");
	free(t);
	/* Read twice: the second read is as live as the first. */
	ASSERT_EQ(xlb_dp_get_table(f->dp, spec->id, &t, &m), 0, "read again");
	ASSERT_TRUE(m == 7 && all_slots(t, m, other), "still the live table");
	free(t);

	/* Written again by this process, then cleared. */
	ASSERT_EQ(force_table(f, vip, spec->backends[0].id), 0, "table written");
	ASSERT_EQ(xlb_dp_get_table(f->dp, spec->id, &t, &m), 0, "read back the write");
	ASSERT_TRUE(m == 1009 && all_slots(t, m, spec->backends[0].id), "the written table");
	free(t);
	ASSERT_EQ(xlb_dp_clear_table(f->dp, spec->id), 0, "cleared");
	t = NULL;
	ASSERT_TRUE(xlb_dp_get_table(f->dp, spec->id, &t, &m) < 0 && !t, "no table once cleared");
	free(built);
	close(outer);
}

static __u32 live_table_id(int outer_fd, __u32 vip_id)
{
	__u32 id = 0;

	bpf_map_lookup_elem(outer_fd, &vip_id, &id);
	return id;
}

/* An apply that builds the table already live leaves it: no fill, no swap. */
void test_unchanged_apply_keeps_the_live_table(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct xlb_vip_spec *spec = &f->vips[vip];
	int outer = prog_map_fd(f->prog_fd, "maglev_tables");
	__u32 before, weight = spec->backends[0].weight;

	ASSERT_TRUE(outer >= 0, "the program's table map found");
	before = live_table_id(outer, spec->id);
	ASSERT_TRUE(before != 0, "a live table");
	ASSERT_EQ(xlb_service_apply(f->dp, spec), 0, "applied again, unchanged");
	ASSERT_EQ(live_table_id(outer, spec->id), before, "the same table map is live");

	/* A weight that moves slots: a new map goes in. */
	spec->backends[0].weight = weight + 2;
	ASSERT_EQ(xlb_service_apply(f->dp, spec), 0, "applied with a weight changed");
	ASSERT_TRUE(live_table_id(outer, spec->id) != before, "a new table map is live");
	spec->backends[0].weight = weight;
	close(outer);
}
