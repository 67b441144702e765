// SPDX-License-Identifier: GPL-2.0
/*
 * Per-packet cost of the XDP program through BPF_PROG_TEST_RUN, path by
 * path, against a program that only swaps MACs and returns XDP_TX (the
 * floor), measured in the same run. Every call runs one fresh copy of its
 * packet (repeat = 1: XDP rewrites its input, so repeating one buffer would
 * measure another path after the first run); packets differ per call, so
 * a "new flow" is new every time; the verdict counters confirm that every
 * run took the path it claims. Prints a Markdown table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "dataplane.h"
#include "log.h"
#include "packet.h"
#include "service.h"

#define FLOWS	20000
#define ROUNDS	3

struct scenario {
	const char *name;
	const char *vip;	/* NULL: not a VIP */
	bool dsr;
	__u32 reason;		/* every run must land here */
	__u32 event;		/* and move this event counter (or XLB_R_MAX) */
	bool warm;		/* flows seen before: LRU hits */
};

static struct xlb_dp *dp;
static int floor_fd;

static void spec_for(const struct scenario *s, __u32 i, struct pkt_spec *p, char *src)
{
	bool v6 = s->vip ? strchr(s->vip, ':') != NULL : false;

	memset(p, 0, sizeof(*p));
	if (v6)
		snprintf(src, XLB_ADDR_STRLEN, "2001:db8:c::%x", 1 + i / 60000);
	else
		snprintf(src, XLB_ADDR_STRLEN, "198.19.%u.%u", (i / 60000) / 250, (i / 60000) % 250 + 1);
	p->src = src;
	p->dst = s->vip ? s->vip : "198.18.7.7";
	p->proto = IPPROTO_TCP;
	p->sport = 1024 + i % 60000;
	p->dport = 80;
	p->df = true;
	p->payload_len = 64;
}

/* Mean ns per packet over FLOWS packets, one call each. */
static double run(int fd, const struct scenario *s, __u32 *bad)
{
	__u8 in[PKT_MAX], out[PKT_MAX + 256];
	char src[XLB_ADDR_STRLEN];
	__u64 total = 0;
	struct pkt_spec p;
	__u32 i;

	*bad = 0;
	for (i = 0; i < FLOWS; i++) {
		size_t len;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out, .data_size_out = sizeof(out),
			    .repeat = 1);

		spec_for(s, i, &p, src);
		len = pkt_build(&p, in, sizeof(in));
		o.data_in = in;
		o.data_size_in = len;
		if (bpf_prog_test_run_opts(fd, &o)) {
			(*bad)++;
			continue;
		}
		total += o.duration;
	}
	return (double)total / FLOWS;
}

static __u64 count(__u32 reason)
{
	struct xlb_counter c = {};

	xlb_dp_reason_stats(dp, reason, &c);
	return c.packets;
}

static int setup(void)
{
	static const char *const vips[] = { "198.18.100.10", "2001:db8:100::10",
					    "198.18.100.20", "2001:db8:100::20" };
	struct xlb_dp_opts opts = { .lru_entries = 1 << 18 };
	struct xlb_config cfg = { .mtu = 1500 };
	struct xlb_backend_spec be[4][3];
	struct xlb_vip_spec v;
	struct bpf_object *obj;
	char a[XLB_ADDR_STRLEN];
	int i, b, err;

	err = xlb_dp_load(&dp, &opts);
	if (err)
		return err;
	inet_pton(AF_INET, "198.18.255.0", &cfg.src4_net);
	cfg.src4_mask = htonl(0xffffff00);
	xlb_addr_parse("2001:db8:ff::", &cfg.src6_net);
	xlb_dp_set_config(dp, &cfg);
	for (i = 0; i < 4; i++) {
		memset(&v, 0, sizeof(v));
		xlb_addr_parse(vips[i], &v.key.addr);
		v.key.port = htons(80);
		v.key.proto = IPPROTO_TCP;
		v.id = i;
		v.flags = i < 2 ? XLB_VIP_F_ENCAP : 0;
		v.table_size = 65537;
		v.backends = be[i];
		v.nr_backends = 3;
		for (b = 0; b < 3; b++) {
			snprintf(a, sizeof(a), i % 2 ? "2001:db8:1::%d" : "198.18.1.%d", 11 + b);
			memset(&be[i][b], 0, sizeof(be[i][b]));
			xlb_addr_parse(a, &be[i][b].addr);
			be[i][b].weight = 1;
			be[i][b].state = XLB_BE_UP;
			be[i][b].id = i * 3 + b;
			be[i][b].mac[5] = b + 1;
		}
		err = xlb_service_apply(dp, &v);
		if (err)
			return err;
	}
	obj = bpf_object__open_file("build/bench_swap.bpf.o", NULL);
	if (!obj || bpf_object__load(obj))
		return -errno;
	floor_fd = bpf_program__fd(bpf_object__next_program(obj, NULL));
	return 0;
}

