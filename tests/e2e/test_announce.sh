#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# VIP routes through BIRD, gated by what the node can serve (issue 13,
# part 1). BIRD on the lb learns xlbd's table 200 (tools/bird/bird.conf as
# shipped) and speaks BGP to BIRD in the router, which routes the VIPs by
# what it learns: the testbed's static VIP routes are taken away.
#
#   announced: the router learns both VIPs; HTTP through them works
#   every backend down, all_down: drop -> withdrawn (and back when they
#       return); all_down: keep -> stays announced
#   interface lost -> withdrawn; back -> announced
#   drain-node -> withdrawn at once, "drained" after the grace, xlb still
#       forwards; resume-node -> announced
#   xlbd stopped (TERM) or killed (-9) -> withdrawn at the router; the
#       time it took is printed
#   the config's announce section is checked strictly
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_announced test_all_down_withdraws test_interface_lost_withdraws
	   test_drain_node test_stop_and_crash_withdraw test_announce_config_errors"

CONFIG=
export TB_PROBE="{ type: http, path: /, interval: 200ms, timeout: 150ms, rise: 1, fall: 1 }"
ANNOUNCE=$'announce:\n  table: 200\n  drain_grace: 3s'

# wait_route FAMILY PREFIX yes|no [SECONDS]: until the router has (no) BGP route.
wait_route() {
	local n want=$3
	for ((n = 0; n < ${4:-15} * 10; n++)); do
		if [[ -n $(tb_router_route "$1" "$2") ]]; then
			[[ $want == yes ]] && return 0
		else
			[[ $want == no ]] && return 0
		fi
		sleep 0.1
	done
	return 1
}

# ms_since START_NS: milliseconds from a `date +%s%N` until now.
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

journal_has() { grep -q "$1" "$TB_STATE/journal.jsonl"; }

