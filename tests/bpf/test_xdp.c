// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the XDP program on the running kernel through BPF_PROG_TEST_RUN:
 * each test loads a fresh data path, writes VIPs and backends with the same
 * library xlb uses, runs packets built in C through it and checks the
 * verdict, every byte of what comes out, and the counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "dataplane.h"
#include "log.h"
#include "packet.h"
#include "service.h"
#include "xlb_hash.h"
#include "xlb_decap.skel.h"

/* ---- harness ---------------------------------------------------------- */

static int nr_passed, nr_failed, nr_skipped;
static const char *cur_test;
static int cur_failed;

#define ASSERT_TRUE(cond, name) ({					\
	bool ___ok = (cond);						\
	if (!___ok) {							\
		cur_failed = 1;						\
		fprintf(stderr, "  %s:%d: %s: '%s' failed\n", __FILE__,	\
			__LINE__, cur_test, name);			\
	}								\
	___ok;								\
})

#define ASSERT_EQ(actual, expected, name) ({				\
	long long ___a = (long long)(actual), ___e = (long long)(expected); \
	bool ___ok = ___a == ___e;					\
	if (!___ok) {							\
		cur_failed = 1;						\
		fprintf(stderr, "  %s:%d: %s: '%s': got %lld, want %lld\n", \
			__FILE__, __LINE__, cur_test, name, ___a, ___e); \
	}								\
	___ok;								\
})

#define ASSERT_MEMEQ(actual, expected, len, name) ({			\
	bool ___ok = !memcmp((actual), (expected), (len));		\
	if (!___ok) {							\
		cur_failed = 1;						\
		fprintf(stderr, "  %s:%d: %s: '%s': bytes differ\n",	\
			__FILE__, __LINE__, cur_test, name);		\
		dump_diff((const __u8 *)(actual), (const __u8 *)(expected), (len)); \
	}								\
	___ok;								\
})

static void dump_diff(const __u8 *a, const __u8 *e, size_t len)
{
	size_t i, shown = 0;

	for (i = 0; i < len && shown < 8; i++) {
		if (a[i] != e[i]) {
			fprintf(stderr, "    byte %zu: got 0x%02x, want 0x%02x\n", i, a[i], e[i]);
			shown++;
		}
	}
}

/* ---- fixture: a loaded data path with a standard set of VIPs ---------- */

#define NR_VIPS		10
#define BE_PER_VIP	3
#define TABLE_SIZE	65537

static const __u8 nexthop_mac[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0xfe };

struct vip_def {
	const char *addr;
	__u16 port;
	__u8 proto;
	__u32 flags;
	const char *be_fmt;	/* printf format of backend addresses, %d = 11.. */
};

/* Index names for the VIPs below. */
enum {
	V4_TCP_ENCAP, V4_UDP_ENCAP, V6_TCP_ENCAP, V6_UDP_ENCAP, V4_TCP_DSR,
	V6_UDP_DSR, V4_IN_V6, V6_IN_V4, V4_ANY_PORT_DSR, V4_NOSPORT,
};

static const struct vip_def vip_defs[NR_VIPS] = {
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

struct fixture {
	struct xlb_dp *dp;
	int prog_fd;
	struct xlb_config cfg;
	struct xlb_vip_spec vips[NR_VIPS];
	struct xlb_backend_spec bes[NR_VIPS * BE_PER_VIP];
};

struct run {
	__u32 retval;
	__u32 out_len;
	__u8 out[PKT_MAX + 256];
};

static int fixture_setup(struct fixture *f, const struct xlb_dp_opts *opts)
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
	err = xlb_dp_set_config(f->dp, &f->cfg);

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

static void fixture_teardown(struct fixture *f)
{
	xlb_dp_destroy(f->dp);
}

static int run_prog(struct fixture *f, const __u8 *in, size_t len, struct run *r)
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
static struct pkt_spec to_vip(int vip, int client, __u16 sport)
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

static void flow_of(const struct pkt_spec *s, struct xlb_flow *flow)
{
	memset(flow, 0, sizeof(*flow));
	xlb_addr_parse(s->src, &flow->src);
	xlb_addr_parse(s->dst, &flow->dst);
	flow->sport = htons(s->sport);
	flow->dport = htons(s->dport);
	flow->proto = s->proto;
}

/* The backend userspace says a new flow gets: table[hash % M]. */
static const struct xlb_backend_spec *maglev_answer(struct fixture *f, int vip,
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
			     XLB_HASH_SEED_DEFAULT);
	id = table[hash % s->table_size];
	free(table);
	for (i = 0; i < s->nr_backends; i++)
		if (s->backends[i].id == id)
			return &s->backends[i];
	return NULL;
}

/* The backend a forwarded packet went to, read back from its headers. */
static const struct xlb_backend_spec *backend_of(struct fixture *f, int vip,
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
static void expected_inner(const __u8 *in, size_t in_len, __u8 *out)
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

static void check_encap(struct fixture *f, const __u8 *in, size_t in_len,
			const struct run *r, const struct xlb_backend_spec *be,
			const struct xlb_flow *flow)
{
	size_t l3 = pkt_l3_off(in), inner_len = in_len - l3;
	bool inner_v4 = (in[l3] >> 4) == 4, outer_v4 = xlb_addr_is_v4(&be->addr);
	size_t overhead = outer_v4 ? 20 : 40;
	__u32 hash = xlb_flow_hash(flow, 0, XLB_HASH_SEED_DEFAULT);
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

static void check_dsr(const __u8 *in, size_t in_len, const struct run *r,
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
static const struct xlb_backend_spec *
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

static __u64 reason_count(struct fixture *f, __u32 reason)
{
	struct xlb_counter c = {};

	xlb_dp_reason_stats(f->dp, reason, &c);
	return c.packets;
}

/* Runs a packet that must come out as it went in, with the given verdict. */
static void expect_untouched(struct fixture *f, const __u8 *in, size_t len,
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

/* ---- tests -------------------------------------------------------------- */

static void test_forward_each_mode_and_family(struct fixture *f)
{
	static const int vips[] = {
		V4_TCP_ENCAP, V4_UDP_ENCAP, V6_TCP_ENCAP, V6_UDP_ENCAP,
		V4_TCP_DSR, V6_UDP_DSR, V4_IN_V6, V6_IN_V4, V4_ANY_PORT_DSR,
	};
	size_t i;
	int c;

	for (i = 0; i < sizeof(vips) / sizeof(vips[0]); i++) {
		/* Many clients, so that every backend is seen. */
		for (c = 0; c < 24; c++) {
			struct pkt_spec s = to_vip(vips[i], c, 40000 + c);

			send_and_check(f, vips[i], &s);
		}
	}
}

static void test_ipv4_options_and_vlans(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_ENCAP, 1, 41000);
	int vlans;

	s.ipv4_opt_len = 40;	/* ihl 15, the most there is */
	send_and_check(f, V4_TCP_ENCAP, &s);
	s.ipv4_opt_len = 4;
	send_and_check(f, V4_TCP_DSR, &(struct pkt_spec){ .src = s.src,
		.dst = vip_defs[V4_TCP_DSR].addr, .proto = IPPROTO_TCP,
		.sport = 41001, .dport = 80, .ipv4_opt_len = 8, .ttl = 9 });
	for (vlans = 1; vlans <= 2; vlans++) {
		struct pkt_spec v6 = to_vip(V6_TCP_ENCAP, 2, 42000 + vlans);
		struct pkt_spec in4 = to_vip(V4_IN_V6, 3, 42010 + vlans);

		v6.vlans = vlans;
		in4.vlans = vlans;
		s.vlans = vlans;
		send_and_check(f, V6_TCP_ENCAP, &v6);
		send_and_check(f, V4_IN_V6, &in4);
		send_and_check(f, V4_TCP_ENCAP, &s);
	}
}

static void test_not_for_a_vip_passes_untouched(struct fixture *f)
{
	static const __u8 arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0xc6, 0x12, 0x00, 0x01,
		0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x00, 0xc6, 0x12, 0x00, 0x01, 198, 18, 0, 1,
		0, 0, 0, 0, 0, 0, 198, 18, 100, 10,
	};
	struct pkt_spec specs[] = {
		{ .src = "198.18.0.1", .dst = "198.18.100.99", .proto = IPPROTO_TCP, .sport = 1, .dport = 80 },
		/* VIP address, port with no VIP */
		{ .src = "198.18.0.1", .dst = "198.18.100.10", .proto = IPPROTO_TCP, .sport = 1, .dport = 81 },
		/* VIP address and port, other protocol */
		{ .src = "198.18.0.1", .dst = "198.18.100.10", .proto = IPPROTO_UDP, .sport = 1, .dport = 80 },
		{ .src = "2001:db8::1", .dst = "2001:db8:100::99", .proto = IPPROTO_UDP, .sport = 1, .dport = 53 },
		{ .src = "2001:db8::1", .dst = "2001:db8:100::10", .proto = IPPROTO_TCP, .sport = 1, .dport = 443, .vlans = 2 },
		/* Echo to an address without VIP */
		{ .src = "198.18.0.1", .dst = "198.18.100.99", .proto = IPPROTO_ICMP, .icmp_type = 8 },
	};
	__u8 in[PKT_MAX];
	size_t i, len;

	expect_untouched(f, arp, sizeof(arp), XDP_PASS, XLB_R_PASS_NOT_IP, "ARP passes");
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		len = pkt_build(&specs[i], in, sizeof(in));
		expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP, "non-VIP passes");
	}
}

