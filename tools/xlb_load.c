// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-load: a small loader for tests and the testbed, without xlbd. It loads
 * the data path, attaches it, writes VIPs and backends given on the command
 * line, pins maps and link under a directory and exits; forwarding goes on.
 * It also attaches other XDP objects (the decap program on backends, the
 * pass program on veth peers) and prints the pinned counters.
 *
 *   xlb-load attach --dev IF --pin DIR [settings] --vip ... --backend ... ...
 *   xlb-load stats --pin DIR
 *   xlb-load xdp --dev IF --obj FILE [--mode native|generic]
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "config.h"
#include "dataplane.h"
#include "health.h"
#include "log.h"
#include "service.h"

#define MAX_SPEC_VIPS		16
#define MAX_SPEC_BACKENDS	256

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xlb-load attach --dev IF --pin DIR [--mode native|generic]\n"
		"         [--nexthop MAC] [--src4 ADDR/LEN] [--src6 ADDR/LEN] [--mtu N]\n"
		"         [--udp-idle-ms N]\n"
		"         --vip ADDR PORT tcp|udp encap|dsr [table=N] [nosport] [noecho]\n"
		"         --backend ADDR [weight=N] [mac=MAC] [state=up|drain|down] ...\n"
		"       xlb-load stats --pin DIR\n"
		"       xlb-load xdp --dev IF --obj FILE [--mode native|generic]\n");
}

struct load_args {
	const char *dev, *pin, *mode;
	struct xlb_settings cfg;
	struct xlb_dp_opts opts;
	struct xlb_vip_spec vips[MAX_SPEC_VIPS];
	struct xlb_backend_spec backends[MAX_SPEC_BACKENDS];
	size_t nr_vips, nr_backends;
};

static int bad(const char *what, const char *value)
{
	fprintf(stderr, "xlb-load: invalid %s '%s'\n", what, value ? value : "");
	return -EINVAL;
}

static int parse_src_prefix(const char *s, struct xlb_settings *cfg, int want_v4)
{
	union xlb_addr a;
	int len;

	if (xlb_prefix_parse(s, &a, &len) || xlb_addr_is_v4(&a) != want_v4)
		return bad(want_v4 ? "IPv4 source prefix" : "IPv6 source prefix", s);
	if (want_v4) {
		cfg->src4_net = a.w[3];
		cfg->src4_mask = len ? htonl(~0u << (32 - len)) : 0;
	} else {
		if (len < 96)
			return bad("IPv6 source prefix (must be /96 or longer)", s);
		cfg->src6_net = a;
		cfg->src6_mask = len - 96 ? htonl(~0u << (128 - len)) : 0;
	}
	return 0;
}

static int parse_vip(char **argv, int argc, int *i, struct load_args *a)
{
	struct xlb_vip_spec *v;
	__u32 port;

	if (a->nr_vips == MAX_SPEC_VIPS)
		return bad("VIP count", "too many");
	if (*i + 4 >= argc)
		return bad("--vip", "needs ADDR PORT PROTO MODE");
	v = &a->vips[a->nr_vips];
	memset(v, 0, sizeof(*v));
	v->id = a->nr_vips;
	v->table_size = XLB_DEFAULT_TABLE_SIZE;
	v->echo_reply = true;
	v->backends = &a->backends[a->nr_backends];
	if (xlb_addr_parse(argv[++*i], &v->key.addr))
		return bad("VIP address", argv[*i]);
	if (xlb_parse_u32(argv[++*i], 65535, &port))
		return bad("VIP port", argv[*i]);
	v->key.port = htons(port);
	++*i;
	if (!strcmp(argv[*i], "tcp"))
		v->key.proto = IPPROTO_TCP;
	else if (!strcmp(argv[*i], "udp"))
		v->key.proto = IPPROTO_UDP;
	else
		return bad("VIP protocol (tcp or udp)", argv[*i]);
	++*i;
	if (!strcmp(argv[*i], "encap"))
		v->flags |= XLB_VIP_F_ENCAP;
	else if (strcmp(argv[*i], "dsr"))
		return bad("forwarding mode (encap or dsr)", argv[*i]);
	while (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2)) {
		const char *opt = argv[++*i];

		if (!strncmp(opt, "table=", 6)) {
			if (xlb_parse_u32(opt + 6, XLB_MAX_TABLE_SIZE, &v->table_size))
				return bad("table size", opt + 6);
		} else if (!strcmp(opt, "nosport")) {
			v->flags |= XLB_VIP_F_HASH_NO_SPORT;
		} else if (!strcmp(opt, "noecho")) {
			v->echo_reply = false;
		} else {
			return bad("VIP option", opt);
		}
	}
	a->nr_vips++;
	return 0;
}

