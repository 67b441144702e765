// SPDX-License-Identifier: GPL-2.0
/*
 * test_xdp: runs each topic's tests with a fresh fixture, or the packet
 * fuzzer; prints PASS/FAIL/SKIPPED lines and "bpf: N passed, ...".
 */
#include "xdp_harness.h"

struct test {
	const char *name;
	void (*fn)(struct fixture *f);
};


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
	const size_t nr = ARRAY_SIZE(all_tests);
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
