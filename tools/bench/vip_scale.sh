#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# xlbd at scale (issue 27): V VIPs of B backends each (config_gen.sh vips,
# probes off, table size 1021) on the testbed's lb. Measures, in one run:
# the start (exec to the first answered status), then in interleaved
# rounds a status, one weight change and a reload that changes one weight
# (medians), 100 weight changes sent at once (total time, failures), a
# status while a reload runs, and xlbd's resident memory after each step.
# SIZES="V:B ..." (default "1:10 5000:10"); the first is the baseline the
# others are read against. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/testbed.sh

SIZES=${SIZES:-1:10 5000:10}
ROUNDS=${ROUNDS:-9}
PARALLEL=${PARALLEL:-100}

us_now() { echo "${EPOCHREALTIME/./}"; }
once_us() {
	local t0 t1
	t0=$(us_now)
	"$@" >/dev/null 2>&1 || true
	t1=$(us_now)
	echo $((t1 - t0))
}
median_ms() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }'
}
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$TB_XLBD_PID/status"; }

missing=$(tb_missing)
[[ -z $missing ]] || { echo "vip_scale: needs $missing" >&2; exit 1; }
tb_setup 1 >/dev/null
config=$TB_STATE/xlb.yaml

echo "| VIPs x backends | start to first status | status | weight | reload, one weight changed | status during a reload | $PARALLEL weights at once: total, failed | RSS after 1 reload, after 10 more | loop busy at once, most (idle 13 s) |"
echo "|---|---|---|---|---|---|---|---|---|"
for size in $SIZES; do
	nv=${size%:*} nb=${size#*:}
	bash tools/bench/config_gen.sh vips "$nv" "$nb" 1 >"$config"
	[[ -n ${TB_XLBD_PID:-} ]] && tb_stop_xlbd TERM
	rm -rf "$TB_PIN" "$TB_STATE"/state.json*
	t0=$(us_now)
	TB_START_WAIT_S=600 tb_start_xlbd "$config" >/dev/null
	start=$(( ($(us_now) - t0) / 1000 ))
	be=$(awk '/address: 198.18.10.1,/ { print $4; exit }' "$config" | tr -d ,)
	st=() wt=() rl=() sr=()
	for ((r = 0; r < ROUNDS; r++)); do
		st+=("$(once_us tb_xlbctl status)")
		wt+=("$(once_us tb_xlbctl weight v0 "$be" $((3 + r % 2)))")
		bash tools/bench/config_gen.sh vips "$nv" "$nb" $((5 + r % 2)) >"$config"
		tb_xlbctl reload >/dev/null 2>&1 &
		rpid=$!
		sleep 0.02
		sr+=("$(once_us tb_xlbctl status)")
		wait "$rpid" || true
		rl+=("$(once_us tb_xlbctl reload)")
	done
	# The reload timed above changed nothing (the file was read by the one
	# before): time one that does, alone.
	rl=()
	for ((r = 0; r < ROUNDS; r++)); do
		bash tools/bench/config_gen.sh vips "$nv" "$nb" $((7 + r % 2)) >"$config"
		rl+=("$(once_us tb_xlbctl reload)")
	done
	# Each VIP's first backend, ahead of the clock.
	mapfile -t first < <(awk '/name: v/ { n = $3; f = 1 } f && /weight/ { gsub(",", "", $4); print n, $4; f = 0 }' "$config" | head -n "$PARALLEL")
	t0=$(us_now)
	pids=()
	fails=0
	for ((i = 0; i < PARALLEL; i++)); do
		# shellcheck disable=SC2086
		tb_xlbctl weight ${first[i % ${#first[@]}]} $((2 + i % 5)) >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
	par=$(( ($(us_now) - t0) / 1000 ))
	# Memory over reloads: flat, or it grows with each.
	bash tools/bench/config_gen.sh vips "$nv" "$nb" 9 >"$config"
	tb_xlbctl reload >/dev/null 2>&1
	rss1=$(rss_mb)
	for ((r = 0; r < 10; r++)); do
		bash tools/bench/config_gen.sh vips "$nv" "$nb" $((10 + r)) >"$config"
		tb_xlbctl reload >/dev/null 2>&1
	done
	rss10=$(rss_mb)
	# The loop's longest busy spell while nothing is asked of it (the stall watch's 12.8 s).
	sleep 13
	idle=$(tb_xlbctl -j status | jq '.loop.late_ms_max // "-"')
	printf '| %d x %d | %d ms | %s ms | %s ms | %s ms | %s ms | %d ms, %d failed | %s MB, %s MB | %s ms |\n' \
		"$nv" "$nb" "$start" "$(median_ms "${st[@]}")" "$(median_ms "${wt[@]}")" \
		"$(median_ms "${rl[@]}")" "$(median_ms "${sr[@]}")" "$par" "$fails" "$rss1" "$rss10" "$idle"
done