static int parse_backend(char **argv, int argc, int *i, struct load_args *a)
{
	struct xlb_backend_spec *b;

	if (!a->nr_vips)
		return bad("--backend", "comes after the --vip it belongs to");
	if (a->nr_backends == MAX_SPEC_BACKENDS || *i + 1 >= argc)
		return bad("--backend", *i + 1 < argc ? "too many" : "needs ADDR");
	b = &a->backends[a->nr_backends];
	memset(b, 0, sizeof(*b));
	b->weight = 1;
	b->state = XLB_BE_UP;
	b->id = a->nr_backends;
	if (xlb_addr_parse(argv[++*i], &b->addr))
		return bad("backend address", argv[*i]);
	while (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2)) {
		const char *opt = argv[++*i];

		if (!strncmp(opt, "weight=", 7)) {
			if (xlb_weight_parse(opt + 7, &b->weight))
				return bad("weight", opt + 7);
		} else if (!strncmp(opt, "mac=", 4)) {
			if (xlb_mac_parse(opt + 4, b->mac))
				return bad("MAC", opt + 4);
		} else if (!strcmp(opt, "state=up")) {
			b->state = XLB_BE_UP;
		} else if (!strcmp(opt, "state=drain")) {
			b->state = XLB_BE_DRAINING;
		} else if (!strcmp(opt, "state=down")) {
			b->state = XLB_BE_DOWN;
		} else {
			return bad("backend option", opt);
		}
	}
	/* The plan's rule (weight 0 drains), as xlbd decides it. */
	b->state = xlb_asked_state(b->state, b->weight);
	a->nr_backends++;
	a->vips[a->nr_vips - 1].nr_backends++;
	return 0;
}

/* attach's options, for getopt_long; --vip and --backend take more words after. */
enum { OPT_VIP = 256, OPT_BACKEND, OPT_DEV, OPT_PIN, OPT_MODE, OPT_NEXTHOP, OPT_SRC4,
       OPT_SRC6, OPT_MTU, OPT_UDP_IDLE };

static const struct option attach_opts[] = {
	{ "vip", required_argument, NULL, OPT_VIP },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "nexthop", required_argument, NULL, OPT_NEXTHOP },
	{ "src4", required_argument, NULL, OPT_SRC4 },
	{ "src6", required_argument, NULL, OPT_SRC6 },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "udp-idle-ms", required_argument, NULL, OPT_UDP_IDLE },
	{}
};

/*
 * --vip ADDR PORT PROTO MODE [opts] and --backend ADDR [opts]: getopt has
 * consumed ADDR; the words after it, up to the next option, are theirs.
 */
static int parse_multi(int c, int argc, char **argv, struct load_args *a)
{
	int i = optind - 2, err;

	if (i < 1 || argv[i + 1] != optarg)
		return bad(c == OPT_VIP ? "--vip" : "--backend", "give its words apart: --vip ADDR PORT ...");
	err = c == OPT_VIP ? parse_vip(argv, argc, &i, a) : parse_backend(argv, argc, &i, a);
	optind = i + 1;
	return err;
}

static int parse_attach(int argc, char **argv, struct load_args *a)
{
	int c, err = 0;
	__u32 n;

	a->cfg.mtu = XLB_DEFAULT_MTU;
	opterr = 0;
	optind = 1;
	/* '+': stop at the first word that is not an option, never reorder. */
	while (!err && (c = getopt_long(argc, argv, "+", attach_opts, NULL)) != -1) {
		const char *val = optarg;

		switch (c) {
		case OPT_VIP:
		case OPT_BACKEND:
			err = parse_multi(c, argc, argv, a);
			break;
		case OPT_DEV:
			a->dev = val;
			break;
		case OPT_PIN:
			a->pin = val;
			break;
		case OPT_MODE:
			a->mode = val;
			break;
		case OPT_NEXTHOP:
			err = xlb_mac_parse(val, a->cfg.nexthop_mac) ? bad("MAC", val) : 0;
			break;
		case OPT_SRC4:
			err = parse_src_prefix(val, &a->cfg, 1);
			break;
		case OPT_SRC6:
			err = parse_src_prefix(val, &a->cfg, 0);
			break;
		case OPT_MTU:
			err = xlb_parse_u32(val, 9216, &n) || n < 1280 ?
				bad("MTU (1280..9216)", val) : (a->cfg.mtu = n, 0);
			break;
		case OPT_UDP_IDLE:
			err = xlb_parse_u32(val, 86400000, &a->opts.udp_idle_ms) ?
				bad("UDP idle time", val) : 0;
			break;
		default:
			return bad("option (unknown, or without its value)", argv[optind - 1]);
		}
	}
	if (!err && optind != argc)
		return bad("argument", argv[optind]);
	if (!err && (!a->dev || !a->pin))
		return bad("arguments", "--dev and --pin are required");
	return err;
}