static __u32 backend_id_for(struct fixture *f, int vip, const struct pkt_spec *s,
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

/* Points every slot of a VIP's table at one backend, behind the LRU's back. */
static int force_table(struct fixture *f, int vip, __u32 id)
{
	__u32 m = 1009, i, *table = malloc(m * sizeof(*table));
	int err;

	for (i = 0; i < m; i++)
		table[i] = id;
	err = xlb_dp_set_table(f->dp, vip, table, m);
	free(table);
	return err;
}

static void test_sticky_when_table_changes(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_ENCAP, 5, 43000);
	struct pkt_spec fresh = to_vip(V4_TCP_ENCAP, 6, 43001);
	struct run r;
	__u32 first, other;

	first = backend_id_for(f, V4_TCP_ENCAP, &s, &r);
	if (!ASSERT_TRUE(first != XLB_NO_BACKEND, "flow forwarded"))
		return;
	other = first == 0 ? 1 : 0;
	ASSERT_EQ(force_table(f, V4_TCP_ENCAP, other), 0, "table swapped");
	ASSERT_EQ(backend_id_for(f, V4_TCP_ENCAP, &s, &r), first,
		  "existing flow stays on its backend");
	ASSERT_EQ(backend_id_for(f, V4_TCP_ENCAP, &fresh, &r), other,
		  "new flow follows the new table");
}

static void set_state(struct fixture *f, int vip, __u32 be_idx, __u8 state,
		      __u32 weight)
{
	struct xlb_backend_spec *be = &f->vips[vip].backends[be_idx];

	be->state = state;
	be->weight = weight;
	ASSERT_EQ(xlb_service_apply(f->dp, &f->vips[vip]), 0, "service re-applied");
}

/* Finds a client whose flow lands on backend index want; -1 if none. */
static int client_for_backend(struct fixture *f, int vip, __u32 want_id)
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

static void test_drain_keeps_flows_takes_no_new(struct fixture *f)
{
	const int vip = V6_TCP_ENCAP;
	__u32 victim = f->vips[vip].backends[0].id;
	int c = client_for_backend(f, vip, victim), i;
	struct pkt_spec s = to_vip(vip, c, 44000);
	struct run r;

	if (!ASSERT_TRUE(c >= 0, "found a flow on the victim"))
		return;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "flow lands on victim");
	set_state(f, vip, 0, XLB_BE_UP, 0); /* weight 0: draining */
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "draining keeps its flow");
	for (i = 0; i < 200; i++) {
		struct pkt_spec n = to_vip(vip, i % 64, 45000 + i);

		if (!ASSERT_TRUE(backend_id_for(f, vip, &n, &r) != victim,
				 "no new flow on a draining backend"))
			break;
	}
}

/*
 * A flow on a draining backend survives the loss of its LRU entry (a flood
 * evicts it): the drain held it in the moved-flow table. Putting the
 * backend back lets it go, and the table sends the flow home.
 */
static void test_drained_flow_survives_lru_loss(struct fixture *f)
{
	const int vip = V4_TCP_ENCAP;
	__u32 victim = f->vips[vip].backends[2].id;
	int c = client_for_backend(f, vip, victim);
	struct pkt_spec s = to_vip(vip, c, 47000);
	struct pkt_spec other = to_vip(vip, c, 47001);
	struct xlb_dp_moved_stats st;
	__u64 hits;
	struct run r;

	if (!ASSERT_TRUE(c >= 0, "found a flow on the victim"))
		return;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "flow lands on victim");
	set_state(f, vip, 2, XLB_BE_UP, 0); /* weight 0: draining */
	xlb_dp_moved_stats(f->dp, &st);
	ASSERT_TRUE(st.held >= 1, "the drain held the flow");
	ASSERT_EQ(xlb_dp_flush_flows(f->dp), 0, "LRU emptied, as a flood would");
	hits = reason_count(f, XLB_R_MOVED_HIT);
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "held flow still reaches its backend");
	ASSERT_EQ(reason_count(f, XLB_R_MOVED_HIT) - hits, 1, "moved-flow hit counted");
	ASSERT_TRUE(backend_id_for(f, vip, &other, &r) != victim,
		    "a flow never seen is not held: table's choice");

	set_state(f, vip, 2, XLB_BE_UP, 1);
	xlb_dp_moved_stats(f->dp, &st);
	ASSERT_EQ(st.held, 0, "back in the table: nothing held");
	ASSERT_EQ(xlb_dp_flush_flows(f->dp), 0, "LRU emptied again");
	hits = reason_count(f, XLB_R_MOVED_HIT);
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "the table sends the flow home");
	ASSERT_EQ(reason_count(f, XLB_R_MOVED_HIT) - hits, 0, "without the moved-flow table");
}

static void test_down_loses_flows(struct fixture *f)
{
	const int vip = V4_UDP_ENCAP;
	__u32 victim = f->vips[vip].backends[1].id, now;
	int c = client_for_backend(f, vip, victim);
	struct pkt_spec s = to_vip(vip, c, 44000);
	__u64 stale;
	struct run r;

	if (!ASSERT_TRUE(c >= 0, "found a flow on the victim"))
		return;
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), victim, "flow lands on victim");
	stale = reason_count(f, XLB_R_LRU_STALE);
	set_state(f, vip, 1, XLB_BE_DOWN, 1);
	now = backend_id_for(f, vip, &s, &r);
	ASSERT_TRUE(now != victim && now != XLB_NO_BACKEND, "flow moved off the down backend");
	ASSERT_EQ(reason_count(f, XLB_R_LRU_STALE) - stale, 1, "stale LRU hit counted");
	ASSERT_EQ(backend_id_for(f, vip, &s, &r), now, "and sticks to its new backend");
}

