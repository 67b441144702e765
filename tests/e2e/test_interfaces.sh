#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Several interfaces per xlbd (issue 13, part 4). The lb gets a second
# client-facing link, eth1, on a segment of its own; the router sends the
# VIP to one link or the other by its route. One xlbd attaches to both,
# with one set of maps:
#
#   both attached (status, /metrics); HTTP in through eth0, then eth1
#   a transfer whose route moves from eth0 to eth1 midway completes: the
#       flow table is shared
#   eth1 deleted: only eth1 is NOT ATTACHED, eth0 serves; eth1 made again:
#       attached again and serving
#   a restart adopts both links (no re-attach); a restart with eth0 alone
#       detaches eth1
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_both_attached test_transfer_moves_link test_one_interface_lost
	   test_restart_adopts_and_prunes"

CONFIG=
PORT_FILE=

# via eth0|eth1: the router's VIP routes go to that link of the lb.
via() {
	local gw4=198.18.1.2 gw6=2001:db8:1::2
	[[ $1 == eth1 ]] && gw4=198.18.2.2 gw6=2001:db8:2::2
	tb_exec router ip route replace "$TB_VIP4/32" via "$gw4"
	tb_exec router ip -6 route replace "$TB_VIP6/128" via "$gw6"
}

next_port() {
	local p
	p=$(( $(cat "$PORT_FILE" 2>/dev/null || echo 43000) + 1 ))
	echo "$p" >"$PORT_FILE"
	echo "$p"
}

# get FAMILY: one request through the VIP from a fresh port; the backend's name.
get() { tb_http_get "$1" "$(next_port)"; }

xdp_on() { tb_exec lb ip -d link show "$1" | has "prog/xdp"; }

test_both_attached() {
	local out m
	PORT_FILE=$TB_STATE/next_port
	tb_lb_link2 || return 1
	CONFIG=$TB_STATE/xlb.yaml
	tb_write_config encap "$CONFIG"
	sed -i '1,3c\interfaces:\n  - name: eth0\n    mode: native\n  - { name: eth1, mode: native }' "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	out=$(tb_xlbctl status | head -1)
	echo "  $out"
	[[ $out == *"interfaces eth0 (native XDP), eth1 (native XDP),"* ]] || fail "status" || return 1
	xdp_on eth0 && xdp_on eth1 || fail "XDP is not on both" || return 1
	m=$(tb_exec lb curl -s -m 3 http://127.0.0.1:9742/metrics)
	grep -q '^xlb_interface_attached{interface="eth1"} 1$' <<<"$m" &&
		grep -q '^xlb_interface_attached{interface="eth0"} 1$' <<<"$m" || fail "metrics" || return 1
	via eth0
	[[ $(get 4) == be* && $(get 6) == be* ]] || fail "HTTP through eth0" || return 1
	via eth1
	[[ $(get 4) == be* && $(get 6) == be* ]] || fail "HTTP through eth1" || return 1
	echo "  HTTP over IPv4 and IPv6 in through eth0, then eth1"
}

test_transfer_moves_link() {
	local i port size pid
	for ((i = 1; i <= TB_BACKENDS; i++)); do
		head -c 1000000 /dev/zero >"$TB_STATE/be$i/big.bin"
	done
	via eth0
	port=$(next_port)
	tb_exec client curl -s -m 30 --limit-rate 250k --local-port "$port" -o /dev/null \
		-w '%{size_download}' "http://$TB_VIP4/big.bin" >"$TB_STATE/transfer" 2>&1 &
	pid=$!
	sleep 1.5
	via eth1
	wait "$pid"
	size=$(cat "$TB_STATE/transfer")
	echo "  a transfer moved from eth0 to eth1 midway: $size of 1000000 bytes"
	[[ $size == 1000000 ]] || fail "the transfer was cut" || return 1
}

test_one_interface_lost() {
	local out n
	tb_exec lb ip link del eth1
	sleep 1.2
	out=$(tb_xlbctl status)
	grep -q "^NOT ATTACHED: interface eth1 is gone" <<<"$out" && ! grep -q "interface eth0 is gone" <<<"$out" ||
		fail "status: $out" || return 1
	via eth0
	[[ $(get 4) == be* ]] || fail "eth0 stopped serving when eth1 went" || return 1
	tb_lb_link2 || return 1
	for ((n = 0; n < 30; n++)); do
		xdp_on eth1 && break
		sleep 0.1
	done
	xdp_on eth1 || fail "not attached to the new eth1" || return 1
	via eth1
	[[ $(get 4) == be* ]] || fail "HTTP through the new eth1" || return 1
	grep -q '"interface":"eth1","state":"attached"' "$TB_STATE/journal.jsonl" || fail "journal" || return 1
	echo "  eth1 lost: eth0 served; eth1 back: attached again and serving"
}

test_restart_adopts_and_prunes() {
	local from
	tb_stop_xlbd TERM || return 1
	xdp_on eth1 || fail "eth1 lost XDP when xlbd stopped" || return 1
	from=$(wc -l <"$TB_STATE/xlbd.log")
	tb_start_xlbd "$CONFIG" || return 1
	tail -n +"$((from + 1))" "$TB_STATE/xlbd.log" | has "No pinned XDP link on" &&
		fail "a link was attached afresh" && return 1
	[[ $(get 4) == be* ]] || fail "HTTP through eth1 after the restart" || return 1
	tb_stop_xlbd TERM || return 1
	tb_write_config encap "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	grep -q "Detached from interface 'eth1': it is not in the config any more" "$TB_STATE/xlbd.log" ||
		fail "no word of eth1" || return 1
	sleep 0.2
	xdp_on eth1 && fail "eth1 still runs xlb" && return 1
	xdp_on eth0 || fail "eth0 lost XDP" || return 1
	via eth0
	[[ $(get 4) == be* ]] || fail "HTTP through eth0" || return 1
	echo "  restart: both links adopted; restart with eth0 alone: eth1 detached"
}

e2e_main 3
