#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Health probes end to end, with real HTTP servers on the backends: a dead
# backend leaves within interval x fall + one interval while a transfer to
# another backend goes on unbroken, it comes back after rise successes, a
# backend that accepts and never answers is caught by the timeout, and the
# two all-down policies.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_dead_backend_leaves test_backend_comes_back test_hanging_backend
	   test_all_down_keep test_all_down_drop test_probe_kinds"

INTERVAL_MS=400
TIMEOUT_MS=300
RISE=2
FALL=2
export TB_PROBE="{ type: http, path: /, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, rise: $RISE, fall: $FALL }"
CONFIG=
PORT=40000

take_ports() { FIRST=$PORT; PORT=$((PORT + $1)); }

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# backend_field BE_INDEX FIELD: a field of the backend in 'xlbctl -j show web4'.
backend_field() {
	tb_xlbctl -j show web4 | /usr/bin/python3 -c '
import json, sys
for b in json.load(sys.stdin)[0]["backends"]:
    if b["address"] == sys.argv[1]: print(b.get(sys.argv[2], ""))' "$(tb_be_addr4 "$1")" "$2"
}

# wait_health BE_INDEX STATE LIMIT_MS: waits for it; prints the time taken.
wait_health() {
	local start now
	start=$(ms_now)
	while true; do
		[[ $(backend_field "$1" health) == "$2" ]] && { echo $(( $(ms_now) - start )); return 0; }
		now=$(ms_now)
		(( now - start > $3 )) && return 1
		sleep 0.05
	done
}

# connections_avoid BE_INDEX COUNT: all succeed, none lands on that backend.
connections_avoid() {
	local out
	take_ports "$2"
	out=$(connect_many 4 "$FIRST" "$2")
	[[ $(awk '$1 == "failed" { print $2 }' <<<"$out") == 0 ]] || fail "connections failed: $out" || return 1
	! grep -q "^be$1 " <<<"$out" || fail "new flows still reach be$1: $out" || return 1
	echo "  $2 connections: $(grep '^be' <<<"$out" | sort | tr '\n' ' ')"
}

# A port whose flow goes to a backend other than BE_INDEX (xlbctl trace).
port_avoiding() {
	local p be
	for ((p = 45000; p < 45100; p++)); do
		be=$(tb_xlbctl -j trace tcp 198.18.0.2 "$p" "$TB_VIP4" 80 |
		     /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["backend"])')
		[[ $be != "$(tb_be_addr4 "$1")" ]] && { echo "$p"; return 0; }
	done
	return 1
}

test_dead_backend_leaves() {
	local took limit=$((INTERVAL_MS * FALL + INTERVAL_MS + TIMEOUT_MS)) port size
	CONFIG=$TB_STATE/xlb.yaml
	tb_write_config encap "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	wait_health 2 up 5000 >/dev/null || fail "be2 not up at start" || return 1
	# A slow transfer to another backend that must outlive be2's death.
	head -c 400000 /dev/zero >"$TB_STATE/be1/big" && cp "$TB_STATE/be1/big" "$TB_STATE/be3/big"
	port=$(port_avoiding 2) || fail "no port avoiding be2" || return 1
	tb_exec client curl -s -m 20 --limit-rate 200k --local-port "$port" -o "$TB_STATE/big.out" \
		"http://$TB_VIP4/big" &
	local transfer=$!
	sleep 0.3
	tb_stop_http 2
	took=$(wait_health 2 down "$limit") ||
		fail "be2 still up ${limit} ms after its server stopped" || return 1
	echo "  be2 down ${took} ms after its server stopped (bound ${limit} ms: interval x fall + interval + timeout)"
	[[ $(backend_field 2 dp_state) == down && $(backend_field 2 slots) == 0 ]] ||
		fail "be2 still in the table" || return 1
	[[ $(backend_field 2 last_result) == refused ]] || fail "reason: $(backend_field 2 last_result)" || return 1
	grep -q "backend 198.18.1.12 of VIP 'web4' is down: refused" "$TB_STATE/xlbd.log" ||
		fail "transition not logged with its reason" || return 1
	connections_avoid 2 30 || return 1
	wait "$transfer" || fail "the transfer to another backend broke (curl exit $?)" || return 1
	size=$(stat -c %s "$TB_STATE/big.out")
	[[ $size == 400000 ]] || fail "the transfer to another backend got $size of 400000 bytes"
}

test_backend_comes_back() {
	local took limit=$((INTERVAL_MS * RISE + INTERVAL_MS + TIMEOUT_MS)) out
	tb_start_http 2
	took=$(wait_health 2 up "$((limit + 2000))") ||
		fail "be2 not back $((limit + 2000)) ms after its server started" || return 1
	echo "  be2 up ${took} ms after its server started (rise $RISE x interval $INTERVAL_MS ms, plus start-up)"
	take_ports 30
	out=$(connect_many 4 "$FIRST" 30)
	grep -q '^be2 ' <<<"$out" || fail "no new flow reaches be2 again: $out"
}

test_hanging_backend() {
	local took limit=$((INTERVAL_MS * FALL + INTERVAL_MS + TIMEOUT_MS))
	tb_stop_http 3
	tb_hang_http 3 20
	took=$(wait_health 3 down "$((limit + 500))") ||
		fail "be3 accepts and never answers, still up after $((limit + 500)) ms" || return 1
	[[ $(backend_field 3 last_result) == timeout ]] ||
		fail "reason: $(backend_field 3 last_result), want timeout" || return 1
	echo "  hanging be3 down after ${took} ms: timeout"
	connections_avoid 3 20 || return 1
	tb_stop_http 3
	tb_start_http 3
	wait_health 3 up 5000 >/dev/null || fail "be3 did not come back"
}

