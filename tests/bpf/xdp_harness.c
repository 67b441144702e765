// SPDX-License-Identifier: GPL-2.0
/* The fixture and the checks that every topic's tests share. */
#include "health.h"
#include "xdp_harness.h"

void dump_diff(const __u8 *a, const __u8 *e, size_t len)
{
	size_t i, shown = 0;

	for (i = 0; i < len && shown < 8; i++) {
		if (a[i] != e[i]) {
			print_error("    byte %zu: got 0x%02x, want 0x%02x\n", i, a[i], e[i]);
			shown++;
		}
	}
}

const __u8 nexthop_mac[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0xfe };

const struct vip_def vip_defs[NR_VIPS] = {
	[V4_TCP_ENCAP]	  = { "198.18.100.10", 80, IPPROTO_TCP, XLB_VIP_F_ENCAP, "198.18.1.%d" },
	[V4_UDP_ENCAP]	  = { "198.18.100.10", 53, IPPROTO_UDP, XLB_VIP_F_ENCAP, "198.18.1.%d" },
	[V6_TCP_ENCAP]	  = { "2001:db8:100::10", 80, IPPROTO_TCP, XLB_VIP_F_ENCAP, "2001:db8:1::%d" },
	[V6_UDP_ENCAP]	  = { "2001:db8:100::10", 53, IPPROTO_UDP, XLB_VIP_F_ENCAP, "2001:db8:1::%d" },
	[V4_TCP_DSR]	  = { "198.18.100.20", 80, IPPROTO_TCP, 0, "198.18.1.%d" },
	[V6_UDP_DSR]	  = { "2001:db8:100::20", 53, IPPROTO_UDP, 0, "2001:db8:1::%d" },
	[V4_IN_V6]	  = { "198.18.100.40", 80, IPPROTO_TCP, XLB_VIP_F_ENCAP, "2001:db8:1::%d" },
	[V6_IN_V4]	  = { "2001:db8:100::40", 80, IPPROTO_TCP, XLB_VIP_F_ENCAP, "198.18.1.%d" },
	[V4_ANY_PORT_DSR] = { "198.18.100.30", 0, IPPROTO_TCP, 0, "198.18.1.%d" },
	[V4_NOSPORT]	  = { "198.18.100.50", 80, IPPROTO_TCP,
			      XLB_VIP_F_ENCAP | XLB_VIP_F_HASH_NO_SPORT, "198.18.1.%d" },
};

int fixture_setup(struct fixture *f, const struct xlb_dp_opts *opts)
{
	char buf[XLB_ADDR_STRLEN];
	int v, b, err;

	memset(f, 0, sizeof(*f));
	err = xlb_dp_load(&f->dp, opts);
	if (err)
		return err;
	f->prog_fd = xlb_dp_prog_fd(f->dp);
	memcpy(f->cfg.nexthop_mac, nexthop_mac, 6);
	f->cfg.mtu = 1500;
	inet_pton(AF_INET, "198.18.255.0", &f->cfg.src4_net);
	f->cfg.src4_mask = htonl(0xffffff00);
	xlb_addr_parse("2001:db8:ff::", &f->cfg.src6_net);
	f->cfg.src6_mask = htonl(0xffff0000);
	err = xlb_dp_set_settings(f->dp, &f->cfg);

	for (v = 0; v < NR_VIPS && !err; v++) {
		const struct vip_def *d = &vip_defs[v];
		struct xlb_vip_spec *s = &f->vips[v];

		xlb_addr_parse(d->addr, &s->key.addr);
		s->key.port = htons(d->port);
		s->key.proto = d->proto;
		s->id = v;
		s->flags = d->flags;
		s->table_size = TABLE_SIZE;
		s->echo_reply = true;
		s->backends = &f->bes[v * BE_PER_VIP];
		s->nr_backends = BE_PER_VIP;
		for (b = 0; b < BE_PER_VIP; b++) {
			struct xlb_backend_spec *be = &s->backends[b];

			snprintf(buf, sizeof(buf), d->be_fmt, 11 + b);
			xlb_addr_parse(buf, &be->addr);
			be->weight = 1;
			be->state = XLB_BE_UP;
			be->id = v * BE_PER_VIP + b;
			memcpy(be->mac, (__u8[6]){ 0x02, 0x00, 0xbe, 0, v, b }, 6);
		}
		err = xlb_service_apply(f->dp, s);
	}
	if (err)
		xlb_dp_destroy(f->dp);
	return err;
}

