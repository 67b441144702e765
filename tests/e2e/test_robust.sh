#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# xlbd must never become the outage. Each reproducer of issue 9, against
# the sanitized xlbd on the testbed (a sanitizer report fails the test):
# probe children that used to crash it or leave orphans, a hostile local
# user dripping bytes into the control socket, 1100 slow /metrics clients,
# xlbd stopped for 3 s, 2000 concurrent xlbctl calls, a 30 MB journal read
# while a backend dies, and the plan every view must agree on. And a VIP of
# 30,000 backends, which the config allows: it crashed xlbd (per-backend
# arrays on the stack) and stalled it for seconds a tick (lookups by scan).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_probe_children_crash test_exec_probe_cleanup test_drip_control_socket
	   test_slow_metrics_clients test_sigstop_no_false_transitions
	   test_parallel_mutations test_descriptor_exhaustion test_large_journal_read
	   test_plan_agreement test_huge_vip test_endless_answer_bounded"

CONFIG=
PORT=50000
INTERVAL_MS=400
TIMEOUT_MS=300
FALL=2
# Every backend that should stay up: be1 .. be4; be5 is left to the plan test.
HEALTHY="1 2 3 4"

take_ports() { FIRST=$PORT; PORT=$((PORT + $1)); }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
py() { /usr/bin/python3 "$@"; }

# write_config FILE [BE1_PROBE_YAML]: web4 over be1..be5 with HTTP probes
# (be1's replaced by BE1_PROBE_YAML when given), read_group nogroup when
# READ_GROUP is set.
write_config() {
	local file=$1 be1_probe=${2:-} i
	{
		echo "interface: { name: eth0, mode: native }"
		echo "nexthop_mac: $TB_ROUTER_MAC"
		echo "tunnel_source: { ipv4: $TB_SRC4, ipv6: $TB_SRC6 }"
		[[ -n ${READ_GROUP:-} ]] && echo "control: { read_group: $READ_GROUP }"
		echo "vips:"
		echo "  - name: web4"
		echo "    address: $TB_VIP4"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    mode: encap"
		echo "    probe: { type: http, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, rise: 2, fall: $FALL }"
		echo "    backends:"
		for ((i = 1; i <= TB_BACKENDS; i++)); do
			echo "      - address: $(tb_be_addr4 "$i")"
			[[ $i == 1 && -n $be1_probe ]] && echo "        probe: $be1_probe"
		done
	} >"$file"
}

# Health transitions xlbd has logged so far.
transitions() { grep -cE "backend .* of VIP '.*' is (down|up)" "$TB_STATE/xlbd.log"; }

# status_ms: one 'xlbctl status' as root, its wall time in ms (fails if it fails).
status_ms() {
	local t0
	t0=$(ms_now)
	tb_xlbctl --timeout 10 status >/dev/null || return 1
	echo $(( $(ms_now) - t0 ))
}

status_field() {
	tb_xlbctl -j status | py -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"
}

# Orphans: processes whose command line matches PATTERN.
count_procs() { pgrep -fc "$1" || true; }

# The children xlbd has now.
xlbd_children() { wc -w <"/proc/$TB_XLBD_PID/task/$TB_XLBD_PID/children"; }
no_children() { [[ $(xlbd_children) == 0 ]]; }
# none_left PATTERN: no process matches.
none_left() { [[ $(count_procs "$1") == 0 ]]; }

# wait_until LIMIT_MS CMD...: polls CMD until it succeeds.
wait_until() {
	local end=$(( $(ms_now) + $1 ))
	shift
	until "$@"; do
		(( $(ms_now) > end )) && return 1
		sleep 0.1
	done
}

