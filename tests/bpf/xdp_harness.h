/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness of the data path's tests (BPF_PROG_TEST_RUN on the running
 * kernel): ASSERT_* checks in the kernel selftests' manner, a fixture that
 * loads a fresh data path with a standard set of VIPs, and helpers that
 * build packets, run them and check every byte that comes out. One file
 * per topic includes it; main.c runs them with cmocka.
 */
#ifndef XLB_TEST_XDP_HARNESS_H
#define XLB_TEST_XDP_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
#include <cmocka.h>

#include "addr.h"
#include "dataplane.h"
#include "log.h"
#include "packet.h"
#include "service.h"
#include "table_state.h"
#include "xlb_hash.h"
#include "xlb_decap.skel.h"

/* TCP flags for pkt_spec.tcp_flags. */
#define TCP_SYN	0x02
#define TCP_ACK	0x10

/*
 * Checks in the kernel selftests' manner (a name for what is checked, and
 * the values), reported through cmocka: the first failed check ends the
 * test, and cmocka's runner counts it. cmocka is the one harness of every
 * C test suite here.
 */
#define ASSERT_TRUE(cond, name) ({					\
	bool ___ok = (cond);						\
	if (!___ok) {							\
		print_error("  %s:%d: '%s' failed\n", __FILE__, __LINE__, name); \
		_fail(__FILE__, __LINE__);				\
	}								\
	___ok;								\
})

#define ASSERT_EQ(actual, expected, name) ({				\
	long long ___a = (long long)(actual), ___e = (long long)(expected); \
	bool ___ok = ___a == ___e;					\
	if (!___ok) {							\
		print_error("  %s:%d: '%s': got %lld, want %lld\n",	\
			    __FILE__, __LINE__, name, ___a, ___e);	\
		_fail(__FILE__, __LINE__);				\
	}								\
	___ok;								\
})

#define ASSERT_MEMEQ(actual, expected, len, name) ({			\
	bool ___ok = !memcmp((actual), (expected), (len));		\
	if (!___ok) {							\
		print_error("  %s:%d: '%s': bytes differ\n",		\
			    __FILE__, __LINE__, name);			\
		dump_diff((const __u8 *)(actual), (const __u8 *)(expected), (len)); \
		_fail(__FILE__, __LINE__);				\
	}								\
	___ok;								\
})

/* ---- fixture: a loaded data path with a standard set of VIPs ---------- */

#define NR_VIPS		10

#define BE_PER_VIP	3

#define TABLE_SIZE	65537

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

struct fixture {
	struct xlb_dp *dp;
	int prog_fd;
	struct xlb_settings cfg;
	struct xlb_vip_spec vips[NR_VIPS];
	struct xlb_backend_spec bes[NR_VIPS * BE_PER_VIP];
	bool batched;		/* set_state writes as xlbd's batches do */
};

struct run {
	__u32 retval;
	__u32 out_len;
	__u8 out[PKT_MAX + 256];
};

extern const __u8 nexthop_mac[6];
extern const struct vip_def vip_defs[NR_VIPS];

void dump_diff(const __u8 *a, const __u8 *e, size_t len);
int fixture_setup(struct fixture *f, const struct xlb_dp_opts *opts);
void fixture_teardown(struct fixture *f);
int run_prog(struct fixture *f, const __u8 *in, size_t len, struct run *r);
/* Packet from a client to a VIP of the fixture. */
struct pkt_spec to_vip(int vip, int client, __u16 sport);
void flow_of(const struct pkt_spec *s, struct xlb_flow *flow);
/* The backend userspace says a new flow gets: table[hash % M]. */
const struct xlb_backend_spec *maglev_answer(struct fixture *f, int vip,
						    const struct xlb_flow *flow);
/* The backend a forwarded packet went to, read back from its headers. */
const struct xlb_backend_spec *backend_of(struct fixture *f, int vip,
						 const struct run *r);
/* The input's IP packet as it should leave: TTL down by one, checksum fixed. */
void expected_inner(const __u8 *in, size_t in_len, __u8 *out);
void check_encap(struct fixture *f, const __u8 *in, size_t in_len,
			const struct run *r, const struct xlb_backend_spec *be,
			const struct xlb_flow *flow);
void check_dsr(const __u8 *in, size_t in_len, const struct run *r,
		      const struct xlb_backend_spec *be);
/* Sends one packet to a VIP and checks it reached the Maglev answer intact. */
const struct xlb_backend_spec *send_and_check(struct fixture *f, int vip, const struct pkt_spec *s);
__u64 reason_count(struct fixture *f, __u32 reason);
bool all_vips_forward(struct fixture *f, int client, __u16 port);
/* Runs a packet that must come out as it went in, with the given verdict. */
void expect_untouched(struct fixture *f, const __u8 *in, size_t len,
			     __u32 verdict, __u32 reason, const char *what);

