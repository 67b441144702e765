#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Can one xlbd event loop probe N backends (default 1000) at a 1 s interval
# without falling behind? N backend addresses live on the loopback of a
# namespace of their own, one accept-and-close listener answers every TCP
# probe, and xlbd reports how late its probes start. Bounded: runs for
# SECONDS (default 20) and stops.
#
#   tools/bench/probe_scale.sh [N] [SECONDS]
#   PROBE_EXTRA=", latency_interval: 250ms" tools/bench/probe_scale.sh 1000   (light latency probes too)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000} seconds=${2:-20}
[[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 20000 ]] || { echo "N is 1..20000" >&2; exit 2; }
[[ $seconds =~ ^[0-9]+$ && $seconds -le 600 ]] || { echo "SECONDS is 0..600" >&2; exit 2; }

# Backend i's address: 198.19.0.1 on, 250 to a /24 (80 /24s hold 20,000).
addr() { echo "198.19.$(($1 / 250)).$(($1 % 250 + 1))"; }

ns=xlbscale$$
state=$(mktemp -d)
pin=/sys/fs/bpf/$ns
xlbd_pid= listener_pid=
cleanup() {
	[[ -n $xlbd_pid ]] && kill "$xlbd_pid" 2>/dev/null
	[[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null
	sleep 0.2
	ip netns del "$ns" 2>/dev/null
	rm -rf "$pin" "$state"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up
# N addresses in 198.19.0.0/16, all on lo: every probe is a real TCP connect.
for ((i = 0; i < n; i++)); do
	echo "address add $(addr "$i")/32 dev lo"
done | ip -n "$ns" -batch -
ip netns exec "$ns" /usr/bin/python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80)); s.listen(4096)
end = time.time() + '"$((seconds + 30))"'
s.settimeout(1)
while time.time() < end:
    try: s.accept()[0].close()
    except socket.timeout: pass
' &
listener_pid=$!

# One VIP over all N backends; the table must hold 100 slots each.
table=$(/usr/bin/python3 -c "
n = max(65537, 100 * $n)
while any(n % d == 0 for d in range(2, int(n ** 0.5) + 1)): n += 1
print(n)")
{
	echo "interface: { name: eth0, mode: generic }"
	echo "nexthop_mac: 02:00:c6:12:01:01"
	echo "tunnel_source: { ipv4: 198.18.255.0/24 }"
	echo "maps: { vips: 4, backends: $((n + 16)) }"
	echo "vips:"
	echo "  - name: scale"
	echo "    address: 198.18.100.10"
	echo "    port: 80"
	echo "    protocol: tcp"
	echo "    mode: encap"
	echo "    table_size: $table"
	echo "    probe: { type: tcp, interval: 1s, timeout: 500ms${PROBE_EXTRA:-} }"
	echo "    backends:"
	for ((i = 0; i < n; i++)); do echo "      - address: $(addr "$i")"; done
} >"$state/xlb.yaml"

nsenter --net="/run/netns/$ns" build/xlbd -c "$state/xlb.yaml" --pin "$pin" \
	--socket "$state/xlb.sock" --state "$state/state.json" >"$state/xlbd.log" 2>&1 &
xlbd_pid=$!
for ((i = 0; i < 100; i++)); do
	XLB_SOCKET=$state/xlb.sock build/xlbctl status >/dev/null 2>&1 && break
	sleep 0.1
done
status() { XLB_SOCKET=$state/xlb.sock build/xlbctl -j status; }
sleep 2
first=$(status)
cpu0=$(awk '{ print $14 + $15 }' "/proc/$xlbd_pid/stat")
sleep "$seconds"
last=$(status)
cpu1=$(awk '{ print $14 + $15 }' "/proc/$xlbd_pid/stat")
echo "xlbd CPU               $(( (cpu1 - cpu0) * 100 / $(getconf CLK_TCK) / seconds ))% of one core"
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$xlbd_pid/status")
/usr/bin/python3 - "$first" "$last" "$seconds" "$n" "$rss" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1])["probes"], json.loads(sys.argv[2])["probes"]
secs, n, rss = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rate = (b["started"] - a["started"]) / secs
print(f"backends probed        {b['targets']} (wanted {n})")
print(f"probes per second      {rate:.0f} (1 s interval: {n} due per second)")
print(f"probe start lateness   mean {b['late_ms_mean']:.1f} ms, p99 {b.get('late_ms_p99', '-')} ms, max {b['late_ms_max']} ms (since start)")
print(f"  last 10-20 s          p99 {b.get('late_ms_p99_recent', '-')} ms, max {b['late_ms_recent']} ms")
print(f"backends seen down     {b['down']}")
print(f"xlbd resident memory   {rss / 1024:.1f} MiB")
ok = b["targets"] == n and rate >= 0.95 * n and b["late_ms_max"] < 1000 and b["down"] == 0
print("result                 " + ("keeps up" if ok else "FALLS BEHIND"))
sys.exit(0 if ok else 1)
PY
