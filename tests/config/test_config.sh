#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The config corpus: every file under good/ must check clean (exit 0) and
# every file under bad/ must fail (exit 1); each file's '# expect: ' lines
# are exactly the problems xlbctl check must print, in order.
set -uo pipefail
cd "$(dirname "$0")/../.."
XLBCTL=${XLBCTL:-${SAN_BUILD:-build/san}/xlbctl}

check_file() {
	local file=$1 want_rc=$2 got rc
	got=$("$XLBCTL" check "$file" 2>&1)
	rc=$?
	if [[ $rc -ne $want_rc ]]; then
		echo "  exit status $rc, want $want_rc:"
		echo "$got" | sed 's/^/    /'
		return 1
	fi
	# The problems without the summary line, the file name as '# expect: '.
	# (Not 'diff | grep . && return 1': under pipefail diff's own status 1
	# made that pipeline fail whenever they differed, and the file passed.)
	got=$(diff <(grep '^# expect: ' "$file") \
		   <(echo "$got" | sed '$d' | sed "s|^$file:|# expect: |"))
	[[ -z $got ]] && return 0
	echo "$got" | sed 's/^/  /'
	return 1
}

for f in tests/config/good/*.yaml tests/config/bad/*.yaml; do
	name=config/$(basename "$(dirname "$f")")/$(basename "$f" .yaml)
	want=0
	[[ $f == */bad/* ]] && want=1
	if check_file "$f" "$want"; then echo "PASS: $name"; else echo "FAIL: $name"; fi
done

# A missing file is an error that names it, with the same exit status.
out=$("$XLBCTL" check tests/config/no-such-file.yaml)
if [[ $? -eq 1 && $out == *"couldn't open config: No such file or directory"* ]]; then
	echo "PASS: config/missing_file"
else
	echo "FAIL: config/missing_file"
fi