# all_healthy: be1..be4 up, as xlbctl shows them.
all_healthy() {
	local n
	n=$(tb_xlbctl -j show web4 | py -c 'import json, sys
print(sum(b["health"] == "up" for b in json.load(sys.stdin)[0]["backends"][:4]))')
	[[ $n == 4 ]]
}

restart_xlbd() {
	[[ -n $TB_XLBD_PID ]] && tb_stop_xlbd TERM
	tb_start_xlbd "$CONFIG" || return 1
	wait_until 5000 all_healthy || fail "backends not all up after start"
}

# The reproducer: an exec probe that backgrounds a long sleep, an HTTP probe
# to an address that never answers, and ordinary HTTP probes, for 15 s.
# It crashed xlbd (use after free) within 6 s and left an orphan per probe
# (75 probes in 15 s).
test_probe_children_crash() {
	local start
	CONFIG=$TB_STATE/xlb.yaml
	write_config "$CONFIG" "{ type: exec, command: 'sleep 300 & exit 0', interval: 200ms, timeout: 500ms }"
	# be2's probe goes to an address on the link that nobody has: it hangs.
	sed -i "/address: $(tb_be_addr4 2)/a\\        probe: { address: 198.18.1.99 }" "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	start=$(count_procs 'sleep 300')
	sleep 15
	kill -0 "$TB_XLBD_PID" 2>/dev/null || fail "xlbd died" || return 1
	echo "  xlbd alive after 15 s; 'sleep 300' processes now: $(count_procs 'sleep 300') (at start $start)"
	(( $(count_procs 'sleep 300') <= 1 )) || fail "orphans of the exec probe: $(count_procs 'sleep 300')" || return 1
	# The exec probe goes: nothing of it may stay.
	write_config "$CONFIG"
	tb_xlbctl reload >/dev/null || fail "reload refused" || return 1
	wait_until 2000 none_left 'sleep 300' ||
		fail "'sleep 300' processes left: $(pgrep -af 'sleep 300' | while read -r p _; do
			ps -o pid=,ppid=,pgid=,etimes=,args= -p "$p"; done | tr '\n' ';')" || return 1
	wait_until 2000 no_children || fail "xlbd still has children: $(xlbd_children)" || return 1
	[[ $(status_field probes.orphans_reaped) -ge 0 ]]
}

# A command that backgrounds a child, one that ignores SIGTERM, one that
# escapes its process group with setsid: all gone at the timeout.
test_exec_probe_cleanup() {
	local cmd n max=0 i reaped
	for cmd in 'sleep 31 & wait' "trap '' TERM; sleep 31" 'setsid sleep 31 & wait'; do
		write_config "$CONFIG" "{ type: exec, command: \"$cmd\", interval: 300ms, timeout: 200ms, fall: 100 }"
		tb_xlbctl reload >/dev/null || fail "reload refused for '$cmd'" || return 1
		for ((i = 0; i < 20; i++)); do
			n=$(count_procs 'sleep 31')
			(( n > max )) && max=$n
			sleep 0.2
		done
		# One probe in flight holds one sleep (two while one is being killed).
		(( max <= 2 )) || fail "'$cmd': $max 'sleep 31' processes at once: orphans pile up" || return 1
		echo "  '$cmd': at most $max 'sleep 31' at once over 4 s of 200 ms timeouts"
	done
	reaped=$(status_field probes.orphans_reaped)
	echo "  orphans that escaped with setsid, reaped by xlbd: $reaped"
	[[ $reaped -gt 0 ]] || fail "the setsid orphans were not reaped" || return 1
	# Stopped while a command runs: it goes with xlbd, and nothing leaks.
	tb_stop_xlbd TERM || fail "xlbd did not stop" || return 1
	wait_until 2000 none_left 'sleep 31' || fail "'sleep 31' outlived xlbd" || return 1
	no_sanitizer_reports || return 1
	tb_start_xlbd "$CONFIG" || return 1
	write_config "$CONFIG"
	tb_xlbctl reload >/dev/null || return 1
	wait_until 2500 none_left 'sleep 31' ||
		fail "'sleep 31' left after the probes stopped: $(count_procs 'sleep 31')"
}

# drip UID: six connections as nobody, a byte every 2 s for 12 s, while root's
# status answers within 1 s each time, no backend changes health, and
# connections to the VIP keep succeeding.
drip_phase() {
	local before out ms worst=0 n=0 failed drip
	before=$(transitions)
	chmod 755 "$TB_STATE"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		/usr/bin/python3 tests/e2e/helpers/drip.py unix "$TB_SOCKET" 6 2 12 >"$TB_STATE/drip.out" 2>&1 &
	drip=$!
	while kill -0 "$drip" 2>/dev/null; do
		ms=$(status_ms) || fail "status failed during the drip" || return 1
		(( ms > worst )) && worst=$ms
		n=$((n + 1))
		take_ports 2
		out=$(connect_many 4 "$FIRST" 2)
		failed=$(awk '$1 == "failed" { print $2 }' <<<"$out")
		[[ $failed == 0 ]] || fail "VIP connections failed during the drip: $out" || return 1
		sleep 0.3
	done
	wait "$drip"
	echo "  $1: $n status calls during 12 s of drip, slowest ${worst} ms; attacker $(cat "$TB_STATE/drip.out")"
	(( worst < 1000 )) || fail "status took ${worst} ms" || return 1
	[[ $(transitions) == "$before" ]] || fail "health changed during the drip" || return 1
}

