#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A TCP flow keeps its backend through every change (issue 25), on real
# connections: 40 HTTP/1.1 keep-alive connections send a request every
# second (tests/e2e/helpers/busy_conns.py), and every one must complete
# every request, answered by the backend its first request reached.
#
#   a flood of new flows several times a small connection table
#       (lru_entries 4096), a weight change that moves slots, another
#       flood: 0 of 40 broken, and some of them were on slots that moved
#       (xlbctl trace: the new table sends their 5-tuple elsewhere, or they
#       are recorded), so only the old table kept them
#   connections opened through node lb, then routed through node lb2,
#       which never saw their SYN; the backend holding the most of them is
#       drained on lb2 and on lb, and the traffic goes back through lb:
#       0 of 40 broken, and new connections avoid the drained backend
#
# The backends serve HTTP/1.1 (python3 -m http.server -p HTTP/1.1), so a
# connection stays open between its requests. Every load is bounded: the
# connections run 90 s at most, floods are 40,000 flows of 2 packets each
# at 100,000 packets a second at most.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_flood_then_weight_change test_mid_flow_from_other_node_drained"

CONNS=40
FLOOD=40000		# new flows per flood: ~20 times each CPU's share of 4096
LRU=4096
FLOOD_OFF=0		# the next flood's first flow number: every flood's flows are new

# metric_of NAME VIP [NODE]: a VIP's gauge from /metrics (lb, or NODE's).
# /metrics is rendered at most once a second: callers wait after a change.
metric_of() {
	tb_enter "${3:-lb}" curl -s -m 5 http://127.0.0.1:9742/metrics |
		awk -v m="$1" -v v="$2" 'index($1, m "{vip=\"" v "\"") == 1 { print $2 }'
}
counter() { "$@" counters | awk -v r="$REASON" '$1 == r { print $2; exit }'; }

# keepalive_servers: each backend's HTTP server again, one that keeps a
# connection open between requests.
keepalive_servers() {
	local i
	for ((i = 1; i <= TB_BACKENDS; i++)); do
		tb_stop_http "$i"
		ip netns exec "$(tb_ns "be$i")" /usr/bin/python3 -m http.server 80 --bind :: \
			-p HTTP/1.1 --directory "$TB_STATE/be$i" >>"$TB_STATE/be$i.log" 2>&1 &
		echo $! >"$TB_STATE/be$i.pid"
		tb_wait_http "$i" || return 1
	done
}

# start_conns: $CONNS busy connections from the client to the IPv4 VIP, in
# the background (at most 90 s); waits until all have answered once.
# Sets CONN_PID; files $TB_STATE/{conns.out,mark,stop}.
start_conns() {
	local n
	rm -f "$TB_STATE/mark" "$TB_STATE/stop" "$TB_STATE/conns.out"
	ip netns exec "$(tb_ns client)" /usr/bin/python3 tests/e2e/helpers/busy_conns.py \
		"$TB_VIP4" "$CONNS" "$TB_STATE/mark" "$TB_STATE/stop" 90 \
		>"$TB_STATE/conns.out" 2>&1 &
	CONN_PID=$!
	for ((n = 0; n < 100; n++)); do
		grep -qs '^open' "$TB_STATE/conns.out" && break
		kill -0 "$CONN_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^open' "$TB_STATE/conns.out" ||
		fail "$CONNS connections did not open: $(tail -n 3 "$TB_STATE/conns.out")" || return 1
	! grep -q '^conn [0-9]* -$' "$TB_STATE/conns.out" ||
		fail "a connection's first request was not answered" || return 1
	echo "  $CONNS connections open, each on a backend: $(awk '$1 == "conn" { print $3 }' \
		"$TB_STATE/conns.out" | sort | uniq -c | awk '{ printf "%s %s  ", $2, $1 }')"
}

