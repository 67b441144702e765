# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared by the end-to-end tests, in the shape of xdp-tools' tests: a test
# file defines functions, lists them in ALL_TESTS and calls e2e_main. Each
# test prints its findings; e2e_main prints PASS/FAIL/SKIPPED per test.

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tools/testbed.sh

fail() { echo "  $*"; return 1; }

# cmd | has [GREP_OPTION...] PATTERN: grep -q that reads all its input first.
# Under pipefail 'cmd | grep -q' fails at random when grep stops at its first
# match and cmd's next write meets a closed pipe (a 58 KB /metrics, a journal).
has() {
	local in
	in=$(cat)
	grep -q "$@" <<<"$in"
}

# new_flows_of ADDR: the new-flow counter of the backend with that address.
new_flows_of() { tb_stats | awk -F'\t' -v a="$1" '$1 == "backend" && $3 == a { print $6 }'; }

# connect_many FAMILY FIRST_PORT COUNT: connections from the client; prints
# "name count" per backend that answered, and "failed N".
connect_many() {
	local family=$1 port=$2 count=$3 i name failed=0
	local -A per=()
	for ((i = 0; i < count; i++)); do
		if name=$(tb_http_get "$family" $((port + i))) && [[ $name == be[0-9]* ]]; then
			per[$name]=$(( ${per[$name]:-0} + 1 ))
		else
			failed=$((failed + 1))
		fi
	done
	for name in "${!per[@]}"; do echo "$name ${per[$name]}"; done
	echo "failed $failed"
}

# A sanitized xlbd reports into its log; any report fails the test. The
# testbed's xlbd logs to xlbd.log, further nodes' to NAME.log (lb2.log).
no_sanitizer_reports() {
	local log
	for log in "$TB_STATE/xlbd.log" "$TB_STATE"/lb*.log; do
		[[ -s $log ]] || continue
		! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" ||
			fail "sanitizer report in $(basename "$log")" || return 1
	done
}

# e2e_main NR_BACKENDS: builds the testbed and runs $ALL_TESTS.
e2e_main() {
	local missing t rc=0 log start
	missing=$(tb_missing)
	if [[ -n $missing ]]; then
		for t in $ALL_TESTS; do echo "SKIPPED: $t (needs $missing)"; done
		exit 0
	fi
	log=$(mktemp)
	if ! tb_setup "${1:-3}" >"$log" 2>&1; then
		cat "$log"
		rm -f "$log"
		for t in $ALL_TESTS; do echo "FAIL: $t (testbed setup failed)"; done
		exit 1
	fi
	rm -f "$log"
	# E2E_ONLY="test_a test_b": a subset, in the file's order (development).
	[[ -n ${E2E_ONLY:-} ]] && ALL_TESTS=$(for t in $ALL_TESTS; do
		[[ " $E2E_ONLY " == *" $t "* ]] && echo "$t"; done)
	for t in $ALL_TESTS; do
		start=$SECONDS
		if $t && no_sanitizer_reports; then
			# Each test's time: the whole run has a budget (docs/testing.md).
			echo "  took $((SECONDS - start)) s"
			echo "PASS: $t"
		else
			echo "FAIL: $t"
			rc=1
			if grep -q 'ERROR: .*Sanitizer\|runtime error:' "$TB_STATE/xlbd.log" 2>/dev/null; then
				grep -m1 -A24 'ERROR: .*Sanitizer\|runtime error:' "$TB_STATE/xlbd.log" |
					sed 's/^/  xlbd: /'
			elif [[ -s $TB_STATE/xlbd.log ]]; then
				tail -n 15 "$TB_STATE/xlbd.log" | sed 's/^/  xlbd: /'
			fi
		fi
	done
	exit $rc
}
