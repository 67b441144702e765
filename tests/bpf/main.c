// SPDX-License-Identifier: GPL-2.0
/*
 * test_xdp: each topic's tests, each on a fresh fixture, run by cmocka.
 *   test_xdp [NAME]                 the tests (NAME: one of them, or a glob)
 *   test_xdp --fuzz COUNT [SEED]    the packet fuzzer alone, COUNT packets
 * Without root (no BPF) every test says SKIPPED and why.
 */
#include "xdp_harness.h"

struct topic {
	const char *name;
	void (*fn)(struct fixture *f);
	struct fixture f;
	int setup_err;
};

#define TOPIC(fn) { #fn, fn, {}, 0 }

static struct topic topics[] = {
	TOPIC(test_forward_each_mode_and_family),
	TOPIC(test_ipv4_options_and_vlans),
	TOPIC(test_not_for_a_vip_passes_untouched),
	TOPIC(test_sticky_when_table_changes),
	TOPIC(test_drain_keeps_flows_takes_no_new),
	TOPIC(test_drained_flow_survives_lru_loss),
	TOPIC(test_down_loses_flows),
	TOPIC(test_udp_entries_expire),
	TOPIC(test_hash_seed_set_by_the_loader),
	TOPIC(test_icmp_errors_follow_their_flow),
	TOPIC(test_echo_requests_answered),
	TOPIC(test_too_big_answered),
	TOPIC(test_truncated_packets),
	TOPIC(test_malformed_headers),
	TOPIC(test_fragments_to_vips_dropped),
	TOPIC(test_ttl_expiry_and_no_backend),
	TOPIC(test_source_port_left_out),
	TOPIC(test_counters_exact),
	TOPIC(test_decap_round_trip),
	TOPIC(test_icmp_error_to_other_address_passes),
	TOPIC(test_mapped_ipv6_is_not_ipv4),
	TOPIC(test_icmp_quote_bounded_by_ip_length),
	TOPIC(test_trailing_bytes_not_tunnelled),
	TOPIC(test_ipv6_extension_header_chain),
	TOPIC(test_unmoved_slots_keep_no_flow_state),
	TOPIC(test_weight_change_keeps_flows),
	TOPIC(test_first_packet_not_syn_survives_drain),
	TOPIC(test_busy_minute_then_weight_change),
	TOPIC(test_change_moving_many_flows_holds_all),
	TOPIC(test_hash_change_keeps_flows),
	TOPIC(test_old_table_goes_after_idle_time),
	TOPIC(test_old_table_kept_across_restart),
	TOPIC(test_older_build_table_adopted),
	TOPIC(test_every_churn_state_then_drain),
	TOPIC(test_every_churn_state_then_drain_batched),
	TOPIC(test_table_read_back_is_live),
	TOPIC(test_unchanged_apply_keeps_the_live_table),
	TOPIC(test_vip_filter_passes_others_hides_no_vip),
	TOPIC(test_vip_index_kept_true),
	TOPIC(test_vip_index_unsure_asks_the_vip_map),
	TOPIC(test_vip_index_unwritable_refuses_vip_writes),
	TOPIC(test_memo_sends_a_flows_next_packets),
	TOPIC(test_memo_never_outlives_a_change),
	TOPIC(test_memo_only_without_look),
	TOPIC(test_memo_and_index_adopted_by_a_restart),
	TOPIC(test_syn_repeats_count_once),
	TOPIC(test_syn_repeats_count_once_after_a_change),
	TOPIC(test_syn_repeats_what_is_kept_and_missed),
};

static struct topic fuzz = TOPIC(test_fuzz_xdp);

/* A fresh data path per test; a failure to load is the test's to report. */
static int load(void **state)
{
	struct topic *t = *state;

	t->setup_err = fixture_setup(&t->f, NULL);
	return 0;
}

static int unload(void **state)
{
	struct topic *t = *state;

	if (!t->setup_err)
		fixture_teardown(&t->f);
	return 0;
}

static void run_topic(void **state)
{
	struct topic *t = *state;

	if (t->setup_err == -EPERM || t->setup_err == -EACCES) {
		print_error("  %s: loading BPF needs root: %s\n", t->name, strerror(-t->setup_err));
		skip();
	}
	ASSERT_EQ(t->setup_err, 0, "fixture: a data path loaded, VIPs written");
	t->fn(&t->f);
}

static struct CMUnitTest topic_test(struct topic *t)
{
	return (struct CMUnitTest){
		.name = t->name, .test_func = run_topic,
		.setup_func = load, .teardown_func = unload, .initial_state = t,
	};
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[ARRAY_SIZE(topics)], fuzzer[1] = { topic_test(&fuzz) };
	size_t i;

	xlb_log_hook_libbpf();
	xlb_log_set_level(XLB_LOG_WARN);
	if (argc >= 3 && !strcmp(argv[1], "--fuzz")) {
		fuzz_count = strtoull(argv[2], NULL, 10);
		fuzz_seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
		return cmocka_run_group_tests_name("bpf/fuzz_xdp", fuzzer, NULL, NULL);
	}
	for (i = 0; i < ARRAY_SIZE(topics); i++)
		tests[i] = topic_test(&topics[i]);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests_name("bpf/test_xdp", tests, NULL, NULL);
}
