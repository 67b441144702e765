#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# One history of changes, and guards that never act wrongly on their own
# (issue 26), end to end:
#
#   weight --guard, then SIGHUP adds VIP 'long'  -> the guard is superseded;
#                                                   'rollback web4' and
#                                                   'rollback --change' undo
#                                                   the weight alone: 'long'
#                                                   stays and answers
#   plain rollback after that                     -> undoes the SIGHUP reload
#                                                   alone (named as such)
#   weight --guard, xlbctl reload, backend down   -> no automatic rollback
#   weight --guard on source_port: false while
#   one client opens 150 connections a second     -> held: concentration is
#                                                   not what a weight causes
#   restart during a guard (--wait)                -> the guard resumes, --wait
#                                                   waits through it, exit 0
#   kill -9 until the guard's time is over         -> "ended by restart",
#                                                   --wait exits 3, rollback
#                                                   still undoes the change
#   config edited while xlbd was stopped           -> a change of its own,
#                                                   undone by rollback
#   config texts kept beside the history, by hash  -> the history stays small;
#                                                   a reload is undone after a
#                                                   restart; a text changed on
#                                                   disk is a damaged history;
#                                                   a version 1 file still reads
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_sighup_then_rollback test_reload_supersedes_guard test_guard_rolls_back_alone
	   test_same_config_in_other_words test_concentration_no_rollback
	   test_restart_during_guard test_guard_ended_by_restart test_start_on_edited_config
	   test_damaged_history_file test_undo_pairs_and_conflicts test_rollback_fails_exit_4
	   test_hand_undo_during_wait test_drain_then_maintenance_held test_state_edited_while_stopped
	   test_runtime_changes_unfit_refused test_history_texts_beside"

export TB_PROBE="{ type: http, interval: 500ms, timeout: 400ms, rise: 2, fall: 2 }"
CONFIG=
PID=
ID=

weight_of() { tb_xlbctl -j show "${2:-web4}" | jq -r --arg a "$(tb_be_addr4 "$1")" \
	'.[0].backends[] | select(.address == $a) | .weight'; }
has_vip() { tb_xlbctl -j show | jq -e --arg v "$1" 'map(select(.name == $v)) | length == 1' >/dev/null; }
guard_of() { tb_xlbctl -j history | jq -r --argjson i "$1" '.changes[] | select(.id == $i) | .guard'; }

# with_long: the config plus VIP 'long' (port 81, be1 alone), as an edit would add it.
with_long() {
	tb_write_config encap "$CONFIG"
	cat >>"$CONFIG" <<-EOF
	  - name: long
	    address: $TB_VIP4
	    port: 81
	    protocol: tcp
	    mode: encap
	    backends:
	      - address: $(tb_be_addr4 1)
	        mac: $(tb_be_mac 1)
	EOF
}
long_answers() { tb_exec client curl -s -m 2 "http://$TB_VIP4:81/" | has be1; }

