// SPDX-License-Identifier: GPL-2.0
/*
 * The memo (include/xlb_shared.h): each CPU's last TCP flow sent by a
 * table slot without LOOK, taken by that flow's next packets on the CPU
 * without the VIP lookup, the hash or the table; never once a write to
 * VIPs, backends or tables came after it; never made for a flow that
 * needs a record. The tests run on one CPU (pinned), so that they can
 * read its memo.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/stat.h>

#include "xdp_harness.h"

struct memo_view {
	int memo_fd, epoch_fd, nr_cpus;
	cpu_set_t before;
};

static bool memo_open(struct fixture *f, struct memo_view *mv)
{
	cpu_set_t one;

	mv->nr_cpus = libbpf_num_possible_cpus();
	mv->memo_fd = prog_map_fd(f->prog_fd, "memo");
	mv->epoch_fd = prog_map_fd(f->prog_fd, "memo_epoch");
	sched_getaffinity(0, sizeof(mv->before), &mv->before);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	return ASSERT_TRUE(mv->memo_fd >= 0 && mv->epoch_fd >= 0, "the memo maps found") &&
	       ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0, "pinned to CPU 0");
}

static void memo_close(struct memo_view *mv)
{
	sched_setaffinity(0, sizeof(mv->before), &mv->before);
	if (mv->memo_fd >= 0)
		close(mv->memo_fd);
	if (mv->epoch_fd >= 0)
		close(mv->epoch_fd);
}

/* CPU 0's memo. */
static struct xlb_memo memo_read(struct memo_view *mv)
{
	struct xlb_memo *all = calloc(mv->nr_cpus, sizeof(*all)), m = {};
	__u32 zero = 0;

	if (all && !bpf_map_lookup_elem(mv->memo_fd, &zero, all))
		m = all[0];
	free(all);
	return m;
}

static __u32 epoch_read(struct memo_view *mv)
{
	__u32 zero = 0, e = 0;

	bpf_map_lookup_elem(mv->epoch_fd, &zero, &e);
	return e;
}

/* The VIP's live table swapped for one of m slots all sending to id, by hand: no epoch moves. */
static bool table_behind_its_back(struct fixture *f, int vip, __u32 id)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	int outer = prog_map_fd(f->prog_fd, "maglev_tables"), inner;
	__u32 m = 1009, i, key = vip;
	bool ok;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "test_table", 4, 4, m + 1, &opts);
	ok = outer >= 0 && inner >= 0;
	for (i = 0; ok && i <= m; i++) {
		__u32 v = i ? id : m;

		ok = !bpf_map_update_elem(inner, &i, &v, 0);
	}
	ok = ok && !bpf_map_update_elem(outer, &key, &inner, 0);
	if (inner >= 0)
		close(inner);
	if (outer >= 0)
		close(outer);
	return ok;
}

/* A client whose flow to the VIP is on a slot without LOOK (changes moved others). */
static int fresh_client(struct fixture *f, int vip)
{
	struct xlb_table_state ts;
	struct xlb_flow flow;
	int c, found = 0;

	if (xlb_dp_get_table_state(f->dp, f->vips[vip].id, &ts))
		return 0;
	for (c = 0; c < 64 && !found; c++) {
		struct pkt_spec s = to_vip(vip, c, 47150);

		flow_of(&s, &flow);
		found = !(ts.t[xlb_flow_hash(&flow, 0, xlb_dp_hash_seed(f->dp)) % ts.m] &
			  XLB_SLOT_LOOK);
	}
	xlb_table_state_free(&ts);
	return found ? c - 1 : 0;
}

void test_memo_sends_a_flows_next_packets(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct pkt_spec s = to_vip(vip, 7, 47000);
	struct memo_view mv;
	struct xlb_flow flow;
	struct xlb_memo m;
	__u32 first, other, got, epoch;
	__u64 table0, lru0;
	struct run r;
	int i;

	if (!memo_open(f, &mv))
		goto out;
	s.tcp_flags = TCP_ACK;
	flow_of(&s, &flow);
	/* A packet the table sends makes the memo. */
	first = backend_id_for(f, vip, &s, &r);
	m = memo_read(&mv);
	ASSERT_TRUE(first != XLB_NO_BACKEND, "forwarded");
	ASSERT_MEMEQ(&m.flow, &flow, sizeof(flow), "the memo holds the flow");
	ASSERT_EQ(m.backend_id, first, "and its backend");
	ASSERT_EQ(m.vip_id, f->vips[vip].id, "and its VIP");
	ASSERT_EQ(m.event, XLB_R_TABLE_HIT, "sent by the table");
	epoch = epoch_read(&mv);
	ASSERT_EQ(m.epoch, epoch, "made under the epoch now");

	/*
	 * The table changed by hand, no epoch moved: the memo still sends the
	 * flow to its backend. That the memo is what sends the packets shows
	 * here.
	 */
	other = f->vips[vip].backends[0].id == first ? f->vips[vip].backends[1].id
						      : f->vips[vip].backends[0].id;
	if (!ASSERT_TRUE(table_behind_its_back(f, vip, other), "table swapped by hand"))
		goto out;
	table0 = reason_count(f, XLB_R_TABLE_HIT);
	lru0 = reason_count(f, XLB_R_LRU_MISS) + reason_count(f, XLB_R_LRU_HIT);
	for (i = 0; i < 40; i++) {
		got = backend_id_for(f, vip, &s, &r);
		if (!ASSERT_EQ(got, first, "the memo: its backend"))
			goto out;
	}
	ASSERT_EQ(reason_count(f, XLB_R_TABLE_HIT) - table0, 40, "each packet counted as the table's");
	ASSERT_EQ(reason_count(f, XLB_R_LRU_MISS) + reason_count(f, XLB_R_LRU_HIT) - lru0, 0,
		  "the LRU never looked at");

	/* Any write through xlbd's library moves the epoch: the memo is done. */
	ASSERT_EQ(xlb_dp_set_table(f->dp, vip, &other, 1), 0, "table set");
	ASSERT_TRUE(epoch_read(&mv) != epoch, "the epoch moved");
	xlb_dp_flush_flows(f->dp);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(backend_id_for(f, vip, &s, &r), other, "the new table decides");
out:
	memo_close(&mv);
}

