#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end: real TCP connections from a client namespace through xlb (XDP,
# native mode) to HTTP servers on three backends, in both forwarding modes
# and both families. Every connection must succeed, and xlb's per-backend
# new-flow counters must match the connections each backend answered.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/testbed.sh

CONNECTIONS=30
ALL_TESTS="test_encap_ipv4 test_encap_ipv6 test_dsr_ipv4 test_dsr_ipv6"
ATTACHED_MODE=

fail() { echo "  $*"; return 1; }

# new_flows_of ADDR: the new-flow counter of the backend with that address.
new_flows_of() { tb_stats | awk -F'\t' -v a="$1" '$1 == "backend" && $3 == a { print $6 }'; }

# connections_match_counters MODE FAMILY FIRST_PORT
connections_match_counters() {
	local mode=$1 family=$2 port=$3 i name ok=0 addr want got seen=0
	local -A per_backend=()

	if [[ $ATTACHED_MODE != "$mode" ]]; then
		tb_attach_xlb "$mode" >/dev/null 2>&1 || fail "xlb did not attach in $mode mode" || return 1
		ATTACHED_MODE=$mode
	fi
	for ((i = 0; i < CONNECTIONS; i++)); do
		name=$(tb_http_get "$family" $((port + i))) || continue
		[[ $name == be[0-9]* ]] || continue
		per_backend[$name]=$(( ${per_backend[$name]:-0} + 1 ))
		ok=$((ok + 1))
	done
	[[ $ok -eq $CONNECTIONS ]] || fail "$ok of $CONNECTIONS connections succeeded" || return 1

	for ((i = 1; i <= TB_BACKENDS; i++)); do
		addr=$(if [[ $family == 6 ]]; then tb_be_addr6 "$i"; else tb_be_addr4 "$i"; fi)
		want=${per_backend[be$i]:-0}
		got=$(new_flows_of "$addr")
		[[ $got == "$want" ]] ||
			fail "be$i ($addr): $want connections answered, counter says ${got:-nothing}" ||
			return 1
		[[ $want -gt 0 ]] && seen=$((seen + 1))
	done
	# 30 connections over 3 equal backends all landing on one: p < 1e-13.
	[[ $seen -ge 2 ]] || fail "only $seen backend(s) got connections" || return 1
	echo "  connections per backend: $(for k in "${!per_backend[@]}"; do printf '%s=%s ' "$k" "${per_backend[$k]}"; done)"
}

test_encap_ipv4() { connections_match_counters encap 4 20000; }
test_encap_ipv6() { connections_match_counters encap 6 21000; }
test_dsr_ipv4() { connections_match_counters dsr 4 22000; }
test_dsr_ipv6() { connections_match_counters dsr 6 23000; }

missing=$(tb_missing)
if [[ -n $missing ]]; then
	for t in $ALL_TESTS; do echo "SKIPPED: $t (needs $missing)"; done
	exit 0
fi
if ! tb_setup 3 >"${TMPDIR:-/tmp}/$TB_PREFIX.setup.log" 2>&1; then
	cat "${TMPDIR:-/tmp}/$TB_PREFIX.setup.log"
	rm -f "${TMPDIR:-/tmp}/$TB_PREFIX.setup.log"
	for t in $ALL_TESTS; do echo "FAIL: $t (testbed setup failed)"; done
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/$TB_PREFIX.setup.log"

rc=0
for t in $ALL_TESTS; do
	if $t; then echo "PASS: $t"; else echo "FAIL: $t"; rc=1; fi
done
exit $rc
