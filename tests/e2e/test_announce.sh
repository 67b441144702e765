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
#   xlbd stopped (TERM) or killed (-9) -> withdrawn at the router (both
#       VIPs, and the lb's table 200 empty); the time it took is printed
#   a device of the announce device's name exists before the start (a
#       persistent TUN from 'ip tuntap add', a veth) -> the start is refused
#       with a hint naming it, the device and the data path left as they
#       were: never reused, as routes on it would outlive xlbd (issue 26)
#   the config's announce section is checked strictly
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_announced test_all_down_withdraws test_interface_lost_withdraws
	   test_drain_node test_stop_and_crash_withdraw test_existing_device_refused
	   test_announce_config_errors"

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
		wait_route 6 "$TB_VIP6" no 5 || fail "$TB_VIP6 still announced after kill -$sig" || return 1
		echo "  kill -$sig: both withdrawn at the router $(ms_since "$t0") ms later"
		[[ -z $(tb_exec lb ip route show table 200) ]] || fail "table 200 kept routes" || return 1
		tb_exec lb ip link show xlb-vips >/dev/null 2>&1 && fail "the device outlived xlbd" && return 1
		tb_start_xlbd "$CONFIG" || return 1
		wait_route 4 "$TB_VIP4" yes 10 || fail "not announced after the restart" || return 1
	done
}

# refused_start LOG_OFFSET PATTERN...: the xlbd just started has exited and
# its log, from LOG_OFFSET on, has each PATTERN (fixed strings).
refused_start() {
	local out p n
	for ((n = 0; n < 40; n++)); do
		kill -0 "$TB_XLBD_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$TB_XLBD_PID" 2>/dev/null && fail "xlbd is running" && return 1
	out=$(tail -c +$(($1 + 1)) "$TB_STATE/xlbd.log")
	shift
	for p in "$@"; do
		grep -qF -- "$p" <<<"$out" || fail "not in the log: $p; it says: $out" || return 1
	done
	echo "$out" | grep -E "Couldn't create|hint:" | sed 's/^/  xlbd: /'
}

# What a refused start must not change: the device, the routes, the data path.
lb_state() {
	tb_exec lb ip -d link show "$1" 2>&1
	tb_exec lb ip route show table 200
	tb_exec lb ip -6 route show table 200
	tb_exec lb ip link show eth0 | grep -o 'prog/xdp id [0-9]*'
	ls "$TB_PIN"
}

test_existing_device_refused() {
	local before off t0 n cfg=$TB_STATE/other-dev.yaml
	tb_stop_xlbd TERM || fail "xlbd did not stop" || return 1
	wait_route 4 "$TB_VIP4" no 10 || fail "still announced after TERM" || return 1
	# A persistent TUN, made beforehand by hand: xlbd must not take it over.
	tb_exec lb ip tuntap add dev xlb-vips mode tun || fail "ip tuntap add" || return 1
	before=$(lb_state xlb-vips)
	off=$(stat -c %s "$TB_STATE/xlbd.log")
	if tb_start_xlbd "$CONFIG" 2>/dev/null; then
		# The bug: the device is reused and outlives a killed xlbd, routes included.
		wait_route 4 "$TB_VIP4" yes 10
		t0=$(date +%s%N)
		tb_stop_xlbd KILL
		sleep 5
		fail "xlbd started on the existing device xlb-vips; $(ms_since "$t0") ms after kill -9 the router has: $(tb_router_route 4 "$TB_VIP4") $(tb_router_route 6 "$TB_VIP6")"
		tb_exec lb ip link del xlb-vips
		tb_start_xlbd "$CONFIG"
		return 1
	fi
	refused_start "$off" "Couldn't create announce device 'xlb-vips': a device of that name exists already" \
		"hint: 'xlb-vips' is a persistent TUN device" "ip link del xlb-vips" || return 1
	[[ $(lb_state xlb-vips) == "$before" ]] ||
		fail "the refused start changed things: before: $before; after: $(lb_state xlb-vips)" || return 1
	wait_route 4 "$TB_VIP4" no 1 || fail "announced after a refused start" || return 1
	tb_exec lb ip link del xlb-vips
	# Any other kind of device of that name: refused the same way, named.
	tb_exec lb ip link add annx0 type veth peer name annx1 || fail "ip link add veth" || return 1
	TB_EXTRA=$ANNOUNCE$'\n  device: annx0' tb_write_config encap "$cfg"
	before=$(lb_state annx0)
	off=$(stat -c %s "$TB_STATE/xlbd.log")
	tb_start_xlbd "$cfg" 2>/dev/null && fail "xlbd started with a veth as its announce device" && return 1
	refused_start "$off" "Couldn't create announce device 'annx0': a device of that name exists already" \
		"hint: 'annx0' is a veth device" || return 1
	[[ $(lb_state annx0) == "$before" ]] ||
		fail "the refused start changed things: before: $before; after: $(lb_state annx0)" || return 1
	tb_exec lb ip link del annx0
	tb_start_xlbd "$CONFIG" || return 1
	wait_route 4 "$TB_VIP4" yes 10 || fail "not announced after the device went" || return 1
	# xlbd's device deleted by hand and a persistent one made in its place
	# before xlbd makes its own again (it looks every second): not taken.
	off=$(stat -c %s "$TB_STATE/xlbd.log")
	for ((n = 0; n < 5; n++)); do
		tb_exec lb sh -c 'ip link del xlb-vips; ip tuntap add dev xlb-vips mode tun' 2>/dev/null && break
	done
	sleep 1.5
	tail -c +$((off + 1)) "$TB_STATE/xlbd.log" |
		has -F "Couldn't make announce device 'xlb-vips': a device of that name exists already" ||
		fail "the persistent device made in its place: $(tail -c +$((off + 1)) "$TB_STATE/xlbd.log")" || return 1
	tb_exec lb ip -d link show xlb-vips | has "persist on" || fail "not the persistent device" || return 1
	[[ -z $(tb_exec lb ip route show table 200) ]] || fail "routes on the persistent device" || return 1
	wait_route 4 "$TB_VIP4" no 5 || fail "still announced with the device gone" || return 1
	tb_exec lb ip link del xlb-vips
	wait_route 4 "$TB_VIP4" yes 10 || fail "not announced once the persistent device went" || return 1
	grep -q "Announce device 'xlb-vips' made again" "$TB_STATE/xlbd.log" || fail "not made again" || return 1
	echo "  deleted by hand, a persistent device in its place: not taken; made again once it went"
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
	# Names the kernel would refuse: xlbctl check and xlbd's own load, one
	# parser (tests/config/bad/announce_device_* has each).
	TB_EXTRA=$'announce:\n  table: 200\n  device: "a/b"' tb_write_config encap "$f"
	out=$("$TB_XLBD" --check-config -c "$f" 2>&1)
	[[ $? == 1 ]] && grep -q "invalid announce device 'a/b': '/' at character 2" <<<"$out" ||
		fail "xlbd --check-config, device a/b: $out" || return 1
	TB_EXTRA=$'announce:\n  table: 200\n  device: lo' tb_write_config encap "$f"
	out=$("$TB_XLBCTL" check "$f" 2>&1)
	[[ $? == 1 ]] && grep -q "invalid announce device 'lo': every host has the loopback device" <<<"$out" ||
		fail "xlbctl check, device lo: $out" || return 1
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