test_drip_control_socket() {
	wait_until 5000 all_healthy || fail "backends not all up before the drip" || return 1
	drip_phase "nobody, no rights" || return 1
	# Now as a reader: it gets in, up to its per-user limit, and meets the deadline.
	READ_GROUP=nogroup write_config "$CONFIG"
	tb_xlbctl reload >/dev/null || fail "reload refused" || return 1
	drip_phase "nobody in the read group" || return 1
	echo "  control socket: $(tb_xlbctl -j status | py -c 'import json,sys; print(json.load(sys.stdin)["control"])')"
	[[ $(status_field control.timed_out) -gt 0 && $(status_field control.too_many) -gt 0 ]] ||
		fail "the reader's slow requests were not cut at the deadline and the per-user limit"
	write_config "$CONFIG"
	tb_xlbctl reload >/dev/null
}

# With the usual default of 1024 descriptors, as under systemd without LimitNOFILE.
test_slow_metrics_clients() {
	local before ms worst=0 late attack hard t0
	# From settled health: a backend still coming back would count as a change.
	wait_until 5000 all_healthy || fail "backends not all up before the attack" || return 1
	before=$(transitions)
	hard=$(prlimit --pid "$TB_XLBD_PID" --nofile --output HARD --noheadings | tr -d ' ')
	prlimit --pid "$TB_XLBD_PID" --nofile=1024:"$hard" || return 1
	tb_enter lb /usr/bin/python3 tests/e2e/helpers/drip.py tcp 127.0.0.1:9742 1100 1 10 \
		>"$TB_STATE/slow.out" 2>&1 &
	attack=$!
	sleep 1
	while kill -0 "$attack" 2>/dev/null; do
		ms=$(status_ms) || fail "status failed during the /metrics attack" || return 1
		(( ms > worst )) && worst=$ms
		sleep 0.3
	done
	wait "$attack"
	prlimit --pid "$TB_XLBD_PID" --nofile="$hard":"$hard"
	late=$(status_field probes.late_ms_recent)
	late=${late:-999999}
	echo "  1100 slow /metrics clients for 10 s: slowest status ${worst} ms, probes late by ${late} ms at most; attacker $(cat "$TB_STATE/slow.out")"
	(( worst < 1000 )) || fail "status took ${worst} ms" || return 1
	(( late <= 100 )) || fail "probes started ${late} ms late" || return 1
	[[ $(transitions) == "$before" ]] || fail "health changed during the attack" || return 1
	# Afterwards a scrape is served. Connections the attacker left behind
	# (half-open: accepted after its socket was gone; or closed, its FIN not
	# yet seen) hold the address's 8 slots until libmicrohttpd's idle
	# timeout of 5 s closes them (counted in whole seconds, and woken at
	# most 1 s late): 1 run in 10 here took 5-8 s. So: polled for 12 s.
	t0=$(ms_now)
	until tb_enter lb curl -s -m 2 http://127.0.0.1:9742/metrics | has '^xlb_build_info'; do
		(( $(ms_now) - t0 < 12000 )) && { sleep 0.2; continue; }
		fail "/metrics not served within 12 s of the attack; sockets of port 9742 by state: $(tb_enter lb ss -tan '( sport = :9742 or dport = :9742 )' |
			awk 'NR > 1 { n[$1]++ } END { for (s in n) printf "%s %d ", s, n[s] }'); listening: $(tb_enter lb ss -ltnH 'sport = :9742'); xlbd descriptors: $(ls "/proc/$TB_XLBD_PID/fd" | wc -l)"
		return 1
	done
	echo "  /metrics served again $(( $(ms_now) - t0 )) ms after the attack"
}

