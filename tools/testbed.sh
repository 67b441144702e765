# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The xlb namespace testbed, sourced by tests, the demo and benchmarks.
#
#   client ── router ══ br0 ══╤═ lb        (XDP: xlb, native mode)
#   198.18.0.2   198.18.0.1   ├─ be1 .. beN (decap XDP, HTTP server, VIP on lo)
#   2001:db8::2  198.18.1.1   └─ ...
#
# One L2 segment (a bridge in the router) joins the load balancer and the
# backends, so both L2 DSR and encapsulation work on the same topology.
# Only 198.18.0.0/15 and 2001:db8::/32 are used. tb_teardown removes every
# namespace the testbed made; tb_setup arranges for it to run on exit.
#
# Functions: tb_setup N, tb_teardown, tb_ns NAME, tb_exec NAME CMD...,
# tb_enter NAME CMD... (network namespace only: keeps /sys/fs/bpf),
# tb_attach_xlb ARGS..., tb_http_get FAMILY [curl args].

TB_PREFIX=${TB_PREFIX:-xlbt$$}
TB_ROOT=${TB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TB_BUILD=${TB_BUILD:-$TB_ROOT/build}
TB_LOADER=${TB_LOADER:-$TB_BUILD/xlb-load}
TB_XLBD=${TB_XLBD:-$TB_BUILD/xlbd}
TB_XLBCTL=${TB_XLBCTL:-$TB_BUILD/xlbctl}
TB_XLBD_PID=
TB_PIN=/sys/fs/bpf/$TB_PREFIX
TB_STATE=
TB_SOCKET=
TB_BACKENDS=0

TB_VIP4=198.18.100.10
TB_VIP6=2001:db8:100::10
TB_ROUTER_MAC=02:00:c6:12:01:01
TB_ROUTER_CLIENT_MAC=02:00:c6:12:00:01	# the router on the client's link
TB_LB_MAC=02:00:c6:12:01:02
TB_SRC4=198.18.255.0/24
TB_SRC6=2001:db8:ff::/96

tb_ns() { echo "$TB_PREFIX-$1"; }
tb_exec() { local ns; ns=$(tb_ns "$1"); shift; ip netns exec "$ns" "$@"; }
tb_enter() { local ns; ns=$(tb_ns "$1"); shift; nsenter --net="/run/netns/$ns" "$@"; }
tb_be_mac() { printf '02:00:c6:12:01:%02x' $((0x10 + $1)); }
tb_be_addr4() { echo "198.18.1.$((10 + $1))"; }
tb_be_addr6() { echo "2001:db8:1::$((10 + $1))"; }

# tb_missing: names what the testbed needs and this machine lacks.
tb_missing() {
	local tool
	[[ $(id -u) -eq 0 ]] || { echo "root"; return; }
	for tool in ip nsenter ethtool curl /usr/bin/python3; do
		command -v "$tool" >/dev/null || { echo "$tool"; return; }
	done
	[[ -x $TB_LOADER && -f $TB_BUILD/xlb_decap.bpf.o ]] ||
		{ echo "a build (run make)"; return; }
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null ||
		{ echo "bpffs at /sys/fs/bpf"; return; }
}

tb_sysctl() { tb_exec "$1" sysctl -qw "$2" >/dev/null; }

tb_add_ns() {
	ip netns add "$(tb_ns "$1")"
	tb_exec "$1" ip link set lo up
	tb_sysctl "$1" net.ipv4.conf.all.rp_filter=0
	tb_sysctl "$1" net.ipv4.conf.default.rp_filter=0
	tb_sysctl "$1" net.ipv6.conf.all.accept_dad=0
	tb_sysctl "$1" net.ipv6.conf.default.accept_dad=0
}

# tb_link NS_A IF_A NS_B IF_B [MAC_A]: a veth pair between two namespaces.
#
# Checksum offload is turned off: a veth passes locally made packets on with
# the checksum left for "hardware" to fill in, and a frame that XDP sends
# again has lost that promise, so it would leave with a partial checksum.
# Real NICs fill checksums in on transmit; on the testbed the senders must.
tb_link() {
	ip link add "$2" netns "$(tb_ns "$1")" ${5:+address "$5"} type veth \
		peer name "$4" netns "$(tb_ns "$3")"
	tb_exec "$1" ethtool -K "$2" tx off >/dev/null
	tb_exec "$3" ethtool -K "$4" tx off >/dev/null
	tb_exec "$1" ip link set "$2" up
	tb_exec "$3" ip link set "$4" up
}

tb_addr() { tb_exec "$1" ip addr add "$3" dev "$2" nodad 2>/dev/null ||
	    tb_exec "$1" ip addr add "$3" dev "$2"; }

tb_setup_backend() {
	local i=$1 name="be$1" dir
	tb_add_ns "$name"
	tb_link "$name" eth0 router "rb$i" "$(tb_be_mac "$i")"
	tb_exec router ip link set "rb$i" master br0
	tb_addr "$name" eth0 "$(tb_be_addr4 "$i")/24"
	tb_addr "$name" eth0 "$(tb_be_addr6 "$i")/64"
	tb_addr "$name" lo "$TB_VIP4/32"
	tb_addr "$name" lo "$TB_VIP6/128"
	tb_exec "$name" ip route add default via 198.18.1.1
	tb_exec "$name" ip -6 route add default via 2001:db8:1::1
	# The VIP lives on lo: never answer ARP for it on the segment.
	tb_sysctl "$name" net.ipv4.conf.all.arp_ignore=1
	tb_sysctl "$name" net.ipv4.conf.all.arp_announce=2
	tb_enter "$name" "$TB_LOADER" xdp --dev eth0 \
		--obj "$TB_BUILD/xlb_decap.bpf.o" || return 1

	dir="$TB_STATE/$name"
	mkdir -p "$dir"
	echo "$name" >"$dir/index.html"
	tb_start_http "$i"
}

# tb_start_http I: a real HTTP server on backend I, dual stack, answering
# with the backend's name.
tb_start_http() {
	# ip netns exec, not tb_exec: $! must be the server itself.
	ip netns exec "$(tb_ns "be$1")" /usr/bin/python3 -m http.server 80 --bind :: \
		--directory "$TB_STATE/be$1" >>"$TB_STATE/be$1.log" 2>&1 &
	echo $! >"$TB_STATE/be$1.pid"
	tb_wait_http "$1"
}

# tb_start_slow_http I BASE_MS K_MS: backend I's server replaced by one whose
# latency grows with its load (base + k x requests in flight), plus the
# milliseconds in $TB_STATE/shared_delay (all backends) and in
# $TB_STATE/beI/delay (this one); see tests/e2e/helpers/slow_backend.py.
tb_start_slow_http() {
	tb_stop_http "$1"
	ip netns exec "$(tb_ns "be$1")" /usr/bin/python3 \
		"$TB_ROOT/tests/e2e/helpers/slow_backend.py" "be$1" "$2" "$3" \
		"$TB_STATE/shared_delay" "$TB_STATE/be$1/delay" 3600 >>"$TB_STATE/be$1.log" 2>&1 &
	echo $! >"$TB_STATE/be$1.pid"
	tb_wait_http "$1"
}

# tb_flap_http I UP DOWN SECONDS: backend I serves for UP s, refuses for
# DOWN s, and again, for SECONDS in all.
tb_flap_http() {
	tb_stop_http "$1"
	ip netns exec "$(tb_ns "be$1")" /usr/bin/python3 \
		"$TB_ROOT/tests/e2e/helpers/flap_backend.py" "be$1" "$2" "$3" "$4" \
		>>"$TB_STATE/be$1.log" 2>&1 &
	echo $! >"$TB_STATE/be$1.pid"
}

# tb_stop_http I: stops backend I's server (whatever runs on its port 80).
tb_stop_http() {
	local pid
	pid=$(cat "$TB_STATE/be$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$TB_STATE/be$1.pid"
}

# tb_hang_http I SECONDS: backend I accepts connections and never answers,
# for at most SECONDS.
tb_hang_http() {
	ip netns exec "$(tb_ns "be$1")" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 80))
s.listen(64)
s.settimeout(0.2)
held, end = [], time.time() + float(sys.argv[1])
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' "$2" >>"$TB_STATE/be$1.log" 2>&1 &
	echo $! >"$TB_STATE/be$1.pid"
}

