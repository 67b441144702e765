// SPDX-License-Identifier: GPL-2.0
/*
 * Per-packet cost of the XDP program through BPF_PROG_TEST_RUN, path by
 * path, against a floor program that only swaps MACs and returns XDP_TX.
 *
 * Method (the same as the Katran comparison of issue 11):
 * - repeat = 1 and a fresh copy of the packet per call: XDP rewrites its
 *   input, so repeating one buffer would measure another path after the
 *   first run;
 * - rounds interleave every path and the floor, so noise hits all alike;
 *   each figure is the median over rounds of (path - floor) in the same
 *   round, next to the kernel's duration and the wall clock per call;
 * - the data path has xlbd's default map sizes; "new flow" packets are
 *   flows never seen before (no key is ever deleted between rounds); the
 *   "aged" table is a second data path filled with 540,000 flows and
 *   emptied once, so its free LRU nodes are no longer in creation order;
 *   the "churned" table is a third, whose hit flows were opened before
 *   a flood of 1.2 M new flows to each TCP VIP and a weight change
 *   (14:10:10 to 10:10:10, as an operator's fix of a typo'd weight), so
 *   every path runs with slots moved and flows on the old table;
 * - every call is checked to take the path it claims (verdict and event
 *   counters); a mismatch is printed.
 * Prints Markdown tables.
 *
 * --compare OBJ: another build of xlb.bpf.o, loaded on the same maps and
 * run in the same rounds (the order alternating), to measure a change:
 * runs of separate processes differ by 15-40 % on this VM, more than most
 * changes are worth. Its column is its work above the floor, and the ratio
 * (the median of each round's; a build against itself gives 0.96-1.04).
 * Twice the new flows go through the flow table per round then, and the
 * LRU may evict a few dozen of the 20k hit flows: shown as a MISMATCH of
 * under 0.1 %.
 * --own-flows: the other build keeps a flow table of its own, as its
 * definition says, to compare flow-table layouts (sharing one would run
 * both on the layout of this build's), or an older build whose maps
 * differ only there. Its hit flows are made in the first round (read the
 * medians); its table is aged as this build's is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "dataplane.h"
#include "log.h"
#include "packet.h"
#include "service.h"

#define BATCH		20000	/* packets per path per round */
#define ROUNDS		11
#define AGED_FILL	540000
#define CHURN_FLOOD	1200000	/* new flows per VIP before the churned table's change */
#define TCP_ACK		0x10

enum kind { SAME_FLOW, MANY_HITS, NEW_SYN, NEW_ACK, NOT_VIP };

struct path {
	const char *name;
	const char *vip;	/* NULL: not a VIP */
	enum kind kind;
	__u32 reason;		/* every call must move this */
	__u32 event, event2, event3;	/* and one of these (XLB_R_MAX: none) */
	double above[ROUNDS], kernel[ROUNDS], wall[ROUNDS];
	double above_b[ROUNDS];		/* --compare: the other build */
	__u64 checked, bad;
};

struct dp_under_test {
	struct xlb_dp *dp;
	__u32 next_new;		/* flows numbered past every flow sent so far */
};

static int floor_fd;
static int compare_fd = -1;		/* --compare: the other build's program */
static bool own_flows;			/* --own-flows: and its own flow table */
/* xlbd's default sizes; XDP_BENCH_LRU=N sets the flow table's for a what-if run. */
static struct xlb_dp_opts lru_opts;

static void spec_for(const char *vip, __u32 i, __u8 flags, struct pkt_spec *p, char *src)
{
	bool v6 = vip && strchr(vip, ':');

	memset(p, 0, sizeof(*p));
	if (v6)
		snprintf(src, XLB_ADDR_STRLEN, "2001:db8:c::%x:%x", i >> 16, i & 0xffff);
	else
		snprintf(src, XLB_ADDR_STRLEN, "198.19.%u.%u", (i >> 8) & 0xff, i & 0xff);
	p->src = src;
	p->dst = vip ? vip : "198.18.7.7";
	p->proto = IPPROTO_TCP;
	p->sport = 1024 + (i >> 16);
	p->dport = 80;
	p->tcp_flags = flags;
	p->df = true;
	p->payload_len = 64;
}

struct timing {
	double kernel, wall;	/* ns per packet */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Runs n packets, flows first .. first + n - 1 (all one flow if same). */
static int run(int fd, const char *vip, __u32 first, __u32 n, bool same, __u8 flags,
	       struct timing *t)
{
	static __u8 in[BATCH][256];
	static size_t len[BATCH];
	__u8 out[PKT_MAX + 256];
	char src[XLB_ADDR_STRLEN];
	__u64 kernel = 0;
	struct pkt_spec p;
	double start;
	__u32 i;