test_sighup_then_rollback() {
	local out id
	CONFIG=$TB_STATE/xlb.yaml
	# be1 also serves port 81, for VIP 'long'.
	mkdir -p "$TB_STATE/be1-81" && echo be1 >"$TB_STATE/be1-81/index.html"
	ip netns exec "$(tb_ns be1)" /usr/bin/python3 -m http.server 81 --bind :: \
		--directory "$TB_STATE/be1-81" >>"$TB_STATE/be1-81.log" 2>&1 &
	disown $!
	tb_write_config encap "$CONFIG"
	tb_start_xlbd "$CONFIG" || return 1
	out=$(tb_xlbctl weight web4 "$(tb_be_addr4 1)" 3 --guard 60s) || fail "weight: $out" || return 1
	id=$(tb_xlbctl -j history | jq '.changes[0].id')
	with_long
	kill -HUP "$TB_XLBD_PID"
	sleep 1
	has_vip long || fail "SIGHUP did not add VIP long" || return 1
	long_answers || fail "VIP long does not answer" || return 1
	tb_xlbctl history | sed -n '1,4p' | sed 's/^/  /' | cut -c1-200
	[[ $(guard_of "$id") == superseded ]] || fail "the weight's guard is $(guard_of "$id")" || return 1
	tb_xlbctl -j history | jq -e '.changes[0] | .source == "SIGHUP" and .vips == ["long"]' >/dev/null ||
		fail "the SIGHUP reload is not in the history as changing VIP long" || return 1
	# The weight alone, by VIP.
	out=$(tb_xlbctl rollback web4) || fail "rollback web4: $out" || return 1
	echo "  rollback web4: $out"
	grep -q "^undid change #$id (xlbctl, web4" <<<"$out" || fail "undid something else" || return 1
	[[ $(weight_of 1) == 1 ]] || fail "be1's weight is $(weight_of 1)" || return 1
	has_vip long && long_answers || fail "VIP long gone with the weight's rollback" || return 1
	# By its number: the same, again on a weight change made after the reload.
	tb_xlbctl weight web4 "$(tb_be_addr4 2)" 5 >/dev/null || return 1
	tb_xlbctl weight web6 "$(tb_be_addr6 2)" 5 >/dev/null || return 1
	id=$(tb_xlbctl -j history | jq '.changes[1].id')
	out=$(tb_xlbctl rollback --change "$id") || fail "rollback --change $id: $out" || return 1
	[[ $(weight_of 2) == 1 && $(tb_xlbctl -j show web6 | jq '.[0].backends[1].weight') == 5 ]] ||
		fail "rollback --change $id did not undo exactly web4's weight" || return 1
	out=$(tb_xlbctl rollback --change "$id" 2>&1) && fail "undone twice: $out" || true
	grep -q "undone already" <<<"$out" || fail "second undo: $out" || return 1
	tb_xlbctl rollback >/dev/null || return 1	# web6's weight
	# Now the newest change in force is the SIGHUP reload: undone alone.
	out=$(tb_xlbctl rollback) || fail "rollback: $out" || return 1
	echo "  rollback: $out" | cut -c1-200
	grep -q '(SIGHUP, reload of' <<<"$out" || fail "did not name the SIGHUP reload" || return 1
	! has_vip long || fail "VIP long is still there" || return 1
	[[ $(weight_of 1) == 1 && $(weight_of 2) == 1 ]] || fail "weights moved with the reload's undo" || return 1
	tb_xlbctl events | has 'ROLLED BACK change' || fail "not journaled" || return 1
	# Back to the file as it is, for the next test.
	tb_xlbctl reload >/dev/null || return 1
}

# A backend goes down after a guarded change, but a newer change (any
# source) superseded its guard: nothing is rolled back by itself.
test_reload_supersedes_guard() {
	local out id i src
	for src in "xlbctl reload" SIGHUP; do
		tb_write_config encap "$CONFIG"
		tb_xlbctl reload >/dev/null || return 1
		out=$(tb_xlbctl weight web4 "$(tb_be_addr4 2)" 2 --guard 30s) || fail "$out" || return 1
		id=$(tb_xlbctl -j history | jq '.changes[0].id')
		with_long
		if [[ $src == SIGHUP ]]; then kill -HUP "$TB_XLBD_PID"; sleep 1
		else tb_xlbctl reload >/dev/null || return 1; fi
		[[ $(guard_of "$id") == superseded ]] || fail "$src: guard $(guard_of "$id")" || return 1
		tb_stop_http 2
		for ((i = 0; i < 20; i++)); do
			[[ $(tb_xlbctl -j show web4 | jq -r '.[0].backends[1].health') == down ]] && break
			sleep 0.5
		done
		sleep 2
		tb_start_http 2
		[[ $(guard_of "$id") == superseded && $(weight_of 2) == 2 ]] && has_vip long ||
			fail "$src: rolled back by a superseded guard ($(guard_of "$id"), weight $(weight_of 2))" ||
			return 1
		echo "  $src: guard of #$id superseded; be2 down and back; weight and VIP long stay"
		tb_xlbctl reset >/dev/null
	done
	tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null
}

# The guard's own rollback of an xlbctl change (its backend went down)
# undoes that change alone: a reload made before it stays.
test_guard_rolls_back_alone() {
	local out rc t0 pid
	with_long
	tb_xlbctl reload >/dev/null || return 1
	tb_xlbctl weight web6 "$(tb_be_addr6 1)" 3 >/dev/null || return 1
	t0=$SECONDS
	( sleep 1; tb_stop_http 3 ) &
	pid=$!
	out=$(tb_xlbctl weight web4 "$(tb_be_addr4 3)" 2 --guard 20s --wait 2>&1); rc=$?
	wait "$pid"
	echo "  $out" | tail -1 | cut -c1-220
	[[ $rc -eq 1 ]] && grep -q "rolled back: backend $(tb_be_addr4 3) of VIP 'web4' went down" <<<"$out" ||
		fail "rc $rc" || return 1
	echo "  rolled back $((SECONDS - t0)) s after the change"
	[[ $(weight_of 3) == 1 ]] || fail "weight $(weight_of 3)" || return 1
	has_vip long && long_answers && [[ $(tb_xlbctl -j show web6 | jq '.[0].backends[0].weight') == 3 ]] ||
		fail "the rollback took more than its change" || return 1
	tb_start_http 3
	tb_xlbctl reset >/dev/null
	tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null
}

