#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Generated configs, for tests/config/test_limits.sh and the config-check
# benchmark:
#   config_gen.sh backends N    valid: N backends in 10 VIPs (N a multiple of 10)
#   config_gen.sh alias-bomb    one backend anchored, then aliased 2999 times
#   config_gen.sh brackets      100,000 open brackets
#   config_gen.sh vips V B [W]  V VIPs of B backends each, probes off, tables
#                               of 1021 slots (more past 10 backends); W: the
#                               first VIP's first weight
set -euo pipefail

head_yaml() {
	echo "interface: { name: eth0 }"
	echo "nexthop_mac: 02:00:c6:12:01:01"
	echo "tunnel_source: { ipv4: 198.18.255.0/24 }"
}

case ${1:-} in
backends)
	n=${2:-10000}
	per=$((n / 10))
	head_yaml
	echo "maps: { vips: 16, backends: $((n + 16)) }"
	echo "vips:"
	for ((v = 0; v < 10; v++)); do
		echo "  - name: web$v"
		echo "    address: 198.18.100.$((10 + v))"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    mode: encap"
		echo "    table_size: 100003"
		echo "    backends:"
		for ((i = 0; i < per; i++)); do
			b=$((v * per + i))
			echo "      - { address: 198.19.$((b / 250)).$((b % 250 + 1)), weight: $((1 + i % 3)) }"
		done
	done
	;;
vips)
	nv=${2:-5000} nb=${3:-10} w0=${4:-1}
	# The smallest of these primes that is at least 100 x the backends.
	for m in 1021 10007 100003 1000003; do ((m >= 100 * nb)) && break; done
	head_yaml
	echo "maps: { vips: $((nv + 64)), backends: $((nv * nb * 2 + 64)) }"
	echo "vips:"
	b=0
	for ((v = 0; v < nv; v++)); do
		echo "  - name: v$v"
		echo "    address: 198.19.$((v / 250)).$((v % 250 + 1))"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    mode: encap"
		echo "    table_size: $m"
		echo "    probe: { type: none }"
		echo "    backends:"
		for ((i = 0; i < nb; i++)); do
			w=1
			((v == 0 && i == 0)) && w=$w0
			if ((b < 61500)); then a=198.18.$((10 + b / 250)).$((b % 250 + 1))
			else a=198.19.$((20 + (b - 61500) / 250)).$(((b - 61500) % 250 + 1)); fi
			echo "      - { address: $a, weight: $w }"
			b=$((b + 1))
		done
	done
	;;
alias-bomb)
	head_yaml
	echo "vips:"
	echo "  - { name: web, address: 198.18.100.10, port: 80, protocol: tcp, mode: encap,"
	echo "      table_size: 1000003, backends: [&b { address: 198.18.1.11 }"
	for ((i = 0; i < 2999; i++)); do echo "      , *b"; done
	echo "  ]}"
	;;
brackets)
	echo "interface: { name: eth0 }"
	printf 'vips: '
	head -c 100000 /dev/zero | tr '\0' '['
	echo
	;;
*)
	echo "usage: config_gen.sh backends N | vips V B [W] | alias-bomb | brackets" >&2
	exit 2
	;;
esac