	/* Packets built beforehand: the wall clock measures the calls alone. */
	for (i = 0; i < n; i++) {
		spec_for(vip, same ? first : first + i, flags, &p, src);
		len[i] = pkt_build(&p, in[i], sizeof(in[i]));
	}
	start = now_ns();
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in[i], .data_size_in = len[i],
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(fd, &o))
			return -errno;
		kernel += o.duration;
	}
	t->wall = (now_ns() - start) / n;
	t->kernel = (double)kernel / n;
	return 0;
}

static __u64 count(struct xlb_dp *dp, __u32 reason)
{
	struct xlb_counter c = {};

	xlb_dp_reason_stats(dp, reason, &c);
	return c.packets;
}

/* The first backend's weight: 14 on the churned table until its change, else 1 like the others. */
static __u32 first_weight = 1, other_weight = 1;

static int setup_vips(struct dp_under_test *u);

static int setup(struct dp_under_test *u)
{
	struct xlb_settings cfg = { .mtu = 1500 };
	int err;

	memset(u, 0, sizeof(*u));
	err = xlb_dp_load(&u->dp, &lru_opts);
	if (err)
		return err;
	inet_pton(AF_INET, "198.18.255.0", &cfg.src4_net);
	cfg.src4_mask = htonl(0xffffff00);
	xlb_addr_parse("2001:db8:ff::", &cfg.src6_net);
	cfg.src6_mask = htonl(0xffffff00);
	xlb_dp_set_settings(u->dp, &cfg);
	return setup_vips(u);
}

/* The four TCP VIPs, three backends each (first_weight, other_weight). */
static int setup_vips(struct dp_under_test *u)
{
	static const char *const vips[] = { "198.18.100.10", "2001:db8:100::10",
					    "198.18.100.20", "2001:db8:100::20" };
	struct xlb_backend_spec be[4][3];
	struct xlb_vip_spec v;
	char a[XLB_ADDR_STRLEN];
	int i, b, err;

	for (i = 0; i < 4; i++) {
		memset(&v, 0, sizeof(v));
		xlb_addr_parse(vips[i], &v.key.addr);
		v.key.port = htons(80);
		v.key.proto = IPPROTO_TCP;
		v.id = i;
		v.flags = i < 2 ? XLB_VIP_F_ENCAP : 0;
		v.table_size = XLB_DEFAULT_TABLE_SIZE;
		v.backends = be[i];
		v.nr_backends = 3;
		for (b = 0; b < 3; b++) {
			snprintf(a, sizeof(a), i % 2 ? "2001:db8:1::%d" : "198.18.1.%d", 11 + b);
			memset(&be[i][b], 0, sizeof(be[i][b]));
			xlb_addr_parse(a, &be[i][b].addr);
			be[i][b].weight = b ? other_weight : first_weight;
			be[i][b].state = XLB_BE_UP;
			be[i][b].id = i * 3 + b;
			be[i][b].mac[5] = b + 1;
		}
		err = xlb_service_apply(u->dp, &v);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Fills the flow table of the program fd with n flows, then deletes them
 * all: an aged table. own: the other build's object, on a table of its own.
 */
static int age(struct dp_under_test *u, int fd, struct bpf_object *own, __u32 n)
{
	struct timing t;
	__u32 done;
	int err;

	for (done = 0; done < n; done += BATCH) {
		err = run(fd, "198.18.100.10", u->next_new, BATCH, false, 0, &t);
		if (err)
			return err;
		u->next_new += BATCH;
	}
	if (own)
		return xlb_flush_flow_map(bpf_map__fd(bpf_object__find_map_by_name(own, "conns")));
	return xlb_dp_flush_flows(u->dp);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), compare_double);
	return s[n / 2];
}

static int run_path(struct dp_under_test *u, struct path *p, int fd, struct timing *t)
{
	int err;

	switch (p->kind) {
	case SAME_FLOW:
		return run(fd, p->vip, 1, BATCH, true, TCP_ACK, t);
	case MANY_HITS:
		return run(fd, p->vip, 2, BATCH, false, TCP_ACK, t);
	case NEW_SYN:
	case NEW_ACK:
		err = run(fd, p->vip, u->next_new, BATCH, false, p->kind == NEW_SYN ? 0 : TCP_ACK, t);
		u->next_new += BATCH;
		return err;
	default:
		return run(fd, NULL, 1, BATCH, false, TCP_ACK, t);
	}
}