# A reload of the same config (the same file, or new comments) changes
# nothing in force: not recorded, no guard ended; the reload before it can
# still be undone.
test_same_config_in_other_words() {
	local out id
	with_long
	tb_xlbctl reload >/dev/null || return 1
	out=$(tb_xlbctl weight web4 "$(tb_be_addr4 1)" 2 --guard 30s) || return 1
	id=$(tb_xlbctl -j history | jq '.changes[0].id')
	out=$(tb_xlbctl reload) || return 1
	grep -q 'nothing in force changed' <<<"$out" || fail "the same file: $out" || return 1
	printf '# a comment\n' >>"$CONFIG"
	sed -i '1i # edited by hand' "$CONFIG"
	out=$(tb_xlbctl reload) || return 1
	grep -q 'nothing in force changed' <<<"$out" || fail "new comments: $out" || return 1
	kill -HUP "$TB_XLBD_PID"
	sleep 1
	[[ $(guard_of "$id") == watching ]] || fail "the guard is $(guard_of "$id")" || return 1
	[[ $(tb_xlbctl -j history | jq '.changes[0].id') == "$id" ]] || fail "a reload was recorded" || return 1
	tb_xlbctl rollback >/dev/null && out=$(tb_xlbctl rollback) || fail "rollback of the reload: $out" || return 1
	! has_vip long || fail "the reload before the comments could not be undone: $out" || return 1
	echo "  the same file, new comments, SIGHUP: nothing recorded, the guard watches on; the reload before undone"
	tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null
}

test_concentration_no_rollback() {
	local out rc t0 pid raised
	TB_VIP_EXTRA="hash: { source_port: false }" tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null || fail "reload" || return 1
	sleep 2
	# One client address, 150 connections a second: every one of them hashes
	# to one backend, as the VIP asks.
	tb_new_client_addr
	ip netns exec "$(tb_ns client)" /usr/bin/python3 tests/e2e/helpers/http_load.py \
		"http://$TB_VIP4/" 150 24 2 "$TB_CLIENT_ADDR" >"$TB_STATE/conc.out" 2>&1 &
	pid=$!
	sleep 2
	t0=$SECONDS
	out=$(tb_xlbctl weight web4 "$(tb_be_addr4 2)" 2 --guard 18s --wait 2>&1); rc=$?
	wait "$pid"
	echo "  load: $(cat "$TB_STATE/conc.out")"
	echo "  $out" | tail -1 | cut -c1-200
	raised=$(tb_xlbctl -j events 2>/dev/null | jq -r '[.[] | select(.type == "skew_raised")] | length' 2>/dev/null)
	grep -c 'cause: traffic concentration\|traffic concentration' "$TB_STATE/xlbd.log" >/dev/null &&
		echo "  skew raised on traffic concentration during the guard (as the attack intends)" ||
		echo "  note: no concentration skew was raised (raised events: ${raised:-?})"
	[[ $rc -eq 0 ]] && grep -q 'held' <<<"$out" ||
		fail "rc $rc after $((SECONDS - t0)) s: a weight change rolled back for concentrated traffic" ||
		return 1
	[[ $(weight_of 2) == 2 ]] || fail "weight $(weight_of 2)" || return 1
	tb_xlbctl reset >/dev/null
	tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null
}

# guarded_then_stopped BACKEND WEIGHT GUARD SIGNAL DOWN_S: a guarded weight
# change with --wait in the background (PID, its output in wait.out), its
# number (ID), then xlbd stopped by SIGNAL for DOWN_S seconds and started.
guarded_then_stopped() {
	tb_xlbctl weight web4 "$(tb_be_addr4 "$1")" "$2" --guard "$3" --wait >"$TB_STATE/wait.out" 2>&1 &
	PID=$!
	sleep 0.5
	ID=$(tb_xlbctl -j history | jq '.changes[0].id')
	tb_stop_xlbd "$4" || fail "xlbd did not stop" || return 1
	sleep "$5"
	tb_start_xlbd "$CONFIG"
}

