// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-loadgen: sends many flows at a VIP from a raw AF_PACKET socket in
 * batches (sendmmsg), bounded in packets and in time, and reports how xlb
 * spread the new flows over the backends against their weights (asking
 * xlbd over its control socket when one is given).
 *
 *   xlb-loadgen --dev IF --dst-mac MAC --dst ADDR --dport PORT
 *               [--proto tcp|udp] [--flows N] [--sources N] [--count N]
 *               [--rate PPS] [--duration SECONDS] [--offset N]
 *               [--socket PATH --vip NAME]
 *
 * Flow f comes from source address f mod sources (198.19.0.0/16, or
 * 2001:db8:c::/64 for an IPv6 VIP) and source port 1024 + f / sources;
 * packet i belongs to flow offset + i mod flows, so runs with different
 * offsets send different flows. TCP packets are SYNs.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <jansson.h>

#include "addr.h"
#include "ctl.h"
#include "ipc.h"
#include "packet.h"
#include "xlb_protocol.h"

#define BATCH		64
#define MAX_SECONDS	600
#define MAX_COUNT	100000000u

/* ipc.c belongs to xlbctl; these are what it needs of it. */
const char *prog_name = "xlb-loadgen";
bool json_output;

struct args {
	const char *dev, *dst, *socket, *vip;
	__u8 dst_mac[6];
	bool have_mac, udp;
	__u32 dport, flows, sources, count, rate, duration, offset;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The options, in the manner of xdp-tools: one table says each option's
 * name, its value's name and its help; usage and getopt_long read it.
 */
static const struct opt {
	const char *name, *metavar, *help;
} opts[] = {
	{ "dev", "IF", "interface to send from (required)" },
	{ "dst-mac", "MAC", "next hop's MAC: xlb's interface (required)" },
	{ "dst", "ADDR", "the VIP (required)" },
	{ "dport", "PORT", "the VIP's port (required)" },
	{ "proto", "tcp|udp", "TCP SYNs or UDP datagrams (tcp)" },
	{ "flows", "N", "distinct flows, 1..16777216 (1000)" },
	{ "sources", "N", "source addresses they come from, 1..60000 (64)" },
	{ "count", "N", "packets at most (100000)" },
	{ "rate", "PPS", "packets a second at most; 0: as fast as it goes (0)" },
	{ "duration", "SECONDS", "time at most (10)" },
	{ "offset", "N", "number the flows from N: new flows again (0)" },
	{ "socket", "PATH", "xlbd's control socket: report the spread afterwards" },
	{ "vip", "NAME", "the VIP's name, with --socket" },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "Usage: xlb-loadgen --dev IF --dst-mac MAC --dst ADDR --dport PORT [options]\n\n");
	for (i = 0; i < ARRAY_SIZE(opts); i++)
		fprintf(stderr, "  --%-9s %-8s %s\n", opts[i].name, opts[i].metavar, opts[i].help);
}

/* One option's value into a; nonzero when it is not valid. */
static int parse_opt(int idx, const char *v, struct args *a)
{
	switch (idx) {
	case 0: a->dev = v; return 0;
	case 1: a->have_mac = true; return xlb_mac_parse(v, a->dst_mac);
	case 2: a->dst = v; return 0;
	case 3: return xlb_parse_u32(v, 65535, &a->dport);
	case 4: a->udp = !strcmp(v, "udp"); return strcmp(v, "tcp") && strcmp(v, "udp");
	case 5: return xlb_parse_u32(v, 1u << 24, &a->flows) || !a->flows;
	case 6: return xlb_parse_u32(v, 60000, &a->sources) || !a->sources;
	case 7: return xlb_parse_u32(v, MAX_COUNT, &a->count);
	case 8: return xlb_parse_u32(v, 100000000, &a->rate);
	case 9: return xlb_parse_u32(v, MAX_SECONDS, &a->duration) || !a->duration;
	case 10: return xlb_parse_u32(v, 1u << 30, &a->offset);
	case 11: a->socket = v; return 0;
	case 12: a->vip = v; return 0;
	}
	return 1;
}

static int parse(int argc, char **argv, struct args *a)
{
	struct option longopts[ARRAY_SIZE(opts) + 1] = {};
	size_t i;
	int c;

	*a = (struct args){ .flows = 1000, .sources = 64, .count = 100000, .duration = 10 };
	for (i = 0; i < ARRAY_SIZE(opts); i++)
		longopts[i] = (struct option){ opts[i].name, required_argument, NULL, (int)i };
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			fprintf(stderr, "xlb-loadgen: unknown option or missing value: '%s'\n",
				argv[optind - 1]);
			usage();
			return -EINVAL;
		}
		if (parse_opt(c, optarg, a)) {
			fprintf(stderr, "xlb-loadgen: invalid --%s '%s'\n", opts[c].name, optarg);
			return -EINVAL;
		}
	}
	if (optind != argc || !a->dev || !a->dst || !a->have_mac || !a->dport) {
		usage();
		return -EINVAL;
	}
	return 0;
}

