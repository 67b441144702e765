#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every suite and prints one closing line: "N passed, N failed, N skipped".
# Suites print PASS:/FAIL:/SKIPPED: lines (cmocka is switched to TAP and
# translated). A suite that dies without saying why counts as one failure.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SAN_BUILD=${SAN_BUILD:-$BUILD/san}
export BUILD SAN_BUILD
# End-to-end tests drive the sanitized loader too.
export TB_BUILD=$PWD/$BUILD TB_LOADER=$PWD/$SAN_BUILD/xlb-load \
	TB_XLBD=$PWD/$SAN_BUILD/xlbd TB_XLBCTL=$PWD/$SAN_BUILD/xlbctl
# Leak checks on, and any sanitizer report fails the run.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 skipped=0
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

# tap_to_lines: cmocka's TAP output as PASS/FAIL/SKIPPED lines.
tap_to_lines() {
	sed -nE 's/^ok [0-9]+ - (.*) # SKIP.*/SKIPPED: \1/p;
		 s/^(not )?ok [0-9]+ # SKIP (.*)/SKIPPED: \2/p;
		 s/^ok [0-9]+ - (.*)/PASS: \1/p;
		 s/^not ok [0-9]+ - (.*)/FAIL: \1/p;
		 s/^# (.*)/  \1/p'
}

run_suite() {
	local name=$1; shift
	local out="$log_dir/${name//\//_}.out" rc p f s start=$SECONDS

	echo "== $name"
	"$@" >"$out" 2>&1
	rc=$?
	# How long each suite takes: the whole run has a budget (docs/testing.md).
	echo "  took $((SECONDS - start)) s"
	grep -E '^(PASS|FAIL|SKIPPED):|^  ' "$out"
	p=$(grep -c '^PASS:' "$out")
	f=$(grep -c '^FAIL:' "$out")
	s=$(grep -c '^SKIPPED:' "$out")
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "FAIL: $name exited with status $rc:"
		tail -n 20 "$out" | sed 's/^/    /'
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

cmocka_suite() {
	CMOCKA_MESSAGE_OUTPUT=TAP "$@" | tap_to_lines
	return "${PIPESTATUS[0]}"
}

# The Makefile names the unit tests (UNIT_TESTS); one place, not two.
for t in ${UNIT_TESTS:-test_maglev test_addr test_health test_skew test_plan test_journal test_diagnosis}; do
	run_suite "unit/$t" cmocka_suite "$SAN_BUILD/$t"
done

run_suite "layout/calls" python3 tests/layout/test_calls.py "$BUILD"
run_suite "config/corpus" bash tests/config/test_config.sh
run_suite "config/limits" bash tests/config/test_limits.sh
run_suite "config/fuzz" bash tests/fuzz/run_fuzzers.sh

run_suite "bpf/test_xdp" cmocka_suite "$SAN_BUILD"/test_xdp
# The packet fuzzer, briefly (make fuzz runs 10 million).
run_suite "bpf/fuzz_xdp" cmocka_suite "$SAN_BUILD"/test_xdp --fuzz 200000 "${FUZZ_SEED:-1}"

run_suite "pkg/test_deb" bash tests/pkg/test_deb.sh

for t in tests/e2e/test_*.sh; do
	[[ -e $t ]] || continue
	run_suite "e2e/$(basename "$t" .sh)" bash "$t"
done

echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
