#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo: a namespace testbed (client, router, xlb, three HTTP backends),
# xlb attached in native XDP mode with IPIP/IP6IP6 encapsulation, real HTTP
# connections from the client to the VIPs, and what xlb counted for each
# backend next to what the client saw. Removes everything it made on exit.
#
#   tools/demo.sh [--mode encap|dsr] [--connections N] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/testbed.sh

mode=encap connections=60 keep=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--mode) mode=$2; shift 2 ;;
	--connections) connections=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) sed -n 3,10p "$0"; exit 0 ;;
	*) echo "demo: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[[ $mode == encap || $mode == dsr ]] || { echo "demo: --mode is encap or dsr" >&2; exit 2; }
[[ $connections =~ ^[0-9]+$ && $connections -le 10000 ]] ||
	{ echo "demo: --connections is a number up to 10000" >&2; exit 2; }

missing=$(tb_missing)
[[ -z $missing ]] || { echo "demo: needs $missing" >&2; exit 1; }

echo "== Building the testbed: client, router, lb, be1..be3 (namespaces $TB_PREFIX-*)"
tb_setup 3
echo "== Attaching xlb to lb:eth0 (native XDP, $mode), VIPs $TB_VIP4:80 and [$TB_VIP6]:80"
tb_attach_xlb "$mode" 2>&1 | sed 's/^<[0-9]>//'

for family in 4 6; do
	declare -A seen=()
	failed=0
	for ((i = 0; i < connections; i++)); do
		if name=$(tb_http_get "$family" $((30000 + family * 1000 + i))); then
			seen[$name]=$(( ${seen[$name]:-0} + 1 ))
		else
			failed=$((failed + 1))
		fi
	done
	echo "== IPv$family: $connections HTTP connections from the client, $failed failed"
	printf '   %-6s %-16s %12s %12s %10s\n' backend address answered xlb_new_flows share
	for ((b = 1; b <= 3; b++)); do
		addr=$(if [[ $family == 6 ]]; then tb_be_addr6 $b; else tb_be_addr4 $b; fi)
		flows=$(tb_stats | awk -F'\t' -v a="$addr" '$1 == "backend" && $3 == a { print $6 }')
		printf '   %-6s %-16s %12s %12s %9s%%\n' "be$b" "$addr" "${seen[be$b]:-0}" "$flows" \
			"$(( ${seen[be$b]:-0} * 100 / (connections > 0 ? connections : 1) ))"
	done
	unset seen
done
echo "   (weights are equal: each backend's expected share is 33%)"
echo "== Verdict counters (packets, bytes)"
tb_stats | awk -F'\t' '$1 == "reason" && $3 > 0 { printf "   %-18s %8s %10s\n", $2, $3, $4 }'

if [[ $keep == 1 ]]; then
	trap - EXIT
	cat <<MSG
== The testbed stays up. Explore:
   ip netns exec $(tb_ns client) curl http://$TB_VIP4/
   $TB_BUILD/xlb-load stats --pin $TB_PIN
   Tear it down: TB_PREFIX=$TB_PREFIX bash -c 'source tools/testbed.sh; tb_teardown'
MSG
else
	echo "== Removing the testbed"
fi