static void test_udp_entries_expire(struct fixture *f)
{
	struct xlb_dp_opts opts = { .udp_idle_ms = 100 };
	struct fixture g;
	struct pkt_spec s = to_vip(V4_UDP_ENCAP, 7, 46000);
	struct pkt_spec t = to_vip(V4_TCP_ENCAP, 7, 46000);
	__u32 first, first_tcp, other;
	struct run r;

	(void)f;
	if (!ASSERT_EQ(fixture_setup(&g, &opts), 0, "data path with 100 ms UDP idle"))
		return;
	first = backend_id_for(&g, V4_UDP_ENCAP, &s, &r);
	first_tcp = backend_id_for(&g, V4_TCP_ENCAP, &t, &r);
	other = first == 3 ? 4 : 3;
	force_table(&g, V4_UDP_ENCAP, other);
	force_table(&g, V4_TCP_ENCAP, first_tcp == 0 ? 1 : 0);
	ASSERT_EQ(backend_id_for(&g, V4_UDP_ENCAP, &s, &r), first, "UDP sticky while active");
	usleep(250 * 1000);
	ASSERT_EQ(backend_id_for(&g, V4_UDP_ENCAP, &s, &r), other, "idle UDP entry expired");
	ASSERT_EQ(backend_id_for(&g, V4_TCP_ENCAP, &t, &r), first_tcp, "TCP entry does not expire");
	fixture_teardown(&g);
}

/* An ICMP error from a router on the return path, quoting the VIP's reply. */
static size_t build_icmp_error_to(const struct pkt_spec *flow, const char *outer_dst,
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

static size_t build_icmp_error(const struct pkt_spec *flow, __u8 *buf,
			       __u8 type, __u8 code, __u32 word)
{
	return build_icmp_error_to(flow, NULL, buf, type, code, word);
}

static void test_icmp_errors_follow_their_flow(struct fixture *f)
{
	static const struct { int vip; __u8 type, code; __u32 word; } cases[] = {
		{ V4_TCP_ENCAP, 3, 4, 1400 },	/* fragmentation needed */
		{ V4_UDP_ENCAP, 3, 3, 0 },	/* port unreachable */
		{ V6_TCP_ENCAP, 2, 0, 1400 },	/* packet too big */
		{ V6_UDP_DSR, 1, 4, 0 },	/* port unreachable */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int vip = cases[i].vip;
		struct pkt_spec s = to_vip(vip, 9, 47000 + i);
		struct pkt_spec cold = to_vip(vip, 10, 47100 + i);
		const struct xlb_backend_spec *be;
		struct xlb_flow flow;
		__u8 in[PKT_MAX];
		struct run r;
		size_t len;
		__u32 first, other;

		first = backend_id_for(f, vip, &s, &r);
		/* Move new flows elsewhere: the error must follow the LRU entry. */
		other = f->vips[vip].backends[0].id == first ?
			f->vips[vip].backends[1].id : f->vips[vip].backends[0].id;
		force_table(f, vip, other);
		len = build_icmp_error(&s, in, cases[i].type, cases[i].code, cases[i].word);
		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		ASSERT_EQ(r.retval, XDP_TX, "ICMP error forwarded");
		be = backend_of(f, vip, &r);
		ASSERT_TRUE(be && be->id == first, "ICMP error went to its flow's backend");
		if (be && (vip_defs[vip].flags & XLB_VIP_F_ENCAP)) {
			flow_of(&s, &flow);
			check_encap(f, in, len, &r, be, &flow);
		}

		/* A flow the LRU never saw: the error follows the table. */
		xlb_service_apply(f->dp, &f->vips[vip]);
		flow_of(&cold, &flow);
		len = build_icmp_error(&cold, in, cases[i].type, cases[i].code, cases[i].word);
		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		be = backend_of(f, vip, &r);
		ASSERT_TRUE(be && be == maglev_answer(f, vip, &flow),
			    "ICMP error for an unseen flow follows the Maglev answer");
	}
	ASSERT_TRUE(reason_count(f, XLB_R_TX_ICMP_ERROR) == 8, "counted as ICMP errors forwarded");
}


/* ---- the forwarding contract, as fuzzing broke it (issue 11) ------------ */

/* An ICMP error quoting a VIP flow but addressed elsewhere is not ours. */
static void test_icmp_error_to_other_address_passes(struct fixture *f)
{
	struct pkt_spec s4 = to_vip(V4_TCP_ENCAP, 20, 51000), s6 = to_vip(V6_TCP_ENCAP, 20, 51001);
	__u8 in[PKT_MAX];
	size_t len;

	len = build_icmp_error_to(&s4, "198.18.0.5", in, 3, 4, 1400);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "frag-needed to a non-VIP address quoting a VIP flow passed");
	len = build_icmp_error_to(&s6, "2001:db8::5", in, 2, 0, 1400);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "packet-too-big to a non-VIP address quoting a VIP flow passed");
}

/* Rewrites an IPv6 frame's destination to the IPv4-mapped form of v4. */
static void set_mapped_dst(__u8 *frame, const char *v4)
{
	union xlb_addr a;

	xlb_addr_parse(v4, &a);
	memcpy(frame + pkt_l3_off(frame) + 24, a.b, 16);
}

/* IPv6 to ::ffff:a.b.c.d must never be taken for IPv4 to a.b.c.d. */
static void test_mapped_ipv6_is_not_ipv4(struct fixture *f)
{
	struct pkt_spec tcp = to_vip(V6_TCP_ENCAP, 21, 51100);
	struct pkt_spec echo = { .src = "2001:db8::7", .dst = "2001:db8:100::10",
				 .proto = IPPROTO_ICMPV6, .icmp_type = 128, .sport = 7,
				 .payload_len = 56 };
	struct pkt_spec frag = tcp;
	__u8 in[PKT_MAX];
	size_t len;

	len = pkt_build(&tcp, in, sizeof(in));
	set_mapped_dst(in, vip_defs[V4_TCP_ENCAP].addr);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "TCP over IPv6 to the IPv4-mapped VIP address passed");
	len = pkt_build(&echo, in, sizeof(in));
	set_mapped_dst(in, vip_defs[V4_TCP_ENCAP].addr);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "ICMPv6 echo to the IPv4-mapped VIP address not answered");
	frag.ipv6_frag_hdr = true;
	len = pkt_build(&frag, in, sizeof(in));
	set_mapped_dst(in, vip_defs[V4_TCP_ENCAP].addr);
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP,
			 "IPv6 fragment to the IPv4-mapped VIP address not dropped as ours");
}

/* The quoted ports lie in the frame's padding, past the IP total length. */
static void test_icmp_quote_bounded_by_ip_length(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_ENCAP, 22, 51200);
	__u8 in[PKT_MAX];
	size_t len, l3;

	len = build_icmp_error(&s, in, 3, 4, 1400);
	l3 = pkt_l3_off(in);
	/* IP 20 + ICMP 8 + the quoted IP header 20: the ports are not in the packet. */
	put_be16(in + l3 + 2, 48);
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_MALFORMED,
			 "ICMP error whose quoted ports are past the IP length dropped");
}