# tb_wait_http I: until backend I's server answers (5 s at most).
tb_wait_http() {
	local n
	for ((n = 0; n < 50; n++)); do
		tb_exec "be$1" curl -s -m 1 -o /dev/null "http://$TB_VIP4/" && return 0
		sleep 0.1
	done
	echo "testbed: HTTP server on be$1 did not start" >&2
	return 1
}

# tb_lb_link: the load balancer's link to the router's bridge (again, after
# a test deleted it).
tb_lb_link() {
	tb_link lb eth0 router rlb "$TB_LB_MAC"
	tb_exec router ip link set rlb master br0
	tb_addr lb eth0 198.18.1.2/24
	tb_addr lb eth0 2001:db8:1::2/64
	# XDP_TX frames from the lb's veth reach the bridge only if its peer runs XDP.
	tb_enter router "$TB_LOADER" xdp --dev rlb --obj "$TB_BUILD/xdp_pass.bpf.o"
}

# tb_lb_link2: a second client-facing link on the lb, eth1, on its own
# segment to the router (198.18.2.0/24, 2001:db8:2::/64). The router's end
# has the router's MAC, so nexthop_mac fits both links.
tb_lb_link2() {
	tb_link lb eth1 router rlb1 02:00:c6:12:02:02
	tb_exec router ip link set rlb1 address "$TB_ROUTER_MAC"
	tb_addr router rlb1 198.18.2.1/24
	tb_addr router rlb1 2001:db8:2::1/64
	tb_addr lb eth1 198.18.2.2/24
	tb_addr lb eth1 2001:db8:2::2/64
	tb_enter router "$TB_LOADER" xdp --dev rlb1 --obj "$TB_BUILD/xdp_pass.bpf.o"
}