# stop_conns AFTER: lets the connections run AFTER more seconds, stops them,
# and fails unless every one answered every request, at least 3 of them
# after the mark.
stop_conns() {
	local res broken short
	sleep "$1"
	touch "$TB_STATE/stop"
	wait "$CONN_PID"
	res=$(grep -E '^[0-9]+ ' "$TB_STATE/conns.out")
	broken=$(grep -c ' broken ' <<<"$res")
	short=$(awk '$3 == "ok" && $6 < 3' <<<"$res" | wc -l)
	echo "  $(grep -c ' ok ' <<<"$res") of $CONNS connections answered every request;" \
		"requests after the change: $(awk '{ s += $NF } END { print s + 0 }' <<<"$res")"
	awk '$3 == "broken" { printf "  port %s on %s: %s at request %s (%s answered after the change)\n",
		$1, $2, $4, $6, $8 }' <<<"$res" | head -n 10
	[[ $(wc -l <<<"$res") == "$CONNS" ]] || fail "the helper reported $(wc -l <<<"$res") connections" || return 1
	[[ $broken == 0 ]] || fail "$broken of $CONNS connections broken by the change" || return 1
	[[ $short == 0 ]] || fail "$short connections sent fewer than 3 requests after the change" || return 1
}

# flood: $FLOOD new flows (SYNs, 2 each, in chunks of 2000 so that a
# flow's two packets come close together), all new to xlb.
flood() {
	local off end=$((FLOOD_OFF + FLOOD))
	for ((off = FLOOD_OFF; off < end; off += 2000)); do
		tb_loadgen --dst "$TB_VIP4" --dport 80 --flows 2000 --sources 1000 --offset $off \
			--count 4000 --rate 100000 --duration 10 >/dev/null || fail "loadgen failed" || return 1
	done
	FLOOD_OFF=$end
}