test_sigstop_no_false_transitions() {
	local before stalls
	before=$(transitions)
	stalls=$(status_field loop.stalls)
	kill -STOP "$TB_XLBD_PID"
	sleep 3
	kill -CONT "$TB_XLBD_PID"
	sleep 3
	echo "  stopped 3 s: $(( $(transitions) - before )) transitions; longest stall $(status_field loop.longest_stall_ms) ms; probe failures not judged: $(status_field probes.not_judged)"
	[[ $(transitions) == "$before" ]] || fail "health changed because xlbd was stopped" || return 1
	[[ $(status_field loop.stalls) -gt $stalls ]] || fail "the stall was not noticed" || return 1
	all_healthy || fail "backends not all up after the stop"
}

# 1000 weight changes and 1000 status calls at once (500 clients in flight).
test_parallel_mutations() {
	local before bad slowest results=$TB_STATE/calls.txt
	before=$(transitions)
	: >"$results"
	# Plain xlbctl clients: the sanitized daemon is what is tested.
	for ((i = 0; i < 2000; i++)); do
		if ((i % 2)); then echo "status"; else echo "weight web4 $(tb_be_addr4 $((i % 4 + 1))) $((i % 7 + 1))"; fi
	done | XLB_SOCKET=$TB_SOCKET xargs -P 500 -L 1 sh -c '
		t0=$(date +%s%N)
		"$0" --timeout 60 "$@" >/dev/null 2>"'"$TB_STATE"'/$1.err.$$"
		rc=$?
		echo "$rc $(( ($(date +%s%N) - t0) / 1000000 )) $1" >>"'"$results"'"
		rm -f "'"$TB_STATE"'/$1.err.$$"' "$TB_BUILD/xlbctl"
	bad=$(awk '$1 != 0' "$results" | wc -l)
	slowest=$(sort -k2 -n "$results" | tail -1 | awk '{ print $2 }')
	echo "  $(wc -l <"$results") calls, $bad failed, slowest ${slowest} ms (bound: 60 s); $(( $(transitions) - before )) transitions"
	[[ $(wc -l <"$results") == 2000 && $bad == 0 ]] || fail "not every call was answered" || return 1
	(( slowest < 60000 )) || fail "a call took ${slowest} ms" || return 1
	[[ $(transitions) == "$before" ]] || fail "health changed under the load: $(grep -E "backend .* of VIP .* is (down|up)" "$TB_STATE/xlbd.log" | tail -n 2)" || return 1
	tb_xlbctl reset >/dev/null
}

# Out of descriptors (its soft limit lowered to 8 above what it has open, then
# connections held by root): probes xlbd cannot open a socket for are
# unknown, never a backend's failure, and accepting pauses rather than spins.
test_descriptor_exhaustion() {
	local before open unknown cpu0 cpu1 hold hard
	wait_until 5000 all_healthy || fail "backends not all up before" || return 1
	before=$(transitions)
	unknown=$(status_field probes.unknown)
	open=$(ls "/proc/$TB_XLBD_PID/fd" | wc -l)
	# The soft limit only: raising a hard limit back may need a capability.
	hard=$(prlimit --pid "$TB_XLBD_PID" --nofile --output HARD --noheadings | tr -d ' ')
	prlimit --pid "$TB_XLBD_PID" --nofile=$((open + 8)):"$hard" || return 1
	cpu0=$(awk '{ print $14 + $15 }' "/proc/$TB_XLBD_PID/stat")
	/usr/bin/python3 tests/e2e/helpers/drip.py unix "$TB_SOCKET" 60 0.2 5 >"$TB_STATE/hold.out" 2>&1 &
	hold=$!
	wait "$hold"
	cpu1=$(awk '{ print $14 + $15 }' "/proc/$TB_XLBD_PID/stat")
	prlimit --pid "$TB_XLBD_PID" --nofile="$hard":"$hard" || fail "couldn't restore the limit" || return 1
	sleep 2.5	# the held connections meet their deadline
	kill -0 "$TB_XLBD_PID" 2>/dev/null || fail "xlbd died" || return 1
	echo "  limit $((open + 8)) descriptors with $open open, 60 connections held for 5 s: probes unknown $unknown -> $(status_field probes.unknown), accept paused $(status_field control.accept_paused) times, xlbd CPU $(( (cpu1 - cpu0) * 10 )) ms, $(( $(transitions) - before )) transitions"
	grep -q "this is xlbd's problem, not the backend's" "$TB_STATE/xlbd.log" ||
		fail "probes xlbd could not open were not logged as its own problem" || return 1
	[[ $(status_field probes.unknown) -gt $unknown ]] || fail "no probe counted unknown" || return 1
	[[ $(transitions) == "$before" ]] || fail "health changed because xlbd ran out of descriptors" || return 1
	# Spinning on accept would burn the CPU for 5 s.
	(( (cpu1 - cpu0) * 10 < 2500 )) || fail "xlbd used $(( (cpu1 - cpu0) * 10 )) ms of CPU in 5 s"
}