# tb_setup N: builds the testbed with N backends.
tb_setup() {
	local i
	TB_BACKENDS=${1:-3}
	TB_STATE=$(mktemp -d)
	TB_SOCKET=$TB_STATE/xlb.sock
	trap tb_teardown EXIT
	trap 'exit 130' INT TERM

	tb_add_ns client
	tb_add_ns router
	tb_add_ns lb
	tb_sysctl router net.ipv4.ip_forward=1
	tb_sysctl router net.ipv6.conf.all.forwarding=1
	tb_sysctl router net.ipv4.conf.all.send_redirects=0

	tb_link client eth0 router r0
	tb_exec router ip link set r0 address "$TB_ROUTER_CLIENT_MAC"
	tb_addr client eth0 198.18.0.2/24
	tb_addr client eth0 2001:db8::2/64
	tb_addr router r0 198.18.0.1/24
	tb_addr router r0 2001:db8::1/64
	tb_exec client ip route add default via 198.18.0.1
	tb_exec client ip -6 route add default via 2001:db8::1

	tb_exec router ip link add br0 address "$TB_ROUTER_MAC" type bridge
	tb_exec router ip link set br0 up
	tb_addr router br0 198.18.1.1/24
	tb_addr router br0 2001:db8:1::1/64
	tb_lb_link || return 1
	tb_exec router ip route add "$TB_VIP4/32" via 198.18.1.2
	tb_exec router ip -6 route add "$TB_VIP6/128" via 2001:db8:1::2

	for ((i = 1; i <= TB_BACKENDS; i++)); do
		tb_setup_backend "$i" || return 1
	done
}

