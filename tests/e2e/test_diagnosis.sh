#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "Was it the balancer?" end to end, with backends whose latency grows with
# their own request rate (base 10 ms + 18 ms per request in flight) and a
# delay that can be set from outside, for all of them (a shared
# dependency) or for one (a sick host). Real HTTP load goes through the VIP.
#
#   steady traffic at equal weights        -> no verdict (XLB_STEADY_SECONDS,
#                                             60 here; 600 for the long run)
#   all four made slow at equal weights    -> shared dependency
#   one made slow at an equal share        -> single sick backend
#   weights 1:1:1:4 under load             -> balancer-induced overload,
#                                             configuration, within 10 s
#   xlbctl rollback                        -> back to 1:1:1:1
#   reload --guard 30s --wait to 1:1:1:8   -> rolled back by xlbd within the
#                                             guard, traffic even again
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_steady_no_verdict test_latency_shown test_shared_dependency
	   test_single_sick_backend test_overload_by_configuration test_rollback_by_hand
	   test_guarded_change_held test_guarded_reload_rolled_back test_report_answers"

STEADY=${XLB_STEADY_SECONDS:-60}
RATE=80
export TB_PROBE="{ type: http, interval: 1s, timeout: 1s, latency_interval: 250ms }"
CONFIG=
LOAD_PID=

extra() {
	printf 'journal: { sample_interval: 1s }\nskew: { hook: "env | grep ^XLB_ >> %s" }\n' \
		"$TB_STATE/hook.out"
}

# load SECONDS: HTTP load through the VIP in the background, from a client
# address no earlier load used: a reused 5-tuple would follow its old flow
# entry, not the weights in force (http_load.py says more). Reused ports
# cut be4's new flows under 1:1:1:4 to a third, and the overload verdict
# came late or not at all.
load() {
	tb_new_client_addr
	# ip netns exec, not tb_exec: $! is then the load itself, which load_end stops.
	ip netns exec "$(tb_ns client)" /usr/bin/python3 tests/e2e/helpers/http_load.py "http://$TB_VIP4/" \
		"$RATE" "$1" 3 "$TB_CLIENT_ADDR" >"$TB_STATE/load.out" 2>&1 &
	LOAD_PID=$!
}
load_wait() { wait "$LOAD_PID"; echo "  load: $(cat "$TB_STATE/load.out")"; }
# load_end: the load stops now (what it was for is checked); its line as load_wait's.
load_end() { kill -TERM "$LOAD_PID" 2>/dev/null; load_wait; }

diagnosis() { tb_xlbctl -j show web4 | jq -r ".[0].diagnosis.$1"; }

# wait_kind KIND LIMIT_S: until web4's verdict is KIND; prints seconds taken.
wait_kind() {
	local n
	for ((n = 0; n < $2 * 2; n++)); do
		[[ $(diagnosis kind) == "$1" ]] && { echo $(( n / 2 )); return 0; }
		sleep 0.5
	done
	return 1
}

test_steady_no_verdict() {
	local i
	CONFIG=$TB_STATE/xlb.yaml
	for ((i = 1; i <= TB_BACKENDS; i++)); do
		tb_start_slow_http "$i" 10 18 || return 1
	done
	TB_EXTRA=$(extra) tb_write_config encap "$CONFIG" 1 1 1 1
	tb_start_xlbd "$CONFIG" || return 1
	load "$STEADY"
	sleep "$STEADY"
	load_wait
	! grep -q "DIAGNOSIS" "$TB_STATE/xlbd.log" ||
		fail "a verdict under steady traffic: $(grep DIAGNOSIS "$TB_STATE/xlbd.log")" || return 1
	[[ $(diagnosis kind) == none ]] || fail "verdict: $(diagnosis message)" || return 1
	echo "  after ${STEADY}s: $(diagnosis message)"
}