static __u64 events_of(struct dp_under_test *u, const struct path *p)
{
	return (p->event < XLB_R_MAX ? count(u->dp, p->event) : 0) +
	       (p->event2 < XLB_R_MAX ? count(u->dp, p->event2) : 0) +
	       (p->event3 && p->event3 < XLB_R_MAX ? count(u->dp, p->event3) : 0);
}

/* One round of one path; warm paths were primed before the first round. */
static int measure(struct dp_under_test *u, struct path *p, int r, const struct timing *fl)
{
	int fd = xlb_dp_prog_fd(u->dp);
	__u64 v0 = count(u->dp, p->reason), e0 = events_of(u, p);
	__u64 verdicts, events, calls = compare_fd >= 0 ? 2 * BATCH : BATCH;
	struct timing t, tb;
	int err = 0;

	/* The other build first in odd rounds: neither always runs on a warmer cache. */
	if (compare_fd >= 0 && r % 2)
		err = run_path(u, p, compare_fd, &tb);
	if (!err)
		err = run_path(u, p, fd, &t);
	if (!err && compare_fd >= 0 && !(r % 2))
		err = run_path(u, p, compare_fd, &tb);
	if (err)
		return err;
	verdicts = count(u->dp, p->reason) - v0;
	events = p->event < XLB_R_MAX ? events_of(u, p) - e0 : verdicts;
	p->checked += calls;
	p->bad += calls - (verdicts < events ? verdicts : events);
	p->kernel[r] = t.kernel;
	p->wall[r] = t.wall;
	p->above[r] = t.kernel - fl->kernel;
	if (compare_fd >= 0)
		p->above_b[r] = tb.kernel - fl->kernel;
	return 0;
}

static int prime(struct dp_under_test *u, struct path *paths, int n)
{
	struct timing t;
	int i, err = 0;

	/* Established the way connections are: each flow opened by a SYN. */
	for (i = 0; i < n && !err; i++)
		if (paths[i].kind == SAME_FLOW || paths[i].kind == MANY_HITS)
			err = run(xlb_dp_prog_fd(u->dp), paths[i].vip,
				  paths[i].kind == SAME_FLOW ? 1 : 2, BATCH,
				  paths[i].kind == SAME_FLOW, 0, &t);
	/* Hits and new flows must never share flow numbers. */
	u->next_new = u->next_new > 2 + BATCH ? u->next_new : 2 + BATCH;
	return err;
}

/*
 * A busy edge's minute, then an operator's change: 1.2 M new flows to each
 * TCP VIP (SYNs, never seen again), then the first backend's weight from
 * 14 to 10 on every VIP (the tables rebuilt and swapped by the library, as
 * xlbd does).
 */
static int churn(struct dp_under_test *u)
{
	static const char *const flooded[] = { "198.18.100.10", "2001:db8:100::10" };
	struct timing t;
	__u32 done;
	size_t i;
	int err = 0;

	/* The other build (--compare) takes the same flood, on its own flow table if it has one. */
	for (i = 0; i < ARRAY_SIZE(flooded) && !err; i++)
		for (done = 0; done < CHURN_FLOOD && !err; done += BATCH) {
			err = run(xlb_dp_prog_fd(u->dp), flooded[i], u->next_new, BATCH, false, 0, &t);
			if (!err && compare_fd >= 0)
				err = run(compare_fd, flooded[i], u->next_new, BATCH, false, 0, &t);
			u->next_new += BATCH;
		}
	first_weight = other_weight;
	err = err ?: setup_vips(u);
	first_weight = 14 * other_weight / 10;
	return err;
}