/* Bytes past the IP total length (padding, garbage) stay out of the tunnel. */
static void test_trailing_bytes_not_tunnelled(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_ENCAP, 23, 51300), s6 = to_vip(V6_UDP_ENCAP, 23, 51301);
	struct pkt_spec *specs[] = { &s, &s6 };
	size_t i;

	for (i = 0; i < 2; i++) {
		__u8 in[PKT_MAX];
		size_t len = pkt_build(specs[i], in, sizeof(in)), l3 = pkt_l3_off(in);
		size_t ip_len = len - l3, outer = pkt_is_v6(specs[i]) ? 40 : 20;
		struct run r;

		memset(in + len, 0xa5, 200);
		ASSERT_EQ(run_prog(f, in, len + 200, &r), 0, "BPF_PROG_TEST_RUN");
		ASSERT_EQ(r.retval, XDP_TX, "forwarded");
		ASSERT_EQ(r.out_len, l3 + outer + ip_len, "no trailing bytes in the tunnel");
	}
}

/*
 * Inserts n 8-byte destination-options headers between the IPv6 header and
 * its payload.
 */
static size_t add_ext_headers(__u8 *frame, size_t len, int n)
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

/* The data path walks this many IPv6 extension headers (bpf/parse.h). */
#define EXT_HEADERS_WALKED	8

/* A realistic chain of extension headers is walked; a longer one is counted apart. */
static void test_ipv6_extension_header_chain(struct fixture *f)
{
	struct pkt_spec s = to_vip(V6_TCP_ENCAP, 24, 51400);
	__u8 in[PKT_MAX];
	size_t len;
	struct run r;

	len = add_ext_headers(in, pkt_build(&s, in, sizeof(in)), EXT_HEADERS_WALKED);
	ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
	ASSERT_EQ(r.retval, XDP_TX, "8 extension headers walked and forwarded");
	len = add_ext_headers(in, pkt_build(&s, in, sizeof(in)), EXT_HEADERS_WALKED + 1);
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_EXT_HEADERS,
			 "9 extension headers dropped and counted apart");
}

static void test_echo_requests_answered(struct fixture *f)
{
	struct pkt_spec specs[] = {
		{ .src = "198.18.0.7", .dst = "198.18.100.10", .proto = IPPROTO_ICMP,
		  .icmp_type = 8, .sport = 77, .payload_len = 56, .ttl = 17 },
		{ .src = "2001:db8::7", .dst = "2001:db8:100::10", .proto = IPPROTO_ICMPV6,
		  .icmp_type = 128, .payload_len = 56, .vlans = 1 },
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		__u8 in[PKT_MAX];
		size_t len = pkt_build(&specs[i], in, sizeof(in)), l3 = pkt_l3_off(in);
		bool v6 = i == 1;
		struct run r;
		const __u8 *ip;

		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		ASSERT_EQ(r.retval, XDP_TX, "echo request answered");
		ASSERT_EQ(r.out_len, len, "reply as long as the request");
		ASSERT_MEMEQ(r.out, in + 6, 6, "reply to the sender's MAC");
		ASSERT_MEMEQ(r.out + 6, in, 6, "from our MAC");
		ip = r.out + l3;
		if (!v6) {
			ASSERT_MEMEQ(ip + 12, in + l3 + 16, 4, "source is the VIP");
			ASSERT_MEMEQ(ip + 16, in + l3 + 12, 4, "destination is the sender");
			ASSERT_EQ(ip[20], 0, "type echo reply");
			ASSERT_EQ(pkt_ipv4_hdr_csum(ip), 0, "IPv4 checksum valid");
		} else {
			ASSERT_MEMEQ(ip + 8, in + l3 + 24, 16, "source is the VIP");
			ASSERT_MEMEQ(ip + 24, in + l3 + 8, 16, "destination is the sender");
			ASSERT_EQ(ip[40], 129, "type echo reply");
		}
		ASSERT_EQ(pkt_l4_csum(ip), 0, "ICMP checksum valid");
	}
	ASSERT_EQ(reason_count(f, XLB_R_TX_ECHO_REPLY), 2, "counted as echo replies");
}

static void test_too_big_answered(struct fixture *f)
{
	static const struct { int vip; bool df; __u32 verdict, mtu; } cases[] = {
		{ V4_TCP_ENCAP, true, XDP_TX, 1480 },
		{ V4_TCP_ENCAP, false, XDP_DROP, 0 },
		{ V6_TCP_ENCAP, true, XDP_TX, 1460 },
		{ V4_IN_V6, true, XDP_TX, 1460 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_spec s = to_vip(cases[i].vip, 11, 48000);
		bool v6 = strchr(vip_defs[cases[i].vip].addr, ':');
		__u8 in[PKT_MAX];
		size_t len, l3;
		struct run r;
		const __u8 *ip, *icmp;
		__u64 too_big = reason_count(f, XLB_R_DROP_TOO_BIG);

		s.df = cases[i].df;
		/* A full 1500-byte IP packet: too big once the tunnel header is added. */
		s.payload_len = 1500 - (v6 ? 40 : 20) - 20;
		len = pkt_build(&s, in, sizeof(in));
		l3 = pkt_l3_off(in);
		ASSERT_EQ(run_prog(f, in, len, &r), 0, "BPF_PROG_TEST_RUN");
		if (!ASSERT_EQ(r.retval, cases[i].verdict, "verdict on an over-MTU packet"))
			continue;
		if (cases[i].verdict == XDP_DROP) {
			ASSERT_EQ(reason_count(f, XLB_R_DROP_TOO_BIG) - too_big, 1,
				  "DF-clear packet counted as too big");
			continue;
		}
		ip = r.out + l3;
		icmp = ip + (v6 ? 40 : 20);
		ASSERT_EQ(r.out_len, l3 + (v6 ? 48 : 28) + 512, "answer quotes 512 bytes");
		ASSERT_MEMEQ(r.out, in + 6, 6, "answer to the sender's MAC");
		if (!v6) {
			ASSERT_EQ(pkt_ipv4_hdr_csum(ip), 0, "IPv4 checksum valid");
			ASSERT_MEMEQ(ip + 16, in + l3 + 12, 4, "to the sender");
			ASSERT_EQ(icmp[0], 3, "destination unreachable");
			ASSERT_EQ(icmp[1], 4, "fragmentation needed");
			ASSERT_EQ((icmp[6] << 8) | icmp[7], cases[i].mtu, "next-hop MTU");
		} else {
			ASSERT_MEMEQ(ip + 24, in + l3 + 8, 16, "to the sender");
			ASSERT_EQ(icmp[0], 2, "packet too big");
			ASSERT_EQ(get_be32(icmp + 4), cases[i].mtu, "MTU");
		}
		ASSERT_MEMEQ(icmp + 8, in + l3, 512, "quotes the offending packet");
		ASSERT_EQ(pkt_l4_csum(ip), 0, "ICMP checksum valid");
	}
	ASSERT_EQ(reason_count(f, XLB_R_TX_TOO_BIG), 3, "answers counted");
}

/* Every prefix of a valid packet is malformed: dropped, counted, never sent. */
static void test_truncated_packets(struct fixture *f)
{
	struct pkt_spec specs[] = {
		to_vip(V4_TCP_ENCAP, 12, 49000),
		to_vip(V6_UDP_ENCAP, 12, 49001),
		to_vip(V4_TCP_DSR, 12, 49002),
		to_vip(V6_TCP_ENCAP, 12, 49003),
	};
	size_t i, cut;

	specs[0].ipv4_opt_len = 12;
	specs[2].vlans = 2;
	specs[3].vlans = 1;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		__u8 in[PKT_MAX];
		size_t len;

		specs[i].payload_len = 0;
		len = pkt_build(&specs[i], in, sizeof(in));
		/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header. */
		for (cut = ETH_HLEN; cut < len; cut++) {
			__u64 before = reason_count(f, XLB_R_DROP_MALFORMED);
			struct run r;

			ASSERT_EQ(run_prog(f, in, cut, &r), 0, "BPF_PROG_TEST_RUN");
			if (!ASSERT_EQ(r.retval, XDP_DROP, "truncated packet dropped") ||
			    !ASSERT_EQ(reason_count(f, XLB_R_DROP_MALFORMED) - before, 1,
				       "counted as malformed")) {
				fprintf(stderr, "    spec %zu cut at %zu of %zu\n", i, cut, len);
				return;
			}
		}
	}
}

