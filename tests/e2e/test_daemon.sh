#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# xlbd and xlbctl over the namespace testbed: applying a config, reloads
# good and bad, runtime changes surviving a restart, kill -9 under live
# traffic, and an unprivileged user refused.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_apply test_trace test_bad_reload_changes_nothing test_good_reload
	   test_cli_changes_survive_restart test_kill9_under_traffic
	   test_stale_socket test_unprivileged_refused"

CONFIG=
PORT=30000

# take_ports N: sets FIRST to N fresh client ports (no TIME_WAIT reuse).
take_ports() { FIRST=$PORT; PORT=$((PORT + $1)); }

# The data path's view without counters: what a change may or may not touch.
layout() { tb_xlbctl dump | awk -F'\t' '{ NF = ($1 == "vip") ? 7 : 7; print }' OFS='\t'; }


all_connect() {
	local out failed
	take_ports "$1"
	out=$(connect_many 4 "$FIRST" "$1")
	failed=$(awk '$1 == "failed" { print $2 }' <<<"$out")
	[[ $failed == 0 ]] || fail "$failed of $1 connections failed"
}

test_apply() {
	local out i got want
	CONFIG=$TB_STATE/xlb.yaml
	tb_write_config encap "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	take_ports 30
	out=$(connect_many 4 "$FIRST" 30)
	[[ $(awk '$1 == "failed" { print $2 }' <<<"$out") == 0 ]] || fail "connections failed: $out" || return 1
	for ((i = 1; i <= TB_BACKENDS; i++)); do
		want=$(awk -v b="be$i" '$1 == b { print $2 }' <<<"$out")
		got=$(tb_xlbctl dump | awk -F'\t' -v a="$(tb_be_addr4 "$i")" '$1 == "backend" && $3 == a { print $8 }')
		[[ ${want:-0} == "$got" ]] || fail "be$i answered ${want:-0}, xlbctl dump says $got new flows" || return 1
	done
	tb_xlbctl status | has "2 VIPs, 6 backends" || fail "status: $(tb_xlbctl status)"
}

# trace predicts the backend of a flow, writes nothing, and after the
# connection still names its backend: a TCP VIP keeps no flow state on
# slots no change has moved (issue 25), so the table alone decides.
test_trace() {
	local before out be name port
	take_ports 1
	port=$FIRST
	before=$(tb_xlbctl dump)
	out=$(tb_xlbctl trace tcp 198.18.0.2 "$port" "$TB_VIP4" 80) || fail "trace failed: $out" || return 1
	# A SYN on a slot no change has moved: the table's choice, nothing recorded.
	[[ $out == *"a TCP flow on a slot no change has moved"*"slot"*"verdict tx (tx_forward)"* ]] ||
		fail "trace of a new flow: $out" || return 1
	be=$(tb_xlbctl -j trace tcp 198.18.0.2 "$port" "$TB_VIP4" 80 |
	     /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["backend"])')
	[[ $(tb_xlbctl dump) == "$before" ]] || fail "trace changed counters or state" || return 1
	name=$(tb_http_get 4 "$port") || fail "connection failed" || return 1
	[[ $(tb_be_addr4 "${name#be}") == "$be" ]] || fail "trace said $be, $name answered" || return 1
	out=$(tb_xlbctl trace tcp 198.18.0.2 "$port" "$TB_VIP4" 80)
	[[ $out == *"a TCP flow on a slot no change has moved: the table decides, no flow state"*"backend $be"* ]] ||
		fail "trace after the connection: $out" || return 1
	out=$(tb_xlbctl trace udp 198.18.0.2 "$port" 198.18.100.99 53)
	[[ $out == *"no VIP takes this flow"*"verdict pass (pass_not_vip)"* ]] || fail "non-VIP trace: $out"
}

test_bad_reload_changes_nothing() {
	local before after out rc
	before=$(layout)
	cp "$CONFIG" "$CONFIG.good"
	sed -i '0,/weight: 1/s//wieght: 1/' "$CONFIG"
	out=$(tb_xlbctl reload 2>&1)
	rc=$?
	[[ $rc == 1 ]] || fail "reload of a bad config exited $rc" || return 1
	[[ $out == *"xlb.yaml:"*":"*": error: unknown key 'wieght' in backend; did you mean 'weight'?"* ]] ||
		fail "reload did not name the problem: $out" || return 1
	kill -HUP "$TB_XLBD_PID"
	sleep 0.3
	after=$(layout)
	[[ $before == "$after" ]] || fail "data path changed by a refused reload" || return 1
	grep -q "Reload of '$CONFIG' refused" "$TB_STATE/xlbd.log" || fail "SIGHUP refusal not logged" || return 1
	cp "$CONFIG.good" "$CONFIG"
	all_connect 10
}

