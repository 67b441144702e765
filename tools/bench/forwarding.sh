#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Forwarding rate through the veth testbed, the same topology for each:
#   routing: the load balancer host only routes the VIP to one backend
#            (no balancing at all: the baseline),
#   nftables: the host balances with nftables, DNAT by jhash of the flow,
#   xlb_dsr:  XDP, L2 DSR (the same L2 path as nftables),
#   xlb_encap: XDP, IPIP to the next hop (the router), backends decapsulate
#            in XDP: one more routed hop than the others.
# xlb-loadgen sends UDP flows from the client as fast as it can (bounded in
# packets and seconds); delivered = packets received by the backends.
# Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/testbed.sh

PACKETS=${PACKETS:-1000000}
SECONDS_MAX=${SECONDS_MAX:-10}
PORT=9000

backend_rx() {
	local i total=0
	for ((i = 1; i <= TB_BACKENDS; i++)); do
		total=$((total + $(tb_exec "be$i" cat /sys/class/net/eth0/statistics/rx_packets)))
	done
	echo "$total"
}

# run MODE: prints "offered_pps delivered_pps"
run() {
	local before after out sent secs
	before=$(backend_rx)
	out=$(tb_exec client "$TB_BUILD/xlb-loadgen" --dev eth0 --dst-mac "$TB_ROUTER_CLIENT_MAC" \
		--dst "$TB_VIP4" --dport "$PORT" --proto udp --flows 4096 --sources 256 \
		--count "$PACKETS" --duration "$SECONDS_MAX")
	sleep 0.5
	after=$(backend_rx)
	sent=$(awk '/^sent/ { print $2 }' <<<"$out")
	secs=$(awk '/^sent/ { for (i = 1; i <= NF; i++) if ($i == "in") print $(i + 1) }' <<<"$out")
	awk -v s="$sent" -v t="$secs" -v d="$((after - before))" \
		'BEGIN { printf "%.0f %.0f %.3f\n", s / t, d / t, d / s }'
}

lb_forwarding() {
	tb_sysctl lb net.ipv4.ip_forward=1
	tb_sysctl lb net.ipv4.conf.all.send_redirects=0
	tb_sysctl lb net.ipv4.conf.eth0.send_redirects=0
}

mode_routing() {
	rm -rf "$TB_PIN"
	lb_forwarding
	tb_exec lb ip route replace "$TB_VIP4/32" via "$(tb_be_addr4 1)"
}

mode_nftables() {
	tb_exec lb ip route del "$TB_VIP4/32" 2>/dev/null || true
	tb_exec lb nft -f - <<EOF
table ip xlbbench {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		ip daddr $TB_VIP4 udp dport $PORT dnat to jhash ip saddr . udp sport mod 3 map { 0 : $(tb_be_addr4 1), 1 : $(tb_be_addr4 2), 2 : $(tb_be_addr4 3) }
	}
}
EOF
}

# xlb_mode encap|dsr
xlb_mode() {
	tb_exec lb nft delete table ip xlbbench 2>/dev/null || true
	tb_sysctl lb net.ipv4.ip_forward=0
	local args=(--vip "$TB_VIP4" "$PORT" udp "$1")
	for ((i = 1; i <= TB_BACKENDS; i++)); do
		args+=(--backend "$(tb_be_addr4 "$i")" mac="$(tb_be_mac "$i")")
	done
	tb_attach_xlb "$1" "${args[@]}" >/dev/null 2>&1
}
mode_xlb_dsr() { xlb_mode dsr; }
mode_xlb_encap() { xlb_mode encap; }

missing=$(tb_missing)
command -v nft >/dev/null || missing="nft (Debian package nftables)"
[[ -z $missing ]] || { echo "forwarding: needs $missing" >&2; exit 1; }
tb_setup 3 >/dev/null

declare -A offered delivered share
MODES="routing nftables xlb_dsr xlb_encap"
for mode in $MODES; do
	"mode_$mode"
	run >/dev/null	# warm up: ARP, conntrack, LRU
	# Best of two: the veth chain shares two cores with everything else.
	read -r o1 d1 s1 < <(run)
	read -r o2 d2 s2 < <(run)
	if (( d1 >= d2 )); then
		offered[$mode]=$o1 delivered[$mode]=$d1 share[$mode]=$s1
	else
		offered[$mode]=$o2 delivered[$mode]=$d2 share[$mode]=$s2
	fi
done

echo "| setup | offered (packets/s) | delivered to backends (packets/s) | delivered share | ratio to routing | ratio to nftables |"
echo "|---|---|---|---|---|---|"
for mode in $MODES; do
	awk -v m="$mode" -v o="${offered[$mode]}" -v d="${delivered[$mode]}" -v s="${share[$mode]}" \
	    -v r="${delivered[routing]}" -v n="${delivered[nftables]}" \
	    'BEGIN { printf "| %s | %d | %d | %.1f%% | %.2f | %.2f |\n", m, o, d, 100 * s, d / r, d / n }'
done
echo
echo "UDP, 4096 flows from 256 sources, up to $PACKETS packets or ${SECONDS_MAX}s per run; best of two runs after one warm-up run."
