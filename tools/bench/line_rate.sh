#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# CPU per forwarded packet where the balancer is the bottleneck (issue 11,
# part 4). xdp-gen (BPF_PROG_TEST_RUN live frames, one core) offers UDP
# flows to a VIP into the load balancer's veth at well over 1 M packets/s:
#
#   gen: g0 ──── l0 :lb: l1 ──── s0 :sink        (namespaces, veth pairs)
#
#   sink, sink_xdp: l0 drops every frame in XDP: the cost of making and
#              delivering a frame, subtracted from the modes sent the same
#              way (the stack's modes get one batch per run, see xdp_gen.c);
#   routing:   lb routes the VIP to one backend out of l1 (no balancing);
#   nftables:  lb balances with nftables, DNAT by jhash of the flow to 3
#              backends out of l1 (the nearest kernel balancer: no IPVS);
#   xlb_dsr, xlb_encap: xlb on l0, XDP_TX back out of l0 to g0.
# Forwarded frames are dropped by an XDP sink on the far veth (s0 or g0),
# so every mode pays the same for the frame's last hop.
#
# CPU time is all CPUs' busy time from /proc/stat (user, system, irq,
# softirq) over the run. Per forwarded packet, the balancer costs
#   (busy(mode) - busy(sink) per offered packet x offered) / forwarded.
# Modes run interleaved in rounds; figures are medians. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
PACKETS=${PACKETS:-4000000}
ROUNDS=${ROUNDS:-5}
FLOWS=4096
P=xlbr$$
VIP=198.18.100.10
PORT=9000
PIN=/sys/fs/bpf/$P
MODES="sink routing nftables sink_xdp xlb_dsr xlb_encap"

ns() { echo "$P-$1"; }
in_ns() { local n; n=$(ns "$1"); shift; nsenter --net="/run/netns/$n" "$@"; }
mac_of() { ip -n "$(ns "$1")" -j link show "$2" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'; }
stat_of() { ip -n "$(ns "$1")" -j -s link show "$2" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[0]['stats64']['$3']['packets'])"; }

cleanup() {
	local n
	for n in gen lb sink; do ip netns del "$(ns $n)" 2>/dev/null || true; done
	rm -rf "$PIN"
}
trap cleanup EXIT

setup() {
	local n
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	for n in gen lb sink; do ip netns add "$(ns $n)"; done
	ip link add g0 netns "$(ns gen)" type veth peer name l0 netns "$(ns lb)"
	ip link add l1 netns "$(ns lb)" type veth peer name s0 netns "$(ns sink)"
	in_ns gen ip addr add 198.18.70.1/24 dev g0
	in_ns lb ip addr add 198.18.70.2/24 dev l0
	in_ns lb ip addr add 198.18.71.2/24 dev l1
	in_ns sink ip addr add 198.18.71.1/24 dev s0
	in_ns gen ip link set g0 up
	in_ns lb ip link set l0 up
	in_ns lb ip link set l1 up
	in_ns sink ip link set s0 up
	in_ns lb sysctl -qw net.ipv4.ip_forward=1
	in_ns lb sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.l0.rp_filter=0
	# Backends behind l1: their frames go to the sink's MAC.
	for n in 11 12 13; do
		in_ns lb ip neigh replace "198.18.71.$n" lladdr "$(mac_of sink s0)" dev l1 nud permanent
	done
	# A frame a veth sends by XDP reaches its peer only if the peer runs XDP
	# or has NAPI (GRO) on: sinks on the far ends, GRO on l0 for the stack.
	in_ns sink "$BUILD/xlb-load" xdp --dev s0 --obj "$BUILD/bench_sink.bpf.o" >/dev/null
	in_ns gen "$BUILD/xlb-load" xdp --dev g0 --obj "$BUILD/bench_sink.bpf.o" >/dev/null
	ip netns exec "$(ns lb)" ethtool -K l0 gro on >/dev/null
}

lb_clear() {
	ip -n "$(ns lb)" link set l0 xdp off 2>/dev/null || true
	rm -rf "$PIN"
	in_ns lb nft delete table ip xlbrate 2>/dev/null || true
	in_ns lb ip route del "$VIP/32" 2>/dev/null || true
}

mode_sink() { in_ns lb "$BUILD/xlb-load" xdp --dev l0 --obj "$BUILD/bench_sink.bpf.o" >/dev/null; }
mode_sink_xdp() { mode_sink; }
mode_routing() { in_ns lb ip route replace "$VIP/32" via 198.18.71.11 dev l1; }
mode_nftables() {
	in_ns lb nft -f - <<NFT
table ip xlbrate {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr $VIP udp dport $PORT dnat to jhash ip saddr . udp sport mod 3 map { 0 : 198.18.71.11, 1 : 198.18.71.12, 2 : 198.18.71.13 }
	}
}
NFT
}
xlb_attach() {
	local how=$1 g0mac b args=()
	g0mac=$(mac_of gen g0)
	args=(--vip "$VIP" "$PORT" udp "$how")
	for b in 11 12 13; do args+=(--backend "198.18.71.$b" mac="$g0mac"); done
	in_ns lb "$BUILD/xlb-load" attach --dev l0 --pin "$PIN" --nexthop "$g0mac" \
		--src4 198.18.72.0/24 --src6 2001:db8:72::/96 "${args[@]}" >/dev/null
}
mode_xlb_dsr() { xlb_attach dsr; }
mode_xlb_encap() { xlb_attach encap; }

