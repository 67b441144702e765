#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inputs and lifecycle that cannot hurt (issue 10): every refused start and
# refused reload leaves the data path byte-identical (bpftool map dump of
# every pinned map but the counters), one owner of the data path, --unload
# in either order, a reload that would need a restart refused, an MTU over
# the link's refused, a state file of the wrong shape refused and dropped
# offline, a full disk counted for the journal and let through for reset,
# a socket directory others can write refused, and requests whose types
# are wrong named as such.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_refused_starts_change_nothing test_second_owner_refused
	   test_reload_needing_restart_refused test_mtu_over_link_refused
	   test_state_file_shape test_journal_full_disk test_reset_on_full_disk
	   test_socket_never_chmoded test_socket_dir_others_can_write test_request_types
	   test_interface_lost_and_back
	   test_restart_after_severed_link test_unload_either_order"

CONFIG=
MAPS="vips backends maglev_tables config conns"

# Every pinned map that says what the data path does (counters move with any packet).
snapshot() {
	local m
	for m in $MAPS; do
		echo "== $m"
		bpftool map dump pinned "$TB_PIN/$m" 2>&1
	done
}

same_data_path() {
	local now
	now=$(snapshot)
	[[ $now == "$1" ]] || { diff <(echo "$1") <(echo "$now") | head -n 10 | sed 's/^/  /'; fail "the data path changed: $2"; }
}

# start_refused WHY ARGS...: an xlbd started with ARGS exits 1 and prints WHY.
start_refused() {
	local why=$1 out rc
	shift
	out=$(nsenter --net="/run/netns/$(tb_ns lb)" timeout 20 "$TB_XLBD" --pin "$TB_PIN" \
		--socket "$TB_STATE/other.sock" --state "$TB_STATE/state.json" \
		--journal "$TB_STATE/journal.jsonl" "$@" 2>&1)
	rc=$?
	[[ $rc == 1 ]] || fail "start with $* exited $rc: $out" || return 1
	grep -qF -- "$why" <<<"$out" || fail "start with $* did not say '$why': $out" || return 1
	echo "  refused: $(grep -F -- "$why" <<<"$out" | head -n 1 | cut -c1-150)"
}

test_refused_starts_change_nothing() {
	local before
	CONFIG=$TB_STATE/xlb.yaml
	tb_write_config encap "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	tb_stop_xlbd TERM || return 1
	before=$(snapshot)
	tb_write_config encap "$TB_STATE/w9.yaml" 9 1 1
	mkdir -p "$TB_STATE/journal.dir"
	start_refused "Couldn't open event journal" -c "$TB_STATE/w9.yaml" --journal "$TB_STATE/journal.dir" || return 1
	same_data_path "$before" "after a start refused for its journal" || return 1
	# The metrics port taken by someone else.
	# ip netns exec, not tb_exec: $! must be the squatter itself.
	ip netns exec "$(tb_ns lb)" /usr/bin/python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9742)); s.listen(1); time.sleep(8)' &
	local squat=$!
	sleep 0.5
	start_refused "Couldn't serve /metrics" -c "$TB_STATE/w9.yaml" || return 1
	kill "$squat"
	wait "$squat" 2>/dev/null
	same_data_path "$before" "after a start refused for its metrics port" || return 1
	echo '[]' >"$TB_STATE/state.json"
	start_refused "expected an object with an \"overrides\" list" -c "$TB_STATE/w9.yaml" || return 1
	rm -f "$TB_STATE/state.json"
	same_data_path "$before" "after a start refused for its state file" || return 1
	TB_EXTRA="mtu: 9000" tb_write_config encap "$TB_STATE/mtu.yaml" 9 1 1
	start_refused "mtu 9000 is more than interface eth0's MTU 1500" -c "$TB_STATE/mtu.yaml" || return 1
	same_data_path "$before" "after a start refused for its MTU" || return 1
	tb_start_xlbd "$CONFIG"
}

test_second_owner_refused() {
	local before
	before=$(snapshot)
	start_refused "another xlbd owns the data path pinned under" -c "$TB_STATE/w9.yaml" || return 1
	same_data_path "$before" "after a second owner was refused" || return 1
	tb_xlbctl status >/dev/null || fail "the first xlbd stopped answering"
}