test_latency_shown() {
	local m out
	out=$(tb_xlbctl show web4)
	echo "$out" | sed -n '2,3p;$p' | sed 's/^/  /'
	grep -q 'latency' <<<"$out" && grep -qE '[0-9.]+ms' <<<"$out" ||
		fail "no latency column in show" || return 1
	[[ $(tb_xlbctl -j show web4 | jq '.[0].backends[0].latency.samples') -ge 8 ]] ||
		fail "too few latency samples" || return 1
	m=$(tb_exec lb curl -s -m 3 http://127.0.0.1:9742/metrics)
	grep -q '^xlb_backend_probe_duration_seconds_bucket{.*phase="first_byte",le="0.025"}' <<<"$m" ||
		fail "no probe duration histogram" || return 1
	grep -q '^xlb_vip_diagnosis{vip="web4".*kind="none"} 1$' <<<"$m" ||
		fail "xlb_vip_diagnosis not none: $(grep '^xlb_vip_diagnosis{vip="web4"' <<<"$m")" || return 1
	promtool check metrics <<<"$m" >/dev/null 2>&1 ||
		fail "promtool: $(promtool check metrics <<<"$m" 2>&1 | head -3)" || return 1
	tb_xlbctl events | has . || fail "no events" || return 1
	grep -q '"latency_ms"' "$TB_STATE/journal.jsonl" || fail "no latency in journal samples"
}

test_shared_dependency() {
	local t
	load 40
	sleep 3
	echo 300 >"$TB_STATE/shared_delay"
	t=$(wait_kind shared 45) || fail "no shared verdict: $(diagnosis message)" || return 1
	echo "  shared after ${t}s: $(diagnosis message)"
	grep -q "DIAGNOSIS for VIP 'web4': shared dependency, not the balancer: all 4 backends slowed from" \
		"$TB_STATE/xlbd.log" || fail "log line" || return 1
	grep -q 'the balancer is not the cause' <<<"$(diagnosis message)" || fail "balancer not cleared" || return 1
	grep -q 'XLB_EVENT=diagnosis_raised' "$TB_STATE/hook.out" && grep -q 'XLB_KIND=shared' "$TB_STATE/hook.out" ||
		fail "hook not run" || return 1
	echo 0 >"$TB_STATE/shared_delay"
	t=$(wait_kind none 40) || fail "shared verdict did not clear: $(diagnosis message)" || return 1
	echo "  cleared after ${t}s"
	load_end
}

test_single_sick_backend() {
	local t
	load 40
	sleep 3
	echo 200 >"$TB_STATE/be2/delay"
	t=$(wait_kind sick 45) || fail "no sick verdict: $(diagnosis message)" || return 1
	echo "  sick after ${t}s: $(diagnosis message)"
	[[ $(diagnosis backends) == "$(tb_be_addr4 2)" ]] || fail "names $(diagnosis backends)" || return 1
	grep -q 'at a normal share' <<<"$(diagnosis message)" && grep -q 'health keeps it in' <<<"$(diagnosis message)" ||
		fail "message lacks the share or health" || return 1
	echo 0 >"$TB_STATE/be2/delay"
	t=$(wait_kind none 40) || fail "sick verdict did not clear: $(diagnosis message)" || return 1
	load_end
}

test_overload_by_configuration() {
	local t m
	TB_EXTRA=$(extra) tb_write_config encap "$CONFIG" 1 1 1 4
	tb_xlbctl reload >/dev/null || fail "reload refused" || return 1
	load 25
	t=$(wait_kind overload 10) || fail "no overload verdict within 10 s: $(diagnosis message)" || return 1
	echo "  overload after ${t}s: $(diagnosis message)"
	[[ $(diagnosis backends) == "$(tb_be_addr4 4)" ]] || fail "names $(diagnosis backends)" || return 1
	[[ $(diagnosis cause) == configuration ]] || fail "cause $(diagnosis cause)" || return 1
	m=$(tb_exec lb curl -s -m 3 http://127.0.0.1:9742/metrics)
	grep -q '^xlb_vip_diagnosis{vip="web4".*kind="overload"} 1$' <<<"$m" || fail "metric" || return 1
	load_end
}

weight_of() { tb_xlbctl -j show web4 | jq -r --arg a "$(tb_be_addr4 "$1")" \
	'.[0].backends[] | select(.address == $a) | .weight'; }

test_rollback_by_hand() {
	local out
	# The reload changed both VIPs (the testbed weighs both alike): undoing it by
	# either VIP's name undoes it alone.
	tb_xlbctl -j history | jq -e '.changes[0].vips == ["web4", "web6"]' >/dev/null ||
		fail "the reload's VIPs: $(tb_xlbctl -j history | jq -c '.changes[0].vips')" || return 1
	out=$(tb_xlbctl rollback web6) || fail "rollback failed: $out" || return 1
	echo "  $out"
	grep -q '^undid change #[0-9]* (xlbctl reload, reload of' <<<"$out" || fail "unexpected: $out" || return 1
	[[ $(weight_of 4) == 1 ]] || fail "be4's weight is $(weight_of 4), not 1 again" || return 1
	tb_xlbctl events | has 'ROLLED BACK change #.*by hand' || fail "not journaled"
}

# new_flows_all: web4's new flows per backend, space separated.
new_flows_all() { tb_xlbctl -j show web4 | jq -r '[.[0].backends[].new_flows] | join(" ")'; }

test_guarded_change_held() {
	local out rc
	out=$(tb_xlbctl weight web4 "$(tb_be_addr4 1)" 2 --guard 3s --wait); rc=$?
	echo "  $out" | tail -1
	[[ $rc -eq 0 ]] && grep -q 'held: no skew' <<<"$out" || fail "rc $rc: $out" || return 1
	out=$(tb_xlbctl rollback web4) || fail "rollback of the weight: $out" || return 1
	[[ $(weight_of 1) == 1 ]] || fail "weight not undone"
}

test_guarded_reload_rolled_back() {
	local out rc t0 t1 b a i share4
	load 60
	# Wait for the 1:1:1:4 skew and verdict to clear: the guard judges what is new.
	for ((i = 0; i < 60; i++)); do
		[[ $(diagnosis kind) == none ]] && ! tb_xlbctl -j show web4 | jq -e '.[0].backends[] | select(.skew != "none")' >/dev/null && break
		sleep 1
	done
	TB_EXTRA=$(extra) tb_write_config encap "$CONFIG" 1 1 1 8
	t0=$(date +%s)
	out=$(tb_xlbctl reload --guard 30s --wait 2>&1); rc=$?
	t1=$(date +%s)
	echo "$out" | sed 's/^/  /' | cut -c1-220
	[[ $rc -eq 1 ]] || fail "xlbctl exited $rc, not 1" || return 1
	grep -q 'rolled back: ' <<<"$out" || fail "no rollback" || return 1
	[[ $((t1 - t0)) -le 30 ]] || fail "took $((t1 - t0)) s" || return 1
	echo "  rolled back $((t1 - t0)) s after the reload"
	[[ $(weight_of 4) == 1 ]] || fail "be4's weight is $(weight_of 4) after the rollback" || return 1
	# Even again: be4's share of the next new flows.
	sleep 2
	read -ra b <<<"$(new_flows_all)"
	sleep 5
	read -ra a <<<"$(new_flows_all)"
	share4=$(( 100 * (a[3] - b[3]) / ((a[0] + a[1] + a[2] + a[3]) - (b[0] + b[1] + b[2] + b[3]) + 1) ))
	echo "  be4's share of new flows after the rollback: $share4%"
	[[ $share4 -lt 35 ]] || fail "traffic not even again" || return 1
	load_end
}

test_report_answers() {
	local r
	r=$(tb_xlbctl report --since 1h) || fail "report failed" || return 1
	grep -A8 '^## Was it the balancer?' <<<"$r" | sed 's/^/  /' | cut -c1-200
	grep -q '^- \*\*Yes.\*\* The balancer overloaded a backend' <<<"$r" || fail "no yes" || return 1
	grep -q '^- \*\*No.\*\* Every backend slowed down together' <<<"$r" || fail "no shared" || return 1
	grep -q '^- \*\*No.\*\* One backend was slow or failing' <<<"$r" || fail "no sick" || return 1
	# Both steps of the guarded reload, in order.
	grep -E 'config applied.*weight 1 -> 8|ROLLED BACK change' <<<"$r" | tail -2 | sed 's/^/  /' | cut -c1-200
	grep -A1000 'weight 1 -> 8' <<<"$r" | has 'ROLLED BACK change #[0-9]* (reload of' ||
		fail "report lacks the reload and its rollback"
}

e2e_main 4