# on_moved_slots: how many of the connections the current table would send
# elsewhere, or keeps a record of (xlbctl trace sends a SYN of the 5-tuple:
# "table" means a slot no change moved, the connection's backend as before).
on_moved_slots() {
	local port be addr n=0 j
	while read -r _ port be; do
		j=$(tb_xlbctl -j trace tcp 198.18.0.2 "$port" "$TB_VIP4" 80) || return 1
		addr=$(jq -r '.backend' <<<"$j")
		[[ $(jq -r '.lru' <<<"$j") != table || $addr != "$(tb_be_addr4 "${be#be}")" ]] &&
			n=$((n + 1))
	done < <(grep '^conn ' "$TB_STATE/conns.out")
	echo "$n"
}

test_flood_then_weight_change() {
	local moved look before after REASON
	TB_PROBE="{ type: none }" TB_EXTRA="maps: { lru_entries: $LRU }" \
		tb_write_config encap "$TB_STATE/xlb.yaml" 1 1 1
	tb_start_xlbd "$TB_STATE/xlb.yaml" || return 1
	keepalive_servers || return 1
	start_conns || return 1

	# No slot has moved: the flood's SYNs and the connections' packets
	# alike go by the table, and nothing looks in the connection table.
	REASON=lru_miss before=$(counter tb_xlbctl)
	flood || return 1
	after=$(counter tb_xlbctl)
	echo "  flood of $FLOOD new flows (connection table $LRU entries, $(nproc) CPUs) before the change:" \
		"$((after - before)) connection-table misses"
	[[ $after == "$before" ]] ||
		fail "packets on slots no change moved looked for flow records" || return 1
	# be1 from 1 to 3 of 5: it takes slots from be2 and be3 and the
	# connections there.
	tb_xlbctl weight web4 "$(tb_be_addr4 1)" 3 >/dev/null || fail "weight change refused" || return 1
	touch "$TB_STATE/mark"
	sleep 1.1
	look=$(metric_of xlb_vip_lookup_slots web4)
	echo "  weight of be1 1 -> 3: $look slots looked up, old table $(metric_of xlb_vip_old_table web4)," \
		"consistent $(metric_of xlb_vip_consistent web4)"
	[[ $(metric_of xlb_vip_old_table web4) == 1 && ${look:-0} -gt 0 &&
	   $(metric_of xlb_vip_consistent web4) == 0 ]] ||
		fail "the weight change kept no old table or moved no slot" || return 1

	# Now the flood's SYNs on moved slots are recorded: more of them than
	# the connection table holds, which may push out the connections' own
	# records (written by their first packets after the change); a
	# connection without one must still go by the old table.
	REASON=lru_miss before=$(counter tb_xlbctl)
	flood || return 1
	after=$(counter tb_xlbctl)
	echo "  flood of $FLOOD more new flows after the change: $((after - before)) of their" \
		"packets found no record on a looked-up slot (the table holds $LRU)"
	stop_conns 4 || return 1
	(( after - before > LRU )) ||
		fail "the second flood did not churn the connection table: the test proves less" || return 1
	moved=$(on_moved_slots) || fail "trace failed" || return 1
	echo "  $moved of $CONNS connections are on slots the change moved (the new table sends them elsewhere)"
	[[ $moved -gt 0 ]] || fail "no connection was on a moved slot: the test proves nothing" || return 1
	tb_stop_xlbd
}

# route_via ADDR: the router's route to the IPv4 VIP (node lb .2, lb2 .3).
route_via() { tb_exec router ip route replace "$TB_VIP4/32" via "$1"; }

web4_packets() { "$@" -j counters | jq '.vips[] | select(.name == "web4") | .packets'; }

test_mid_flow_from_other_node_drained() {
	local config=$TB_STATE/xlb.yaml be addr p0 p1 i name onbe=0 REASON
	# Afresh: no runtime change or old table from an earlier test.
	tb_stop_xlbd 2>/dev/null
	rm -f "$TB_STATE/state.json"
	TB_PROBE="{ type: none }" TB_EXTRA="maps: { lru_entries: $LRU }" \
		tb_write_config encap "$config" 1 1 1
	tb_start_xlbd "$config" --reset || return 1
	tb_add_lb_node lb2 3 || return 1
	cp "$config" "$TB_STATE/lb2.yaml"
	tb_start_node_xlbd lb2 "$TB_STATE/lb2.yaml" || return 1
	keepalive_servers || return 1
	route_via 198.18.1.2
	start_conns || return 1
	be=$(awk '$1 == "conn" { print $3 }' "$TB_STATE/conns.out" | sort | uniq -c | sort -rn |
	     awk 'NR == 1 { print $2 }')
	addr=$(tb_be_addr4 "${be#be}")
	onbe=$(grep -c "^conn [0-9]* $be\$" "$TB_STATE/conns.out")

	p0=$(web4_packets tb_node_xlbctl lb2)
	route_via 198.18.1.3
	sleep 2
	p1=$(web4_packets tb_node_xlbctl lb2)
	REASON=table_hit
	echo "  routed through lb2: $((p1 - p0)) packets of web4 there," \
		"$(tb_node_xlbctl lb2 -j counters | jq '[.vips[] | .new_flows] | add') new flows," \
		"$(counter tb_node_xlbctl lb2) sent by the table alone"
	(( p1 - p0 >= CONNS )) || fail "the connections' packets do not go through lb2" || return 1

	tb_node_xlbctl lb2 drain web4 "$addr" >/dev/null || fail "drain on lb2 refused" || return 1
	touch "$TB_STATE/mark"
	sleep 1.1
	echo "  drained $be ($onbe of the connections) on lb2: $(metric_of xlb_vip_lookup_slots web4 lb2)" \
		"slots looked up, old table $(metric_of xlb_vip_old_table web4 lb2)"
	[[ $(metric_of xlb_vip_old_table web4 lb2) == 1 ]] || fail "lb2 kept no old table" || return 1
	sleep 3
	tb_xlbctl drain web4 "$addr" >/dev/null || fail "drain on lb refused" || return 1
	route_via 198.18.1.2
	echo "  drained on lb too, routed back through lb"
	stop_conns 3 || return 1

	# The drain is real: new connections, through either node, avoid it.
	for ((i = 0; i < 10; i++)); do
		route_via "198.18.1.$((2 + i % 2))"
		name=$(tb_http_get 4 $((43000 + i))) || fail "new connection $i failed" || return 1
		[[ $name != "$be" ]] || fail "new connection $i went to the drained $be" || return 1
	done
	echo "  10 new connections through lb and lb2: none on the drained $be"
	route_via 198.18.1.2
}

command -v jq >/dev/null || {
	for t in $ALL_TESTS; do echo "SKIPPED: $t (needs jq)"; done
	exit 0
}
e2e_main 3