static int run_table(const char *title, struct dp_under_test *u, struct path *paths, int n,
		     int (*before)(struct dp_under_test *u))
{
	double floor_k[ROUNDS], floor_w[ROUNDS];
	struct timing fl;
	int r, i, err;

	err = prime(u, paths, n);
	if (!err && before)
		err = before(u);
	for (r = 0; r < ROUNDS && !err; r++) {
		err = run(floor_fd, NULL, 1, BATCH, false, TCP_ACK, &fl);
		floor_k[r] = fl.kernel;
		floor_w[r] = fl.wall;
		for (i = 0; i < n && !err; i++)
			err = measure(u, &paths[i], r, &fl);
	}
	if (err)
		return err;
	printf("\n### %s\n\n", title);
	printf("| path | floor (ns) | xlb (ns) | xlb above floor (ns) | wall clock per call, floor / xlb (ns) | runs on that path |%s\n",
	       compare_fd >= 0 ? " other build above floor (ns) | other / xlb |" : "");
	printf("|---|---|---|---|---|---|%s\n", compare_fd >= 0 ? "---|---|" : "");
	for (i = 0; i < n; i++) {
		struct path *p = &paths[i];
		double ratio[ROUNDS];

		printf("| %s | %.0f | %.0f | %.0f | %.0f / %.0f | %llu/%llu%s |", p->name,
		       median(floor_k, ROUNDS), median(p->kernel, ROUNDS),
		       median(p->above, ROUNDS), median(floor_w, ROUNDS),
		       median(p->wall, ROUNDS),
		       (unsigned long long)(p->checked - p->bad),
		       (unsigned long long)p->checked, p->bad ? " (MISMATCH)" : "");
		if (compare_fd >= 0) {
			/* The median of each round's ratio: both saw that round's noise. */
			for (r = 0; r < ROUNDS; r++)
				ratio[r] = p->above[r] > 0 ? p->above_b[r] / p->above[r] : 0;
			printf(" %.0f | %.2f |", median(p->above_b, ROUNDS), median(ratio, ROUNDS));
		}
		printf("\n");
	}
	return 0;
}

#define P(n, v, k, r, e) { .name = n, .vip = v, .kind = k, .reason = r, .event = e, .event2 = XLB_R_MAX }
/* A TCP packet: by the table alone, or (a LOOK slot, after a change) the LRU's e. */
#define PT(n, v, k, e) { .name = n, .vip = v, .kind = k, .reason = XLB_R_TX_FORWARD, \
			 .event = XLB_R_TABLE_HIT, .event2 = e }

#define PTM(n, v, k) { .name = n, .vip = v, .kind = k, .reason = XLB_R_TX_FORWARD, \
		       .event = XLB_R_TABLE_HIT, .event2 = XLB_R_LRU_HIT, .event3 = XLB_R_LRU_MISS }

/* The other build on u's maps; its programs' first is the XDP one. */
static int load_compare(struct dp_under_test *u, const char *path, struct bpf_object **obj)
{
	int err = xlb_dp_load_sibling(u->dp, path, own_flows, obj);

	if (!err)
		compare_fd = bpf_program__fd(bpf_object__next_program(*obj, NULL));
	return err;
}

