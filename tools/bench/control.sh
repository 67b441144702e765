#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Control plane: the time from an xlbctl change to the maps updated (xlbctl
# returns once xlbd has written them) for 10 and 1000 backends, against an
# xlbctl status round trip measured in the same run; and failover: from a
# backend's death to its last new flow, under continuous new flows, with
# probes at 1 s and fall 3. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/testbed.sh

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# time_ms CMD...: the best wall time of 5 runs, in ms.
time_ms() {
	local best=999999 t0 t i
	for ((i = 0; i < 5; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null
		t=$(( ($(date +%s%N) - t0) / 1000 ))
		(( t < best )) && best=$t
	done
	awk -v us="$best" 'BEGIN { printf "%.2f", us / 1000 }'
}

missing=$(tb_missing)
[[ -z $missing ]] || { echo "control: needs $missing" >&2; exit 1; }
tb_setup 3 >/dev/null

# 10 backends: be1..be3 and seven more addresses that are not probed.
config=$TB_STATE/xlb.yaml
write_config() {
	local n=$1 i
	{
		echo "interface: { name: eth0, mode: native }"
		echo "nexthop_mac: $TB_ROUTER_MAC"
		echo "tunnel_source: { ipv4: $TB_SRC4 }"
		echo "maps: { vips: 4, backends: 2048 }"
		echo "vips:"
		echo "  - name: web4"
		echo "    address: $TB_VIP4"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    mode: encap"
		echo "    table_size: $2"
		echo "    probe: { type: http, interval: 1s, timeout: 500ms, fall: 3, rise: 2 }"
		echo "    backends:"
		for ((i = 1; i <= 3; i++)); do echo "      - address: $(tb_be_addr4 "$i")"; done
		for ((i = 4; i <= n; i++)); do
			echo "      - { address: 198.19.$((i / 250)).$((i % 250)), probe: { type: none } }"
		done
	} >"$config"
}

echo "| change | backends | xlbctl round trip (ms) | baseline: xlbctl status (ms) | ratio |"
echo "|---|---|---|---|---|"
for n in 10 1000; do
	write_config "$n" "$([[ $n == 10 ]] && echo 65537 || echo 100003)"
	[[ -n $TB_XLBD_PID ]] && tb_stop_xlbd TERM
	rm -rf "$TB_PIN"
	tb_start_xlbd "$config" >/dev/null
	base=$(time_ms tb_xlbctl status)
	w=$(time_ms tb_xlbctl weight web4 "$(tb_be_addr4 2)" 3)
	echo "| weight of one backend (table rebuilt and swapped) | $n | $w | $base | $(awk -v a="$w" -v b="$base" 'BEGIN { printf "%.1f", a / b }') |"
	w=$(time_ms tb_xlbctl reload)
	echo "| reload of the whole config | $n | $w | $base | $(awk -v a="$w" -v b="$base" 'BEGIN { printf "%.1f", a / b }') |"
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$TB_XLBD_PID/status")
	echo "| (xlbd resident memory) | $n | $(awk -v k="$rss" 'BEGIN { printf "%.1f MiB", k / 1024 }') | | |"
done
tb_xlbctl reset >/dev/null

# Failover: continuous new flows, then be2 dies.
write_config 3 65537
tb_stop_xlbd TERM
tb_start_xlbd "$config" >/dev/null
sleep 3
tb_exec client "$TB_BUILD/xlb-loadgen" --dev eth0 --dst-mac "$TB_ROUTER_CLIENT_MAC" \
	--dst "$TB_VIP4" --dport 80 --flows 5000000 --sources 4096 --count 200000 --rate 5000 \
	--duration 20 >/dev/null &
gen=$!
sleep 2
flows_of_be2() {
	tb_xlbctl dump | awk -F'\t' -v a="$(tb_be_addr4 2)" '$1 == "backend" && $3 == a { print $8 }'
}
t0=$(ms_now)
tb_stop_http 2
last=$(flows_of_be2) last_t=$t0
while (( $(ms_now) - t0 < 12000 )); do
	now=$(flows_of_be2)
	if [[ $now != "$last" ]]; then last=$now last_t=$(ms_now); fi
	sleep 0.05
done
wait "$gen" || true
echo
echo "| failover | probe interval | fall | last new flow to the dead backend after | bound: interval x fall + interval + timeout |"
echo "|---|---|---|---|---|"
echo "| be2's HTTP server stopped under 5000 new flows/s | 1 s | 3 | $((last_t - t0)) ms | 4500 ms |"
