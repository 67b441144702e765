#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Two xlb nodes behind a router with ECMP (issue 13, part 3). Node lb (the
# testbed's) and node lb2 each run xlbd and BIRD (tools/bird/bird.conf);
# BIRD in the router learns the VIPs from both over BGP and installs one
# multipath route (L4 hash). The same backends stand behind both nodes.
#
#   both announce; new connections arrive through both
#   a node's link is cut under 8 long transfers: none is reset (the other
#       node picks the same backend), new connections all go through the
#       other node once BGP has converged (the time is printed)
#   drain-node on one node under a continuous client loop: 0 failures,
#       then new connections only through the other node
#   every backend down as one node sees it (its probes fail): that node
#       withdraws, the other carries the VIP, 0 failures
#   one weight differs between the nodes: fingerprints differ, compare
#       names the VIP and the backend
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_both_nodes_announce test_node_lost_transfers_survive test_drain_node_no_failures
	   test_one_node_all_down test_weight_differs_between_nodes"

ANNOUNCE=$'announce:\n  table: 200\n  drain_grace: 2s'
export TB_PROBE="{ type: http, path: /, interval: 300ms, timeout: 200ms, rise: 1, fall: 2 }"
CONFIG=
CONFIG2=

# next_port: a client port no earlier connection used (kept in a file:
# callers run in subshells), so no connection meets another's TIME_WAIT.
next_port() {
	local p
	p=$(( $(cat "$TB_STATE/next_port" 2>/dev/null || echo 42000) + 1 ))
	echo "$p" >"$TB_STATE/next_port"
	echo "$p"
}

new_flows() { "$@" -j counters | jq '.vips[] | select(.name == "web4") | .new_flows'; }
lb_flows() { new_flows tb_xlbctl; }
lb2_flows() { new_flows tb_node_xlbctl lb2; }


wait_nexthops() {
	local n
	for ((n = 0; n < ${2:-20} * 10; n++)); do
		[[ $(tb_router_nexthops) == "$1" ]] && return 0
		sleep 0.1
	done
	return 1
}

# requests COUNT: that many new connections, one after another; prints failures.
requests() {
	local i failed=0
	for ((i = 0; i < $1; i++)); do
		tb_http_get 4 "$(next_port)" >/dev/null || failed=$((failed + 1))
	done
	echo "$failed"
}

test_both_nodes_announce() {
	local a0 b0 failed i
	tb_exec router ip route del "$TB_VIP4/32"
	tb_exec router ip -6 route del "$TB_VIP6/128"
	tb_add_lb_node lb2 3 || return 1
	CONFIG=$TB_STATE/xlb.yaml
	CONFIG2=$TB_STATE/lb2.yaml
	TB_EXTRA=$ANNOUNCE tb_write_config encap "$CONFIG"
	cp "$CONFIG" "$CONFIG2"
	tb_start_xlbd "$CONFIG" || return 1
	tb_start_node_xlbd lb2 "$CONFIG2" || return 1
	tb_bird_node lb 198.18.1.2 && tb_bird_node lb2 198.18.1.3 &&
		tb_bird_router 198.18.1.2 198.18.1.3 || fail "BIRD did not start" || return 1
	wait_nexthops 2 20 || fail "no ECMP route: $(tb_router_route 4 "$TB_VIP4")" || return 1
	tb_router_route 4 "$TB_VIP4" | sed 's/^/  router: /'
	# A long-lived file for the transfers.
	for ((i = 1; i <= TB_BACKENDS; i++)); do
		head -c 1500000 /dev/zero >"$TB_STATE/be$i/big.bin"
	done
	a0=$(lb_flows) b0=$(lb2_flows)
	failed=$(requests 40)
	echo "  40 connections: $((failed)) failed; through lb $(( $(lb_flows) - a0 )), through lb2 $(( $(lb2_flows) - b0 ))"
	[[ $failed == 0 ]] || fail "connections failed" || return 1
	(( $(lb_flows) > a0 && $(lb2_flows) > b0 )) || fail "not through both nodes" || return 1
}