/* An ICMP error from a router on the return path, quoting the VIP's reply. */
size_t build_icmp_error_to(const struct pkt_spec *flow, const char *outer_dst,
				  __u8 *buf, __u8 type, __u8 code, __u32 word);
size_t build_icmp_error(const struct pkt_spec *flow, __u8 *buf,
			       __u8 type, __u8 code, __u32 word);
/* Rewrites an IPv6 frame's destination to the IPv4-mapped form of v4. */
void set_mapped_dst(__u8 *frame, const char *v4);
/*
 * Inserts n 8-byte destination-options headers between the IPv6 header and
 * its payload.
 */
size_t add_ext_headers(__u8 *frame, size_t len, int n);

__u32 backend_id_for(struct fixture *f, int vip, const struct pkt_spec *s,
			    struct run *r);

/* The program's map of that name, by its id: an fd of the caller's own; -1 if none. */
int prog_map_fd(int prog_fd, const char *name);

/* Points every slot of a VIP's table at one backend, as a change would (the old table kept). */
int force_table(struct fixture *f, int vip, __u32 id);

void set_state(struct fixture *f, int vip, __u32 be_idx, __u8 state,
		      __u32 weight);

/* Finds a client whose flow lands on backend index want; -1 if none. */
int client_for_backend(struct fixture *f, int vip, __u32 want_id);

/* The tests, one file per topic. */
void test_forward_each_mode_and_family(struct fixture *f);
void test_ipv4_options_and_vlans(struct fixture *f);
void test_not_for_a_vip_passes_untouched(struct fixture *f);
void test_sticky_when_table_changes(struct fixture *f);
void test_drain_keeps_flows_takes_no_new(struct fixture *f);
void test_drained_flow_survives_lru_loss(struct fixture *f);
void test_down_loses_flows(struct fixture *f);
void test_udp_entries_expire(struct fixture *f);
void test_hash_seed_set_by_the_loader(struct fixture *f);
void test_icmp_errors_follow_their_flow(struct fixture *f);
void test_echo_requests_answered(struct fixture *f);
void test_too_big_answered(struct fixture *f);
void test_truncated_packets(struct fixture *f);
void test_malformed_headers(struct fixture *f);
void test_fragments_to_vips_dropped(struct fixture *f);
void test_ttl_expiry_and_no_backend(struct fixture *f);
void test_source_port_left_out(struct fixture *f);
void test_counters_exact(struct fixture *f);
void test_decap_round_trip(struct fixture *f);
void test_icmp_error_to_other_address_passes(struct fixture *f);
void test_mapped_ipv6_is_not_ipv4(struct fixture *f);
void test_icmp_quote_bounded_by_ip_length(struct fixture *f);
void test_trailing_bytes_not_tunnelled(struct fixture *f);
void test_ipv6_extension_header_chain(struct fixture *f);
void test_unmoved_slots_keep_no_flow_state(struct fixture *f);
void test_weight_change_keeps_flows(struct fixture *f);
void test_first_packet_not_syn_survives_drain(struct fixture *f);
void test_busy_minute_then_weight_change(struct fixture *f);
void test_change_moving_many_flows_holds_all(struct fixture *f);
void test_hash_change_keeps_flows(struct fixture *f);
void test_old_table_goes_after_idle_time(struct fixture *f);
void test_old_table_kept_across_restart(struct fixture *f);
void test_older_build_table_adopted(struct fixture *f);
void test_every_churn_state_then_drain(struct fixture *f);
void test_every_churn_state_then_drain_batched(struct fixture *f);
void test_table_read_back_is_live(struct fixture *f);
void test_unchanged_apply_keeps_the_live_table(struct fixture *f);
void test_vip_filter_passes_others_hides_no_vip(struct fixture *f);
void test_vip_index_kept_true(struct fixture *f);
void test_vip_index_unsure_asks_the_vip_map(struct fixture *f);
void test_vip_index_unwritable_refuses_vip_writes(struct fixture *f);
void test_memo_sends_a_flows_next_packets(struct fixture *f);
void test_memo_never_outlives_a_change(struct fixture *f);
void test_memo_only_without_look(struct fixture *f);
void test_memo_and_index_adopted_by_a_restart(struct fixture *f);
void test_syn_repeats_count_once(struct fixture *f);
void test_syn_repeats_count_once_after_a_change(struct fixture *f);
void test_syn_repeats_what_is_kept_and_missed(struct fixture *f);
/* The packet fuzzer, a test of its own: count packets from seed. */
extern __u64 fuzz_count, fuzz_seed;
void test_fuzz_xdp(struct fixture *f);

#endif /* XLB_TEST_XDP_HARNESS_H */