test_announced() {
	local m
	tb_exec router ip route del "$TB_VIP4/32"
	tb_exec router ip -6 route del "$TB_VIP6/128"
	CONFIG=$TB_STATE/xlb.yaml
	TB_EXTRA=$ANNOUNCE tb_write_config encap "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	tb_bird_node lb 198.18.1.2 || fail "BIRD on the lb did not start" || return 1
	tb_bird_router 198.18.1.2 || fail "BIRD on the router did not start" || return 1
	wait_route 4 "$TB_VIP4" yes 20 || fail "the router never learnt $TB_VIP4: $(tb_birdc router show protocols)" || return 1
	wait_route 6 "$TB_VIP6" yes 10 || fail "the router never learnt $TB_VIP6" || return 1
	echo "  router: $(tb_router_route 4 "$TB_VIP4")"
	[[ $(tb_exec lb ip route show table 200 | wc -l) == 1 ]] || fail "table 200: $(tb_exec lb ip route show table 200)" || return 1
	tb_http_get 4 41001 >/dev/null && tb_http_get 6 41002 >/dev/null || fail "HTTP through the announced VIPs" || return 1
	tb_xlbctl status | has "^announce: node serving, 2 VIP addresses announced (table 200, device xlb-vips)" ||
		fail "status: $(tb_xlbctl status | grep announce)" || return 1
	[[ $(tb_xlbctl -j show web4 | jq '.[0].announced') == true ]] || fail "show -j" || return 1
	m=$(tb_exec lb curl -s -m 3 http://127.0.0.1:9742/metrics)
	grep -q '^xlb_vip_announced{vip="web4",.*} 1$' <<<"$m" && grep -q '^xlb_node_state{state="serving"} 1$' <<<"$m" ||
		fail "metrics: $(grep -E 'announced|node_state' <<<"$m")" || return 1
	journal_has '"type":"route".*"state":"announced"' || fail "no route event in the journal" || return 1
}

test_all_down_withdraws() {
	local i t0
	TB_ALL_DOWN=drop TB_EXTRA=$ANNOUNCE tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null || fail "reload" || return 1
	t0=$(date +%s%N)
	for ((i = 1; i <= TB_BACKENDS; i++)); do tb_stop_http "$i"; done
	wait_route 4 "$TB_VIP4" no 10 || fail "still announced with every backend down (drop)" || return 1
	echo "  all down (drop): withdrawn at the router $(ms_since "$t0") ms after the servers stopped"
	grep -q "Withdrawing $TB_VIP4/32 (table 200): no backend of VIP 'web4' takes new flows (all down, all_down: drop)" \
		"$TB_STATE/xlbd.log" || fail "no reason in the log" || return 1
	for ((i = 1; i <= TB_BACKENDS; i++)); do tb_start_http "$i"; done
	wait_route 4 "$TB_VIP4" yes 10 || fail "not announced again when the backends came back" || return 1
	# keep: the last healthy set still takes the flows, so the node still serves.
	TB_ALL_DOWN=keep TB_EXTRA=$ANNOUNCE tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null || fail "reload" || return 1
	for ((i = 1; i <= TB_BACKENDS; i++)); do tb_stop_http "$i"; done
	sleep 2
	[[ $(tb_xlbctl -j show web4 | jq '[.[0].backends[] | select(.health == "down")] | length') == "$TB_BACKENDS" ]] ||
		fail "the backends should be down by now" || return 1
	wait_route 4 "$TB_VIP4" yes 1 || fail "withdrawn under all_down: keep" || return 1
	echo "  all down (keep): still announced (the kept set takes the flows)"
	for ((i = 1; i <= TB_BACKENDS; i++)); do tb_start_http "$i"; done
}

test_interface_lost_withdraws() {
	local n
	tb_exec lb ip link del eth0
	for ((n = 0; n < 50; n++)); do
		[[ -z $(tb_exec lb ip route show table 200) ]] && break
		sleep 0.1
	done
	[[ -z $(tb_exec lb ip route show table 200) ]] || fail "routes stay with the interface lost" || return 1
	grep -q "Withdrawing $TB_VIP4/32 (table 200): the interface is lost" "$TB_STATE/xlbd.log" ||
		fail "no reason in the log" || return 1
	tb_lb_link || return 1
	wait_route 4 "$TB_VIP4" yes 20 || fail "not announced after the interface came back" || return 1
	echo "  lost: withdrawn; back: announced, the router has it again"
}

test_drain_node() {
	local out t0 m pid rc
	# A second path to the node, worse than BGP's: shows that it still forwards.
	tb_exec router ip route add "$TB_VIP4/32" via 198.18.1.2 metric 2000
	t0=$(date +%s%N)
	# It waits for the grace period to end; the routes go at once.
	tb_xlbctl drain-node --grace 2s >"$TB_STATE/drain.out" 2>&1 &
	pid=$!
	wait_route 4 "$TB_VIP4" no 5 || fail "still announced while draining" || return 1
	wait_route 6 "$TB_VIP6" no 5 || fail "$TB_VIP6 still announced while draining" || return 1
	echo "  withdrawn at the router $(ms_since "$t0") ms after drain-node"
	tb_http_get 4 41004 >/dev/null || fail "xlb stopped forwarding while draining" || return 1
	wait "$pid"
	rc=$?
	[[ $rc == 0 ]] || fail "drain-node exited $rc: $(cat "$TB_STATE/drain.out")" || return 1
	out=$(cat "$TB_STATE/drain.out")
	echo "$out" | sed 's/^/  /'
	grep -q "^node drained" <<<"$out" || fail "drain-node did not say drained" || return 1
	tb_http_get 4 41003 >/dev/null || fail "xlb stopped forwarding when drained" || return 1
	tb_xlbctl status | has "^NODE DRAINED" || fail "status: $(tb_xlbctl status | grep -i node)" || return 1
	m=$(tb_exec lb curl -s -m 3 http://127.0.0.1:9742/metrics)
	grep -q '^xlb_node_state{state="drained"} 1$' <<<"$m" || fail "metrics" || return 1
	out=$(tb_xlbctl drain-node 2>&1)
	[[ $? == 1 ]] && grep -q "already drained" <<<"$out" || fail "a second drain-node: $out" || return 1
	tb_xlbctl resume-node >/dev/null || fail "resume-node" || return 1
	wait_route 4 "$TB_VIP4" yes 10 || fail "not announced after resume-node" || return 1
	tb_exec router ip route del "$TB_VIP4/32" via 198.18.1.2 metric 2000
	journal_has '"type":"node".*"state":"drained"' || fail "journal" || return 1
}

test_stop_and_crash_withdraw() {
	local t0 sig
	for sig in TERM KILL; do
		t0=$(date +%s%N)
		tb_stop_xlbd "$sig" || fail "xlbd did not stop" || return 1
		wait_route 4 "$TB_VIP4" no 10 || fail "still announced after kill -$sig" || return 1
		echo "  kill -$sig: withdrawn at the router $(ms_since "$t0") ms later"
		tb_exec lb ip link show xlb-vips >/dev/null 2>&1 && fail "the device outlived xlbd" && return 1
		tb_start_xlbd "$CONFIG" || return 1
		wait_route 4 "$TB_VIP4" yes 10 || fail "not announced after the restart" || return 1
	done
}

test_announce_config_errors() {
	local f=$TB_STATE/bad.yaml out
	TB_EXTRA=$'announce:\n  drain_grace: 3s' tb_write_config encap "$f"
	out=$("$TB_XLBCTL" check "$f" 2>&1)
	grep -q "announce has no table: add 'table: 200'" <<<"$out" || fail "no table: $out" || return 1
	TB_EXTRA=$'announce:\n  table: 254' tb_write_config encap "$f"
	out=$("$TB_XLBCTL" check "$f" 2>&1)
	grep -q "invalid announce table '254': 254 is the kernel's main table" <<<"$out" ||
		fail "table 254: $out" || return 1
	# A reload cannot move the routes to another table: refused, nothing changes.
	TB_EXTRA=$'announce:\n  table: 201' tb_write_config encap "$f"
	cp "$f" "$CONFIG"
	out=$(tb_xlbctl reload 2>&1)
	[[ $? != 0 ]] && grep -q "announce on (table 200, device xlb-vips) -> on (table 201, device xlb-vips) needs a restart" <<<"$out" ||
		fail "reload to table 201: $out" || return 1
	[[ -n $(tb_exec lb ip route show table 200) ]] || fail "the refused reload withdrew routes" || return 1
}

if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then
	for t in $ALL_TESTS; do echo "SKIPPED: $t (needs bird2: make deps)"; done
	exit 0
fi
e2e_main 3