static void test_malformed_headers(struct fixture *f)
{
	struct pkt_spec v4 = to_vip(V4_TCP_ENCAP, 13, 50000);
	struct pkt_spec v6 = to_vip(V6_TCP_ENCAP, 13, 50000);
	__u8 in[PKT_MAX], bad[PKT_MAX];
	size_t len4 = pkt_build(&v4, in, sizeof(in)), len6;
	size_t l3 = pkt_l3_off(in);
	struct { const char *what; size_t off; __u8 val; } v4_cases[] = {
		{ "IPv4 ihl < 5", 0, 0x44 },
		{ "IPv4 version 5", 0, 0x55 },
		{ "IPv4 total length < header", 3, 8 },
		{ "IPv4 total length past the frame", 2, 0x10 },
		{ "TCP data offset < 5", 20 + 12, 0x40 },
		{ "TCP data offset past the packet", 20 + 12, 0xf0 },
	};
	size_t i;

	for (i = 0; i < sizeof(v4_cases) / sizeof(v4_cases[0]); i++) {
		memcpy(bad, in, len4);
		bad[l3 + v4_cases[i].off] = v4_cases[i].val;
		if (v4_cases[i].off == 3)
			bad[l3 + 2] = 0;
		expect_untouched(f, bad, len4, XDP_DROP, XLB_R_DROP_MALFORMED, v4_cases[i].what);
	}

	/* A TCP header cut by the IP length: malformed for a VIP, not ours otherwise. */
	memcpy(bad, in, len4);
	bad[l3 + 2] = 0;
	bad[l3 + 3] = 20 + 8;
	expect_untouched(f, bad, len4, XDP_DROP, XLB_R_DROP_MALFORMED, "TCP cut short to a VIP");
	bad[l3 + 19] = 99; /* 198.18.100.99: no VIP */
	expect_untouched(f, bad, len4, XDP_PASS, XLB_R_PASS_NOT_VIP, "TCP cut short elsewhere");

	len6 = pkt_build(&v6, in, sizeof(in));
	memcpy(bad, in, len6);
	bad[l3] = 0x40 | (bad[l3] & 0xf);
	expect_untouched(f, bad, len6, XDP_DROP, XLB_R_DROP_MALFORMED, "IPv6 version 4");
	memcpy(bad, in, len6);
	bad[l3 + 4] = 0x7f;
	expect_untouched(f, bad, len6, XDP_DROP, XLB_R_DROP_MALFORMED, "IPv6 payload past the frame");
}

static void test_fragments_to_vips_dropped(struct fixture *f)
{
	struct pkt_spec first = to_vip(V4_TCP_ENCAP, 14, 51000);
	struct pkt_spec later = to_vip(V4_UDP_ENCAP, 14, 51000);
	struct pkt_spec v6 = to_vip(V6_UDP_ENCAP, 14, 51000);
	struct pkt_spec other = { .src = "198.18.0.9", .dst = "198.18.100.99",
				  .proto = IPPROTO_UDP, .frag = 0x2000 };
	__u8 in[PKT_MAX];
	size_t len;

	first.df = false;
	first.frag = 0x2000;		/* MF */
	later.df = false;
	later.frag = 0x0010;		/* offset 128 */
	v6.ipv6_frag_hdr = true;
	len = pkt_build(&first, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_FRAGMENT, "first IPv4 fragment");
	len = pkt_build(&later, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_FRAGMENT, "later IPv4 fragment");
	len = pkt_build(&v6, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_FRAGMENT, "IPv6 fragment");
	len = pkt_build(&other, in, sizeof(in));
	expect_untouched(f, in, len, XDP_PASS, XLB_R_PASS_NOT_VIP, "fragment to no VIP");
}

static void test_ttl_expiry_and_no_backend(struct fixture *f)
{
	struct pkt_spec s = to_vip(V4_TCP_DSR, 15, 52000);
	struct xlb_vip_stats vs;
	__u8 in[PKT_MAX];
	size_t len, b;

	s.ttl = 1;
	len = pkt_build(&s, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_TTL, "TTL 1 is not forwarded");

	for (b = 0; b < BE_PER_VIP; b++)
		f->vips[V4_TCP_DSR].backends[b].state = XLB_BE_DOWN;
	ASSERT_EQ(xlb_service_apply(f->dp, &f->vips[V4_TCP_DSR]), 0, "all backends down");
	s.ttl = 64;
	s.sport++;
	len = pkt_build(&s, in, sizeof(in));
	expect_untouched(f, in, len, XDP_DROP, XLB_R_DROP_NO_BACKEND, "no backend: dropped");
	ASSERT_EQ(xlb_dp_vip_stats(f->dp, V4_TCP_DSR, &vs), 0, "VIP stats read");
	ASSERT_EQ(vs.no_backend, 1, "VIP counts the drop");
}

static void test_source_port_left_out(struct fixture *f)
{
	struct run r;
	__u32 first;
	int p;

	struct pkt_spec s = to_vip(V4_NOSPORT, 16, 53000);

	first = backend_id_for(f, V4_NOSPORT, &s, &r);
	for (p = 1; p < 50; p++) {
		s.sport = 53000 + p * 7;
		if (!ASSERT_EQ(backend_id_for(f, V4_NOSPORT, &s, &r), first,
			       "every source port of a client, one backend"))
			break;
	}
}