test_restart_during_guard() {
	local out rc
	guarded_then_stopped 3 2 12s TERM 1 || return 1
	[[ $(guard_of "$ID") == watching ]] || fail "after the restart the guard is $(guard_of "$ID")" || return 1
	tb_xlbctl status | has "^guard: change #$ID (web4 .*) watched, [0-9]* s left" ||
		fail "status does not show the watched change" || return 1
	wait "$PID"; rc=$?
	sed 's/^/  /' "$TB_STATE/wait.out" | cut -c1-200
	[[ $rc -eq 0 ]] && grep -q "held" "$TB_STATE/wait.out" || fail "--wait exited $rc" || return 1
	grep -q 'guard_resumed' "$TB_STATE/journal.jsonl" || fail "no guard_resumed in the journal" || return 1
	out=$(tb_xlbctl rollback web4) || fail "rollback after the restart: $out" || return 1
	[[ $(weight_of 3) == 1 ]] || fail "weight $(weight_of 3)" || return 1
}

test_guard_ended_by_restart() {
	local rc out
	guarded_then_stopped 4 3 2s KILL 3 || return 1
	wait "$PID"; rc=$?
	sed 's/^/  /' "$TB_STATE/wait.out" | cut -c1-200
	[[ $rc -eq 3 ]] || fail "--wait exited $rc, not 3" || return 1
	grep -q 'ended by restart' "$TB_STATE/wait.out" || fail "no 'ended by restart'" || return 1
	[[ $(guard_of "$ID") == "ended by restart" ]] || fail "guard $(guard_of "$ID")" || return 1
	tb_xlbctl events | has 'guard ended by restart' || fail "not in the journal's view" || return 1
	[[ $(weight_of 4) == 3 ]] || fail "the change is not in force" || return 1
	out=$(tb_xlbctl rollback) || fail "rollback: $out" || return 1
	[[ $(weight_of 4) == 1 ]] || fail "rollback after kill -9 left weight $(weight_of 4)" || return 1
}

test_start_on_edited_config() {
	local out
	tb_stop_xlbd TERM || return 1
	tb_write_config encap "$CONFIG" 1 1 1 4
	tb_start_xlbd "$CONFIG" || return 1
	[[ $(weight_of 4) == 4 ]] || return 1
	tb_xlbctl -j history | jq -e '.changes[0].source == "start"' >/dev/null ||
		fail "the edited start is not in the history" || return 1
	out=$(tb_xlbctl rollback) || fail "rollback: $out" || return 1
	echo "  $out" | cut -c1-200
	[[ $(weight_of 4) == 1 ]] || fail "weight $(weight_of 4) after undoing the start" || return 1
}

# The history is a record: a damaged one loses the means to undo, never a
# change in force, and never stops a start.
test_damaged_history_file() {
	local bad out
	tb_xlbctl weight web4 "$(tb_be_addr4 2)" 4 >/dev/null || return 1
	for bad in 'not json' '{"version": 1, "next_id": "x"}' \
		   '{"version":1,"next_id":3,"config_text":"","changes":[{"id":1}]}'; do
		tb_stop_xlbd TERM || return 1
		printf '%s' "$bad" >"$TB_STATE/state.json.history"
		tb_start_xlbd "$CONFIG" || fail "xlbd did not start on history '$bad'" || return 1
		[[ $(weight_of 2) == 4 ]] || fail "weight $(weight_of 2) after history '$bad'" || return 1
		[[ -f $TB_STATE/state.json.history.bad ]] || fail "'$bad' not kept as .bad" || return 1
		grep -q "Couldn't read history file" "$TB_STATE/xlbd.log" || fail "not said" || return 1
		rm -f "$TB_STATE/state.json.history.bad"
	done
	# A fresh history: nothing from before to undo, new changes undo as ever.
	tb_xlbctl rollback >/dev/null 2>&1 && fail "undid a change the lost history named" || true
	tb_xlbctl weight web4 "$(tb_be_addr4 2)" 5 >/dev/null || return 1
	out=$(tb_xlbctl rollback 2>&1) && [[ $(weight_of 2) == 4 ]] || fail "rollback on a fresh history: $out, weight $(weight_of 2)" || return 1
	echo "  3 damaged history files: xlbd started each time, the weight in force kept, the file kept as .bad"
}