int main(int argc, char **argv)
{
	struct path fresh[] = {
		PT("IPv4 TCP hit, same flow", "198.18.100.10", SAME_FLOW, XLB_R_LRU_HIT),
		PT("IPv4 TCP hit, 20k established flows", "198.18.100.10", MANY_HITS, XLB_R_LRU_HIT),
		P("IPv4 new flow, SYN", "198.18.100.10", NEW_SYN, XLB_R_TX_FORWARD, XLB_R_MAX),
		PT("IPv4 new flow, non-SYN", "198.18.100.10", NEW_ACK, XLB_R_LRU_MISS),
		PT("IPv6 hit, same flow", "2001:db8:100::10", SAME_FLOW, XLB_R_LRU_HIT),
		PT("IPv6 hit, 20k flows", "2001:db8:100::10", MANY_HITS, XLB_R_LRU_HIT),
		P("IPv6 new flow, SYN", "2001:db8:100::10", NEW_SYN, XLB_R_TX_FORWARD, XLB_R_MAX),
		PT("IPv4 DSR hit, 20k flows", "198.18.100.20", MANY_HITS, XLB_R_LRU_HIT),
		P("IPv4 DSR new flow, SYN", "198.18.100.20", NEW_SYN, XLB_R_TX_FORWARD, XLB_R_MAX),
		P("non-VIP packet (XDP_PASS)", NULL, NOT_VIP, XLB_R_PASS_NOT_VIP, XLB_R_MAX),
	};
	/* After the change a flow on a moved slot is recorded at its first packet: a miss, then hits. */
	struct path churned[] = {
		PTM("IPv4 TCP hit, same flow", "198.18.100.10", SAME_FLOW),
		PTM("IPv4 TCP hit, 20k established flows", "198.18.100.10", MANY_HITS),
		P("IPv4 new flow, SYN", "198.18.100.10", NEW_SYN, XLB_R_TX_FORWARD, XLB_R_MAX),
		PT("IPv4 new flow, non-SYN", "198.18.100.10", NEW_ACK, XLB_R_LRU_MISS),
		PTM("IPv6 hit, same flow", "2001:db8:100::10", SAME_FLOW),
		PTM("IPv6 hit, 20k flows", "2001:db8:100::10", MANY_HITS),
		P("IPv6 new flow, SYN", "2001:db8:100::10", NEW_SYN, XLB_R_TX_FORWARD, XLB_R_MAX),
		P("non-VIP packet (XDP_PASS)", NULL, NOT_VIP, XLB_R_PASS_NOT_VIP, XLB_R_MAX),
	};
	struct path aged[] = {
		P("v4 new SYN", "198.18.100.10", NEW_SYN, XLB_R_TX_FORWARD, XLB_R_MAX),
		PT("v4 new non-SYN", "198.18.100.10", NEW_ACK, XLB_R_LRU_MISS),
		P("v6 new SYN", "2001:db8:100::10", NEW_SYN, XLB_R_TX_FORWARD, XLB_R_MAX),
		PT("20k-flow hits", "198.18.100.10", MANY_HITS, XLB_R_LRU_HIT),
		P("non-VIP pass", NULL, NOT_VIP, XLB_R_PASS_NOT_VIP, XLB_R_MAX),
	};
	struct dp_under_test u;
	struct bpf_object *obj, *other = NULL;
	const char *compare = NULL;
	int err;

	if (argc >= 3 && !strcmp(argv[1], "--compare")) {
		compare = argv[2];
		own_flows = argc == 4 && !strcmp(argv[3], "--own-flows");
	}
	if ((argc != 1 && !compare) || argc > 3 + own_flows) {
		fprintf(stderr, "usage: xdp_bench [--compare OTHER_BUILD/xlb.bpf.o [--own-flows]]\n");
		return 2;
	}

	if (getenv("XDP_BENCH_LRU"))
		lru_opts.lru_entries = strtoul(getenv("XDP_BENCH_LRU"), NULL, 0);
	xlb_log_hook_libbpf();
	xlb_log_set_level(XLB_LOG_WARN);
	obj = bpf_object__open_file("build/bench_swap.bpf.o", NULL);
	if (!obj || bpf_object__load(obj) || setup(&u)) {
		fprintf(stderr, "xdp_bench: couldn't load the programs (root and BPF needed)\n");
		return 1;
	}
	floor_fd = bpf_program__fd(bpf_object__next_program(obj, NULL));
	printf("Medians of %d interleaved rounds of %d packets per path; xlbd's default map sizes (LRU %u entries).\n",
	       ROUNDS, BATCH, lru_opts.lru_entries ?: XLB_DEFAULT_LRU_ENTRIES);
	err = compare ? load_compare(&u, compare, &other) : 0;
	if (!err)
		err = run_table("Fresh table", &u, fresh, ARRAY_SIZE(fresh), NULL);
	bpf_object__close(other);
	other = NULL;
	compare_fd = -1;
	xlb_dp_destroy(u.dp);
	/* A data path of its own: aged by one fill and one emptying. */
	if (!err)
		err = setup(&u);
	if (!err)
		err = age(&u, xlb_dp_prog_fd(u.dp), NULL, AGED_FILL);
	if (!err && compare)
		err = load_compare(&u, compare, &other);
	/* The other build's own table is aged the same way. */
	if (!err && compare && own_flows)
		err = age(&u, compare_fd, other, AGED_FILL);
	if (!err)
		err = run_table("Aged table (540,000 flows in, all deleted once)", &u, aged,
				ARRAY_SIZE(aged), NULL);
	bpf_object__close(other);
	other = NULL;
	compare_fd = -1;
	xlb_dp_destroy(u.dp);
	/* A third: 14:10:10, hit flows opened, a flood, then 10:10:10 (churn). */
	first_weight = 14;
	other_weight = 10;
	if (!err)
		err = setup(&u);
	if (!err && compare)
		err = load_compare(&u, compare, &other);
	if (!err)
		err = run_table("Churned table (flows opened, 1.2 M new flows per VIP, then a weight change 14:10:10 to 10:10:10)",
				&u, churned, ARRAY_SIZE(churned), churn);
	bpf_object__close(other);
	xlb_dp_destroy(u.dp);
	bpf_object__close(obj);
	if (err)
		fprintf(stderr, "xdp_bench: %s\n", strerror(-err));
	return err ? 1 : 0;
}
