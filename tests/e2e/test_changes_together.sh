#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runtime changes that arrive together are applied together, and each is
# still a change of its own (issue 27, change_queue.c). xlbd is stopped
# (SIGSTOP) while the requests connect and send, so that they are all
# readable in one turn of its loop:
#
#   8 weights on 8 backends at once       -> one apply ("8 runtime changes
#                                            applied together"); 8 changes in
#                                            the history, each with its own
#                                            backend, 8 journal events; a
#                                            rollback undoes one alone
#   4 backends of a 4-backend VIP disabled -> the batch as a whole leaves no
#                                            backend: each is applied alone,
#                                            in order: 3 done, 1 refused
#   the same backend twice in one turn     -> two changes, in order; the
#                                            later one is in force
#   FIFOs where xlbd reads or writes its files (config, state, the
#   writers' .tmp files)                   -> refused or written around,
#                                            never a wait
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_together_each_its_own test_together_refused_then_alone
	   test_together_same_backend_twice test_fifos_never_block"

CONFIG=
weight_of() { tb_xlbctl -j show "${2:-web4}" | jq -r --arg a "$1" \
	'.[0].backends[] | select(.address == $a) | .weight'; }
state_of() { tb_xlbctl -j show "${2:-web4}" | jq -r --arg a "$1" \
	'.[0].backends[] | select(.address == $a) | .state'; }
last_id() { tb_xlbctl -j history | jq '[.changes[].id] | max // 0'; }