test_node_lost_transfers_survive() {
	local i a0 b0 a1 b1 cut t0 ms bad=0 pids=() out port
	a0=$(lb_flows) b0=$(lb2_flows)
	for ((i = 0; i < 8; i++)); do
		port=$(next_port)	# here: the background job would race for it
		tb_exec client curl -s -m 40 --limit-rate 200k --local-port "$port" \
			-o /dev/null -w '%{size_download}' "http://$TB_VIP4/big.bin" \
			>"$TB_STATE/transfer$i" 2>&1 &
		pids+=($!)
	done
	sleep 2
	a1=$(( $(lb_flows) - a0 )) b1=$(( $(lb2_flows) - b0 ))
	# Cut the node that carries more of them.
	cut=lb2
	(( a1 > b1 )) && cut=lb
	echo "  8 transfers: $a1 through lb, $b1 through lb2; cutting $cut's link"
	t0=$(date +%s%N)
	tb_exec router ip link set "r$cut" down
	if ! wait_nexthops 1 15; then
		tb_exec router ip link set "r$cut" up
		fail "the router kept both nexthops: $(tb_router_route 4 "$TB_VIP4")"
		return 1
	fi
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "  BGP converged (one nexthop) $ms ms after the cut (hold time 3 s)"
	out=$(requests 20)
	echo "  20 new connections after convergence: $out failed"
	for i in "${!pids[@]}"; do
		if ! wait "${pids[$i]}" || [[ $(cat "$TB_STATE/transfer$i") != 1500000 ]]; then
			bad=$((bad + 1))
			echo "  transfer $i: '$(cat "$TB_STATE/transfer$i")'"
		fi
	done
	echo "  transfers complete: $((8 - bad)) of 8"
	t0=$(date +%s%N)
	tb_exec router ip link set "r$cut" up
	[[ $bad == 0 && $out == 0 ]] || fail "$bad transfers cut, $out new connections failed" || return 1
	wait_nexthops 2 20 || fail "$cut did not come back into the ECMP group" || return 1
	echo "  $cut back in the group $(( ($(date +%s%N) - t0) / 1000000 )) ms after its link came up (connect retry 2 s)"
}

test_drain_node_no_failures() {
	local failed b0 out
	tb_node_xlbctl lb2 drain-node --grace 2s >"$TB_STATE/drain.out" 2>&1 &
	failed=$(requests 60)
	wait $! || fail "drain-node: $(cat "$TB_STATE/drain.out")" || return 1
	echo "  60 connections across drain-node on lb2: $failed failed"
	[[ $failed == 0 ]] || fail "connections failed during the drain" || return 1
	[[ $(tb_router_nexthops) == 1 ]] || fail "lb2 is still a nexthop" || return 1
	b0=$(lb2_flows)
	out=$(requests 20)
	[[ $out == 0 && $(lb2_flows) == "$b0" ]] ||
		fail "after drained: $out failed, $(( $(lb2_flows) - b0 )) through lb2" || return 1
	echo "  drained: 20 new connections, none through lb2"
	tb_node_xlbctl lb2 resume-node >/dev/null || fail "resume-node" || return 1
	wait_nexthops 2 10 || fail "lb2 not back after resume-node" || return 1
}

test_one_node_all_down() {
	local failed
	# lb2 probes a closed port: every backend is down as lb2 sees it.
	TB_ALL_DOWN=drop TB_PROBE="{ type: tcp, port: 81, interval: 300ms, timeout: 200ms, fall: 1 }" \
		TB_EXTRA=$ANNOUNCE tb_write_config encap "$CONFIG2"
	tb_node_xlbctl lb2 reload >/dev/null || fail "reload lb2" || return 1
	wait_nexthops 1 10 || fail "lb2 did not withdraw: $(tb_router_route 4 "$TB_VIP4")" || return 1
	grep -q "Withdrawing $TB_VIP4/32 (table 200): no backend of VIP 'web4' takes new flows" "$TB_STATE/lb2.log" ||
		fail "lb2's log has no reason" || return 1
	failed=$(requests 20)
	echo "  lb2 sees every backend down: withdrawn; 20 connections, $failed failed"
	[[ $failed == 0 ]] || fail "connections failed" || return 1
	cp "$CONFIG" "$CONFIG2"
	tb_node_xlbctl lb2 reload >/dev/null || fail "reload lb2" || return 1
	wait_nexthops 2 10 || fail "lb2 not back" || return 1
}

test_weight_differs_between_nodes() {
	local out
	TB_EXTRA=$ANNOUNCE tb_write_config encap "$CONFIG2" 1 1 2
	tb_node_xlbctl lb2 reload >/dev/null || fail "reload lb2" || return 1
	sleep 1.5
	out=$(tb_xlbctl compare "$TB_SOCKET" "$TB_STATE/lb2.sock")
	[[ $? == 1 ]] || fail "compare did not fail: $out" || return 1
	grep -q "^VIP web4: DIFFERS" <<<"$out" &&
		grep -q "backend $(tb_be_addr4 3): weight 1 on node 1, 2 on node 2" <<<"$out" ||
		fail "compare: $out" || return 1
	echo "$out" | grep -E "DIFFERS|weight" | sed 's/^/  /'
}

if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then
	for t in $ALL_TESTS; do echo "SKIPPED: $t (needs bird2: make deps)"; done
	exit 0
fi
e2e_main 3