tb_teardown() {
	local pid ns
	[[ -n $TB_XLBD_PID ]] && kill "$TB_XLBD_PID" 2>/dev/null
	if [[ -n $TB_STATE ]]; then
		for pid in "$TB_STATE"/*.pid; do
			[[ -e $pid ]] && kill "$(cat "$pid")" 2>/dev/null
		done
		rm -rf "$TB_STATE"
	fi
	for ns in $(ip netns list | awk '{print $1}' | grep "^$TB_PREFIX-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns"
	done
	# Tests that run a second xlbd pin it beside: "$TB_PIN-NAME".
	rm -rf "$TB_PIN" "$TB_PIN"-*
	TB_STATE=
}

# tb_attach_xlb MODE [xlb-load VIP/backend args]: xlb on the lb's eth0.
# Without VIP arguments: both VIPs on port 80 over all backends.
tb_attach_xlb() {
	local mode=$1 i args=()
	shift
	rm -rf "$TB_PIN"
	if [[ $# -eq 0 ]]; then
		for vip in "$TB_VIP4" "$TB_VIP6"; do
			args+=(--vip "$vip" 80 tcp "$mode")
			for ((i = 1; i <= TB_BACKENDS; i++)); do
				if [[ $vip == *:* ]]; then
					args+=(--backend "$(tb_be_addr6 "$i")")
				else
					args+=(--backend "$(tb_be_addr4 "$i")")
				fi
				args+=(mac="$(tb_be_mac "$i")")
			done
		done
	else
		args=("$@")
	fi
	tb_enter lb "$TB_LOADER" attach --dev eth0 --pin "$TB_PIN" \
		--nexthop "$TB_ROUTER_MAC" --src4 "$TB_SRC4" --src6 "$TB_SRC6" \
		"${args[@]}"
}

# tb_write_config MODE FILE [WEIGHTS...]: an xlbd config for the testbed,
# both VIPs on port 80 over all backends (weights default to 1). TB_PROBE
# (a YAML flow mapping), TB_ALL_DOWN and TB_VIP_EXTRA (one "key: value"
# line) go into every VIP when set;
# TB_EXTRA (YAML lines) goes to the top level.
tb_write_config() {
	local mode=$1 file=$2 i vip w
	shift 2
	{
		echo "interface:"
		echo "  name: eth0"
		echo "  mode: native"
		echo "nexthop_mac: $TB_ROUTER_MAC"
		echo "tunnel_source:"
		echo "  ipv4: $TB_SRC4"
		echo "  ipv6: $TB_SRC6"
		[[ -n ${TB_EXTRA:-} ]] && printf '%s\n' "$TB_EXTRA"
		echo "vips:"
		for vip in web4 web6; do
			echo "  - name: $vip"
			echo "    address: $([[ $vip == web4 ]] && echo "$TB_VIP4" || echo "$TB_VIP6")"
			echo "    port: 80"
			echo "    protocol: tcp"
			echo "    mode: $mode"
			[[ -n ${TB_ALL_DOWN:-} ]] && echo "    all_down: $TB_ALL_DOWN"
			[[ -n ${TB_PROBE:-} ]] && printf '    probe: %s\n' "$TB_PROBE"
			[[ -n ${TB_VIP_EXTRA:-} ]] && printf '    %s\n' "$TB_VIP_EXTRA"
			echo "    backends:"
			for ((i = 1; i <= TB_BACKENDS; i++)); do
				w=${!i:-1}
				echo "      - address: $([[ $vip == web4 ]] && tb_be_addr4 "$i" || tb_be_addr6 "$i")"
				echo "        weight: $w"
				echo "        mac: $(tb_be_mac "$i")"
			done
		done
	} >"$file"
}

# tb_new_client_addr: sets TB_CLIENT_ADDR to a client address no earlier
# call gave (198.18.0.101 on), added to the client's eth0. A load from it
# makes only new 5-tuples: one from a reused source port would follow the
# flow entry of an earlier connection, not the weights in force.
tb_new_client_addr() {
	local n
	# Counted in a file: callers may run in a subshell, $(load ...).
	n=$(( $(cat "$TB_STATE/client_addrs" 2>/dev/null || echo 0) + 1 ))
	(( n <= 150 )) || { echo "testbed: out of client addresses" >&2; return 1; }
	echo "$n" >"$TB_STATE/client_addrs"
	TB_CLIENT_ADDR=198.18.0.$(( 100 + n ))
	tb_exec client ip addr add "$TB_CLIENT_ADDR/24" dev eth0
}

# tb_start_xlbd CONFIG [xlbd args]: xlbd in the lb namespace, its socket,
# state file and pins private to this testbed. Waits until it answers, at
# most TB_START_WAIT_S seconds (5).
tb_start_xlbd() {
	local config=$1
	shift
	# nsenter, not a shell function: $! must be xlbd itself (nsenter execs it,
	# and so does TB_XLBD_WRAP, e.g. setpriv with fewer capabilities).
	# shellcheck disable=SC2086
	nsenter --net="/run/netns/$(tb_ns lb)" ${TB_XLBD_WRAP:-} "$TB_XLBD" -c "$config" --pin "$TB_PIN" \
		--socket "$TB_SOCKET" --state "$TB_STATE/state.json" \
		--journal "$TB_STATE/journal.jsonl" "$@" \
		>>"$TB_STATE/xlbd.log" 2>&1 &
	TB_XLBD_PID=$!
	# Tests kill it on purpose; no job-control notices for that.
	disown "$TB_XLBD_PID"
	tb_wait_xlbd "$TB_SOCKET" "$TB_XLBD_PID" "$TB_STATE/xlbd.log"
}

# tb_wait_xlbd SOCKET PID LOG: until that xlbd answers, at most
# TB_START_WAIT_S seconds (5); says why not, from its log.
tb_wait_xlbd() {
	local n
	for ((n = 0; n < ${TB_START_WAIT_S:-5} * 20; n++)); do
		XLB_SOCKET=$1 "$TB_XLBCTL" status >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	echo "testbed: xlbd ($1) did not start:" >&2
	tail -n 20 "$3" >&2
	return 1
}

tb_xlbctl() { XLB_SOCKET=$TB_SOCKET "$TB_XLBCTL" "$@"; }

# BIRD (bird2), for the announce tests. tb_bird_router NODE_ADDR...: BIRD in
# the router, a BGP session per xlb node (its v4 address; v6 is ::x of the
# same last byte), routes into the kernel with ECMP over equal paths.
# tb_bird_node NS ADDR4 ADDR6: BIRD on an xlb node, from tools/bird/bird.conf
# with this node's router id. tb_birdc NS CMD...: birdc of that BIRD.
tb_bird_start() {
	local ns=$1 conf=$2
	tb_enter "$ns" bird -c "$conf" -s "$TB_STATE/bird-$ns.ctl" -P "$TB_STATE/bird-$ns.pid" \
		2>>"$TB_STATE/bird-$ns.log"
}

tb_birdc() { local ns=$1; shift; birdc -s "$TB_STATE/bird-$ns.ctl" "$@"; }

tb_bird_router() {
	local conf=$TB_STATE/bird-router.conf a
	tb_sysctl router net.ipv4.fib_multipath_hash_policy=1
	tb_sysctl router net.ipv6.fib_multipath_hash_policy=1
	{
		echo "router id 198.18.1.1;"
		echo "protocol device { }"
		for a in 4 6; do
			echo "protocol kernel { merge paths on; ipv$a { import none; export all; }; }"
		done
		echo "template bgp xlb_node { local as 64512; hold time 3; keepalive time 1;"
		echo "  connect retry time 2; error wait time 1, 10; }"
		for a in "$@"; do
			echo "protocol bgp node${a##*.}_v4 from xlb_node { neighbor $a as 64513;"
			echo "  ipv4 { import all; export none; }; }"
			echo "protocol bgp node${a##*.}_v6 from xlb_node { neighbor 2001:db8:1::${a##*.} as 64513;"
			echo "  ipv6 { import all; export none; }; }"
		done
	} >"$conf"
	tb_bird_start router "$conf"
}

tb_bird_node() {
	local ns=$1 conf=$TB_STATE/bird-$1.conf
	sed "s/^router id .*/router id $2;/" "$TB_ROOT/tools/bird/bird.conf" >"$conf"
	tb_bird_start "$ns" "$conf"
}

