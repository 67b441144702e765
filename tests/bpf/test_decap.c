// SPDX-License-Identifier: GPL-2.0
/* The backends' decap program: every tunnel kind round-trips. */
#include "xdp_harness.h"

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
void test_decap_round_trip(struct fixture *f)
{
	static const int vips[] = { V4_TCP_ENCAP, V6_UDP_ENCAP, V4_IN_V6, V6_IN_V4 };
	struct xlb_decap *d = xlb_decap__open_and_load();
	int prog, vlans;
	size_t i;

	if (!ASSERT_TRUE(d != NULL, "decap program loads"))
		return;
	prog = bpf_program__fd(d->progs.xlb_decap);
	for (i = 0; i < ARRAY_SIZE(vips); i++) {
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
