#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end: real TCP connections from a client namespace through xlb (XDP,
# native mode) to HTTP servers on three backends, in both forwarding modes
# and both families. Every connection must succeed, and xlb's per-backend
# new-flow counters must match the connections each backend answered.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

CONNECTIONS=30
ALL_TESTS="test_encap_ipv4 test_encap_ipv6 test_dsr_ipv4 test_dsr_ipv6"
ATTACHED_MODE=

# connections_match_counters MODE FAMILY FIRST_PORT
connections_match_counters() {
	local mode=$1 family=$2 port=$3 i addr want got seen=0 out
	if [[ $ATTACHED_MODE != "$mode" ]]; then
		tb_attach_xlb "$mode" >/dev/null 2>&1 || fail "xlb did not attach in $mode mode" || return 1
		ATTACHED_MODE=$mode
	fi
	out=$(connect_many "$family" "$port" "$CONNECTIONS")
	[[ $(awk '$1 == "failed" { print $2 }' <<<"$out") == 0 ]] ||
		fail "$(awk '$1 == "failed" { print $2 }' <<<"$out") of $CONNECTIONS connections failed" || return 1
	for ((i = 1; i <= TB_BACKENDS; i++)); do
		addr=$(if [[ $family == 6 ]]; then tb_be_addr6 "$i"; else tb_be_addr4 "$i"; fi)
		want=$(awk -v b="be$i" '$1 == b { print $2 }' <<<"$out")
		want=${want:-0}
		got=$(new_flows_of "$addr")
		[[ $got == "$want" ]] ||
			fail "be$i ($addr): $want connections answered, counter says ${got:-nothing}" ||
			return 1
		[[ $want -gt 0 ]] && seen=$((seen + 1))
	done
	# 30 connections over 3 equal backends all landing on one: p < 1e-13.
	[[ $seen -ge 2 ]] || fail "only $seen backend(s) got connections" || return 1
	echo "  connections per backend: $(grep '^be' <<<"$out" | sort | tr '\n' ' ')"
}

test_encap_ipv4() { connections_match_counters encap 4 20000; }
test_encap_ipv6() { connections_match_counters encap 6 21000; }
test_dsr_ipv4() { connections_match_counters dsr 4 22000; }
test_dsr_ipv6() { connections_match_counters dsr 6 23000; }

e2e_main 3