/* The memo's backend, read live: down, it no longer takes the flow. */
void test_memo_never_outlives_a_change(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct pkt_spec s = to_vip(vip, 9, 47100);
	const struct xlb_backend_spec *be;
	struct memo_view mv;
	struct xlb_memo m;
	__u32 first, e0, idx;
	__u8 in[PKT_MAX];
	struct run r;
	size_t len;

	if (!memo_open(f, &mv))
		goto out;
	s.tcp_flags = TCP_ACK;
	first = backend_id_for(f, vip, &s, &r);
	m = memo_read(&mv);
	ASSERT_EQ(m.backend_id, first, "the memo holds the flow");

	/*
	 * Down by hand, no epoch moved: the memo reads its backend live and
	 * leaves the flow to the full path (the table still names it: a drop).
	 */
	{
		int fd = prog_map_fd(f->prog_fd, "backends");
		struct xlb_backend b;

		ASSERT_TRUE(fd >= 0 && !bpf_map_lookup_elem(fd, &first, &b), "backend read");
		b.state = XLB_BE_DOWN;
		ASSERT_TRUE(!bpf_map_update_elem(fd, &first, &b, 0), "backend down by hand");
		ASSERT_TRUE(backend_id_for(f, vip, &s, &r) != first, "not sent to a down backend");
		b.state = XLB_BE_UP;
		ASSERT_TRUE(!bpf_map_update_elem(fd, &first, &b, 0), "backend up again");
		if (fd >= 0)
			close(fd);
	}

	/* Down: the flow is picked again, by a table without it. */
	for (idx = 0; idx < BE_PER_VIP && f->vips[vip].backends[idx].id != first; idx++)
		;
	e0 = epoch_read(&mv);
	set_state(f, vip, idx, XLB_BE_DOWN, 0);
	ASSERT_TRUE(epoch_read(&mv) != e0, "a backend's change moves the epoch");
	be = send_and_check(f, vip, &s);
	ASSERT_TRUE(be && be->id != first, "a down backend loses the flow");
	set_state(f, vip, idx, XLB_BE_UP, 1);

	/* The VIP to L2 DSR: its packets leave as DSR at once, memo or not. */
	s = to_vip(vip, fresh_client(f, vip), 47150);
	s.tcp_flags = TCP_ACK;
	first = backend_id_for(f, vip, &s, &r);
	ASSERT_EQ(memo_read(&mv).backend_id, first, "memo made again");
	f->vips[vip].flags &= ~XLB_VIP_F_ENCAP;
	ASSERT_EQ(xlb_service_apply(f->dp, &f->vips[vip]), 0, "VIP made L2 DSR");
	len = pkt_build(&s, in, sizeof(in));
	ASSERT_EQ(run_prog(f, in, len, &r), 0, "run");
	ASSERT_EQ(r.retval, XDP_TX, "forwarded");
	ASSERT_EQ(r.out_len, len, "as L2 DSR: not encapsulated");

	/* The VIP gone: its packets are no longer forwarded. */
	ASSERT_EQ(xlb_dp_delete_vip(f->dp, &f->vips[vip].key), 0, "VIP removed");
	ASSERT_EQ(run_prog(f, in, len, &r), 0, "run");
	ASSERT_TRUE(r.retval != XDP_TX, "the memo sends nothing after");
out:
	memo_close(&mv);
}

/*
 * A flow on a LOOK slot (a change moved it) is memoed only once it has a
 * record, and counted as found by it; the memo sends it for at most the
 * second in which the record was last looked up. A trace neither uses the
 * memo nor writes it.
 */
