#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Table fingerprints across nodes (issue 13, part 2). Node 1 is the
# testbed's xlbd; node 2 a second xlbd in a namespace of its own (a veth to
# attach to, no traffic), with the same backends:
#
#   fingerprints in show, status, /metrics and GET /fingerprints
#   node 2 with an extra VIP first (other backend ids): web4 and web6 the
#   same, compare names the extra VIP; reloaded without it: all the same
#   one weight differs on node 2      -> compare names web4 and the backend,
#                                        over the socket and over HTTP
#   the alert rule fires on two fingerprints (promtool test rules)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_fingerprint_shown test_other_ids_same_fingerprint test_one_weight_differs
	   test_alert_rule"

CONFIG=
NODE2_SOCKET=
NODE2_PID=
# Node 2 cannot reach the backends: health is judged per node, and a probe
# would take them out there (compare shows it as weight 0). Not probed here.
export TB_PROBE="{ type: none }"

# start_node2 CONFIG: the second xlbd, in namespace fp2 on a veth of its own.
start_node2() {
	local n
	if ! ip netns list | has "^$(tb_ns fp2) "; then
		tb_add_ns fp2
		tb_exec fp2 ip link add eth0 type veth peer name p0
		tb_exec fp2 ip link set eth0 up
		tb_exec fp2 ip link set p0 up
	fi
	NODE2_SOCKET=$TB_STATE/node2.sock
	nsenter --net="/run/netns/$(tb_ns fp2)" "$TB_XLBD" -c "$1" --pin "$TB_PIN-node2" \
		--socket "$NODE2_SOCKET" --state "$TB_STATE/node2.json" \
		--journal "$TB_STATE/node2.jsonl" >>"$TB_STATE/node2.log" 2>&1 &
	NODE2_PID=$!
	disown "$NODE2_PID"
	echo "$NODE2_PID" >"$TB_STATE/node2.pid"
	for ((n = 0; n < 100; n++)); do
		XLB_SOCKET=$NODE2_SOCKET "$TB_XLBCTL" status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "node 2 did not start: $(tail -3 "$TB_STATE/node2.log")"
}

stop_node2() {
	kill "$NODE2_PID" 2>/dev/null
	while kill -0 "$NODE2_PID" 2>/dev/null; do sleep 0.05; done
}

node2() { XLB_SOCKET=$NODE2_SOCKET "$TB_XLBCTL" "$@"; }

# read_back SOCKET: until every VIP's table has been read and fingerprinted.
read_back() {
	local n
	for ((n = 0; n < 50; n++)); do
		[[ -n $(XLB_SOCKET=$1 "$TB_XLBCTL" -j status | jq -r '.fingerprint // empty') ]] &&
			return 0
		sleep 0.1
	done
	return 1
}