# A second (third...) xlb node on the router's segment, for ECMP tests:
#   tb_add_lb_node NAME N: namespace NAME, eth0 at 198.18.1.N and
#     2001:db8:1::N, MAC 02:00:c6:12:01:0N, XDP on its bridge port;
#   tb_start_node_xlbd NAME CONFIG: its own xlbd (pins "$TB_PIN-NAME",
#     socket $TB_STATE/NAME.sock, log $TB_STATE/NAME.log);
#   tb_node_xlbctl NAME ARGS...: xlbctl against it.
tb_add_lb_node() {
	local name=$1 n=$2
	tb_add_ns "$name"
	tb_link "$name" eth0 router "r$name" "$(printf '02:00:c6:12:01:%02x' "$n")"
	tb_exec router ip link set "r$name" master br0
	tb_addr "$name" eth0 "198.18.1.$n/24"
	tb_addr "$name" eth0 "2001:db8:1::$n/64"
	tb_enter router "$TB_LOADER" xdp --dev "r$name" --obj "$TB_BUILD/xdp_pass.bpf.o"
}

tb_start_node_xlbd() {
	local name=$1 config=$2 pid
	nsenter --net="/run/netns/$(tb_ns "$name")" "$TB_XLBD" -c "$config" --pin "$TB_PIN-$name" \
		--socket "$TB_STATE/$name.sock" --state "$TB_STATE/$name.json" \
		--journal "$TB_STATE/$name.jsonl" >>"$TB_STATE/$name.log" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$TB_STATE/xlbd-$name.pid"
	tb_wait_xlbd "$TB_STATE/$name.sock" "$pid" "$TB_STATE/$name.log"
}