void fixture_teardown(struct fixture *f)
{
	xlb_dp_destroy(f->dp);
}

int run_prog(struct fixture *f, const __u8 *in, size_t len, struct run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = 1,
	);
	int err = bpf_prog_test_run_opts(f->prog_fd, &opts);

	r->retval = opts.retval;
	r->out_len = opts.data_size_out;
	return err ? -errno : 0;
}

/* Packet from a client to a VIP of the fixture. */
struct pkt_spec to_vip(int vip, int client, __u16 sport)
{
	const struct vip_def *d = &vip_defs[vip];
	bool v6 = strchr(d->addr, ':');
	/* Per family, so specs of both families can be alive at once. */
	static char clients[2][64][XLB_ADDR_STRLEN];
	struct pkt_spec s = {
		.dst = d->addr,
		.proto = d->proto,
		.sport = sport,
		.dport = d->port ? d->port : 8080,
		.df = true,
		.tos = 0xb8,
		.payload_len = 32,
	};

	snprintf(clients[v6][client % 64], XLB_ADDR_STRLEN,
		 v6 ? "2001:db8:c::%x" : "198.19.%d.%d", v6 ? client + 1 : client / 250,
		 client % 250 + 1);
	s.src = clients[v6][client % 64];
	return s;
}

void flow_of(const struct pkt_spec *s, struct xlb_flow *flow)
{
	memset(flow, 0, sizeof(*flow));
	xlb_addr_parse(s->src, &flow->src);
	xlb_addr_parse(s->dst, &flow->dst);
	flow->sport = htons(s->sport);
	flow->dport = htons(s->dport);
	flow->proto = s->proto;
}

/* The backend userspace says a new flow gets: table[hash % M]. */
const struct xlb_backend_spec *maglev_answer(struct fixture *f, int vip,
						    const struct xlb_flow *flow)
{
	struct xlb_vip_spec *s = &f->vips[vip];
	__u32 *table = malloc(s->table_size * sizeof(*table)), id, hash;
	size_t i;

	if (!table || xlb_service_build_table(s, table)) {
		free(table);
		return NULL;
	}
	hash = xlb_flow_hash(flow, s->flags & XLB_VIP_F_HASH_NO_SPORT,
			     xlb_dp_hash_seed(f->dp));
	id = table[hash % s->table_size];
	free(table);
	for (i = 0; i < s->nr_backends; i++)
		if (s->backends[i].id == id)
			return &s->backends[i];
	return NULL;
}

/* The backend a forwarded packet went to, read back from its headers. */
const struct xlb_backend_spec *backend_of(struct fixture *f, int vip,
						 const struct run *r)
{
	struct xlb_vip_spec *s = &f->vips[vip];
	size_t l3 = pkt_l3_off(r->out), i;
	union xlb_addr dst;

	for (i = 0; i < s->nr_backends; i++) {
		const struct xlb_backend_spec *be = &s->backends[i];

		if (!(s->flags & XLB_VIP_F_ENCAP)) {
			if (!memcmp(r->out, be->mac, 6))
				return be;
			continue;
		}
		if ((r->out[l3] >> 4) == 4)
			xlb_addr_from_v4(&dst, htonl(get_be32(r->out + l3 + 16)));
		else
			memcpy(&dst, r->out + l3 + 24, 16);
		if (!xlb_addr_cmp(&dst, &be->addr))
			return be;
	}
	return NULL;
}

/* The input's IP packet as it should leave: TTL down by one, checksum fixed. */
void expected_inner(const __u8 *in, size_t in_len, __u8 *out)
{
	size_t l3 = pkt_l3_off(in);
	__u8 *ip = out;
	__u16 sum;

	memcpy(out, in + l3, in_len - l3);
	if ((ip[0] >> 4) == 4) {
		ip[8]--;
		ip[10] = ip[11] = 0;
		sum = pkt_csum(ip, (ip[0] & 0xf) * 4, 0);
		ip[10] = sum >> 8;
		ip[11] = sum & 0xff;
	} else {
		ip[7]--;
	}
}