static int cmd_attach(int argc, char **argv)
{
	static struct load_args a;
	struct xlb_dp *dp = NULL;
	size_t i;
	int err;

	if (parse_attach(argc, argv, &a)) {
		usage(stderr);
		return 2;
	}
	err = xlb_dp_load(&dp, &a.opts);
	if (!err)
		err = xlb_dp_set_settings(dp, &a.cfg);
	for (i = 0; i < a.nr_vips && !err; i++)
		err = xlb_service_apply(dp, &a.vips[i]);
	if (!err)
		err = xlb_dp_attach(dp, a.dev, a.mode);
	if (!err)
		err = xlb_dp_pin(dp, a.pin);
	xlb_dp_destroy(dp);
	return err ? 1 : 0;
}

static int cmd_stats(int argc, char **argv)
{
	struct xlb_dp *dp;
	char buf[XLB_ADDR_STRLEN];
	__u32 id;

	if (argc != 3 || strcmp(argv[1], "--pin")) {
		usage(stderr);
		return 2;
	}
	if (xlb_dp_open_pinned(&dp, argv[2]))
		return 1;
	for (id = 0; id < XLB_R_MAX; id++) {
		struct xlb_counter c;

		if (!xlb_dp_reason_stats(dp, id, &c))
			printf("reason\t%s\t%llu\t%llu\n", xlb_reason_name(id),
			       (unsigned long long)c.packets, (unsigned long long)c.bytes);
	}
	for (id = 0; id < xlb_dp_max_backends(dp); id++) {
		struct xlb_backend_stats s;
		struct xlb_backend be;

		if (xlb_dp_get_backend(dp, id, &be) || be.state == XLB_BE_UNUSED)
			continue;
		if (xlb_dp_backend_stats(dp, id, &s))
			continue;
		printf("backend\t%u\t%s\t%llu\t%llu\t%llu\n", id,
		       xlb_addr_str(&be.addr, buf, sizeof(buf)),
		       (unsigned long long)s.packets, (unsigned long long)s.bytes,
		       (unsigned long long)s.new_flows);
	}
	xlb_dp_destroy(dp);
	return 0;
}

/* Attaches the first program of an object file (decap, pass) by netlink. */
static int cmd_xdp(int argc, char **argv)
{
	const char *dev = NULL, *file = NULL, *mode = "native";
	struct bpf_object *obj;
	struct bpf_program *prog;
	unsigned int ifindex;
	__u32 flags;
	int i, err;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dev"))
			dev = argv[i + 1];
		else if (!strcmp(argv[i], "--obj"))
			file = argv[i + 1];
		else if (!strcmp(argv[i], "--mode"))
			mode = argv[i + 1];
		else
			break;
	}
	if (i != argc || !dev || !file) {
		usage(stderr);
		return 2;
	}
	flags = !strcmp(mode, "generic") ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		pr_err("Couldn't find interface '%s': %s\n", dev, strerror(errno));
		return 1;
	}
	obj = bpf_object__open_file(file, NULL);
	if (!obj || bpf_object__load(obj)) {
		pr_err("Couldn't load BPF object '%s': %s\n", file, strerror(errno));
		bpf_object__close(obj);
		return 1;
	}
	prog = bpf_object__next_program(obj, NULL);
	err = prog ? bpf_xdp_attach(ifindex, bpf_program__fd(prog), flags, NULL) : -ENOENT;
	if (err)
		pr_err("Couldn't attach '%s' to '%s': %s\n", file, dev, strerror(-err));
	/* Netlink attachments outlive the process; the object can go. */
	bpf_object__close(obj);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	xlb_log_hook_libbpf();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "xdp"))
		return cmd_xdp(argc - 1, argv + 1);
	fprintf(stderr, "xlb-load: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