# together CMD_LINE...: each line an xlbctl command, sent while xlbd is
# stopped, then xlbd goes on; prints "rc output" per line, in order.
together() {
	local i pids=() out=()
	kill -STOP "$TB_XLBD_PID"
	for ((i = 1; i <= $#; i++)); do
		out[i]=$(mktemp)
		# shellcheck disable=SC2086
		tb_xlbctl ${!i} >"${out[i]}" 2>&1 &
		pids[i]=$!
		sleep 0.05
	done
	sleep 0.3
	kill -CONT "$TB_XLBD_PID"
	for ((i = 1; i <= $#; i++)); do
		wait "${pids[i]}"
		echo "$? $(head -c 300 "${out[i]}" | tr '\n' ' ')"
		rm -f "${out[i]}"
	done
}

test_together_each_its_own() {
	local first res ids n id3 v i
	CONFIG=$TB_STATE/xlb.yaml
	tb_write_config encap "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	first=$(last_id)
	res=$(together "-j weight web4 $(tb_be_addr4 1) 2" "-j weight web4 $(tb_be_addr4 2) 3" \
		"-j weight web4 $(tb_be_addr4 3) 4" "-j weight web4 $(tb_be_addr4 4) 5" \
		"-j weight web6 $(tb_be_addr6 1) 2" "-j weight web6 $(tb_be_addr6 2) 3" \
		"-j weight web6 $(tb_be_addr6 3) 4" "-j weight web6 $(tb_be_addr6 4) 5")
	echo "$res" | cut -c1-120 | sed 's/^/  /'
	[[ $(grep -c '^0 ' <<<"$res") == 8 ]] || fail "not all 8 answered done" || return 1
	grep -q "8 runtime changes applied together" "$TB_STATE/xlbd.log" ||
		fail "the 8 were not applied together" || return 1
	for i in 1 2 3 4; do
		[[ $(weight_of "$(tb_be_addr4 "$i")") == $((i + 1)) ]] || fail "web4 be$i weight $(weight_of "$(tb_be_addr4 "$i")")" || return 1
		[[ $(weight_of "$(tb_be_addr6 "$i")" web6) == $((i + 1)) ]] || fail "web6 be$i weight" || return 1
	done
	# Each its own change: 8 new ids, each naming one backend, each answered with its own.
	ids=$(grep -o '"change_id": *[0-9]*' <<<"$res" | grep -o '[0-9]*$' | sort -u | wc -l)
	[[ $ids == 8 ]] || fail "$ids distinct change ids in the 8 answers" || return 1
	n=$(tb_xlbctl -j history | jq --argjson f "$first" '[.changes[] | select(.id > $f and .source == "xlbctl")] | length')
	[[ $n == 8 ]] || fail "$n changes recorded, not 8" || return 1
	tb_xlbctl -j history | jq -e --argjson f "$first" \
		'[.changes[] | select(.id > $f)] | all(.what | test("weight"))' >/dev/null ||
		fail "a change of the batch is not a weight change" || return 1
	[[ $(grep -c '"type":"cli"' "$TB_STATE/journal.jsonl") -ge 8 ]] || fail "not 8 cli events in the journal" || return 1
	echo "  8 changes recorded, $ids distinct ids in the answers"
	# Undo the third alone: be3 of web4 back to 1, the others stay.
	id3=$(tb_xlbctl -j history | jq --argjson f "$first" --arg a "$(tb_be_addr4 3)" \
		'[.changes[] | select(.id > $f and (.what | contains($a + ":")))][0].id')
	tb_xlbctl rollback --change "$id3" >/dev/null || fail "rollback of #$id3" || return 1
	[[ $(weight_of "$(tb_be_addr4 3)") == 1 ]] || fail "be3 not undone" || return 1
	for v in 1 2 4; do
		[[ $(weight_of "$(tb_be_addr4 "$v")") == $((v + 1)) ]] || fail "rollback of #$id3 moved be$v" || return 1
	done
	tb_xlbctl reset >/dev/null
}

test_together_refused_then_alone() {
	local res i
	res=$(together "disable web4 $(tb_be_addr4 1)" "disable web4 $(tb_be_addr4 2)" \
		"disable web4 $(tb_be_addr4 3)" "disable web4 $(tb_be_addr4 4)")
	echo "$res" | cut -c1-160 | sed 's/^/  /'
	[[ $(grep -c '^0 ' <<<"$res") == 3 ]] || fail "not 3 done" || return 1
	grep -v '^0 ' <<<"$res" | has "no backend that takes traffic" || fail "the last not refused for its reason" || return 1
	n=0
	for i in 1 2 3 4; do [[ $(state_of "$(tb_be_addr4 "$i")") == disabled ]] && n=$((n + 1)); done
	[[ $n == 3 ]] || fail "$n backends disabled, not 3" || return 1
	tb_xlbctl reset >/dev/null
}

test_together_same_backend_twice() {
	local first res last w
	first=$(last_id)
	res=$(together "weight web4 $(tb_be_addr4 1) 5" "weight web4 $(tb_be_addr4 1) 6")
	echo "$res" | cut -c1-120 | sed 's/^/  /'
	[[ $(grep -c '^0 ' <<<"$res") == 2 ]] || fail "not both done" || return 1
	[[ $(tb_xlbctl -j history | jq --argjson f "$first" '[.changes[] | select(.id > $f)] | length') == 2 ]] ||
		fail "not two changes recorded" || return 1
	# The later change is the one in force.
	last=$(tb_xlbctl -j history | jq -r --argjson f "$first" '[.changes[] | select(.id > $f)] | max_by(.id) | .what')
	w=$(weight_of "$(tb_be_addr4 1)")
	has "weight $w " <<<"$last " || fail "weight $w in force, the last change says '$last'" || return 1
	tb_xlbctl reset >/dev/null
}

# A FIFO at a path xlbd opens would block its loop or its reload thread for
# good (found from outside: a reload wedged, SIGTERM no longer stopped it).
test_fifos_never_block() {
	local out
	mkfifo "$TB_STATE/state.json.tmp" "$TB_STATE/state.json.history.tmp"
	out=$(XLB_SOCKET=$TB_SOCKET timeout 10 "$TB_XLBCTL" weight web4 "$(tb_be_addr4 2)" 3 2>&1) ||
		fail "weight with FIFOs at the .tmp paths: $out" || return 1
	[[ $(weight_of "$(tb_be_addr4 2)") == 3 ]] || fail "weight not in force" || return 1
	mv "$CONFIG" "$CONFIG.keep" && mkfifo "$CONFIG"
	out=$(XLB_SOCKET=$TB_SOCKET timeout 10 "$TB_XLBCTL" reload 2>&1) && fail "a FIFO config reloaded" && return 1
	echo "  $out" | head -2 | cut -c1-160
	has "not a regular file" <<<"$out" || fail "not said why" || return 1
	rm -f "$CONFIG" && mv "$CONFIG.keep" "$CONFIG"
	XLB_SOCKET=$TB_SOCKET timeout 10 "$TB_XLBCTL" reload >/dev/null || fail "reload after the FIFO went" || return 1
	tb_stop_xlbd TERM || fail "xlbd did not stop" || return 1
	mv "$TB_STATE/state.json" "$TB_STATE/state.keep" && mkfifo "$TB_STATE/state.json"
	tb_start_xlbd "$CONFIG" 2>/dev/null && fail "started on a FIFO state file" && return 1
	grep -q "state file .*not a regular file" "$TB_STATE/xlbd.log" || fail "not said why" || return 1
	rm -f "$TB_STATE/state.json" && mv "$TB_STATE/state.keep" "$TB_STATE/state.json"
	tb_start_xlbd "$CONFIG" || return 1
	rm -f "$TB_STATE"/*.tmp
	tb_xlbctl reset >/dev/null
}

e2e_main 4