# A change and its undo count as none: a reload stays undoable after a
# weight made and undone after it; a refusal names the change that really
# touched the backend.
test_undo_pairs_and_conflicts() {
	local out b1 b2
	with_long
	tb_xlbctl reload >/dev/null || return 1
	tb_xlbctl weight web4 "$(tb_be_addr4 2)" 2 >/dev/null && tb_xlbctl rollback >/dev/null || return 1
	out=$(tb_xlbctl rollback 2>&1) || fail "the reload after a weight and its undo: $out" || return 1
	! has_vip long || fail "VIP long still there" || return 1
	b1=$(tb_be_addr6 1) b2=$(tb_be_addr6 2)
	tb_xlbctl weight web6 "$b1" 2 >/dev/null && tb_xlbctl weight web6 "$b1" 3 >/dev/null &&
		tb_xlbctl weight web6 "$b2" 5 >/dev/null || return 1
	out=$(tb_xlbctl -j history | jq '.changes[2].id')
	out=$(tb_xlbctl rollback --change "$out" 2>&1) && fail "undid an older change under a newer one" || true
	grep -q "weight 3" <<<"$out" || fail "the refusal names another change: $out" || return 1
	echo "  refused: ${out:0:160}"
	tb_xlbctl reset >/dev/null
	tb_write_config encap "$CONFIG"
	tb_xlbctl reload >/dev/null
}

# A rollback the guard cannot write: exit 4, "rollback failed", in force.
test_rollback_fails_exit_4() {
	local out rc pid
	tb_xlbctl weight web6 "$(tb_be_addr6 1)" 2 >/dev/null || return 1
	( sleep 1; mkdir "$TB_STATE/state.json.tmp"; tb_stop_http 3 ) &
	pid=$!
	out=$(tb_xlbctl weight web4 "$(tb_be_addr4 3)" 2 --guard 20s --wait 2>&1); rc=$?
	wait "$pid"
	rmdir "$TB_STATE/state.json.tmp"
	tb_start_http 3
	echo "  ${out:0:200}"
	[[ $rc -eq 4 ]] || fail "--wait exited $rc, not 4" || return 1
	[[ $(guard_of "$(tb_xlbctl -j history | jq '.changes[0].id')") == "rollback failed" ]] ||
		fail "history: $(tb_xlbctl -j history | jq -c '.changes[0] | [.guard, .outcome]')" || return 1
	[[ $(weight_of 3) == 2 ]] || fail "weight $(weight_of 3)" || return 1
	tb_xlbctl reset >/dev/null
}

test_hand_undo_during_wait() {
	local rc pid
	tb_xlbctl weight web4 "$(tb_be_addr4 1)" 2 --guard 20s --wait >"$TB_STATE/wait.out" 2>&1 &
	pid=$!
	sleep 1
	tb_xlbctl rollback >/dev/null || return 1
	wait "$pid"; rc=$?
	sed 's/^/  /' "$TB_STATE/wait.out" | cut -c1-200
	[[ $rc -eq 3 ]] && grep -q 'undone by hand.*not in force' "$TB_STATE/wait.out" ||
		fail "--wait exited $rc" || return 1
}

# A drain then the backend stopped for maintenance: not the drain's doing.
test_drain_then_maintenance_held() {
	local out rc pid
	( sleep 1; tb_stop_http 4 ) &
	pid=$!
	out=$(tb_xlbctl drain web4 "$(tb_be_addr4 4)" --guard 5s --wait 2>&1); rc=$?
	wait "$pid"
	tb_start_http 4
	echo "  ${out:0:200}"
	[[ $rc -eq 0 ]] && grep -q held <<<"$out" || fail "--wait exited $rc" || return 1
	tb_xlbctl reset >/dev/null
}

# Runtime changes edited into the state file while xlbd was stopped (or a
# crash between its writes): the start is a change, undone like any other.
test_state_edited_while_stopped() {
	local out
	tb_stop_xlbd TERM || return 1
	jq -n --arg b "$(tb_be_addr4 2)" '{version: 1, overrides: [{vip: "web4", backend: $b, uid: 0, when: 0, weight: 9}]}' \
		>"$TB_STATE/state.json"
	tb_start_xlbd "$CONFIG" || return 1
	[[ $(weight_of 2) == 9 ]] || return 1
	tb_xlbctl -j history | jq -e '.changes[0].source == "start"' >/dev/null ||
		fail "not recorded: $(tb_xlbctl -j history | jq -c '.changes[0]')" || return 1
	out=$(tb_xlbctl rollback) || fail "rollback: $out" || return 1
	[[ $(weight_of 2) == 1 ]] || fail "weight $(weight_of 2) after undoing the start" || return 1
	echo "  ${out:0:200}"
}

