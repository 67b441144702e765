#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo: a namespace testbed (client, router, xlb, three HTTP backends),
# xlbd with a built-in config (XDP native mode, IPIP/IP6IP6 encapsulation
# by default), real HTTP connections from the client to the VIPs, and what
# an operator sees: xlbctl status, the per-backend distribution next to the
# weights, a dry-run diff of a typo'd weight, the same typo going live and
# xlb naming it (events, /metrics, top, the incident report), a trace and
# the counters. Removes everything it made on exit.
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
	-h|--help) sed -n 3,13p "$0"; exit 0 ;;
	*) echo "demo: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[[ $mode == encap || $mode == dsr ]] || { echo "demo: --mode is encap or dsr" >&2; exit 2; }
[[ $connections =~ ^[0-9]+$ && $connections -le 10000 ]] ||
	{ echo "demo: --connections is a number up to 10000" >&2; exit 2; }

missing=$(tb_missing)
[[ -z $missing ]] || { echo "demo: needs $missing" >&2; exit 1; }

say() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "Building the testbed: client, router, lb, be1..be3 (namespaces $TB_PREFIX-*)"
tb_setup 3
config=$TB_STATE/xlb.yaml
tb_write_config "$mode" "$config"
say "The built-in config ($config)"
cat "$config"
say "Starting xlbd on lb:eth0 (native XDP, $mode)"
tb_start_xlbd "$config"
xlbctl() { tb_xlbctl "$@"; }
run xlbctl

for family in 4 6; do
	failed=0
	for ((i = 0; i < connections; i++)); do
		tb_http_get "$family" $((30000 + family * 1000 + i)) >/dev/null || failed=$((failed + 1))
	done
	say "IPv$family: $connections HTTP connections from the client, $failed failed"
done
say "Where they went: observed new flows next to the table share and the weights' expected share"
run xlbctl show
say "A dry run: what if be3's weight were 8 (a typo for 1)?"
tb_write_config "$mode" "$TB_STATE/typo.yaml" 1 1 8
run xlbctl check "$TB_STATE/typo.yaml" || true
run xlbctl diff "$TB_STATE/typo.yaml"
say "The outage story: the typo'd config goes live anyway. xlb names it within seconds"
cp "$TB_STATE/typo.yaml" "$config"
run xlbctl reload
printf '$ xlb-loadgen --dst %s --dport 80 --flows 4000 --rate 1000 ... (from the client)\n' "$TB_VIP4"
tb_loadgen --dst "$TB_VIP4" --dport 80 --flows 4000 --sources 400 --count 4000 --rate 1000 \
	--duration 10 --socket "$TB_SOCKET" --vip web4
sleep 1
run xlbctl events --since 5m
say "The same in /metrics (what Prometheus and the alert rules see)"
printf '$ curl -s http://127.0.0.1:9742/metrics | grep xlb_backend_skew\n'
tb_exec lb curl -s http://127.0.0.1:9742/metrics | grep '^xlb_backend_skew{vip="web4"'
say "Live view: expected share against observed share"
run xlbctl top --count 1 | sed -n '/vip web4/,/^$/p'
say "Fixing the weight; the incident report writes itself"
tb_write_config "$mode" "$config"
run xlbctl reload
run xlbctl report --since 10m | sed -n '1,12p'
echo "   ... (timeline, shares before/during/after, measures: 'xlbctl report --since 10m')"
say "Which backend gets a given flow, and why"
run xlbctl trace tcp 198.18.0.2 40000 "$TB_VIP4" 80
say "Verdict counters"
run xlbctl counters

if [[ $keep == 1 ]]; then
	trap - EXIT
	cat <<MSG

== The testbed stays up. Explore:
   ip netns exec $(tb_ns client) curl http://$TB_VIP4/
   XLB_SOCKET=$TB_SOCKET $TB_XLBCTL show
   Tear it down: TB_PREFIX=$TB_PREFIX TB_XLBD_PID=$TB_XLBD_PID bash -c 'source tools/testbed.sh; tb_teardown'
MSG
else
	say "Removing the testbed"
fi
