#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs each parser's fuzzer over its seeds and then for a bounded time
# (FUZZ_SECONDS each, default 5) on new inputs. Longer runs: make fuzz.
# Seeds: the config corpus for the config parser, tests/fuzz/seeds/NAME/
# for the others (fuzz_NAME).
set -uo pipefail
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${FUZZ_BUILD:-${BUILD:-build}/fuzz}
seconds=${FUZZ_SECONDS:-5}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for harness in tests/fuzz/fuzz_*.c; do
	name=$(basename "$harness" .c)
	corpus="$work/$name"
	mkdir -p "$corpus"
	if [[ $name == fuzz_config ]]; then
		cp tests/config/good/*.yaml tests/config/bad/*.yaml "$corpus/"
	else
		cp tests/fuzz/seeds/"${name#fuzz_}"/* "$corpus/"
	fi
	if "$FUZZ_BUILD/$name" -max_total_time="$seconds" -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$work/" "$corpus" >"$work/$name.log" 2>&1; then
		echo "PASS: $name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$name.log" | awk '{print $2}') inputs in ${seconds}s)"
	else
		tail -n 30 "$work/$name.log" | sed 's/^/  /'
		echo "FAIL: $name"
	fi
done