# Runtime changes that no longer fit the config refuse the start before
# anything is touched, with a hint that works while xlbd is stopped.
test_runtime_changes_unfit_refused() {
	local before after
	tb_xlbctl disable web4 "$(tb_be_addr4 1)" >/dev/null || return 1
	tb_stop_xlbd TERM || return 1
	before=$(ls -l --time-style=+%s.%N "$TB_PIN" | md5sum)
	# web4 with be1 alone: disabled, it has no backend left.
	TB_BACKENDS=1 tb_write_config encap "$TB_STATE/one.yaml"
	tb_start_xlbd "$TB_STATE/one.yaml" 2>/dev/null && fail "started with runtime changes that do not fit" || true
	after=$(ls -l --time-style=+%s.%N "$TB_PIN" | md5sum)
	grep -B3 "discard-runtime-changes" "$TB_STATE/xlbd.log" | cut -c1-200 | sed 's/^/  /'
	grep -q "xlbd not started: the runtime changes .*discard-runtime-changes" "$TB_STATE/xlbd.log" ||
		fail "no hint that works while stopped" || return 1
	[[ $before == "$after" ]] || fail "the pins changed" || return 1
	tb_start_xlbd "$CONFIG" || return 1
	tb_xlbctl reset >/dev/null
}


# The config texts the history needs are kept beside it, each once, by
# hash: the history stays a few kB whatever the config's size (issue 27).
test_history_texts_beside() {
	local h=$TB_STATE/state.json.history texts named out
	with_long
	tb_xlbctl reload >/dev/null || return 1
	# Each text the history names is there, once; no other.
	texts=$(find "$TB_STATE" -maxdepth 1 -name 'state.json.history.????????????????' | wc -l)
	named=$(jq '[.config_hash] + [.changes[] | select(.before_kept) | .before_hash] | unique | length' "$h")
	((texts == named && texts >= 2)) || fail "$texts texts beside the history, which names $named" || return 1
	grep -q config_text "$h" && fail "the history holds a config text" && return 1
	(($(stat -c %s "$h") < 65536)) || fail "history of $(stat -c %s "$h") bytes" || return 1
	tb_stop_xlbd TERM || return 1
	tb_start_xlbd "$CONFIG" || return 1
	[[ -f $h.bad ]] && fail "history with its texts beside read as damaged" && return 1
	out=$(tb_xlbctl rollback 2>&1) || fail "rollback after restart: $out" || return 1
	has_vip long && fail "the reload is not undone after a restart" && return 1
	# Undone: the text of the config with 'long' is no longer needed.
	texts=$(find "$TB_STATE" -maxdepth 1 -name 'state.json.history.????????????????' | wc -l)
	echo "  after undo: $texts text(s) beside the history"
	# A text whose bytes are not its name's is not trusted: the entries that
	# need it cannot be undone; the others stay, and numbers go on.
	local top
	top=$(jq '[.changes[].id] | max' "$h")
	tb_stop_xlbd TERM || return 1
	for f in "$h".????????????????; do echo "# changed" >>"$f"; done
	tb_start_xlbd "$CONFIG" || fail "xlbd did not start on a changed text" || return 1
	[[ -f $h.bad ]] && fail "one damaged text threw the whole history away" && return 1
	grep -q "cannot be undone any more\|config text in force when xlbd stopped is missing or damaged" "$TB_STATE/xlbd.log" ||
		fail "the damaged texts were not said" || return 1
	tb_xlbctl weight web4 "$(tb_be_addr4 3)" 2 >/dev/null || return 1
	(($(tb_xlbctl -j history | jq '[.changes[].id] | max') > top)) ||
		fail "numbers did not go on after the damaged texts" || return 1
	tb_xlbctl reset >/dev/null
	# Version 1 (texts inside) is still read.
	tb_stop_xlbd TERM || return 1
	jq -n --rawfile t "$CONFIG" '{version: 1, next_id: 7, config_text: $t, changes: []}' >"$h"
	rm -f "$h".????????????????
	tb_start_xlbd "$CONFIG" || return 1
	[[ -f $h.bad ]] && fail "a version 1 history read as damaged" && return 1
	tb_xlbctl weight web4 "$(tb_be_addr4 2)" 3 >/dev/null || return 1
	tb_xlbctl -j history | jq -e '.changes[0].id == 8' >/dev/null ||
		fail "ids did not go on from the version 1 file" || return 1
	echo "  history $(stat -c %s "$h") bytes, texts beside it; version 1 read"
}

e2e_main 4
