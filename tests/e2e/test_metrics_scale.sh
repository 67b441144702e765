#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# /metrics at scale (issue 27): the render is read off the loop in slices
# and written in a thread, and 'metrics: { backends: ... }' keeps it small.
#
#   backends: all, aggregate, none (by reload) on three probed backends:
#     all has every per-backend series and the per-VIP sums; aggregate the
#     sums and no xlb_backend_*; none neither; the VIP series stay in all
#     three, each passes promtool; bytes of /metrics per backend printed
#   20,000 backends: back-to-back scrapes beside status calls every 50 ms,
#     every status answered within a generous bound; the loop's slices of
#     the render stay short (status -j); 8 scrapes at once cost one render
#     and get the same page; HEAD and two requests in a row served
#   the per-VIP alert rules fire on the per-VIP sums alone (backends:
#     aggregate) and stay silent beside per-backend series (promtool test rules)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_backends_option test_scrapes_keep_status test_alert_rules_per_vip"

export TB_PROBE="{ type: http, path: /, interval: 300ms }"
URL=http://127.0.0.1:9742/metrics

scrape() { tb_enter lb curl -s -m 20 "$URL"; }
status_json() { tb_xlbctl -j status; }
ms_now() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# apply_mode MODE: the config with 'metrics: { backends: MODE }', reloaded
# (started the first time), then a render made after it.
apply_mode() {
	TB_EXTRA="metrics: { backends: $1 }" tb_write_config encap "$TB_STATE/xlb.yaml"
	if [[ -z $TB_XLBD_PID ]] || ! kill -0 "$TB_XLBD_PID" 2>/dev/null; then
		tb_start_xlbd "$TB_STATE/xlb.yaml" >/dev/null || fail "xlbd did not start" || return 1
	else
		tb_xlbctl reload >/dev/null || fail "reload to backends: $1 refused" || return 1
	fi
	[[ $(status_json | jq -r .metrics.backends) == "$1" ]] ||
		fail "status says backends: $(status_json | jq -r .metrics.backends), not $1" || return 1
	sleep 1.1	# past the cached render
}

promtool_ok() {
	command -v promtool >/dev/null || return 0
	promtool check metrics <<<"$1" >/dev/null 2>&1 ||
		fail "promtool ($2): $(promtool check metrics <<<"$1" 2>&1 | head -3)"
}

count() { grep -c "$1" <<<"$2"; }

