#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# config_gen.sh N: a valid config of N backends in 10 VIPs (N a multiple of
# 10), for the limits test and the config-check benchmark.
set -euo pipefail
n=${1:-10000}
per=$((n / 10))
echo "interface: { name: eth0 }"
echo "nexthop_mac: 02:00:c6:12:01:01"
echo "tunnel_source: { ipv4: 198.18.255.0/24 }"
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