int main(void)
{
	static const struct scenario scenarios[] = {
		{ "IPv4 encap, new flow", "198.18.100.10", false, XLB_R_TX_FORWARD, XLB_R_LRU_MISS, false },
		{ "IPv4 encap, LRU hit", "198.18.100.10", false, XLB_R_TX_FORWARD, XLB_R_LRU_HIT, true },
		{ "IPv6 encap, new flow", "2001:db8:100::10", false, XLB_R_TX_FORWARD, XLB_R_LRU_MISS, false },
		{ "IPv6 encap, LRU hit", "2001:db8:100::10", false, XLB_R_TX_FORWARD, XLB_R_LRU_HIT, true },
		{ "IPv4 DSR, new flow", "198.18.100.20", true, XLB_R_TX_FORWARD, XLB_R_LRU_MISS, false },
		{ "IPv4 DSR, LRU hit", "198.18.100.20", true, XLB_R_TX_FORWARD, XLB_R_LRU_HIT, true },
		{ "IPv6 DSR, new flow", "2001:db8:100::20", true, XLB_R_TX_FORWARD, XLB_R_LRU_MISS, false },
		{ "IPv6 DSR, LRU hit", "2001:db8:100::20", true, XLB_R_TX_FORWARD, XLB_R_LRU_HIT, true },
		{ "IPv4 not a VIP (XDP_PASS)", NULL, false, XLB_R_PASS_NOT_VIP, XLB_R_MAX, false },
	};
	struct scenario floor_s = { "floor", NULL, false, 0, XLB_R_MAX, false };
	double floor_ns = 1e9, ns;
	__u32 bad, i, r;

	xlb_log_hook_libbpf();
	xlb_log_set_level(XLB_LOG_WARN);
	if (setup()) {
		fprintf(stderr, "xdp_bench: couldn't load the programs (root and BPF needed)\n");
		return 1;
	}
	for (r = 0; r < ROUNDS; r++) {
		ns = run(floor_fd, &floor_s, &bad);
		floor_ns = ns < floor_ns ? ns : floor_ns;
	}
	printf("| path | ns/packet (best of %d x %d packets) | ratio to the floor | runs on that path |\n", ROUNDS, FLOWS);
	printf("|---|---|---|---|\n");
	printf("| floor: swap MACs, XDP_TX | %.1f | 1.00 | %d/%d |\n", floor_ns, FLOWS, FLOWS);
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		double best = 1e9;
		__u64 verdicts = 0, events = 0;

		for (r = 0; r < ROUNDS; r++) {
			__u64 v0 = count(s->reason), e0 = s->event < XLB_R_MAX ? count(s->event) : 0;

			/* New flows must be new: forget the ones of the round before. */
			if (!s->warm) {
				xlb_dp_flush_flows(dp);
			} else if (r == 0) {
				run(xlb_dp_prog_fd(dp), s, &bad);	/* warm the LRU */
				v0 = count(s->reason);
				e0 = s->event < XLB_R_MAX ? count(s->event) : 0;
			}
			ns = run(xlb_dp_prog_fd(dp), s, &bad);
			best = ns < best ? ns : best;
			verdicts = count(s->reason) - v0;
			events = s->event < XLB_R_MAX ? count(s->event) - e0 : verdicts;
		}
		printf("| %s | %.1f | %.2f | %llu/%d%s |\n", s->name, best, best / floor_ns,
		       (unsigned long long)(verdicts < events ? verdicts : events), FLOWS,
		       verdicts == FLOWS && events == FLOWS ? "" : " (MISMATCH)");
	}
	xlb_dp_destroy(dp);
	return 0;
}
