#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package (issue 14, part 3): 'make deb' builds it and lintian
# finds no error; unpacked into a scratch root (dpkg --root: the machine's
# own packages are left alone), it holds what an operator needs, its xlbd
# checks the shipped example config, man finds its pages, and dpkg removes
# it again without a trace.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

for tool in dpkg-buildpackage lintian scdoc dh; do
	if ! command -v "$tool" >/dev/null; then
		for t in test_deb_builds_lintian_clean test_deb_installs_and_works; do
			echo "SKIPPED: $t (needs $tool: make deps)"
		done
		exit 0
	fi
done

fail() { echo "  $*"; return 1; }
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
DEB=

test_deb_builds_lintian_clean() {
	local out
	rm -rf "$BUILD/deb"
	out=$(make deb 2>&1) || fail "make deb: $(tail -n 15 <<<"$out")" || return 1
	DEB=$(ls "$BUILD"/deb/xlb_*_*.deb 2>/dev/null | head -1)
	[[ -f $DEB ]] || fail "no .deb in $BUILD/deb" || return 1
	echo "  $(basename "$DEB"), $(du -k "$DEB" | cut -f1) KiB; lintian: no error"
}

test_deb_installs_and_works() {
	local f out
	[[ -f $DEB ]] || fail "no package built" || return 1
	mkdir -p "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/info"
	touch "$ROOT/var/lib/dpkg/status"
	# Unpacked and registered in the scratch root only; maintainer scripts
	# need the real system and its systemd, so they are not run here.
	out=$(dpkg --root="$ROOT" --force-not-root --force-script-chrootless --force-depends \
		--unpack "$DEB" 2>&1) || fail "dpkg --unpack: $out" || return 1
	for f in usr/sbin/xlbd usr/sbin/xlbctl usr/bin/xlb-loadgen usr/lib/xlb/xlb_decap.bpf.o \
		 lib/systemd/system/xlbd.service usr/share/doc/xlb/examples/xlb.yaml \
		 usr/share/doc/xlb/examples/bird.conf usr/share/xlb/monitoring/alerts.yml \
		 usr/share/xlb/monitoring/grafana-dashboard.json usr/share/doc/xlb/copyright \
		 usr/share/bash-completion/completions/xlbctl; do
		[[ -e $ROOT/$f ]] || fail "the package has no /$f" || return 1
	done
	out=$("$ROOT/usr/sbin/xlbd" --check-config -c "$ROOT/usr/share/doc/xlb/examples/xlb.yaml" 2>&1) ||
		fail "xlbd --check-config on the example: $out" || return 1
	for f in xlbctl xlbd xlb.yaml xlb-loadgen; do
		man -M "$ROOT/usr/share/man" -w "$f" >/dev/null 2>&1 || fail "man -w $f" || return 1
	done
	out=$(man -M "$ROOT/usr/share/man" 5 xlb.yaml 2>/dev/null | grep -c "drain_grace")
	[[ $out -ge 1 ]] || fail "xlb.yaml(5) lacks announce's keys" || return 1
	grep -q "^ExecStart=/usr/sbin/xlbd " "$ROOT/lib/systemd/system/xlbd.service" ||
		fail "the unit's ExecStart" || return 1
	dpkg --root="$ROOT" --force-not-root --force-script-chrootless --purge xlb >/dev/null 2>&1 ||
		fail "dpkg --purge" || return 1
	[[ ! -e $ROOT/usr/sbin/xlbd && ! -e $ROOT/lib/systemd/system/xlbd.service ]] ||
		fail "files left after purge" || return 1
	echo "  unpacked into a scratch root: 11 files where they belong, the example checks clean,"
	echo "  man finds xlbd(8), xlbctl(8), xlb.yaml(5), xlb-loadgen(1); purged without a trace"
}

for t in test_deb_builds_lintian_clean test_deb_installs_and_works; do
	if $t; then echo "PASS: $t"; else echo "FAIL: $t"; fi
done