# Frames for the stack go one batch per run (see xdp_gen.c); each family of
# modes has its own sink, sent the same way.
one_batch() { case $1 in sink | routing | nftables) echo --one-batch ;; esac; }
sink_of() { case $1 in xlb*) echo sink_xdp ;; *) echo sink ;; esac; }

busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

forwarded() {
	case $1 in
	sink*) echo 0 ;;
	routing | nftables) stat_of lb l1 tx ;;
	*) "$BUILD/xlb-load" stats --pin "$PIN" | awk -F'\t' '$1 == "reason" && $2 == "tx_forward" { print $3 }' ;;
	esac
}

# run MODE: prints "offered_pps busy_ns_per_offered forwarded_fraction"
run() {
	local mode=$1 f0 f1 b0 b1 out secs hz
	lb_clear
	"mode_$mode"
	sleep 0.2
	f0=$(forwarded "$mode")
	b0=$(busy_ticks)
	out=$(in_ns gen "$BUILD/xdp-gen" --dev g0 --dst-mac "$(mac_of lb l0)" --src 198.18.70.1 \
		--dst "$VIP" --dport "$PORT" --flows "$FLOWS" --count "$PACKETS" --cpu 0 \
		$(one_batch "$mode"))
	sleep 0.3
	b1=$(busy_ticks)
	f1=$(forwarded "$mode")
	secs=$(awk '{ print $5 }' <<<"$out")
	hz=$(getconf CLK_TCK)
	awk -v n="$PACKETS" -v s="$secs" -v b="$((b1 - b0))" -v hz="$hz" -v f="$((f1 - f0))" \
		'BEGIN { printf "%.0f %.1f %.4f\n", n / s, b * 1e9 / hz / n, f / n }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

main() {
	local r m line
	declare -A pps cpu fwd
	setup
	for ((r = 0; r < ROUNDS; r++)); do
		for m in $MODES; do
			line=$(run "$m")
			pps[$m]+="${line%% *} "
			cpu[$m]+="$(awk '{ print $2 }' <<<"$line") "
			fwd[$m]+="$(awk '{ print $3 }' <<<"$line") "
		done
	done
	lb_clear
	echo "$PACKETS packets per mode and round, $FLOWS UDP flows, $ROUNDS interleaved rounds, medians; CPU: all cores' busy time."
	echo
	echo "| mode | offered (packets/s) | forwarded | CPU per offered packet (ns) | balancer CPU per forwarded packet (ns) | forwarded packets per CPU-second |"
	echo "|---|---|---|---|---|---|"
	for m in $MODES; do
		local o c f per rate
		o=$(tr ' ' '\n' <<<"${pps[$m]}" | grep . | median)
		c=$(tr ' ' '\n' <<<"${cpu[$m]}" | grep . | median)
		f=$(tr ' ' '\n' <<<"${fwd[$m]}" | grep . | median)
		if [[ $m == sink* ]]; then
			printf '| %s | %s | - | %s | (subtracted) | - |\n' "$m" "$o" "$c"
			continue
		fi
		local sink_cpu
		sink_cpu=$(tr ' ' '\n' <<<"${cpu[$(sink_of "$m")]}" | grep . | median)
		per=$(awk -v c="$c" -v s="$sink_cpu" -v f="$f" 'BEGIN { printf "%.0f", (c - s) / f }')
		rate=$(awk -v p="$per" 'BEGIN { printf "%.2f M", (p > 0 ? 1000 / p : 0) }')
		printf '| %s | %s | %.1f%% | %s | %s | %s |\n' "$m" "$o" "$(awk -v f="$f" 'BEGIN { print f * 100 }')" "$c" "$per" "$rate"
		echo "$m $per" >>"${RATE_OUT:-/dev/null}"
	done
}

# DEBUG_SETUP=1: build the topology in sink mode and leave it (remove with ip netns del).
if [[ -n ${DEBUG_SETUP:-} ]]; then
	trap - EXIT
	setup
	lb_clear
	mode_sink
	echo "$P"
else
	main
fi