void check_encap(struct fixture *f, const __u8 *in, size_t in_len,
			const struct run *r, const struct xlb_backend_spec *be,
			const struct xlb_flow *flow)
{
	size_t l3 = pkt_l3_off(in), inner_len = in_len - l3;
	bool inner_v4 = (in[l3] >> 4) == 4, outer_v4 = xlb_addr_is_v4(&be->addr);
	size_t overhead = outer_v4 ? 20 : 40;
	__u32 hash = xlb_flow_hash(flow, 0, xlb_dp_hash_seed(f->dp));
	__u8 want[PKT_MAX], tos = inner_v4 ? in[l3 + 1] :
				 ((in[l3] & 0xf) << 4) | (in[l3 + 1] >> 4);
	__u16 ethertype = outer_v4 ? ETH_P_IP : ETH_P_IPV6, sum;
	const __u8 *outer = r->out + l3;

	ASSERT_EQ(r->retval, XDP_TX, "verdict is XDP_TX");
	if (!ASSERT_EQ(r->out_len, in_len + overhead, "length grows by the outer header"))
		return;
	ASSERT_MEMEQ(r->out, nexthop_mac, 6, "destination MAC is the next hop");
	ASSERT_MEMEQ(r->out + 6, pkt_lb_mac, 6, "source MAC is ours");
	ASSERT_MEMEQ(r->out + 12, in + 12, l3 - 14, "VLAN tags kept");
	ASSERT_EQ((r->out[l3 - 2] << 8) | r->out[l3 - 1], ethertype, "ethertype of outer family");

	memset(want, 0, sizeof(want));
	if (outer_v4) {
		__be32 src = (f->cfg.src4_net & f->cfg.src4_mask) | (hash & ~f->cfg.src4_mask);

		want[0] = 0x45;
		want[1] = tos;
		put_be16(want + 2, inner_len + 20);
		put_be16(want + 6, 0x4000);
		want[8] = 64;
		want[9] = inner_v4 ? IPPROTO_IPIP : IPPROTO_IPV6;
		memcpy(want + 12, &src, 4);
		memcpy(want + 16, &be->addr.w[3], 4);
		sum = pkt_csum(want, 20, 0);
		want[10] = sum >> 8;
		want[11] = sum & 0xff;
		ASSERT_EQ(pkt_ipv4_hdr_csum(outer), 0, "outer IPv4 checksum valid");
	} else {
		union xlb_addr src = f->cfg.src6_net;

		src.w[3] = (src.w[3] & f->cfg.src6_mask) | (hash & ~f->cfg.src6_mask);
		put_be32(want, (6u << 28) | ((__u32)tos << 20) | (hash & 0xfffff));
		put_be16(want + 4, inner_len);
		want[6] = inner_v4 ? IPPROTO_IPIP : IPPROTO_IPV6;
		want[7] = 64;
		memcpy(want + 8, &src, 16);
		memcpy(want + 24, &be->addr, 16);
	}
	ASSERT_MEMEQ(outer, want, overhead, "outer IP header, every byte");

	expected_inner(in, in_len, want);
	ASSERT_MEMEQ(outer + overhead, want, inner_len, "inner packet: TTL-1, rest unchanged");
	if (inner_v4)
		ASSERT_EQ(pkt_ipv4_hdr_csum(outer + overhead), 0, "inner IPv4 checksum valid");
	ASSERT_EQ(pkt_l4_csum(outer + overhead), 0, "inner L4 checksum valid");
}

void check_dsr(const __u8 *in, size_t in_len, const struct run *r,
		      const struct xlb_backend_spec *be)
{
	size_t l3 = pkt_l3_off(in);
	__u8 want[PKT_MAX];

	ASSERT_EQ(r->retval, XDP_TX, "verdict is XDP_TX");
	if (!ASSERT_EQ(r->out_len, in_len, "length unchanged"))
		return;
	ASSERT_MEMEQ(r->out, be->mac, 6, "destination MAC is the backend's");
	ASSERT_MEMEQ(r->out + 6, pkt_lb_mac, 6, "source MAC is ours");
	ASSERT_MEMEQ(r->out + 12, in + 12, l3 - 12, "VLAN tags and ethertype kept");
	expected_inner(in, in_len, want);
	ASSERT_MEMEQ(r->out + l3, want, in_len - l3, "IP packet: TTL-1, rest unchanged");
	ASSERT_EQ(pkt_l4_csum(r->out + l3), 0, "L4 checksum valid");
}

