#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ECMP failover on the two-node testbed (tests/e2e/test_ecmp.sh's): how long
# until the router's multipath route to the VIP loses node lb2, and takes it
# back, for each way a node leaves. Rounds interleave the events; medians.
# BGP timers as in tools/bird/bird.conf: hold 3 s, keepalive 1 s, connect
# retry 2 s. The baseline is the node lost whole (its link cut), which only
# the hold timer can notice; the other events are announced by xlbd.
#
# Usage: tools/bench/ecmp_failover.sh [ROUNDS]   (5)
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/testbed.sh
ROUNDS=${1:-5}
TB_PROBE="{ type: http, path: /, interval: 300ms, timeout: 200ms, rise: 1, fall: 2 }"
export TB_PROBE

missing=$(tb_missing)
[[ -z $missing ]] || { echo "ecmp_failover: needs $missing" >&2; exit 1; }
command -v bird >/dev/null || { echo "ecmp_failover: needs bird2 (make deps)" >&2; exit 1; }

# until_nexthops N: milliseconds until the route has N nexthops (30 s at most).
until_nexthops() {
	local t0 n
	t0=$(date +%s%N)
	for ((n = 0; n < 3000; n++)); do
		[[ $(tb_router_nexthops) == "$1" ]] && { echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0; }
		sleep 0.01
	done
	echo "timeout"
	return 1
}

tb_setup 3 >/dev/null 2>&1 || { echo "ecmp_failover: testbed setup failed" >&2; exit 1; }
tb_exec router ip route del "$TB_VIP4/32"
tb_exec router ip -6 route del "$TB_VIP6/128"
tb_add_lb_node lb2 3 >/dev/null
TB_EXTRA=$'announce:\n  table: 200\n  drain_grace: 1s' tb_write_config encap "$TB_STATE/xlb.yaml"
tb_start_xlbd "$TB_STATE/xlb.yaml" || exit 1
tb_start_node_xlbd lb2 "$TB_STATE/xlb.yaml" || exit 1
tb_bird_node lb 198.18.1.2 && tb_bird_node lb2 198.18.1.3 && tb_bird_router 198.18.1.2 198.18.1.3 ||
	{ echo "ecmp_failover: BIRD did not start" >&2; exit 1; }
until_nexthops 2 >/dev/null || { echo "ecmp_failover: no ECMP route" >&2; exit 1; }

declare -A out back
for ((r = 0; r < ROUNDS; r++)); do
	# The node lost whole: only the BGP hold timer notices.
	tb_exec router ip link set rlb2 down
	out[cut]+="$(until_nexthops 1) "
	tb_exec router ip link set rlb2 up
	back[cut]+="$(until_nexthops 2) "

	# xlbd killed: its device, and the routes, go with it.
	kill -9 "$(cat "$TB_STATE/xlbd-lb2.pid")"
	out[kill]+="$(until_nexthops 1) "
	t0=$(date +%s%N)
	tb_start_node_xlbd lb2 "$TB_STATE/xlb.yaml" >/dev/null 2>&1
	until_nexthops 2 >/dev/null
	back[kill]+="$(( ($(date +%s%N) - t0) / 1000000 )) "

	# xlbd stopped (SIGTERM): withdrawn before it shuts down.
	kill "$(cat "$TB_STATE/xlbd-lb2.pid")"
	out[stop]+="$(until_nexthops 1) "
	sleep 0.3
	tb_start_node_xlbd lb2 "$TB_STATE/xlb.yaml" >/dev/null 2>&1
	until_nexthops 2 >/dev/null

	# drain-node, then resume-node.
	tb_node_xlbctl lb2 drain-node --no-wait >/dev/null
	out[drain]+="$(until_nexthops 1) "
	tb_node_xlbctl lb2 resume-node >/dev/null
	back[drain]+="$(until_nexthops 2) "
done

stats() {
	local -a v
	read -ra v <<<"$1"
	printf '%s\n' "${v[@]}" | sort -n | awk '{ a[NR] = $1 } END {
		printf "%s | %s | %s", a[int((NR + 1) / 2)], a[1], a[NR] }'
}

echo "Two xlb nodes behind one router (BIRD 2, ECMP, L4 hash); $ROUNDS interleaved rounds; ms until the router's route changed."
echo
echo "| event on node lb2 | left the ECMP group: median | min | max | back in: median | min | max |"
echo "|---|---|---|---|---|---|---|"
echo "| link cut (baseline: BGP hold time 3 s) | $(stats "${out[cut]}") | $(stats "${back[cut]}") |"
echo "| xlbd killed (-9), then started again | $(stats "${out[kill]}") | $(stats "${back[kill]}") |"
echo "| xlbd stopped (SIGTERM) | $(stats "${out[stop]}") | – | – | – |"
echo "| xlbctl drain-node, then resume-node | $(stats "${out[drain]}") | $(stats "${back[drain]}") |"
echo
echo "\"Back in\" after a kill counts xlbd's start. Rejoining after a cut waits for BGP's connect retry (2 s) and error wait."