test_fingerprint_shown() {
	local fp m j
	CONFIG=$TB_STATE/xlb.yaml
	tb_write_config encap "$CONFIG" 1 1 1 1
	tb_start_xlbd "$CONFIG" || return 1
	read_back "$TB_SOCKET" || fail "no fingerprint in status" || return 1
	fp=$(tb_xlbctl -j show web4 | jq -r '.[0].fingerprint.digest')
	[[ $fp =~ ^[0-9a-f]{16}$ ]] || fail "show -j: fingerprint '$fp'" || return 1
	tb_xlbctl show web4 | sed -n 1p | has "fingerprint $fp" || fail "show: no fingerprint" || return 1
	tb_xlbctl status | has '^table fingerprint [0-9a-f]\{16\} ' || fail "status" || return 1
	m=$(tb_exec lb curl -s -m 3 http://127.0.0.1:9742/metrics)
	grep -q "^xlb_vip_table_fingerprint{vip=\"web4\".*fingerprint=\"$fp\".*} 1$" <<<"$m" ||
		fail "metrics: $(grep fingerprint <<<"$m" | head -3)" || return 1
	promtool check metrics <<<"$m" >/dev/null 2>&1 || fail "promtool" || return 1
	j=$(tb_exec lb curl -s -m 3 http://127.0.0.1:9742/fingerprints)
	[[ $(jq -r '.vips[] | select(.name == "web4") | .fingerprint.digest' <<<"$j") == "$fp" ]] ||
		fail "GET /fingerprints: $j" || return 1
	echo "  web4 $fp; node $(tb_xlbctl -j status | jq -r .fingerprint)"
}

test_other_ids_same_fingerprint() {
	local out rc id1 id2
	# web0 first on node 2: its backends take the low ids.
	{
		sed -n '1,/^vips:/p' "$CONFIG"
		printf '  - name: web0\n    address: 198.18.100.200\n    port: 80\n    protocol: tcp\n    mode: encap\n'
		printf '    backends:\n      - address: 198.18.1.201\n      - address: 198.18.1.202\n'
		sed '1,/^vips:/d' "$CONFIG"
	} >"$TB_STATE/node2.yaml"
	start_node2 "$TB_STATE/node2.yaml" || return 1
	read_back "$NODE2_SOCKET" || fail "node 2 never read its tables" || return 1
	id1=$(tb_xlbctl -j show web4 | jq '.[0].backends[0].id')
	id2=$(node2 -j show web4 | jq '.[0].backends[0].id')
	[[ $id1 != "$id2" ]] || fail "the ids should differ ($id1)" || return 1
	out=$(tb_xlbctl compare "$TB_SOCKET" "$NODE2_SOCKET")
	rc=$?
	echo "$out" | sed 's/^/  /'
	[[ $rc == 1 ]] || fail "compare exited $rc with a VIP on one node only" || return 1
	grep -q "^VIP web4: same on all 2 nodes" <<<"$out" && grep -q "^VIP web6: same" <<<"$out" ||
		fail "web4/web6 differ though only the ids do" || return 1
	grep -q "VIP 'web0' is not on node 1" <<<"$out" || fail "web0 not named" || return 1
	# Reloaded without web0: ids are kept, everything agrees.
	cp "$CONFIG" "$TB_STATE/node2.yaml"
	node2 reload >/dev/null || fail "node 2 reload" || return 1
	sleep 1.5
	read_back "$NODE2_SOCKET"
	out=$(tb_xlbctl compare "$TB_SOCKET" "$NODE2_SOCKET") || fail "compare: $out" || return 1
	[[ $(tb_xlbctl -j status | jq -r .fingerprint) == $(node2 -j status | jq -r .fingerprint) ]] ||
		fail "node fingerprints differ" || return 1
	echo "  without web0: $(tail -1 <<<"$out")"
}

test_one_weight_differs() {
	local out rc url
	TB_EXTRA= tb_write_config encap "$TB_STATE/node2.yaml" 1 1 1 2
	node2 reload >/dev/null || fail "node 2 reload" || return 1
	sleep 1.5
	out=$(tb_xlbctl compare "$TB_SOCKET" "$NODE2_SOCKET")
	rc=$?
	echo "$out" | sed 's/^/  /'
	[[ $rc == 1 ]] || fail "compare exited $rc" || return 1
	grep -q "^VIP web4: DIFFERS" <<<"$out" &&
		grep -q "backend $(tb_be_addr4 4): weight 1 on node 1, 2 on node 2" <<<"$out" ||
		fail "web4's be4 not named" || return 1
	[[ $(tb_xlbctl -j show web4 | jq -r '.[0].fingerprint.digest') != \
	   $(node2 -j show web4 | jq -r '.[0].fingerprint.digest') ]] ||
		fail "the fingerprints agree" || return 1
	# Over HTTP: node 2's metrics port, from its namespace.
	url=http://127.0.0.1:9742/fingerprints
	out=$(nsenter --net="/run/netns/$(tb_ns fp2)" "$TB_XLBCTL" -j compare "$TB_SOCKET" "$url")
	rc=$?
	[[ $rc == 1 && $(jq -r '.vips[] | select(.name == "web4") | .differences[0]' <<<"$out") == \
	   "backend $(tb_be_addr4 4): weight 1 on node 1, 2 on node 2 (0: takes no new flows)" ]] ||
		fail "compare over HTTP ($rc): $out" || return 1
	out=$(tb_xlbctl compare "$TB_SOCKET" "$TB_STATE/nothing.sock" 2>&1)
	[[ $? == 1 ]] && grep -q "Couldn't connect to xlbd at '$TB_STATE/nothing.sock'" <<<"$out" ||
		fail "an unreachable node: $out" || return 1
	stop_node2
}

# The rule in tools/monitoring/alerts.yml, on two nodes' series.
test_alert_rule() {
	local t=$TB_STATE/alerts_test.yml
	cat >"$t" <<EOF
rule_files: [ $PWD/tools/monitoring/alerts.yml ]
evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      - series: 'xlb_vip_table_fingerprint{instance="n1",vip="web4",fingerprint="aaaa"}'
        values: '1x10'
      - series: 'xlb_vip_table_fingerprint{instance="n2",vip="web4",fingerprint="bbbb"}'
        values: '1x10'
      - series: 'xlb_vip_table_fingerprint{instance="n1",vip="web6",fingerprint="cccc"}'
        values: '1x10'
      - series: 'xlb_vip_table_fingerprint{instance="n2",vip="web6",fingerprint="cccc"}'
        values: '1x10'
    alert_rule_test:
      - eval_time: 3m
        alertname: XlbTableFingerprintsDiffer
        exp_alerts:
          - exp_labels: { severity: page, vip: web4 }
            exp_annotations:
              summary: "xlb nodes disagree on VIP web4's table (2 fingerprints)"
              description: "A flow moved between nodes may change backend. 'xlbctl compare' with every node's socket or http://NODE:9742/fingerprints names the backend or setting that differs."
EOF
	promtool test rules "$t" >"$TB_STATE/promtool.out" 2>&1 ||
		fail "promtool: $(cat "$TB_STATE/promtool.out")" || return 1
	echo "  fires for web4 (two fingerprints), not for web6"
}

e2e_main 4
