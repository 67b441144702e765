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

ROUNDS=21

# once_us CMD...: the wall time of one run, in microseconds (no fork to time it).
once_us() {
	local t0=${EPOCHREALTIME/./} t1
	"$@" >/dev/null
	t1=${EPOCHREALTIME/./}
	echo $(( t1 - t0 ))
}

# median_ms US...: the median, in ms.
median_ms() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] / 1000 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

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
		for ((i = 1; i <= 3; i++)); do
			echo "      - { address: $(tb_be_addr4 "$i"), weight: $([[ $i == 3 ]] && echo "${BE3_WEIGHT:-1}" || echo 1) }"
		done
		for ((i = 4; i <= n; i++)); do
			echo "      - { address: 198.19.$((i / 250)).$((i % 250)), probe: { type: none } }"
		done
	} >"$config"
}

echo "Medians of $ROUNDS interleaved rounds (status, weight change, reload); each change is a real"
echo "one (the weight alternates 3 and 4; the reload flips one backend's weight in the file)."
echo
echo "| change | backends | median (ms) | baseline: xlbctl status (ms) | ratio |"
echo "|---|---|---|---|---|"
for n in 10 1000; do
	size=$([[ $n == 10 ]] && echo 65537 || echo 100003)
	write_config "$n" "$size"
	[[ -n $TB_XLBD_PID ]] && tb_stop_xlbd TERM
	rm -rf "$TB_PIN"
	tb_start_xlbd "$config" >/dev/null
	st=() wt=() rl=()
	for ((r = 0; r < ROUNDS; r++)); do
		st+=("$(once_us tb_xlbctl status)")
		wt+=("$(once_us tb_xlbctl weight web4 "$(tb_be_addr4 2)" $((3 + r % 2)))")
		BE3_WEIGHT=$((2 - r % 2)) write_config "$n" "$size"
		rl+=("$(once_us tb_xlbctl reload)")
	done
	base=$(median_ms "${st[@]}")
	w=$(median_ms "${wt[@]}")
	l=$(median_ms "${rl[@]}")
	echo "| weight of one backend (that VIP's table rebuilt and swapped) | $n | $w | $base | $(ratio "$w" "$base") |"
	echo "| reload of the config, one weight changed | $n | $l | $base | $(ratio "$l" "$base") |"
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