static void test_counters_exact(struct fixture *f)
{
	__u64 want_pkts[NR_VIPS * BE_PER_VIP] = {}, want_bytes[NR_VIPS * BE_PER_VIP] = {};
	__u64 want_new[NR_VIPS * BE_PER_VIP] = {}, vip_pkts = 0, vip_bytes = 0;
	struct xlb_vip_stats vs;
	struct xlb_counter fwd, pass;
	__u8 in[PKT_MAX];
	int c, k, i;

	for (c = 0; c < 40; c++) {
		/* Each flow sends 1..3 packets of varying size. */
		for (k = 0; k <= c % 3; k++) {
			struct pkt_spec s = to_vip(V6_TCP_ENCAP, c, 54000);
			const struct xlb_backend_spec *be;
			size_t len;

			s.payload_len = 10 * c + k;
			len = pkt_build(&s, in, sizeof(in));
			be = send_and_check(f, V6_TCP_ENCAP, &s);
			if (!be)
				return;
			want_pkts[be->id]++;
			want_bytes[be->id] += len;
			want_new[be->id] += k == 0;
			vip_pkts++;
			vip_bytes += len;
		}
	}
	for (i = 0; i < 7; i++) {
		struct pkt_spec s = { .src = "2001:db8::9", .dst = "2001:db8:100::99",
				      .proto = IPPROTO_UDP, .sport = 9, .dport = 9 };
		size_t len = pkt_build(&s, in, sizeof(in));
		struct run r;

		run_prog(f, in, len, &r);
	}
	for (i = 0; i < BE_PER_VIP; i++) {
		__u32 id = f->vips[V6_TCP_ENCAP].backends[i].id;
		struct xlb_backend_stats bs;

		ASSERT_EQ(xlb_dp_backend_stats(f->dp, id, &bs), 0, "backend stats read");
		ASSERT_EQ(bs.packets, want_pkts[id], "backend packets");
		ASSERT_EQ(bs.bytes, want_bytes[id], "backend bytes");
		ASSERT_EQ(bs.new_flows, want_new[id], "backend new flows");
	}
	ASSERT_EQ(xlb_dp_vip_stats(f->dp, V6_TCP_ENCAP, &vs), 0, "VIP stats read");
	ASSERT_EQ(vs.packets, vip_pkts, "VIP packets");
	ASSERT_EQ(vs.bytes, vip_bytes, "VIP bytes");
	ASSERT_EQ(vs.new_flows, 40, "VIP new flows");
	ASSERT_EQ(reason_count(f, XLB_R_LRU_MISS), 40, "LRU misses: one per flow");
	ASSERT_EQ(reason_count(f, XLB_R_LRU_HIT), vip_pkts - 40, "LRU hits: the rest");
	xlb_dp_reason_stats(f->dp, XLB_R_TX_FORWARD, &fwd);
	xlb_dp_reason_stats(f->dp, XLB_R_PASS_NOT_VIP, &pass);
	ASSERT_EQ(fwd.packets, vip_pkts, "forwarded packets");
	ASSERT_EQ(fwd.bytes, vip_bytes, "forwarded bytes");
	ASSERT_EQ(pass.packets, 7, "passed packets");
}

static __u64 decap_count(struct xlb_decap *d, __u32 reason)
{
	int nr_cpus = libbpf_num_possible_cpus(), cpu;
	struct xlb_counter *vals = calloc(nr_cpus > 0 ? nr_cpus : 1, sizeof(*vals));
	__u64 sum = 0;

	if (vals && nr_cpus > 0 &&
	    !bpf_map_lookup_elem(bpf_map__fd(d->maps.decap_stats), &reason, vals))
		for (cpu = 0; cpu < nr_cpus; cpu++)
			sum += vals[cpu].packets;
	free(vals);
	return sum;
}

/* What xlb encapsulates, the backend's decap program turns back into the
 * packet xlb received (less one TTL), for all four tunnel kinds. */
static void test_decap_round_trip(struct fixture *f)
{
	static const int vips[] = { V4_TCP_ENCAP, V6_UDP_ENCAP, V4_IN_V6, V6_IN_V4 };
	struct xlb_decap *d = xlb_decap__open_and_load();
	int prog, vlans;
	size_t i;

	if (!ASSERT_TRUE(d != NULL, "decap program loads"))
		return;
	prog = bpf_program__fd(d->progs.xlb_decap);
	for (i = 0; i < sizeof(vips) / sizeof(vips[0]); i++) {
		for (vlans = 0; vlans <= 2; vlans++) {
			struct pkt_spec s = to_vip(vips[i], 20, 55000 + vlans);
			__u8 in[PKT_MAX], inner[PKT_MAX];
			struct run enc, dec;
			size_t len, l3;
			LIBBPF_OPTS(bpf_test_run_opts, opts,
				.data_out = dec.out,
				.data_size_out = sizeof(dec.out),
			);

			s.vlans = vlans;
			len = pkt_build(&s, in, sizeof(in));
			l3 = pkt_l3_off(in);
			if (!ASSERT_EQ(run_prog(f, in, len, &enc), 0, "xlb run") ||
			    !ASSERT_EQ(enc.retval, XDP_TX, "xlb encapsulates"))
				continue;
			opts.data_in = enc.out;
			opts.data_size_in = enc.out_len;
			ASSERT_EQ(bpf_prog_test_run_opts(prog, &opts), 0, "decap run");
			ASSERT_EQ(opts.retval, XDP_PASS, "decap passes the inner packet on");
			if (!ASSERT_EQ(opts.data_size_out, len, "outer header gone"))
				continue;
			ASSERT_MEMEQ(dec.out, enc.out, l3 - 2, "L2 header and VLAN tags kept");
			ASSERT_MEMEQ(dec.out + l3 - 2, in + l3 - 2, 2, "inner ethertype restored");
			expected_inner(in, len, inner);
			ASSERT_MEMEQ(dec.out + l3, inner, len - l3, "inner packet intact");
		}
	}
	ASSERT_EQ(decap_count(d, XLB_DR_DECAP), 12, "decapsulations counted");

	/* Not a tunnel packet: untouched. A cut tunnel packet: dropped. */
	{
		struct pkt_spec s = to_vip(V4_TCP_DSR, 21, 56000);
		__u8 in[PKT_MAX], out[PKT_MAX];
		size_t len = pkt_build(&s, in, sizeof(in));
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = in, .data_size_in = len,
			.data_out = out, .data_size_out = sizeof(out),
		);

		ASSERT_EQ(bpf_prog_test_run_opts(prog, &opts), 0, "decap run");
		ASSERT_EQ(opts.retval, XDP_PASS, "plain packet passes");
		ASSERT_MEMEQ(out, in, len, "plain packet untouched");
		in[14 + 9] = IPPROTO_IPIP;	/* claims a tunnel, carries 20 bytes */
		opts.data_size_in = 14 + 20 + 10;
		in[14 + 10] = in[14 + 11] = 0;
		ASSERT_EQ(bpf_prog_test_run_opts(prog, &opts), 0, "decap run");
		ASSERT_EQ(opts.retval, XDP_DROP, "cut tunnel packet dropped");
		ASSERT_EQ(decap_count(d, XLB_DR_MALFORMED), 1, "counted as malformed");
	}
	xlb_decap__destroy(d);
}

/* ---- runner ------------------------------------------------------------- */

struct test {
	const char *name;
	void (*fn)(struct fixture *f);
};


/* ---- the packet fuzzer (test_xdp --fuzz N [SEED]) ------------------------ */

/*
 * Mutated packets through the live program, configured like the tests,
 * with three invariants checked on every packet:
 *  - a packet whose IP destination is readable and not a VIP address
 *    passes, byte for byte untouched;
 *  - every XDP_TX output is well formed: encapsulated to a configured
 *    backend (outer checksum right, nothing after the inner packet), sent
 *    to a backend's MAC (L2 DSR), or an ICMP answer to the sender with
 *    right checksums;
 *  - every packet moves exactly one verdict counter (each packet on a
 *    sample, the total on every batch).
 */
static __u64 rng = 0x9e3779b97f4a7c15ull;

static __u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static __u64 verdicts_total(struct fixture *f, __u64 *each)
{
	__u64 total = 0;
	__u32 r;

	for (r = 0; r < XLB_R_VERDICT_MAX; r++) {
		__u64 c = reason_count(f, r);

		if (each)
			each[r] = c;
		total += c;
	}
	return total;
}

/* The L3 offset and family as the program sees them; 0 when not IP. */
static size_t frame_l3(const __u8 *p, size_t len, bool *v6)
{
	size_t off = 12;
	int i;

	for (i = 0; i <= 2 && off + 2 <= len; i++) {
		__u16 t = get_be16(p + off);

		if (t == ETH_P_IP || t == ETH_P_IPV6) {
			*v6 = t == ETH_P_IPV6;
			return off + 2;
		}
		if (i == 2 || (t != ETH_P_8021Q && t != ETH_P_8021AD))
			return 0;
		off += 4;
	}
	return 0;
}

