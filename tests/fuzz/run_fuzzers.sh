#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs each parser fuzzer over its seed corpus and then for a bounded time
# (FUZZ_SECONDS, default 20) on new inputs. Longer runs: make fuzz.
set -uo pipefail
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${FUZZ_BUILD:-${BUILD:-build}/fuzz}
seconds=${FUZZ_SECONDS:-20}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/config/good/*.yaml tests/config/bad/*.yaml "$work/"
if "$FUZZ_BUILD/fuzz_config" -max_total_time="$seconds" -max_len=4096 \
	-print_final_stats=1 "$work" >"$work.log" 2>&1; then
	echo "PASS: fuzz_config ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | awk '{print $2}') inputs in ${seconds}s)"
else
	tail -n 30 "$work.log" | sed 's/^/  /'
	echo "FAIL: fuzz_config"
fi
rm -f "$work.log"