/* Sends one packet to a VIP and checks it reached the Maglev answer intact. */
const struct xlb_backend_spec *
send_and_check(struct fixture *f, int vip, const struct pkt_spec *s)
{
	const struct xlb_backend_spec *want, *got;
	__u8 in[PKT_MAX];
	struct xlb_flow flow;
	struct run r;
	size_t len = pkt_build(s, in, sizeof(in));

	if (!ASSERT_TRUE(len > 0, "packet built") ||
	    !ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN"))
		return NULL;
	flow_of(s, &flow);
	want = maglev_answer(f, vip, &flow);
	got = backend_of(f, vip, &r);
	if (!ASSERT_TRUE(want != NULL, "userspace Maglev answer exists"))
		return NULL;
	if (vip_defs[vip].flags & XLB_VIP_F_ENCAP)
		check_encap(f, in, len, &r, want, &flow);
	else
		check_dsr(in, len, &r, want);
	ASSERT_TRUE(got == want, "backend equals the userspace Maglev answer");
	return got;
}

/* Every VIP forwards a packet of client's (from port + the VIP's index) to its Maglev answer. */
bool all_vips_forward(struct fixture *f, int client, __u16 port)
{
	int v;

	for (v = 0; v < NR_VIPS; v++) {
		struct pkt_spec s = to_vip(v, client, port + v);

		if (!send_and_check(f, v, &s))
			return false;
	}
	return true;
}

__u64 reason_count(struct fixture *f, __u32 reason)
{
	struct xlb_counter c = {};

	xlb_dp_reason_stats(f->dp, reason, &c);
	return c.packets;
}

/* Runs a packet that must come out as it went in, with the given verdict. */
void expect_untouched(struct fixture *f, const __u8 *in, size_t len,
			     __u32 verdict, __u32 reason, const char *what)
{
	__u64 before = reason_count(f, reason), all[XLB_R_MAX];
	struct run r;
	__u32 i;

	for (i = 0; i < XLB_R_MAX; i++)
		all[i] = reason_count(f, i);
	if (!ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN"))
		return;
	if (!ASSERT_EQ(r.retval, verdict, what)) {
		for (i = 0; i < XLB_R_MAX; i++)
			if (reason_count(f, i) != all[i])
				fprintf(stderr, "    counted under '%s'\n", xlb_reason_name(i));
		return;
	}
	if (verdict == XDP_PASS) {
		ASSERT_EQ(r.out_len, len, "passed packet keeps its length");
		ASSERT_MEMEQ(r.out, in, len, "passed packet byte for byte untouched");
	}
	ASSERT_EQ(reason_count(f, reason) - before, 1, "counted under its reason");
}

/* An ICMP error from a router on the return path, quoting the VIP's reply. */
size_t build_icmp_error_to(const struct pkt_spec *flow, const char *outer_dst,
				  __u8 *buf, __u8 type, __u8 code, __u32 word)
{
	struct pkt_spec reply = {
		.src = flow->dst, .dst = flow->src, .proto = flow->proto,
		.sport = flow->dport, .dport = flow->sport, .payload_len = 64,
	};
	bool v6 = pkt_is_v6(flow);
	__u8 inner[PKT_MAX];
	size_t ilen = pkt_build(&reply, inner, sizeof(inner)), l3 = pkt_l3_off(inner);
	struct pkt_spec err = {
		.src = v6 ? "2001:db8:ee::1" : "198.18.238.1",
		.dst = outer_dst ? outer_dst : flow->dst,
		.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
		.icmp_type = type, .icmp_code = code, .icmp_word = word,
		.payload = inner + l3,
		.payload_len = ilen - l3,
	};

	return pkt_build(&err, buf, PKT_MAX);
}

size_t build_icmp_error(const struct pkt_spec *flow, __u8 *buf,
			       __u8 type, __u8 code, __u32 word)
{
	return build_icmp_error_to(flow, NULL, buf, type, code, word);
}

/* Rewrites an IPv6 frame's destination to the IPv4-mapped form of v4. */
void set_mapped_dst(__u8 *frame, const char *v4)
{
	union xlb_addr a;

	xlb_addr_parse(v4, &a);
	memcpy(frame + pkt_l3_off(frame) + 24, a.b, 16);
}

/*
 * Inserts n 8-byte destination-options headers between the IPv6 header and
 * its payload.
 */
size_t add_ext_headers(__u8 *frame, size_t len, int n)
{
	size_t l3 = pkt_l3_off(frame), i;
	__u8 next = frame[l3 + 6];

	memmove(frame + l3 + 40 + 8 * n, frame + l3 + 40, len - l3 - 40);
	for (i = 0; i < (size_t)n; i++) {
		__u8 *h = frame + l3 + 40 + 8 * i;

		memset(h, 0, 8);
		h[0] = i + 1 < (size_t)n ? IPPROTO_DSTOPTS : next;
		h[2] = 1;	/* PadN */
		h[3] = 4;
	}
	frame[l3 + 6] = IPPROTO_DSTOPTS;
	put_be16(frame + l3 + 4, get_be16(frame + l3 + 4) + 8 * n);
	return len + 8 * n;
}

__u32 backend_id_for(struct fixture *f, int vip, const struct pkt_spec *s,
			    struct run *r)
{
	const struct xlb_backend_spec *be;
	__u8 in[PKT_MAX];
	size_t len = pkt_build(s, in, sizeof(in));

	if (run_prog(f, in, len, r) || r->retval != XDP_TX)
		return XLB_NO_BACKEND;
	be = backend_of(f, vip, r);
	return be ? be->id : XLB_NO_BACKEND;
}

/* The program's map of that name, by its id: an fd of this test's own. */
int prog_map_fd(int prog_fd, const char *name)
{
	struct bpf_prog_info info = {};
	struct bpf_map_info mi;
	__u32 ids[32], len = sizeof(info), mlen, i;
	int fd;

	info.nr_map_ids = 32;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -1;
	for (i = 0; i < info.nr_map_ids && i < 32; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		mlen = sizeof(mi);
		memset(&mi, 0, sizeof(mi));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &mi, &mlen) && !strcmp(mi.name, name))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

/*
 * Points every slot of a VIP's table at one backend (1009 slots), as a
 * change would: a TCP VIP keeps its old table for the flows already there
 * (table_state.c), a UDP VIP's flows keep their records.
 */
int force_table(struct fixture *f, int vip, __u32 id)
{
	__u32 m = 1009, i, *table = malloc(m * sizeof(*table));
	struct xlb_table_state live = {}, next = {};
	struct xlb_table_change ch;
	struct xlb_vip entry = {};
	bool have;
	int err;

	if (!table)
		return -ENOMEM;
	for (i = 0; i < m; i++)
		table[i] = id;
	if (f->vips[vip].key.proto != IPPROTO_TCP) {
		err = xlb_dp_set_table(f->dp, vip, table, m);
		free(table);
		return err;
	}
	xlb_dp_get_vip(f->dp, &f->vips[vip].key, &entry);
	have = !xlb_dp_get_table_state(f->dp, vip, &live);
	err = xlb_table_state_next(have ? &live : NULL, entry.flags, table, m, entry.flags,
				   &next, &ch);
	err = err ?: xlb_dp_set_table_state(f->dp, vip, &next);
	xlb_table_state_free(&live);
	xlb_table_state_free(&next);
	free(table);
	return err;
}

void set_state(struct fixture *f, int vip, __u32 be_idx, __u8 state,
		      __u32 weight)
{
	struct xlb_backend_spec *be = &f->vips[vip].backends[be_idx];
	int err;

	/* Weight 0 drains: the plan's rule, as xlbd's specs carry it. */
	be->state = xlb_asked_state(state, weight);
	be->weight = weight;
	if (f->batched)
		xlb_dp_batch_begin(f->dp);
	err = xlb_service_apply(f->dp, &f->vips[vip]);
	if (f->batched)
		err = xlb_dp_batch_end(f->dp) ?: err;
	ASSERT_EQ(err, 0, "service re-applied");
}

/* Finds a client whose flow lands on backend index want; -1 if none. */
int client_for_backend(struct fixture *f, int vip, __u32 want_id)
{
	int c;

	for (c = 0; c < 64; c++) {
		struct pkt_spec s = to_vip(vip, c, 44000);
		const struct xlb_backend_spec *be;
		struct xlb_flow flow;

		flow_of(&s, &flow);
		be = maglev_answer(f, vip, &flow);
		if (be && be->id == want_id)
			return c;
	}
	return -1;
}
