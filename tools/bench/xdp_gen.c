// SPDX-License-Identifier: GPL-2.0
/*
 * xdp-gen: sends UDP frames out of an interface at line rate of one core,
 * with BPF_PROG_TEST_RUN in live-frame mode (the kernel's own packet
 * generator path, as xdp-trafficgen uses it; Debian's xdp-trafficgen 1.3.1
 * does not load on this kernel). Bounded in packets; pinned to one CPU.
 *
 *   xdp-gen --dev IF --dst-mac MAC --src ADDR --dst ADDR --dport PORT
 *           [--flows N] [--count N] [--cpu N] [--one-batch]
 *
 * Prints "sent N packets in S s: R packets/s".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "packet.h"

#define MAX_COUNT	100000000u
/*
 * Packets per test run. On this kernel, of a run's frames sent through a
 * veth to a peer that hands them to the stack, only the first batch of 64
 * arrives (the peer's own XDP sees them all). --one-batch sends one batch
 * per run, so that every frame counts; each run sets up a page pool,
 * which makes the generator itself about 20 times dearer per frame.
 */
#define CHUNK		1000000u
#define BATCH		64u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "Usage: xdp-gen --dev IF --dst-mac MAC --src ADDR --dst ADDR --dport PORT [--flows N] [--count N] [--cpu N] [--one-batch]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' }, { "dst-mac", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' }, { "dst", required_argument, NULL, 'a' },
		{ "dport", required_argument, NULL, 'p' }, { "flows", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' }, { "cpu", required_argument, NULL, 'c' },
		{ "one-batch", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *src = NULL, *dst = NULL;
	unsigned long flows = 1, count = 1000000, cpu = 0, dport = 0, done = 0, chunk = CHUNK;
	struct pkt_spec spec = { .proto = IPPROTO_UDP, .payload_len = 18 };
	__u8 pkt[PKT_MAX], mac[6];
	struct bpf_object *obj;
	struct bpf_program *prog;
	cpu_set_t set;
	double t0, t;
	size_t len;
	int c, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'm': if (xlb_mac_parse(optarg, mac)) usage(); break;
		case 's': src = optarg; break;
		case 'a': dst = optarg; break;
		case 'p': dport = strtoul(optarg, NULL, 0); break;
		case 'f': flows = strtoul(optarg, NULL, 0); break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'c': cpu = strtoul(optarg, NULL, 0); break;
		case 'o': chunk = BATCH; break;
		default: usage();
		}
	}
	if (!dev || !src || !dst || !dport || dport > 65535 || !flows || flows > 64511 ||
	    !count || count > MAX_COUNT)
		usage();
	spec.src = src;
	spec.dst = dst;
	spec.sport = 1024;
	spec.dport = dport;
	len = pkt_build(&spec, pkt, sizeof(pkt));
	if (!len || strchr(src, ':')) {
		fprintf(stderr, "xdp-gen: IPv4 source and destination expected\n");
		return 2;
	}
	memcpy(pkt, mac, 6);

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "xdp-gen: couldn't pin to CPU %lu: %s\n", cpu, strerror(errno));

	obj = bpf_object__open_file("build/bench_gen.bpf.o", NULL);
	if (!obj) {
		fprintf(stderr, "xdp-gen: couldn't open build/bench_gen.bpf.o\n");
		return 1;
	}
	{
		struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
		struct { __u32 ifindex, nr_flows; __u8 head[42]; } __attribute__((packed)) ro = {
			.ifindex = if_nametoindex(dev), .nr_flows = (__u32)flows,
		};

		memcpy(ro.head, pkt, sizeof(ro.head));
		if (!ro.ifindex || !rodata || bpf_map__set_initial_value(rodata, &ro, sizeof(ro))) {
			fprintf(stderr, "xdp-gen: couldn't find interface '%s'\n", dev);
			return 1;
		}
	}
	prog = bpf_object__find_program_by_name(obj, "gen");
	if (bpf_object__load(obj)) {
		fprintf(stderr, "xdp-gen: couldn't load the generator: %s\n", strerror(errno));
		return 1;
	}
	fd = bpf_program__fd(prog);
	t0 = now_s();
	while (done < count) {
		__u32 n = count - done > chunk ? chunk : count - done;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
			    .repeat = n, .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = BATCH);

		if (bpf_prog_test_run_opts(fd, &o)) {
			fprintf(stderr, "xdp-gen: couldn't send: %s\n", strerror(errno));
			return 1;
		}
		done += n;
	}
	t = now_s() - t0;
	printf("sent %lu packets in %.3f s: %.0f packets/s\n", done, t, done / t);
	bpf_object__close(obj);
	return 0;
}
