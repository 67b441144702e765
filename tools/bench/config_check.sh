#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# How long 'xlbctl check' takes on 1,000 and 10,000 backends, and on the
# expensive files of tests/config/test_limits.sh, against the check of the
# minimal config in the same run: medians of 7 interleaved rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
XLBCTL=${XLBCTL:-build/xlbctl}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bash tools/bench/config_gen.sh backends 1000 >"$dir/b1000.yaml"
bash tools/bench/config_gen.sh backends 10000 >"$dir/b10000.yaml"
bash tools/bench/config_gen.sh alias-bomb >"$dir/alias_bomb.yaml"
bash tools/bench/config_gen.sh brackets >"$dir/brackets.yaml"

once_us() {
	local t0=${EPOCHREALTIME/./} t1
	"$XLBCTL" check "$1" >/dev/null 2>&1 || true
	t1=${EPOCHREALTIME/./}
	echo $(( t1 - t0 ))
}
median_ms() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }'; }

files="tests/config/good/minimal.yaml $dir/b1000.yaml $dir/b10000.yaml $dir/alias_bomb.yaml $dir/brackets.yaml"
declare -A t
for ((r = 0; r < 7; r++)); do
	for f in $files; do t[$f]+="$(once_us "$f") "; done
done
base=$(median_ms ${t[tests/config/good/minimal.yaml]})
echo "| config | xlbctl check (ms) | baseline: the minimal config (ms) | ratio |"
echo "|---|---|---|---|"
for f in $files; do
	case $f in
	*minimal*) name="minimal (1 VIP, 1 backend)" ;;
	*b10000*) name="10,000 backends in 10 VIPs" ;;
	*b1000*) name="1,000 backends in 10 VIPs" ;;
	*alias_bomb*) name="one backend aliased 3,000 times (was 1.5 GB, 4.5 M errors)" ;;
	*brackets*) name="100,000 open brackets (was 39 s)" ;;
	esac
	m=$(median_ms ${t[$f]})
	echo "| $name | $m | $base | $(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.1f", a / b }') |"
done