/* An IPv4 address at any alignment, IPv4-mapped. */
static void v4_at(union xlb_addr *a, const __u8 *p)
{
	__be32 v4;

	memcpy(&v4, p, 4);
	xlb_addr_from_v4(a, v4);
}

/* -1: the destination cannot be read; 1: a VIP address; 0: another. */
static int to_vip_addr(const __u8 *p, size_t len)
{
	bool v6 = false;
	size_t l3 = frame_l3(p, len, &v6), i;
	union xlb_addr dst = {};

	if (!l3 || l3 + (v6 ? 40 : 20) > len)
		return -1;
	if (v6)
		memcpy(dst.b, p + l3 + 24, 16);
	else
		v4_at(&dst, p + l3 + 16);
	/* An IPv6 destination of IPv4-mapped form is never a VIP's. */
	if (v6 && xlb_addr_is_v4(&dst))
		return 0;
	for (i = 0; i < (size_t)NR_VIPS; i++) {
		union xlb_addr a;

		xlb_addr_parse(vip_defs[i].addr, &a);
		if (!xlb_addr_cmp(&a, &dst))
			return 1;
	}
	return 0;
}

static bool is_backend(struct fixture *f, const union xlb_addr *a, const __u8 *mac)
{
	size_t i;

	for (i = 0; i < NR_VIPS * BE_PER_VIP; i++)
		if ((a && !xlb_addr_cmp(&f->bes[i].addr, a)) || (mac && !memcmp(f->bes[i].mac, mac, 6)))
			return true;
	return false;
}

/* An ICMP message (after its IP header) with a right checksum. */
static bool icmp_ok(const __u8 *ip, bool v6, size_t avail)
{
	if (!v6) {
		size_t hl = (ip[0] & 15) * 4, tot = get_be16(ip + 2);

		return tot <= avail && tot > hl && pkt_csum(ip + hl, tot - hl, 0) == 0;
	}
	return 40 + (size_t)get_be16(ip + 4) <= avail && pkt_l4_csum(ip) == 0;
}

/* The L3 length an IP header at ip claims, headers included. */
static size_t ip_len(const __u8 *ip, bool v6)
{
	return v6 ? 40 + (size_t)get_be16(ip + 4) : get_be16(ip + 2);
}

/*
 * Why an XDP_TX output is not well formed, or NULL. Headers xlb writes
 * must have right checksums; headers it only changes (TTL, addresses,
 * echo type) must keep a checksum right if it was. xlb does not verify
 * input checksums (README), so a wrong one may stay wrong.
 */
static const char *tx_problem(struct fixture *f, const __u8 *in, size_t in_len,
			      const __u8 *out, size_t out_len)
{
	bool in_v6 = false, v6 = false;
	size_t l3 = frame_l3(out, out_len, &v6), in_l3 = frame_l3(in, in_len, &in_v6);
	bool in_hdr_ok, in_icmp_ok;
	union xlb_addr dst;
	__u8 proto;

	if (!l3 || l3 + (v6 ? 40 : 20) > out_len)
		return "not an IP packet";
	if (l3 + ip_len(out + l3, v6) != out_len)
		return "bytes after the IP packet";
	if (!in_l3 || in_l3 + (in_v6 ? 40 : 20) > in_len)
		return "sent, though its own IP header is not whole";
	in_hdr_ok = in_v6 || !pkt_ipv4_hdr_csum(in + in_l3);
	in_icmp_ok = icmp_ok(in + in_l3, in_v6, in_len - in_l3);
	if (v6)
		memcpy(dst.b, out + l3 + 24, 16);
	else
		v4_at(&dst, out + l3 + 16);
	proto = v6 ? out[l3 + 6] : out[l3 + 9];

	/* Encapsulated: the outer header is xlb's, to a configured backend. */
	if ((proto == IPPROTO_IPIP || proto == IPPROTO_IPV6) && is_backend(f, &dst, NULL)) {
		size_t inner = l3 + (v6 ? 40 : 20);
		bool inner_v6 = proto == IPPROTO_IPV6;

		if (!v6 && pkt_ipv4_hdr_csum(out + l3))
			return "outer IPv4 header checksum wrong";
		if (inner + (inner_v6 ? 40 : 20) > out_len ||
		    inner + ip_len(out + inner, inner_v6) != out_len)
			return "the inner packet does not fill the tunnel exactly";
		if (!inner_v6 && in_hdr_ok && pkt_ipv4_hdr_csum(out + inner))
			return "a right inner IPv4 header checksum made wrong";
		return NULL;
	}
	/* L2 DSR: to a backend's MAC, the IP header as it came but the TTL. */
	if (is_backend(f, NULL, out)) {
		if (!v6 && in_hdr_ok && pkt_ipv4_hdr_csum(out + l3))
			return "a right IPv4 header checksum made wrong";
		return NULL;
	}
	/* An answer to the sender: an echo reply, or too big (xlb's own). */
	if (in_v6 == v6 && !memcmp(out + l3 + (v6 ? 24 : 16), in + in_l3 + (v6 ? 8 : 12), v6 ? 16 : 4) &&
	    proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		__u8 type = out[l3 + (v6 ? 40 : (out[l3] & 15) * 4)];
		bool echo = type == (v6 ? 129 : 0);

		if (!v6 && (echo ? in_hdr_ok : true) && pkt_ipv4_hdr_csum(out + l3))
			return "the answer's IPv4 header checksum is wrong";
		if ((echo ? in_icmp_ok : true) && !icmp_ok(out + l3, v6, out_len - l3))
			return "the answer's ICMP checksum is wrong";
		return NULL;
	}
	return "sent to neither a backend nor the sender";
}

/* One of a few shapes of packet, then 0 to 4 mutations of it. */
static size_t fuzz_packet(__u8 *buf)
{
	static const __u8 interesting[] = { 0, 1, 4, 5, 6, 17, 41, 58, 0x45, 0x60, 0x7f, 0x80, 0xff };
	struct pkt_spec s;
	int vip = rnd() % NR_VIPS, n, i;
	size_t len, l3, cut;
	bool v6;

	s = to_vip(vip, rnd() % 64, 1024 + rnd() % 60000);
	s.payload_len = rnd() % 300;
	switch (rnd() % 8) {
	case 0:
		len = build_icmp_error(&s, buf, pkt_is_v6(&s) ? 2 : 3, pkt_is_v6(&s) ? 0 : 4, 1400);
		break;
	case 1:
		s.dst = pkt_is_v6(&s) ? "2001:db8:77::1" : "198.18.77.1";
		len = pkt_build(&s, buf, PKT_MAX);
		break;
	case 2:
		s.proto = pkt_is_v6(&s) ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		s.icmp_type = pkt_is_v6(&s) ? 128 : 8;
		len = pkt_build(&s, buf, PKT_MAX);
		break;
	case 3:
		s.vlans = 1 + rnd() % 2;
		s.ipv4_opt_len = pkt_is_v6(&s) ? 0 : 4 * (rnd() % 11);
		len = pkt_build(&s, buf, PKT_MAX);
		break;
	case 4:
		len = pkt_build(&s, buf, PKT_MAX);
		if (pkt_is_v6(&s))
			len = add_ext_headers(buf, len, rnd() % 10);
		break;
	default:
		len = pkt_build(&s, buf, PKT_MAX);
	}
	n = rnd() % 5;
	l3 = frame_l3(buf, len, &v6);
	for (i = 0; i < n && len > ETH_HLEN; i++) {
		size_t at = rnd() % (len < 128 ? len : 128);

		switch (rnd() % 6) {
		case 0:
			buf[at] ^= 1 << (rnd() % 8);
			break;
		case 1:
			buf[at] = interesting[rnd() % sizeof(interesting)];
			break;
		case 2:
			cut = ETH_HLEN + rnd() % (len - ETH_HLEN);
			len = cut;
			break;
		case 3:
			cut = 1 + rnd() % 200;
			for (size_t k = 0; k < cut && len < PKT_MAX; k++)
				buf[len++] = rnd();
			break;
		case 4:	/* the IP destination: another VIP, a mapped form, anything */
			if (l3 && l3 + 40 <= len && v6) {
				if (rnd() % 2)
					set_mapped_dst(buf, vip_defs[V4_TCP_ENCAP].addr);
				else
					buf[l3 + 39] = rnd();
			} else if (l3 && l3 + 20 <= len) {
				buf[l3 + 19] ^= rnd() % 2 ? 0x0a : 0;
			}
			break;
		default: /* IP lengths */
			if (l3 && l3 + 6 <= len)
				put_be16(buf + l3 + (v6 ? 4 : 2), rnd() % 1600);
		}
	}
	return len;
}