test_reload_needing_restart_refused() {
	local before out
	before=$(snapshot)
	sed -i 's/^  name: eth0/  name: eth1/' "$CONFIG"
	out=$(tb_xlbctl reload 2>&1) && fail "reload to another interface accepted" || true
	[[ $out == *"interfaces eth0 (native) -> eth1 (native) needs a restart of xlbd"* ]] || fail "reload said: $out" || return 1
	[[ $(tb_xlbctl -j status | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["interface"])') == eth0 ]] ||
		fail "status shows an interface not in force" || return 1
	tb_write_config encap "$CONFIG"
	TB_EXTRA="maps: { backends: 8192 }" tb_write_config encap "$CONFIG"
	out=$(tb_xlbctl reload 2>&1) && fail "reload with other map sizes accepted" || true
	[[ $out == *"maps backends 4096 -> 8192 needs a restart of xlbd ('xlbd --reset'"* ]] || fail "reload said: $out" || return 1
	echo "  $(grep -o 'maps backends.*' <<<"$out" | head -n 1 | cut -c1-120)"
	tb_write_config encap "$CONFIG"
	same_data_path "$before" "after reloads that need a restart"
}

test_mtu_over_link_refused() {
	local before out
	before=$(snapshot)
	TB_EXTRA="mtu: 9000" tb_write_config encap "$CONFIG"
	out=$(tb_xlbctl reload 2>&1) && fail "mtu 9000 on a 1500-byte link accepted" || true
	[[ $out == *"mtu 9000 is more than interface eth0's MTU 1500"* ]] || fail "reload said: $out" || return 1
	tb_write_config encap "$CONFIG"
	same_data_path "$before" "after a reload refused for its MTU"
}

test_state_file_shape() {
	local out
	tb_stop_xlbd TERM || return 1
	echo '{"version": 1, "overrides": {"vip": "web4"}}' >"$TB_STATE/state.json"
	start_refused "found \"overrides\" that is not a list" -c "$CONFIG" || return 1
	out=$(nsenter --net="/run/netns/$(tb_ns lb)" "$TB_XLBD" --state "$TB_STATE/state.json" \
		--discard-runtime-changes 2>&1) || fail "--discard-runtime-changes failed: $out" || return 1
	[[ ! -e $TB_STATE/state.json ]] || fail "the state file is still there" || return 1
	mkdir "$TB_STATE/state.json"
	start_refused "it is a directory; --state takes a file's path" -c "$CONFIG" || return 1
	rmdir "$TB_STATE/state.json"
	tb_start_xlbd "$CONFIG"
}

# small_fs: a 64 KiB tmpfs for a test; back_to_normal undoes it and restarts xlbd.
small_fs() { mkdir -p "$TB_STATE/small" && mount -t tmpfs -o size=64k tmpfs "$TB_STATE/small"; }
back_to_normal() {
	tb_stop_xlbd TERM
	umount "$TB_STATE/small"
	tb_start_xlbd "$CONFIG"
}

# A journal on a filesystem that fills up.
full_journal() {
	local fs=$TB_STATE/small errors i m
	tb_stop_xlbd TERM
	tb_start_xlbd "$CONFIG" --journal "$fs/journal.jsonl" || return 1
	head -c 100000 /dev/zero >"$fs/fill" 2>/dev/null
	# Enough events to need another page after the last one filled.
	for ((i = 0; i < 40; i++)); do tb_xlbctl weight web4 198.18.1.11 $((2 + i % 2)) >/dev/null; done
	errors=$(tb_xlbctl -j status | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["journal_write_errors"])')
	echo "  journal on a full filesystem: $errors events not written; status: $(tb_xlbctl status | grep 'event journal' | cut -c1-110)"
	(( errors > 0 )) || fail "no journal write error counted" || return 1
	# Later events (a sample) may fail too: at least as many as status said.
	m=$(tb_enter lb curl -s -m 5 http://127.0.0.1:9742/metrics) || fail "no /metrics: curl $?" || return 1
	(( $(awk '/^xlb_journal_write_errors_total /{print $2}' <<<"$m") + 0 >= errors )) ||
		fail "/metrics does not count them: $(grep '^xlb_journal_write_errors_total' <<<"$m")" || return 1
	grep -q "Couldn't write to the event journal '$fs/journal.jsonl': No space left on device" "$TB_STATE/xlbd.log" ||
		fail "not logged" || return 1
	# With room again, events are written again, each on its own line: every
	# line parses, none merged with a cut one.
	rm -f "$fs/fill"
	tb_xlbctl weight web4 198.18.1.11 7 >/dev/null
	tail -n 1 "$fs/journal.jsonl" | has '"change":"web4 198.18.1.11: weight 7' ||
		fail "the journal did not go on after the disk had room" || return 1
	/usr/bin/python3 -c 'import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        json.loads(line)
    except ValueError:
        sys.exit("  line %d is broken: %r" % (n, line[:120]))' "$fs/journal.jsonl" ||
		fail "a broken line in the journal" || return 1
	tb_xlbctl reset >/dev/null
}

test_journal_full_disk() {
	local rc
	small_fs || return 1
	full_journal
	rc=$?
	back_to_normal
	return $rc
}

full_state() {
	local fs=$TB_STATE/small out
	tb_stop_xlbd TERM
	tb_start_xlbd "$CONFIG" --state "$fs/state.json" || return 1
	tb_xlbctl weight web4 198.18.1.11 4 >/dev/null || fail "weight refused with room" || return 1
	head -c 100000 /dev/zero >"$fs/fill" 2>/dev/null
	out=$(tb_xlbctl weight web4 198.18.1.11 5 2>&1) && fail "a change was accepted on a full disk" || true
	[[ $out == *"couldn't write state file"* ]] || fail "weight said: $out" || return 1
	out=$(tb_xlbctl reset 2>&1) || fail "reset refused on a full disk: $out" || return 1
	[[ ! -e $fs/state.json ]] || fail "the runtime changes are still on disk" || return 1
	echo "  full disk: the change refused, reset let through ($out)"
}

test_reset_on_full_disk() {
	local rc
	small_fs || return 1
	full_state
	rc=$?
	back_to_normal
	return $rc
}

# The socket's mode is set at bind (umask), never by a chmod of its path,
# which a symlink swapped in between would redirect.
test_socket_never_chmoded() {
	local trace=$TB_STATE/chmod.trace
	command -v strace >/dev/null || { echo "  strace missing: not checked"; return 0; }
	# A second owner: it opens its socket, then stops at the pin lock.
	nsenter --net="/run/netns/$(tb_ns lb)" strace -f -e trace=chmod,fchmod,fchmodat -o "$trace" \
		"$TB_XLBD" -c "$CONFIG" --pin "$TB_PIN" --socket "$TB_STATE/other.sock" \
		--state "$TB_STATE/state.json" --journal "$TB_STATE/journal.jsonl" >/dev/null 2>&1
	! grep -q 'chmod' "$trace" || fail "xlbd changed a mode by path: $(grep chmod "$trace" | head -n 2)" || return 1
	[[ $(stat -c %a "$TB_SOCKET") == 666 ]] || fail "socket mode $(stat -c %a "$TB_SOCKET"), want 666"
}

test_socket_dir_others_can_write() {
	local dir=$TB_STATE/open
	mkdir -p "$dir" && chmod 1777 "$dir"
	start_refused "its directory '$dir' can be written by other users" -c "$CONFIG" \
		--socket "$dir/xlb.sock"
}

# raw_request JSON: xlbd's answer to a hand-made request.
raw_request() {
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode())
s.shutdown(socket.SHUT_WR); print(s.makefile().read())' "$TB_SOCKET" "$1"
}

test_request_types() {
	local out
	out=$(raw_request '{"cmd": "set", "args": {"vip": "web4", "backend": "198.18.1.11", "weight": "5"}}')
	[[ $out == *"weight must be a whole number from 0 to 65535, not a string"* ]] || fail "string weight: $out" || return 1
	out=$(raw_request '{"cmd": "set", "cmd": "reset", "args": {}}')
	[[ $out == *"malformed request"*"duplicate"* ]] || fail "duplicate keys: $out" || return 1
	out=$(raw_request '{"cmd": "status"')
	[[ $out == *"malformed request: not JSON"* ]] || fail "cut request: $out" || return 1
	echo "  string weight, duplicate keys and a cut request each named"
}

attached() { [[ $(tb_xlbctl -j status | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["attached"])') == "$1" ]]; }

# wait_for LIMIT_MS CMD...: polls CMD until it succeeds.
wait_for() {
	local end=$(( $(date +%s%3N) + $1 ))
	shift
	until "$@"; do
		(( $(date +%s%3N) > end )) && return 1
		sleep 0.1
	done
}

# The lb's interface deleted and made again under a transfer: seen, told,
# attached again with the pinned maps, and the transfer completes.
test_interface_lost_and_back() {
	local i transfer size out
	for i in 1 2 3; do head -c 400000 /dev/zero >"$TB_STATE/be$i/big"; done
	tb_exec client curl -s -m 30 --limit-rate 100k -o "$TB_STATE/big.out" "http://$TB_VIP4/big" &
	transfer=$!
	sleep 1
	tb_exec lb ip link del eth0
	wait_for 2000 attached False || fail "status still says attached after the interface went" || return 1
	out=$(tb_enter lb curl -s -m 5 http://127.0.0.1:9742/metrics) || fail "no /metrics: curl $?" || return 1
	grep -q '^xlb_interface_attached{interface="eth0"} 0' <<<"$out" ||
		fail "/metrics does not say detached: $(grep '^xlb_interface_attached' <<<"$out")" || return 1
	out=$(tb_xlbctl status)
	[[ $out == *"NOT ATTACHED"* ]] || fail "xlbctl status: $out" || return 1
	grep -q "Interface 'eth0' is gone" "$TB_STATE/xlbd.log" || fail "not logged" || return 1
	sleep 0.5
	tb_lb_link || fail "couldn't make the interface again" || return 1
	wait_for 3000 attached True || fail "not attached again after the interface came back" || return 1
	grep -q "Interface 'eth0' is back" "$TB_STATE/xlbd.log" || fail "return not logged" || return 1
	wait "$transfer" || fail "the transfer across the loss broke (curl exit $?)" || return 1
	size=$(stat -c %s "$TB_STATE/big.out")
	[[ $size == 400000 ]] || fail "the transfer got $size of 400000 bytes" || return 1
	out=$(connect_many 4 31000 10)
	[[ $(awk '$1 == "failed" { print $2 }' <<<"$out") == 0 ]] || fail "new connections fail: $out" || return 1
	tb_xlbctl events | has "interface eth0 is back" || fail "not in the journal" || return 1
	echo "  interface deleted and made again mid-transfer: detached seen, re-attached, 400000 of 400000 bytes, 10 new connections"
}

# Deleted and made again while xlbd was down: it starts without --reset.
test_restart_after_severed_link() {
	local out
	tb_stop_xlbd TERM || return 1
	tb_exec lb ip link del eth0
	tb_lb_link || return 1
	tb_start_xlbd "$CONFIG" || fail "xlbd did not start after its link was severed" || return 1
	grep -q "No pinned XDP link on 'eth0' (new in the config, or severed from its interface)" "$TB_STATE/xlbd.log" ||
		fail "the recovery is not logged" || return 1
	out=$(connect_many 4 32000 10)
	[[ $(awk '$1 == "failed" { print $2 }' <<<"$out") == 0 ]] || fail "connections fail: $out" || return 1
	echo "  restarted over a severed link: attached again, flows' maps kept, 10 connections"
}

test_unload_either_order() {
	local out
	tb_stop_xlbd TERM || return 1
	out=$(nsenter --net="/run/netns/$(tb_ns lb)" "$TB_XLBD" --unload --pin "$TB_STATE/nothing" 2>&1)
	[[ $? == 0 && $out == *"Nothing is pinned under $TB_STATE/nothing: nothing to detach"* ]] ||
		fail "unload of nothing: $out" || return 1
	[[ -e $TB_PIN/link ]] || fail "the testbed's data path is not pinned" || return 1
	out=$(nsenter --net="/run/netns/$(tb_ns lb)" "$TB_XLBD" --pin "$TB_PIN" --unload 2>&1)
	[[ $? == 0 && $out == *"Detached xlb and removed its pinned state under $TB_PIN"* ]] ||
		fail "--pin DIR --unload: $out" || return 1
	[[ ! -e $TB_PIN ]] || fail "$TB_PIN is still there" || return 1
	[[ ! -e /sys/fs/bpf/xlb/link ]] || echo "  (a default /sys/fs/bpf/xlb exists on this host and was left alone)"
	echo "  --unload --pin DIR and --pin DIR --unload both act on DIR; nothing pinned is said"
}

e2e_main 3