test_backends_option() {
	local m n f i all agg none vip='vip="web4"' be=$TB_BACKENDS
	for i in $(seq 1 "$TB_BACKENDS"); do tb_start_http "$i" >/dev/null 2>&1; done
	apply_mode all || return 1
	# Until every backend has been probed (histograms) and is up.
	for ((i = 0; i < 50; i++)); do
		m=$(scrape)
		[[ $(grep "^xlb_vip_backends_up{$vip" <<<"$m" | awk '{print $2}') == "$be" ]] &&
			has "^xlb_vip_probe_duration_seconds_count{$vip.*phase=\"total\"}" <<<"$m" &&
			[[ $(count "^xlb_backend_probe_duration_seconds_count{$vip.*phase=\"total\"}" "$m") == "$be" ]] && break
		sleep 0.3
	done
	n=$(count '^xlb_backend_up{' "$m")
	[[ $n == $((2 * be)) ]] || fail "all: $n xlb_backend_up series, want $((2 * be))" || return 1
	for f in xlb_backend_packets_total xlb_backend_skew xlb_backend_weight \
		 xlb_backend_probe_duration_seconds_bucket xlb_vip_packets_total xlb_vip_backends \
		 xlb_vip_skewed_backends xlb_vip_diagnosis; do
		has "^$f{$vip" <<<"$m" || fail "all: no $f for web4" || return 1
	done
	[[ $(grep "^xlb_vip_backends{$vip" <<<"$m" | awk '{print $2}') == "$be" ]] ||
		fail "all: $(grep "^xlb_vip_backends{$vip" <<<"$m")" || return 1
	promtool_ok "$m" all || return 1
	all=${#m}

	apply_mode aggregate || return 1
	m=$(scrape)
	! has '^xlb_backend_' <<<"$m" ||
		fail "aggregate: per-backend series: $(grep -m3 '^xlb_backend_' <<<"$m")" || return 1
	for f in xlb_vip_packets_total xlb_vip_new_flows_total xlb_vip_skewed_backends xlb_vip_backends \
		 xlb_vip_backends_up xlb_vip_backends_flapping xlb_vip_probe_duration_seconds_bucket \
		 xlb_vip_diagnosis xlb_vip_table_slots; do
		has "^$f{$vip" <<<"$m" || fail "aggregate: no $f for web4" || return 1
	done
	[[ $(grep "^xlb_vip_backends_up{$vip" <<<"$m" | awk '{print $2}') == "$be" ]] ||
		fail "aggregate: $(grep "^xlb_vip_backends_up{$vip" <<<"$m")" || return 1
	promtool_ok "$m" aggregate || return 1
	agg=${#m}

	apply_mode none || return 1
	m=$(scrape)
	! has '^xlb_backend_\|^xlb_vip_backends\|^xlb_vip_probe_duration' <<<"$m" ||
		fail "none: $(grep -m3 '^xlb_backend_\|^xlb_vip_backends\|^xlb_vip_probe_duration' <<<"$m")" ||
		return 1
	for f in xlb_vip_packets_total xlb_vip_dropped_packets_total xlb_vip_skewed_backends \
		 xlb_vip_diagnosis xlb_vip_table_slots; do
		has "^$f{$vip" <<<"$m" || fail "none: no $f for web4" || return 1
	done
	has '^xlb_packets_total{reason="tx_forward"}' <<<"$m" || fail "none: no xlb_packets_total" || return 1
	promtool_ok "$m" none || return 1
	none=${#m}
	echo "  /metrics, 2 VIPs of $be backends probed over HTTP: all $all B, aggregate $agg B," \
	     "none $none B: $(( (all - agg) / (2 * be) )) B a backend, the sums $(( (agg - none) / 2 )) B a VIP"
	apply_mode all
}

test_scrapes_keep_status() {
	local config=$TB_STATE/scale.yaml m t0 t ms worst=0 n=0 fails=0 r0 r1 s0 s1 sizes pids p i
	local nv=200 nb=100 end spid
	bash tools/bench/config_gen.sh vips "$nv" "$nb" 1 >"$config"
	tb_stop_xlbd TERM
	rm -rf "$TB_PIN"
	TB_START_WAIT_S=120 tb_start_xlbd "$config" >/dev/null || fail "xlbd did not start" || return 1
	sleep 2
	m=$(scrape)
	promtool_ok "$m" "$((nv * nb)) backends" || return 1
	[[ $(count '^xlb_backend_weight{' "$m") == $((nv * nb)) ]] ||
		fail "$(count '^xlb_backend_weight{' "$m") backend weights listed, want $((nv * nb))" || return 1
	# Scrapes back to back for 8 s; status every 50 ms beside them.
	end=$(( $(date +%s) + 8 ))
	( while (( $(date +%s) < end )); do scrape >/dev/null; done ) &
	spid=$!
	while kill -0 "$spid" 2>/dev/null; do
		t0=$(ms_now)
		if tb_xlbctl status >/dev/null 2>&1; then
			t=$(( $(ms_now) - t0 ))
			(( t > worst )) && worst=$t
			n=$((n + 1))
		else
			fails=$((fails + 1))
		fi
		sleep 0.05
	done
	wait "$spid"
	t=$(status_json | jq -c '.metrics.last + {slice_ms_max_ever: .metrics.slice_ms_max_ever, http_ms_max_ever: .metrics.http_ms_max_ever}')
	echo "  $((nv * nb)) backends, ${#m} B: $n status calls beside back-to-back scrapes, slowest ${worst} ms; last render $t"
	(( fails == 0 )) || fail "$fails status calls failed during the scrapes" || return 1
	# Generous: a render on the loop took 0.3 s at this size, 1.5 s at 90,000.
	(( worst < 1000 )) || fail "status took ${worst} ms during the scrapes" || return 1
	ms=$(status_json | jq '.metrics.slice_ms_max_ever | floor')
	(( ms < 250 )) || fail "a slice of the render held the loop ${ms} ms" || return 1
	# 8 scrapes at once, past the cache: one render, one page for all.
	sleep 1.1
	r0=$(status_json | jq .metrics.renders)
	s0=$(status_json | jq .metrics.scrapes)
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		tb_enter lb curl -s -m 20 -o /dev/null -w '%{http_code} %{size_download}\n' "$URL" \
			>"$TB_STATE/par.$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	r1=$(status_json | jq .metrics.renders)
	s1=$(status_json | jq .metrics.scrapes)
	sizes=$(cat "$TB_STATE"/par.* | sort -u)
	[[ $((s1 - s0)) == 8 ]] || fail "scrapes counted $((s1 - s0)), want 8" || return 1
	[[ $((r1 - r0)) == 1 ]] || fail "8 scrapes at once made $((r1 - r0)) renders" || return 1
	[[ $(wc -l <<<"$sizes") == 1 && $sizes == "200 "* ]] || fail "8 scrapes got: $sizes" || return 1
	# HEAD, and two requests from one client in a row.
	tb_enter lb curl -s -m 20 -I "$URL" | has '^HTTP/1.1 200' || fail "HEAD not served" || return 1
	t=$(tb_enter lb curl -s -m 20 -o /dev/null -o /dev/null -w '%{http_code}\n' "$URL" "$URL")
	[[ $(tr '\n' ' ' <<<"$t") == "200 200 " ]] || fail "two requests in a row: $t" || return 1
	tb_enter lb curl -s -m 5 http://127.0.0.1:9742/fingerprints | has '"node"' ||
		fail "/fingerprints not served" || return 1
}

test_alert_rules_per_vip() {
	local t=$TB_STATE/alerts_per_vip.yml
	command -v promtool >/dev/null || { echo "  no promtool: not checked"; return 0; }
	cat >"$t" <<EOF
rule_files: [ $PWD/tools/monitoring/alerts.yml ]
evaluation_interval: 15s
tests:
  # aggregate mode: VIP sums only
  - interval: 15s
    input_series:
      - series: 'xlb_vip_backends{instance="a",vip="w"}'
        values: '3x10'
      - series: 'xlb_vip_backends_up{instance="a",vip="w"}'
        values: '2x10'
      - series: 'xlb_vip_backends_flapping{instance="a",vip="w"}'
        values: '1x10'
      - series: 'xlb_vip_skewed_backends{instance="a",vip="w"}'
        values: '1x10'
      - series: 'xlb_vip_backends{instance="a",vip="z"}'
        values: '2x10'
      - series: 'xlb_vip_backends_up{instance="a",vip="z"}'
        values: '0x10'
    alert_rule_test:
      - eval_time: 2m
        alertname: XlbVipBackendsDown
        exp_alerts:
          - exp_labels: {severity: warn, instance: a, vip: w}
            exp_annotations: {summary: "xlb: 1 backend(s) of VIP w are down", description: "Their probes fail; their flows moved to the other backends. 'xlbctl show w' names them."}
          - exp_labels: {severity: warn, instance: a, vip: z}
            exp_annotations: {summary: "xlb: 2 backend(s) of VIP z are down", description: "Their probes fail; their flows moved to the other backends. 'xlbctl show z' names them."}
      - eval_time: 2m
        alertname: XlbAllBackendsDown
        exp_alerts:
          - exp_labels: {severity: page, instance: a, vip: z}
            exp_annotations: {summary: "xlb: every backend of VIP z is down", description: "The VIP's all_down policy applies: it keeps the last healthy set, or drops and counts."}
      - eval_time: 2m
        alertname: XlbVipBackendsFlapping
        exp_alerts:
          - exp_labels: {severity: ticket, instance: a, vip: w}
            exp_annotations: {summary: "xlb: 1 backend(s) of VIP w are held out as flapping", description: "'xlbctl show w' names them and when they come back."}
      - eval_time: 2m
        alertname: XlbVipSkewedBackends
        exp_alerts:
          - exp_labels: {severity: page, instance: a, vip: w}
            exp_annotations: {summary: "xlb: 1 backend(s) of VIP w get a skewed share", description: "'xlbctl show w' on a names them and the likely cause; 'xlbctl events --since 30m' has when it started."}
  # all mode: the per-backend alerts fire, the per-VIP ones stay silent
  - interval: 15s
    input_series:
      - series: 'xlb_vip_backends{instance="a",vip="w"}'
        values: '2x10'
      - series: 'xlb_vip_backends_up{instance="a",vip="w"}'
        values: '1x10'
      - series: 'xlb_vip_backends_flapping{instance="a",vip="w"}'
        values: '1x10'
      - series: 'xlb_vip_skewed_backends{instance="a",vip="w"}'
        values: '1x10'
      - series: 'xlb_backend_up{instance="a",vip="w",remote_address="1"}'
        values: '1x10'
      - series: 'xlb_backend_up{instance="a",vip="w",remote_address="2"}'
        values: '0x10'
      - series: 'xlb_backend_flapping{instance="a",vip="w",remote_address="2"}'
        values: '1x10'
      - series: 'xlb_backend_skew{instance="a",vip="w",remote_address="2",cause="configuration"}'
        values: '1x10'
    alert_rule_test:
      - {eval_time: 2m, alertname: XlbVipBackendsDown}
      - {eval_time: 2m, alertname: XlbVipBackendsFlapping}
      - {eval_time: 2m, alertname: XlbVipSkewedBackends}
      - {eval_time: 2m, alertname: XlbAllBackendsDown}
EOF
	promtool test rules "$t" >"$TB_STATE/promtool.out" 2>&1 ||
		fail "promtool: $(cat "$TB_STATE/promtool.out")" || return 1
	echo "  per-VIP down, all down, flapping, skewed fire on the sums; silent beside xlb_backend_*"
}

e2e_main 3
