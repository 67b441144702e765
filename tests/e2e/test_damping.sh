#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Flap damping and slow start end to end.
#
# A backend that serves 1 s and refuses 1 s is never taken out with fall 2
# (its probes alternate, never two failures in a row) while its clients
# fail: that is the "before", measured with damping off. With damping on it
# is held out as flapping within a few probes, no client fails while it is,
# and it is let back once it has been steady for the hold time.
#
# A backend that takes new flows again (enabled here) ramps up over the
# VIP's slow_start: its share starts at a tenth of its weight's.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_flapping_before_damping test_flapping_held_out test_steady_let_back
	   test_slow_start_ramps_up"

CONFIG=
PROBE_BASE="type: http, interval: 1s, timeout: 500ms, rise: 2, fall: 2"

# load SECONDS RATE: HTTP load through the VIP, from a new client address
# (tb_new_client_addr says why); prints "requests N failed N ...".
load() {
	tb_new_client_addr
	tb_exec client /usr/bin/python3 tests/e2e/helpers/http_load.py "http://$TB_VIP4/" "$2" "$1" 2 \
		"$TB_CLIENT_ADDR"
}
health_of() {
	tb_xlbctl -j show web4 | jq -r --arg a "$(tb_be_addr4 "$1")" \
		'.[0].backends[] | select(.address == $a) | .health'
}
wait_health() {
	local n
	for ((n = 0; n < $3 * 2; n++)); do
		[[ $(health_of "$1") == "$2" ]] && { echo $((n / 2)); return 0; }
		sleep 0.5
	done
	return 1
}

test_flapping_before_damping() {
	local out failed
	CONFIG=$TB_STATE/xlb.yaml
	TB_PROBE="{ $PROBE_BASE, flap_changes: 0 }" tb_write_config encap "$CONFIG" 1 1 1
	tb_start_xlbd "$CONFIG" || return 1
	tb_flap_http 3 1 1 60
	sleep 2
	out=$(load 20 20)
	echo "  damping off, be3 up 1 s / down 1 s, 20 s of load: $out"
	echo "  be3 taken out $(grep -c "backend $(tb_be_addr4 3) of VIP 'web4' is down" "$TB_STATE/xlbd.log") times, health now $(health_of 3)"
	failed=$(awk '{ print $4 }' <<<"$out")
	[[ $failed -gt 0 ]] || fail "no client failed: the flapping backend is not reproduced" || return 1
	! grep -q 'is flapping' "$TB_STATE/xlbd.log" || fail "held out with damping off"
}

test_flapping_held_out() {
	local t out failed m
	TB_PROBE="{ $PROBE_BASE, flap_changes: 6, flap_window: 60s, flap_hold: 8s }" \
		tb_write_config encap "$CONFIG" 1 1 1
	tb_xlbctl reload >/dev/null || fail "reload refused" || return 1
	t=$(wait_health 3 flapping 20) || fail "be3 not held out as flapping: $(health_of 3)" || return 1
	echo "  be3 held out as flapping after ${t}s: $(grep -m1 'is flapping' "$TB_STATE/xlbd.log" | cut -c1-160)"
	out=$(load 15 20)
	echo "  damping on, 15 s of load while held out: $out"
	failed=$(awk '{ print $4 }' <<<"$out")
	[[ $failed -eq 0 ]] || fail "$failed clients failed while be3 was held out" || return 1
	[[ $(health_of 3) == flapping ]] || fail "let back while still flapping" || return 1
	tb_xlbctl events | has "is flapping" || fail "not journaled" || return 1
	m=$(tb_exec lb curl -s -m 5 http://127.0.0.1:9742/metrics) || fail "no /metrics: curl $?" || return 1
	grep -q "^xlb_backend_flapping{vip=\"web4\".*remote_address=\"$(tb_be_addr4 3)\".*} 1$" <<<"$m" ||
		fail "xlb_backend_flapping not 1: $(grep '^xlb_backend_flapping{vip="web4"' <<<"$m"); show: $(health_of 3)"
}

test_steady_let_back() {
	local t
	tb_stop_http 3
	tb_start_http 3 || return 1
	t=$(wait_health 3 up 30) || fail "be3 not let back: $(health_of 3)" || return 1
	echo "  steady again, let back after ${t}s (hold 8 s)"
	tb_xlbctl events | has "is steady" || fail "not journaled"
}

# new_flows I: backend I's new-flow counter (web4).
new_flows() { tb_xlbctl -j show web4 | jq -r --arg a "$(tb_be_addr4 "$1")" \
	'.[0].backends[] | select(.address == $a) | .new_flows'; }

# share_of_be3 FLOWS OFFSET: be3's share (percent) of FLOWS new flows sent
# now (flows OFFSET on: each call its own, or they are connection-table hits).
share_of_be3() {
	local total=0 i d3 b=() a=()
	for ((i = 1; i <= 3; i++)); do b[i]=$(new_flows "$i"); done
	tb_loadgen --dst "$TB_VIP4" --dport 80 --flows "$1" --sources 200 --count "$1" \
		--offset "$2" --rate 2000 --duration 5 >/dev/null || return 1
	for ((i = 1; i <= 3; i++)); do a[i]=$(new_flows "$i"); total=$((total + a[i] - b[i])); done
	d3=$((a[3] - b[3]))
	echo "  (be3 got $d3 of $total new flows)" >&2
	echo $((100 * d3 / (total ? total : 1)))
}

test_slow_start_ramps_up() {
	local s0 s1 w
	TB_PROBE="{ $PROBE_BASE }" TB_VIP_EXTRA="slow_start: 10s" tb_write_config encap "$CONFIG" 10 10 10
	tb_xlbctl reload >/dev/null || fail "reload refused" || return 1
	tb_xlbctl disable web4 "$(tb_be_addr4 3)" >/dev/null || return 1
	tb_xlbctl enable web4 "$(tb_be_addr4 3)" >/dev/null || return 1
	w=$(tb_xlbctl -j show web4 | jq -r --arg a "$(tb_be_addr4 3)" '.[0].backends[] | select(.address == $a) | "\(.weight_in_force)/\(.weight) \(.slow_start_left_s)"')
	echo "  just enabled: weight in force/config, seconds left: $w"
	[[ ${w%%/*} -lt 10 ]] || fail "no ramp: $w" || return 1
	s0=$(share_of_be3 1000 100000) || return 1
	echo "  be3's share of new flows in its first second: $s0% (fair at full weight: 33%)"
	[[ $s0 -lt 15 ]] || fail "share $s0% at the start of its slow start" || return 1
	tb_xlbctl show web4 | sed -n '3,5p' | sed 's/^/  /'
	sleep 10
	s1=$(share_of_be3 1000 200000) || return 1
	echo "  after 10 s: $s1%"
	tb_xlbctl show web4 | sed -n '3,5p' | sed 's/^/  /'
	grep 'slow start' "$TB_STATE/xlbd.log" | sed 's/^/  /' 
	[[ $s1 -gt 25 ]] || fail "share $s1% after its slow start" || return 1
	grep -q "backend $(tb_be_addr4 3) of VIP 'web4': slow start done, weight 10" "$TB_STATE/xlbd.log" ||
		fail "end of slow start not logged" || return 1
	tb_xlbctl events | has 'slow start from weight 1 of 10 over 10 s' || fail "not journaled"
}

e2e_main 3