# Every backend serving again, whatever a test left behind.
restore_backends() {
	local i
	for i in 1 2 3; do
		[[ -e $TB_STATE/be$i.pid ]] || tb_start_http "$i"
	done
	for i in 1 2 3; do wait_health "$i" up 5000 >/dev/null || fail "be$i did not come back" || return 1; done
}

test_all_down_keep() {
	local i drops
	drops=$(tb_xlbctl -j counters | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["reasons"]["drop_no_backend"]["packets"])')
	tb_stop_http 1
	wait_health 1 down 5000 >/dev/null || fail "be1 not down" || return 1
	tb_stop_http 3
	wait_health 3 down 5000 >/dev/null || fail "be3 not down" || return 1
	tb_stop_http 2
	wait_health 2 down 5000 >/dev/null || fail "be2 not down" || return 1
	sleep 0.2
	# be2 was the last one up: it is the last healthy set, and stays.
	[[ $(backend_field 2 slots) == 65537 ]] || fail "be2 not kept: slots $(backend_field 2 slots)" || return 1
	grep -q "every backend of VIP 'web4' is down: keeping the last healthy set" "$TB_STATE/xlbd.log" ||
		fail "all-down not logged" || return 1
	tb_start_http 2
	take_ports 5
	[[ $(connect_many 4 "$FIRST" 5 | awk '$1 == "be2" { print $2 }') == 5 ]] ||
		fail "the kept backend does not get the traffic" || return 1
	[[ $(tb_xlbctl -j counters | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["reasons"]["drop_no_backend"]["packets"])') == "$drops" ]] ||
		fail "packets dropped while a backend was kept" || return 1
	restore_backends
}

test_all_down_drop() {
	local before after i
	restore_backends || return 1
	TB_ALL_DOWN=drop tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null || fail "reload with all_down: drop refused" || return 1
	for i in 1 2 3; do tb_stop_http "$i"; done
	for i in 1 2 3; do wait_health "$i" down 5000 >/dev/null || fail "be$i not down" || return 1; done
	sleep 0.2
	before=$(tb_xlbctl -j counters | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["reasons"]["drop_no_backend"]["packets"])')
	take_ports 3
	connect_many 4 "$FIRST" 3 >/dev/null
	after=$(tb_xlbctl -j counters | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["reasons"]["drop_no_backend"]["packets"])')
	(( after > before )) || fail "no drops counted with every backend down (drop_no_backend $before -> $after)" || return 1
	grep -q "every backend of VIP 'web4' is down: its traffic is dropped and counted" "$TB_STATE/xlbd.log" ||
		fail "all-down drop not logged" || return 1
	echo "  drop_no_backend counted $((after - before)) packets with all backends down"
	restore_backends
}

# reprobe "PROBE": reload with another VIP-level probe for every backend.
reprobe() {
	TB_PROBE=$1 tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null || fail "reload with probe $1 refused"
}

# expect_health STATE REASON: be1 reaches STATE with that last result.
expect_health() {
	wait_health 1 "$1" 5000 >/dev/null || fail "be1 not $1 with probe $(backend_field 1 probe)" || return 1
	local reason
	for ((n = 0; n < 40; n++)); do
		reason=$(backend_field 1 last_result)
		[[ $reason == "$2" ]] && return 0
		sleep 0.05
	done
	fail "be1 $(backend_field 1 probe) probe: last result '$reason', want '$2'"
}

# exec, udp and https probes against real responders on the backends.
test_probe_kinds() {
	local t="interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, rise: 1, fall: 1" dir
	restore_backends || return 1
	reprobe "{ type: exec, command: 'exit 0', $t }" || return 1
	expect_health up ok || return 1
	reprobe "{ type: exec, command: 'test \"\$XLB_BACKEND\" != 198.18.1.11', $t }" || return 1
	expect_health down "exit 1" || return 1
	echo "  exec: a command's exit status decides; XLB_BACKEND set"

	reprobe "{ type: udp, port: 5353, send: ping, expect: pong, $t }" || return 1
	expect_health down refused || return 1
	ip netns exec "$(tb_ns be1)" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 5353)); s.settimeout(0.5)
end = time.time() + 15
while time.time() < end:
    try:
        data, peer = s.recvfrom(64)
        s.sendto(b"pong" if data == b"ping" else b"what", peer)
    except socket.timeout:
        pass
' &
	local udp=$!
	expect_health up ok || { kill $udp; return 1; }
	kill $udp
	echo "  udp: port unreachable is 'refused'; a 'pong' to 'ping' is healthy"

	dir=$TB_STATE/tls
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=web.xlb.test -days 1 \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null || fail "openssl" || return 1
	ip netns exec "$(tb_ns be1)" /usr/bin/python3 -c '
import http.server, socket, ssl, sys, threading, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = (self.path == "/healthz" and self.headers["Host"].startswith("web.xlb.test")
              and names and names[-1] == "web.xlb.test")
        self.send_response(200 if ok else 404); self.end_headers()
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("0.0.0.0", 8443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1] + "/cert.pem", sys.argv[1] + "/key.pem")
names = []
ctx.sni_callback = lambda s, name, c: names.append(name)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
threading.Timer(15, srv.shutdown).start()
srv.serve_forever()
' "$dir" &
	local https=$!
	reprobe "{ type: https, port: 8443, path: /healthz, host: web.xlb.test, $t }" || { kill $https; return 1; }
	expect_health up "status 200" || { kill $https; return 1; }
	reprobe "{ type: https, port: 8443, path: /nope, host: web.xlb.test, $t }" || { kill $https; return 1; }
	expect_health down "status 404" || { kill $https; return 1; }
	kill $https
	echo "  https: status decides; Host and SNI carry 'host', self-signed accepted"
	reprobe "$TB_PROBE"
}

e2e_main 3