test_good_reload() {
	local share
	tb_write_config encap "$CONFIG" 1 1 2
	tb_xlbctl reload >/dev/null || fail "reload of a good config failed" || return 1
	share=$(tb_xlbctl -j show web4 | /usr/bin/python3 -c '
import json, sys
for b in json.load(sys.stdin)[0]["backends"]:
    if b["address"] == "198.18.1.13": print(round(b["table_share"], 3))')
	[[ $share == 0.5 ]] || fail "be3 with weight 2 of 4 has table share $share" || return 1
	all_connect 10
}

test_cli_changes_survive_restart() {
	local out
	tb_xlbctl weight web4 198.18.1.11 5 >/dev/null || fail "weight change refused" || return 1
	tb_xlbctl drain web4 198.18.1.12 >/dev/null || fail "drain refused" || return 1
	tb_stop_xlbd TERM || fail "xlbd did not stop on SIGTERM" || return 1
	all_connect 5 || return 1
	tb_start_xlbd "$CONFIG" || return 1
	out=$(tb_xlbctl dump)
	grep -qP '^backend\tweb4\t198.18.1.11\t5\tup\t' <<<"$out" || fail "weight lost: $out" || return 1
	grep -qP '^backend\tweb4\t198.18.1.12\t1\tdrain\tdraining\t' <<<"$out" || fail "drain lost: $out" || return 1
	tb_xlbctl status | has "adopted" || fail "restart did not adopt pinned state" || return 1
	tb_xlbctl diff | has "web4 198.18.1.11: weight 5 (config 1)" || fail "diff shows no drift" || return 1
	tb_xlbctl reset >/dev/null || fail "reset refused" || return 1
	tb_xlbctl dump | has -P '^backend\tweb4\t198.18.1.11\t1\tup\t' || fail "reset kept the change" || return 1
	# A change that leaves a VIP with no backend taking traffic is refused.
	tb_xlbctl drain web4 198.18.1.11 >/dev/null && tb_xlbctl drain web4 198.18.1.12 >/dev/null ||
		fail "draining two of three refused" || return 1
	out=$(tb_xlbctl drain web4 198.18.1.13 2>&1) && fail "draining the last backend was accepted" && return 1
	[[ $out == *"VIP 'web4' has no backend that takes traffic"* ]] || fail "refusal did not say why: $out" || return 1
	tb_xlbctl dump | has -P '^backend\tweb4\t198.18.1.13\t2\tup\tup\t' || fail "refused change applied" || return 1
	tb_xlbctl reset >/dev/null
}

test_kill9_under_traffic() {
	local out traffic
	take_ports 60
	connect_many 4 "$FIRST" 60 >"$TB_STATE/traffic.out" &
	traffic=$!
	sleep 0.5
	tb_stop_xlbd KILL || fail "xlbd did not die"
	sleep 0.5
	tb_start_xlbd "$CONFIG"
	# The traffic ends by itself (bounded count, 3 s per connection at most).
	wait "$traffic"
	out=$(cat "$TB_STATE/traffic.out")
	[[ $(awk '$1 == "failed" { print $2 }' <<<"$out") == 0 ]] ||
		fail "connections failed across kill -9: $out" || return 1
	tb_xlbctl status | has "adopted from an earlier run" ||
		fail "the new xlbd did not adopt the pinned data path" || return 1
	echo "  60 connections across kill -9 and restart: $(grep '^be' <<<"$out" | sort | tr '\n' ' ')"
}

test_stale_socket() {
	local out rc
	tb_stop_xlbd KILL || fail "xlbd did not die" || return 1
	out=$(tb_xlbctl status 2>&1)
	rc=$?
	[[ $rc == 1 && $out == *"the socket is stale, xlbd is not running"* ]] ||
		fail "stale socket: exit $rc, '$out'" || return 1
	tb_start_xlbd "$CONFIG"
}

test_unprivileged_refused() {
	local before out rc
	chmod 755 "$TB_STATE"
	before=$(layout)
	out=$(XLB_SOCKET=$TB_SOCKET setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TB_XLBCTL" weight web4 198.18.1.11 9 2>&1)
	rc=$?
	[[ $rc == 1 && $out == *"permission denied"* ]] || fail "nobody changed a weight: exit $rc, '$out'" || return 1
	[[ $(layout) == "$before" ]] || fail "refused change touched the data path"
}

e2e_main 3