tb_node_xlbctl() { local name=$1; shift; XLB_SOCKET=$TB_STATE/$name.sock "$TB_XLBCTL" "$@"; }

# tb_router_route FAMILY PREFIX: the router's kernel route for PREFIX (empty: none).
tb_router_route() { tb_exec router ip "-$1" route show "$2" proto bird; }

# tb_router_nexthops: how many nexthops the router's BGP route to the IPv4 VIP has.
tb_router_nexthops() {
	local r n
	r=$(tb_router_route 4 "$TB_VIP4")
	[[ -z $r ]] && { echo 0; return; }
	n=$(grep -c "nexthop via" <<<"$r")
	echo $(( n ? n : 1 ))
}

# tb_stop_xlbd [SIGNAL]: stops xlbd and waits until it is gone.
tb_stop_xlbd() {
	local n
	kill "-${1:-TERM}" "$TB_XLBD_PID" 2>/dev/null || return 1
	for ((n = 0; n < 100; n++)); do
		kill -0 "$TB_XLBD_PID" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# tb_loadgen ARGS...: xlb-loadgen from the client towards the router.
tb_loadgen() {
	tb_exec client "$TB_BUILD/xlb-loadgen" --dev eth0 --dst-mac "$TB_ROUTER_CLIENT_MAC" "$@"
}

tb_stats() { "$TB_LOADER" stats --pin "$TB_PIN"; }

# tb_http_get FAMILY LOCAL_PORT: one connection from the client; prints the
# name of the backend that answered.
tb_http_get() {
	local url="http://$TB_VIP4/"
	[[ $1 == 6 ]] && url="http://[$TB_VIP6]/"
	tb_exec client curl -s -m 3 --local-port "$2" "$url"
}