static int run_fuzzer(__u64 count, __u64 seed)
{
	struct fixture f;
	__u8 in[PKT_MAX + 256];
	__u64 i, batch_start = 0, total0, sampled = 0, by_verdict[5] = {};
	__u64 before[XLB_R_VERDICT_MAX], after[XLB_R_VERDICT_MAX];
	int err, bad = 0;

	err = fixture_setup(&f, NULL);
	if (err == -EPERM || err == -EACCES) {
		printf("SKIPPED: fuzz_xdp (loading BPF needs root: %s)\n", strerror(-err));
		return 0;
	}
	if (err) {
		printf("FAIL: fuzz_xdp (fixture: %s)\n", strerror(-err));
		return 1;
	}
	/* Any seed, never the all-zero state xorshift cannot leave. */
	rng = (seed + 1) * 0x9e3779b97f4a7c15ull | 1;
	total0 = verdicts_total(&f, NULL);
	for (i = 0; i < count && bad < 10; i++) {
		size_t len = fuzz_packet(in);
		int to_vip_address = to_vip_addr(in, len);
		bool sample = !(i % 16);
		struct run r;
		const char *why = NULL;
		__u32 changed = 0, k;

		if (sample)
			verdicts_total(&f, before);
		if (run_prog(&f, in, len, &r)) {
			why = "BPF_PROG_TEST_RUN failed";
		} else if (to_vip_address == 0 &&
			   (r.retval != XDP_PASS || r.out_len != len || memcmp(r.out, in, len))) {
			why = "not addressed to a VIP address, yet not passed untouched";
		} else if (r.retval == XDP_TX) {
			why = tx_problem(&f, in, len, r.out, r.out_len);
		}
		if (r.retval < 5)
			by_verdict[r.retval]++;
		if (sample && !why) {
			verdicts_total(&f, after);
			for (k = 0; k < XLB_R_VERDICT_MAX; k++)
				changed += after[k] - before[k];
			if (changed != 1)
				why = "moved other than one verdict counter";
			sampled++;
		}
		if (!why && (i + 1) % 4096 == 0) {
			if (verdicts_total(&f, NULL) - total0 != i + 1)
				why = "verdict counters do not add up to the packets run";
			batch_start = i + 1;
		}
		if (why) {
			bad++;
			fprintf(stderr, "    packet %llu (seed %llu, verdict %u, %zu bytes): %s\n",
				(unsigned long long)i, (unsigned long long)seed, r.retval, len, why);
			for (k = 0; k < len && k < 96; k++)
				fprintf(stderr, "%02x%s", in[k], k % 32 == 31 ? "\n" : "");
			fprintf(stderr, "\n");
		}
	}
	(void)batch_start;
	printf("  %llu packets (seed %llu): %llu passed, %llu dropped, %llu sent; %llu checked packet by packet for one verdict\n",
	       (unsigned long long)i, (unsigned long long)seed,
	       (unsigned long long)by_verdict[XDP_PASS], (unsigned long long)by_verdict[XDP_DROP],
	       (unsigned long long)by_verdict[XDP_TX], (unsigned long long)sampled);
	printf("%s: fuzz_xdp\n", bad ? "FAIL" : "PASS");
	fixture_teardown(&f);
	return bad ? 1 : 0;
}

#define TEST(fn) { #fn, fn }

static const struct test all_tests[] = {
	TEST(test_forward_each_mode_and_family),
	TEST(test_ipv4_options_and_vlans),
	TEST(test_not_for_a_vip_passes_untouched),
	TEST(test_sticky_when_table_changes),
	TEST(test_drain_keeps_flows_takes_no_new),
	TEST(test_drained_flow_survives_lru_loss),
	TEST(test_down_loses_flows),
	TEST(test_udp_entries_expire),
	TEST(test_icmp_errors_follow_their_flow),
	TEST(test_echo_requests_answered),
	TEST(test_too_big_answered),
	TEST(test_truncated_packets),
	TEST(test_malformed_headers),
	TEST(test_fragments_to_vips_dropped),
	TEST(test_ttl_expiry_and_no_backend),
	TEST(test_source_port_left_out),
	TEST(test_counters_exact),
	TEST(test_decap_round_trip),
	TEST(test_icmp_error_to_other_address_passes),
	TEST(test_mapped_ipv6_is_not_ipv4),
	TEST(test_icmp_quote_bounded_by_ip_length),
	TEST(test_trailing_bytes_not_tunnelled),
	TEST(test_ipv6_extension_header_chain),
};

int main(int argc, char **argv)
{
	const size_t nr = sizeof(all_tests) / sizeof(all_tests[0]);
	const char *only = argc > 1 ? argv[1] : NULL;
	struct fixture f;
	size_t i;
	int err;

	xlb_log_hook_libbpf();
	xlb_log_set_level(XLB_LOG_WARN);
	if (argc >= 3 && !strcmp(argv[1], "--fuzz"))
		return run_fuzzer(strtoull(argv[2], NULL, 10), argc > 3 ? strtoull(argv[3], NULL, 10) : 1);
	for (i = 0; i < nr; i++) {
		if (only && strcmp(only, all_tests[i].name))
			continue;
		cur_test = all_tests[i].name;
		cur_failed = 0;
		err = fixture_setup(&f, NULL);
		if (err == -EPERM || err == -EACCES) {
			printf("SKIPPED: %s (loading BPF needs root: %s)\n", cur_test,
			       strerror(-err));
			nr_skipped++;
			continue;
		}
		if (err) {
			printf("FAIL: %s (fixture: %s)\n", cur_test, strerror(-err));
			nr_failed++;
			continue;
		}
		all_tests[i].fn(&f);
		fixture_teardown(&f);
		printf("%s: %s\n", cur_failed ? "FAIL" : "PASS", cur_test);
		if (cur_failed)
			nr_failed++;
		else
			nr_passed++;
	}
	printf("bpf: %d passed, %d failed, %d skipped\n", nr_passed, nr_failed, nr_skipped);
	return nr_failed ? 1 : 0;
}