void test_memo_only_without_look(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	struct pkt_spec s = to_vip(vip, 11, 47200);
	struct xlb_trace tr;
	struct memo_view mv;
	struct xlb_memo m0, m1;
	__u32 first, verdict, out_len;
	__u8 in[PKT_MAX], out[PKT_MAX + 256];
	struct run r;
	size_t len;
	int i;

	if (!memo_open(f, &mv))
		goto out;
	s.tcp_flags = TCP_ACK;
	first = backend_id_for(f, vip, &s, &r);
	ASSERT_EQ(memo_read(&mv).backend_id, first, "memoed on a slot without LOOK");
	/* Every slot moved elsewhere: the flow's slot is LOOK, it stays by the old table. */
	ASSERT_EQ(force_table(f, vip, f->vips[vip].backends[0].id == first ?
			      f->vips[vip].backends[1].id : f->vips[vip].backends[0].id), 0,
		  "table changed");
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), first, "stays by the old table");
	m0 = memo_read(&mv);
	ASSERT_TRUE(m0.epoch != epoch_read(&mv), "no memo without a record");
	for (i = 0; i < 20; i++)
		if (!ASSERT_EQ(backend_id_for(f, vip, &s, &r), first, "and by its record"))
			goto out;
	m0 = memo_read(&mv);
	ASSERT_EQ(m0.epoch, epoch_read(&mv), "memoed once it has a record");
	ASSERT_EQ(m0.event, XLB_R_LRU_HIT, "as found by its record");

	/* A trace neither uses the memo nor writes it. */
	len = pkt_build(&s, in, sizeof(in));
	out_len = sizeof(out);
	ASSERT_EQ(xlb_dp_trace(f->dp, in, len, &tr, &verdict, out, &out_len), 0, "traced");
	ASSERT_EQ(tr.lru, XLB_TRACE_LRU_HIT, "trace: by its record");
	m1 = memo_read(&mv);
	ASSERT_MEMEQ(&m0, &m1, sizeof(m0), "the memo untouched by the trace");
out:
	memo_close(&mv);
}

/* The pinned map of that name's kernel id under dir; 0 when there is none. */
static __u32 pinned_id(const char *dir, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	return info.id;
}

/*
 * A restart adopts the memos, their epoch and the VIP index (pinned), and
 * its new program trusts no memo the old one made: the load moves the epoch.
 */
void test_memo_and_index_adopted_by_a_restart(struct fixture *f)
{
	struct xlb_dp_opts again = {};
	const int vip = V4_TCP_ENCAP;
	struct pkt_spec s = to_vip(vip, 12, 47300);
	struct memo_view mv, mh;
	struct xlb_memo m;
	__u32 ids[3], e0 = 0, e1 = 0;
	char dir[64];
	struct fixture h;
	bool forwards;

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/xlb-test-memo-%d", getpid());
	if (mkdir(dir, 0700) || xlb_dp_pin(f->dp, dir)) {
		print_error("  %s: no bpffs to pin to (%s): %s\n", __func__, dir, strerror(errno));
		rmdir(dir);
		skip();
	}
	if (!memo_open(f, &mv)) {
		xlb_dp_unpin(dir, false);
		return;
	}
	s.tcp_flags = TCP_ACK;
	send_and_check(f, vip, &s);
	m = memo_read(&mv);
	e0 = epoch_read(&mv);
	ids[0] = pinned_id(dir, "memo");
	ids[1] = pinned_id(dir, "memo_epoch");
	ids[2] = pinned_id(dir, "vip_index");
	/* The load alone, no VIP applied again: it is the load that moves the epoch. */
	again.reuse_dir = dir;
	h = *f;
	if (!ASSERT_EQ(xlb_dp_load(&h.dp, &again), 0, "restarted on the pins")) {
		memo_close(&mv);
		xlb_dp_unpin(dir, false);
		return;
	}
	h.prog_fd = xlb_dp_prog_fd(h.dp);
	/* Read before the checks: a failed check ends the test, the pins must go. */
	e1 = epoch_read(&mv);
	mh.memo_fd = prog_map_fd(h.prog_fd, "memo");
	mh.epoch_fd = prog_map_fd(h.prog_fd, "memo_epoch");
	forwards = send_and_check(&h, vip, &s) != NULL;
	memo_close(&mv);
	xlb_dp_destroy(h.dp);
	xlb_dp_unpin(dir, false);
	ASSERT_EQ(m.epoch, e0, "the old program's memo made under the epoch then");
	ASSERT_TRUE(ids[0] && ids[1] && ids[2], "memo, epoch and index pinned");
	ASSERT_TRUE(e1 != e0, "the new program's load moved the epoch");
	ASSERT_TRUE(forwards, "the restarted data path forwards the flow");
	{
		struct bpf_map_info a = {}, b = {};
		__u32 la = sizeof(a), lb = sizeof(b);

		ASSERT_TRUE(mh.memo_fd >= 0 && mh.epoch_fd >= 0 &&
			    !bpf_obj_get_info_by_fd(mh.memo_fd, &a, &la) &&
			    !bpf_obj_get_info_by_fd(mh.epoch_fd, &b, &lb), "the new program's maps");
		ASSERT_EQ(a.id, ids[0], "the memos adopted");
		ASSERT_EQ(b.id, ids[1], "their epoch adopted");
		close(mh.memo_fd);
		close(mh.epoch_fd);
	}
}