# A 30 MB journal read with --samples while be2 dies: be2 still goes down in time.
test_large_journal_read() {
	local journal=$TB_STATE/journal.jsonl took limit=$((INTERVAL_MS * FALL + INTERVAL_MS + TIMEOUT_MS)) t0 reader
	py - "$journal" <<'PY'
import json, sys
row = {"time": "2026-01-01T00:00:00Z", "type": "sample", "vips": [{"vip": "web4", "backends": [
    {"backend": "198.18.1.%d" % (10 + i), "new_flows": i, "packets": i, "weight": 1, "in_table": True}
    for i in range(1, 6)]}]}
line = json.dumps(row) + "\n"
with open(sys.argv[1], "a") as f:
    f.write(line * (30 * 2**20 // len(line)))
PY
	echo "  journal: $(( $(stat -c %s "$journal") >> 20 )) MiB"
	( tb_xlbctl events --samples >/dev/null ) &
	reader=$!
	t0=$(ms_now)
	tb_stop_http 2
	wait_until $((limit + 200)) sh -c "XLB_SOCKET=$TB_SOCKET $TB_XLBCTL -j show web4 | grep -q '\"health\": \"down\"'" ||
		fail "be2 not down within ${limit} ms while the journal was read" || return 1
	took=$(( $(ms_now) - t0 ))
	wait "$reader" || fail "xlbctl events --samples failed" || return 1
	echo "  be2 down ${took} ms after its server stopped, during 'events --samples' (bound ${limit} ms)"
	tb_start_http 2
	wait_until 5000 all_healthy || fail "be2 did not come back"
}

# Down, drained, disabled, weight 0 and up side by side: show, top's data,
# /metrics, the skew detector, the live table and diff say the same.
test_plan_agreement() {
	tb_stop_http 1
	tb_xlbctl drain web4 "$(tb_be_addr4 2)" >/dev/null &&
	tb_xlbctl disable web4 "$(tb_be_addr4 3)" >/dev/null &&
	tb_xlbctl weight web4 "$(tb_be_addr4 4)" 0 >/dev/null ||
		fail "runtime changes refused" || return 1
	wait_until 5000 sh -c "XLB_SOCKET=$TB_SOCKET $TB_XLBCTL -j show web4 | grep -q '\"health\": \"down\"'" ||
		fail "be1 not down" || return 1
	sleep 1.5	# a monitor tick
	tb_xlbctl -j show web4 >"$TB_STATE/show.json"
	tb_enter lb curl -s -m 5 http://127.0.0.1:9742/metrics >"$TB_STATE/metrics.txt"
	tb_xlbctl -j diff >"$TB_STATE/diff.json" || fail "diff failed" || return 1
	py - "$TB_STATE" <<'PY' || return 1
import json, re, sys
d = sys.argv[1]
show = json.load(open(d + "/show.json"))[0]["backends"]
metrics = {}
for m in re.finditer(r'^xlb_backend_expected_share\{[^}]*remote_address="([^"]+)"[^}]*\} (\S+)',
                     open(d + "/metrics.txt").read(), re.M):
    metrics[m.group(1)] = float(m.group(2))
diff = json.load(open(d + "/diff.json"))["vips"][0]
after = {b["address"]: b["share_after"] for b in diff["backends"]}
want_dp = ["down", "draining", "down", "draining", "up"]
ok = True
for i, b in enumerate(show):
    a = b["address"]
    views = {"show": b["expected_share"], "skew detector": b["skew_expected_share"],
             "metrics": metrics.get(a), "live table": b["table_share"], "diff after": after.get(a)}
    want = 1.0 if i == 4 else 0.0
    line = "  %-12s dp %-8s takes new flows %-5s %s" % (a, b["dp_state"], b["takes_new_flows"],
        " ".join("%s=%.3f" % (k, v if v is not None else -1) for k, v in views.items()))
    print(line)
    if any(v is None or abs(v - want) > 1e-6 for v in views.values()) or \
       b["dp_state"] != want_dp[i] or b["takes_new_flows"] != (i == 4):
        print("  disagreement above"); ok = False
if diff["status"] != "unchanged" or diff["moved"] != 0:
    print("  diff of the running config moves flows: %s" % diff); ok = False
sys.exit(0 if ok else 1)
PY
}

# A VIP of HUGE backends (probe none) and a table of 3,000,017 slots beside
# web4: xlbd starts, lives through its ticks, answers status and show while
# it reads the large table back a part a tick, and the parts add up.
HUGE=30000
test_huge_vip() {
	local slots max=0 t ms
	[[ -n $TB_XLBD_PID ]] && tb_stop_xlbd TERM
	write_config "$TB_STATE/web4.yaml"
	# maps: before vips:; the huge VIP after web4, at the end.
	py - "$TB_STATE/web4.yaml" "$HUGE" >"$TB_STATE/huge.yaml" <<'PY'
import sys
text, n = open(sys.argv[1]).read(), int(sys.argv[2])
head, vips = text.split("vips:\n", 1)
out = [head + "maps: { backends: %d }\nvips:\n" % (n + 64) + vips.rstrip("\n"),
       "  - name: huge", "    address: 198.18.100.99", "    port: 80", "    protocol: tcp",
       "    mode: encap", "    table_size: 3000017", "    probe: { type: none }", "    backends:"]
for i in range(n):
    a = (198 << 24) + (19 << 16) + 256 + i
    out.append("      - address: %d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
print("\n".join(out))
PY
	TB_START_WAIT_S=60 tb_start_xlbd "$TB_STATE/huge.yaml" --reset || return 1
	[[ $(tb_xlbctl -j show huge | jq '.[0].backends | length') == "$HUGE" ]] ||
		fail "show does not list $HUGE backends" || return 1
	# 3,000,017 slots at 131,072 a tick: some 23 ticks to read it all.
	for ((t = 0; t < 90; t++)); do
		ms=$(status_ms) || fail "status failed" || return 1
		(( ms > max )) && max=$ms
		slots=$(tb_xlbctl -j show huge | jq '[.[0].backends[].slots] | add')
		[[ $slots == 3000017 ]] && break
		sleep 1
	done
	kill -0 "$TB_XLBD_PID" 2>/dev/null || fail "xlbd died: $(tail -3 "$TB_STATE/xlbd.log")" || return 1
	echo "  $HUGE backends: live table read back in ${t} s, $slots slots; slowest status ${max} ms"
	[[ $slots == 3000017 ]] || fail "the live table's slots add up to $slots" || return 1
	tb_enter lb curl -s -m 10 http://127.0.0.1:9742/metrics | grep -c '^xlb_backend_table_share{vip="huge"' |
		grep -qx "$HUGE" || fail "/metrics lacks the huge VIP's backends" || return 1
	tb_stop_xlbd TERM || fail "xlbd did not stop" || return 1
}

# A socket that answers without end (not xlbd, or a hostile one): xlbctl
# stops at its bound and says so, as it does over HTTP.
test_endless_answer_bounded() {
	local out rc rss pid
	/usr/bin/python3 tests/e2e/helpers/fake_node.py "$TB_STATE/endless.sock" endless - - 20 &
	pid=$!
	sleep 0.5
	out=$( { XLB_SOCKET=$TB_STATE/endless.sock /usr/bin/time -f 'rss_kb %M' "$TB_XLBCTL" --timeout 15 status; } 2>&1); rc=$?
	kill "$pid" 2>/dev/null; wait "$pid"
	rss=$(sed -n 's/^rss_kb //p' <<<"$out")
	echo "  rc $rc, xlbctl's RSS ${rss:-?} KB: $(grep -m1 Couldn <<<"$out")"
	[[ $rc -eq 1 ]] && grep -q "larger than 256 MiB; stopped reading" <<<"$out" ||
		fail "not bounded: $out" || return 1
}

e2e_main 5
