#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The load generator against xlbd with weights 2:1:1: bounded, it reports
# the spread of new flows per backend next to the weights, and the spread
# follows them (within 3 points at 20000 flows: about 10 standard deviations).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_loadgen_tcp_ipv4 test_loadgen_udp_ipv6"

# check_spread OUTPUT: every backend row within 3 points of its expected share.
check_spread() {
	awk '/%/ && $1 ~ /[0-9]/ {
		o = $4 + 0; e = $5 + 0; d = o - e; if (d < 0) d = -d
		if (d > 3) { print "  " $1 ": observed " o "%, expected " e "%"; bad = 1 }
		rows++
	} END { exit (bad || rows != 3) }' <<<"$1"
}

# xlb counted one new flow per packet sent: every flow arrived and was new.
all_flows_counted() {
	local n
	n=$(awk '/%/ && $1 ~ /[0-9]/ { n += $3 } END { print n + 0 }' <<<"$1")
	[[ $n == 20000 ]] || fail "xlb counted $n new flows of the 20000 sent"
}

run_loadgen() {
	tb_exec client "$TB_BUILD/xlb-loadgen" --dev eth0 --dst-mac "$TB_ROUTER_CLIENT_MAC" "$@" \
		--flows 20000 --sources 500 --count 20000 --rate 20000 --duration 20 --socket "$TB_SOCKET"
}

test_loadgen_tcp_ipv4() {
	local out
	TB_PROBE="{ type: none }" tb_write_config encap "$TB_STATE/xlb.yaml" 2 1 1
	tb_start_xlbd "$TB_STATE/xlb.yaml" || return 1
	out=$(run_loadgen --dst "$TB_VIP4" --dport 80 --vip web4) || fail "loadgen failed: $out" || return 1
	grep -q '^sent 20000 packets' <<<"$out" || fail "not bounded to 20000: $out" || return 1
	echo "$out" | sed 's/^/  /'
	check_spread "$out" || fail "spread does not follow the weights" || return 1
	all_flows_counted "$out"
}

test_loadgen_udp_ipv6() {
	local out
	sed -i 's/protocol: tcp/protocol: udp/' "$TB_STATE/xlb.yaml"
	tb_xlbctl reload >/dev/null || fail "reload to UDP VIPs refused" || return 1
	out=$(run_loadgen --dst "$TB_VIP6" --dport 80 --proto udp --vip web6) || fail "loadgen failed" || return 1
	echo "$out" | sed 's/^/  /'
	check_spread "$out" || fail "spread does not follow the weights" || return 1
	all_flows_counted "$out"
}

e2e_main 3
