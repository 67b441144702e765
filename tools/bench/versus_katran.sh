#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# This build against Katran, through the xlb build that was measured beside
# Katran in the reference run (katran_reference.md). Katran cannot be built
# here, but that xlb build can: xdp_bench --compare runs it in the same
# rounds as this one, on a flow table of its own, aged the same way. Then
#   xlb now / Katran = (reference build / Katran, reference run)
#                      / (reference build / xlb now, this run)
# per path: the median of RUNS runs (default 5), and their range. Prints a
# Markdown table.
#
# One change lets the reference build load on this build's maps, and it
# does not touch its per-packet path: its counters map gets this build's
# 32 slots (it had one per reason). The maps it lacks (moved, vip_filter)
# the loader leaves out (dataplane.c: made afresh if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
REF=09e3521
RUNS=${RUNS:-5}
ref_md=tools/bench/katran_reference.md

if ! git cat-file -e "$REF^{commit}" 2>/dev/null; then
	echo "SKIPPED: commit $REF is not in this clone (a shallow one?): fetch the history to compare."
	exit 0
fi
tmp=$(mktemp -d)
cleanup() { git worktree remove --force "$tmp/ref" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
git worktree add --detach "$tmp/ref" "$REF" >/dev/null 2>&1
src=$tmp/ref/bpf/xlb.bpf.c
sed -i 's/__uint(max_entries, XLB_R_MAX);/__uint(max_entries, 32);/' "$src"
grep -q '__uint(max_entries, 32);' "$src" || { echo "versus_katran: couldn't adapt $REF's maps" >&2; exit 1; }
mkdir -p "$tmp/ref/build"
cp build/.deps "$tmp/ref/build/" 2>/dev/null || true
make -s -C "$tmp/ref" build/xlb.bpf.o >/dev/null

for ((r = 1; r <= RUNS; r++)); do
	build/xdp_bench --compare "$tmp/ref/build/xlb.bpf.o" --own-flows >"$tmp/run$r.md"
done

# The reference's rows in order (katran_reference.md), named as xdp_bench names them.
fresh_names=("IPv4 TCP hit, same flow" "IPv4 TCP hit, 20k established flows"
	     "IPv4 new flow, SYN" "IPv4 new flow, non-SYN" "IPv6 hit, same flow"
	     "IPv6 hit, 20k flows" "IPv6 new flow, SYN" "non-VIP packet (XDP_PASS)")
aged_names=("v4 new SYN" "v4 new non-SYN" "v6 new SYN" "20k-flow hits" "non-VIP pass")
# The churned table (flows opened, 1.2 M new flows per VIP, then a weight
# change): Katran was not measured in that state. A connection-table
# balancer does nothing at a table change, so its cost there is its cost
# on a full, churned LRU, which the reference build (the same kind of
# balancer) is measured on in these same rounds: its fresh-table ratio to
# Katran is carried over, path by path.
churn_names=("${fresh_names[@]}")

# ref_ratios: "reference build / Katran" per row, fresh rows then aged ones.
ref_ratios() {
	awk -F'|' '
		/^\| path \| floor/ { t = 1; next }
		/^\| path \| xlb/ { t = 2; next }
		/^\|---/ || !/^\|/ { next }
		t == 1 { split($6, a, "/"); printf "%.4f\n", a[1] / a[2] }
		t == 2 { printf "%.4f\n", ($3 + 0) / ($4 + 0) }' "$ref_md"
}
mapfile -t ratios < <(ref_ratios)
names=("${fresh_names[@]}" "${aged_names[@]}")
[[ ${#ratios[@]} -eq ${#names[@]} ]] ||
	{ echo "versus_katran: $ref_md has ${#ratios[@]} rows, expected ${#names[@]}" >&2; exit 1; }

# column NAME TABLE: "other / xlb" of that path in every run (TABLE: 1 fresh, 2 aged, 3 churned).
column() {
	local f
	for f in "$tmp"/run*.md; do
		awk -F'|' -v n="$1" -v want="$2" '
			/^### / { t++ }
			t == want && $2 == " " n " " { print $(NF - 1) + 0 }' "$f"
	done
}

echo "$RUNS runs of \`build/xdp_bench --compare\` against xlb at $REF (its own flow table); Katran's figures from the reference run. The goal is judged on the median."
echo
echo "| table | path | $REF / xlb now: median (range) | $REF / Katran (reference) | xlb now / Katran: median (range) | goal: at most 0.75 |"
echo "|---|---|---|---|---|---|"
names+=("${churn_names[@]}")
ratios+=("${ratios[@]:0:${#fresh_names[@]}}")
for i in "${!names[@]}"; do
	table=$((i < ${#fresh_names[@]} ? 1 : i < ${#fresh_names[@]} + ${#aged_names[@]} ? 2 : 3))
	mapfile -t got < <(column "${names[$i]}" "$table")
	[[ ${#got[@]} -gt 0 ]] || { echo "versus_katran: no figure for '${names[$i]}'" >&2; exit 1; }
	printf '%s\n' "${got[@]}" | sort -g | awk -v name="${names[$i]}" -v t="$table" -v k="${ratios[$i]}" '
		{ v[NR] = $1 }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "| %s | %s | %.2f (%.2f-%.2f) | %.2f | %.2f (%.2f-%.2f) | %s |\n",
			       t == 1 ? "fresh" : t == 2 ? "aged" : "churned", name, m, v[1], v[NR], k,
			       k / m, k / v[NR], k / v[1], k / m <= 0.75 ? "met" : "not met"
		}'
done