/* Frames for every flow, built once; sending is then copying pointers. */
static __u8 *build_frames(const struct args *a, const __u8 src_mac[6], size_t *frame_len)
{
	bool v6 = strchr(a->dst, ':') != NULL;
	char src[XLB_ADDR_STRLEN];
	__u8 *frames = NULL, buf[PKT_MAX];
	struct pkt_spec p = {
		.dst = a->dst, .proto = a->udp ? IPPROTO_UDP : IPPROTO_TCP,
		.dport = a->dport, .df = true, .payload_len = a->udp ? 18 : 0,
	};
	__u32 f;
	size_t len = 0;

	for (f = 0; f < a->flows; f++) {
		__u32 g = f + a->offset, s = g % a->sources;

		if (v6)
			snprintf(src, sizeof(src), "2001:db8:c::%x:%x", s >> 16, (s & 0xffff) + 1);
		else
			snprintf(src, sizeof(src), "198.19.%u.%u", s / 250, s % 250 + 1);
		p.src = src;
		p.sport = 1024 + (g / a->sources) % 64000;
		len = pkt_build(&p, buf, sizeof(buf));
		if (!len)
			return NULL;
		if (!frames) {
			frames = malloc((size_t)a->flows * len);
			if (!frames)
				return NULL;
		}
		memcpy(buf, a->dst_mac, 6);
		memcpy(buf + 6, src_mac, 6);
		memcpy(frames + (size_t)f * len, buf, len);
	}
	*frame_len = len;
	return frames;
}

static json_t *backends_of(const char *vip)
{
	json_t *list, *v, *out = NULL;
	size_t i;
	int rc;

	list = ctl_call(XLB_CMD(LIST), NULL, &rc);
	json_array_foreach(list, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "name")), vip))
			out = json_incref(json_object_get(v, "backends"));
	json_decref(list);
	return out;
}

static void report(json_t *before, json_t *after)
{
	json_t *b, *a;
	double total = 0;
	size_t i;

	json_array_foreach(after, i, a) {
		b = json_array_get(before, i);
		total += json_integer_value(json_object_get(a, "new_flows")) -
			 json_integer_value(json_object_get(b, "new_flows"));
	}
	printf("%-24s %7s %10s %9s %9s\n", "backend", "weight", "new_flows", "observed", "expected");
	json_array_foreach(after, i, a) {
		double n;

		b = json_array_get(before, i);
		n = json_integer_value(json_object_get(a, "new_flows")) -
		    json_integer_value(json_object_get(b, "new_flows"));
		printf("%-24s %7lld %10.0f %8.1f%% %8.1f%%\n",
		       json_string_value(json_object_get(a, "address")),
		       (long long)json_integer_value(json_object_get(a, "weight")), n,
		       total ? 100 * n / total : 0.0,
		       100 * json_real_value(json_object_get(a, "expected_share")));
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct ifreq ifr = {};
	json_t *before = NULL, *after;
	struct args a;
	size_t frame_len, i;
	__u64 sent = 0, failed = 0;
	double start, elapsed, deadline;
	__u8 *frames;
	int fd, n;

	if (parse(argc, argv, &a))
		return 2;
	if (a.socket)
		setenv("XLB_SOCKET", a.socket, 1);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "Couldn't open a packet socket: %s (root needed)\n", strerror(errno));
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", a.dev);
	sll.sll_ifindex = if_nametoindex(a.dev);
	if (!sll.sll_ifindex || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, "Couldn't find interface '%s'\n", a.dev);
		return 1;
	}
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, a.dst_mac, 6);
	frames = build_frames(&a, (__u8 *)ifr.ifr_hwaddr.sa_data, &frame_len);
	if (!frames) {
		fprintf(stderr, "Couldn't build packets for '%s'\n", a.dst);
		return 1;
	}
	if (a.vip && a.socket)
		before = backends_of(a.vip);

	memset(msgs, 0, sizeof(msgs));
	start = now_s();
	deadline = start + a.duration;
	while (sent + failed < a.count && now_s() < deadline) {
		size_t batch = a.count - sent - failed < BATCH ? a.count - sent - failed : BATCH;

		for (i = 0; i < batch; i++) {
			__u64 k = sent + failed + i;

			iov[i].iov_base = frames + (k % a.flows) * frame_len;
			iov[i].iov_len = frame_len;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &sll;
			msgs[i].msg_hdr.msg_namelen = sizeof(sll);
		}
		n = sendmmsg(fd, msgs, batch, 0);
		if (n < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				fprintf(stderr, "sendmmsg: %s\n", strerror(errno));
				break;
			}
			failed += batch;
			continue;
		}
		sent += n;
		/* Paced: do not get ahead of rate x elapsed. */
		while (a.rate && sent > (now_s() - start) * a.rate && now_s() < deadline)
			;
	}
	elapsed = now_s() - start;
	printf("sent %llu packets of %zu bytes in %.2f s: %.0f packets/s, %u flows from %u sources%s\n",
	       (unsigned long long)sent, frame_len, elapsed, sent / elapsed, a.flows, a.sources,
	       failed ? " (some batches refused by the device)" : "");
	if (before) {
		usleep(200 * 1000);
		after = backends_of(a.vip);
		if (after)
			report(before, after);
		json_decref(after);
		json_decref(before);
	}
	free(frames);
	close(fd);
	return 0;
}
