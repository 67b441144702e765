#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# xlbctl compare at scale: two fake nodes (tests/e2e/helpers/fake_node.py,
# the fingerprints xlbd would send for N VIPs of 10 backends each, the same
# on both) on local control sockets; the median of 3 runs of 'xlbctl
# compare' for each N, with xlbctl's peak RSS, against an 'xlbctl compare'
# at 1,000 VIPs in the same run (the baseline its
# growth is read against: linear gives N/1000). Prints Markdown. Issue 27
# measured the nested lookups it replaced: 9.2 s at 10,000, 297 s at 40,000.
set -euo pipefail
cd "$(dirname "$0")/../.."
XLBCTL=${XLBCTL:-build/xlbctl}
SIZES=${SIZES:-1000 10000 40000}
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$dir"' EXIT

run() {	# run N: "seconds rss_kb" of one compare of two nodes of N VIPs
	local out
	out=$( { /usr/bin/time -f '%e %M' "$XLBCTL" --timeout 300 compare "$dir/a$1.sock" "$dir/b$1.sock" >/dev/null; } 2>&1)
	tail -1 <<<"$out"
}

echo "| VIPs (10 backends each) | compare, median of 3 | xlbctl peak RSS | time / time at 1,000 |"
echo "|---|---|---|---|"
base=
for n in $SIZES; do
	for s in a b; do
		/usr/bin/python3 tests/e2e/helpers/fake_node.py "$dir/$s$n.sock" fingerprints "$n" 10 600 &
		pids+=($!)
	done
	for ((i = 0; i < 100; i++)); do
		[[ -S $dir/a$n.sock && -S $dir/b$n.sock ]] && break
		sleep 0.1
	done
	mapfile -t r < <(for i in 1 2 3; do run "$n"; done | sort -n)
	t=${r[1]% *} rss=${r[1]#* }
	[[ -z $base ]] && base=$t
	printf '| %d | %s s | %d MB | %s |\n' "$n" "$t" $((rss / 1024)) \
		"$(awk -v a="$t" -v b="$base" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "-" }')"
	kill "${pids[@]}" 2>/dev/null || true
	pids=()
done
