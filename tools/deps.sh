#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages xlb needs to build and test. Idempotent: it
# asks dpkg first and runs apt-get only for what is missing.
set -euo pipefail

PACKAGES=(
	make gcc clang llvm
	libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
	libcmocka-dev libyaml-dev libjansson-dev libsystemd-dev libcurl4-openssl-dev libclang-rt-dev
	libmnl-dev
	iproute2 ethtool curl openssl nftables
	python3 python3-scapy
	prometheus libmicrohttpd-dev
	tcpdump strace
	bird2 scdoc mandoc
	debhelper dpkg-dev lintian
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "xlb: missing packages: ${missing[*]}" >&2
	echo "hint: run 'sudo make deps' to install them" >&2
	exit 1
fi

echo "xlb: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A stale package list makes apt-get fail to find packages; refresh once.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
