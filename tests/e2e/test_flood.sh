#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Established flows survive a new-flow flood (issue 11, part 2). A small
# connection table (4096 entries), 40 idle connections, one backend
# drained, then 200,000 new flows of 2 packets each: every idle connection
# must still reach its backend afterwards, new flows sent into the full
# table right after the flood must follow the weights, and the protection
# must show in the counters and /metrics. The established connections'
# packets go by the table or the moved-flow table, not the LRU (the VIP is
# consistent).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_flood_keeps_idle_connections test_flood_moved_flows_released"

FLOWS=200000

metric() { tb_enter lb curl -s -m 5 http://127.0.0.1:9742/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
# /metrics is rendered at most once a second: read it after that.
metric_settled() { sleep 1.1; metric "$1"; }
HELD=0
counter() { tb_xlbctl counters | awk -v r="$1" '$1 == r { print $2; exit }'; }

# spread_by_weights OUTPUT: be1 (drained) got no new flow, be2 and be3
# about half each (within 3 points; 200k flows make that 20 deviations).
spread_by_weights() {
	awk '/%/ && $1 ~ /[0-9]/ { n++; o[n] = $4 + 0 }
	     END { if (n != 3) exit 1
		   if (o[1] != 0) { print "  drained backend got " o[1] "% of new flows"; exit 1 }
		   for (i = 2; i <= 3; i++) if (o[i] < 47 || o[i] > 53) {
			print "  backend " i " got " o[i] "% of new flows, expected 50%"; exit 1 } }' <<<"$1"
}

test_flood_keeps_idle_connections() {
	local out go="$TB_STATE/go" res answered drained held hits
	TB_PROBE="{ type: none }" TB_EXTRA="maps: { lru_entries: 4096 }" \
		tb_write_config encap "$TB_STATE/xlb.yaml" 1 1 1
	tb_start_xlbd "$TB_STATE/xlb.yaml" || return 1

	rm -f "$go"
	ip netns exec "$(tb_ns client)" /usr/bin/python3 tests/e2e/helpers/idle_conns.py \
		"$TB_VIP4" 40 "$go" 60 >"$TB_STATE/idle.out" 2>&1 &
	local pid=$!
	for ((n = 0; n < 50; n++)); do
		grep -qs "^open" "$TB_STATE/idle.out" && break
		sleep 0.1
	done
	grep -q '^open' "$TB_STATE/idle.out" || fail "40 connections did not open" || return 1

	tb_xlbctl drain web4 "$(tb_be_addr4 1)" >/dev/null || fail "drain refused" || return 1
	HELD=$(metric_settled xlb_moved_flows)
	echo "  after the drain: ${HELD:-no} moved flows held"

	# In chunks of 2000 flows, each flow's 2 packets close together: its
	# second packet marks its entry used, as a real handshake would, so the
	# LRU keeps the flood and lets the idle connections go.
	local off
	for ((off = 0; off < FLOWS; off += 2000)); do
		tb_loadgen --dst "$TB_VIP4" --dport 80 --flows 2000 --sources 1000 --offset $off \
			--count 4000 --rate 100000 --duration 10 >/dev/null || fail "loadgen failed" || return 1
	done
	echo "  sent $FLOWS new flows, 2 packets each"
	out=$(tb_loadgen --dst "$TB_VIP4" --dport 80 --flows 20000 --sources 1000 --offset $FLOWS \
		--count 20000 --rate 100000 --duration 10 --socket "$TB_SOCKET" --vip web4) ||
		fail "loadgen failed: $out" || return 1
	echo "$out" | sed 's/^/  /'
	touch "$go"
	wait "$pid"
	res=$(grep -v '^open' "$TB_STATE/idle.out")
	answered=$(grep -c ' be[0-9]*$' <<<"$res")
	drained=$(grep -c ' be1$' <<<"$res")
	echo "  after the flood: $answered of 40 connections answered, $drained of them by the drained be1"
	grep -v ' be[0-9]*$' <<<"$res" | head -5 | sed 's/^/  lost: /'
	[[ $answered == 40 ]] || fail "$((40 - answered)) idle connections were lost to the flood" || return 1
	[[ $drained -gt 0 ]] || fail "no connection sat on the drained backend: the test proves nothing" || return 1
	[[ ${HELD:-0} -gt 0 ]] || fail "the drain held no flows" || return 1
	spread_by_weights "$out" || fail "the flood's new flows did not follow the weights" || return 1
	hits=$(counter moved_hit)
	[[ ${hits:-0} -ge $drained ]] || fail "moved_hit counter is ${hits:-missing}, expected >= $drained" || return 1
	[[ $(metric 'xlb_packets_total{reason="moved_hit"}') -ge $drained ]] ||
		fail "/metrics does not show the moved-flow hits" || return 1
	echo "  moved_hit counter: $hits"
	# The connections not on be1 went by the table, not the LRU (issue 11, part 3).
	[[ $(counter table_hit) -ge $((answered - drained)) ]] ||
		fail "table_hit counter is $(counter table_hit), expected >= $((answered - drained))" || return 1
	[[ $(tb_enter lb curl -s -m 5 http://127.0.0.1:9742/metrics |
	     awk '$1 ~ /^xlb_vip_consistent\{vip="web4"/ { print $2 }') == 1 ]] ||
		fail "web4 is not consistent after the drain" || return 1
	echo "  table_hit counter: $(counter table_hit); web4 consistent"
}

# Once the drained backend is put back, the flows held for it go home: the
# table routes them there again. (The flood's flows that went to be2 and
# be3 meanwhile are held in their turn: their slots move back to be1.)
test_flood_moved_flows_released() {
	local line released
	tb_xlbctl enable web4 "$(tb_be_addr4 1)" >/dev/null || fail "enable refused" || return 1
	line=$(grep 'flows held whose backend' "$TB_STATE/xlbd.log" | tail -n 1)
	echo "  ${line#*>}"
	released=$(sed -nE 's/.*, ([0-9]+) let go.*/\1/p' <<<"$line")
	[[ ${released:-0} -ge $HELD ]] || fail "enable let go of ${released:-no} flows, expected the $HELD held for be1" || return 1
	[[ $(metric_settled xlb_moved_flows_capacity) == 65536 ]] || fail "no capacity metric" || return 1
	[[ $(metric xlb_moved_flows_refused_total) == 0 ]] || fail "flows refused by a table with room" || return 1
	tb_stop_xlbd
}

e2e_main 3
