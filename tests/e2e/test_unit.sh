#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The systemd unit's least privilege (issue 14, part 3), without systemd:
# xlbd runs under the capabilities that tools/systemd/xlbd.service bounds it
# to, and with no new privileges (setpriv), and does everything it does:
#
#   start, forward HTTP, trace (a test run of the program), reload,
#   announce routes (the TUN device, rtnetlink), drain-node, and a restart
#   that adopts the pinned maps and link
#   the unit's exposure score (systemd-analyze security) stays at 2.5 or
#   under
#   xlbctl's bash completion (tools/completion/xlbctl.bash): subcommands,
#   and VIP names and backend addresses from the running xlbd
#
# What this cannot show without systemd as PID 1: the file-system,
# device and system-call restrictions of the unit.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ALL_TESTS="test_least_capabilities test_exposure_score test_bash_completion"

UNIT=tools/systemd/xlbd.service

# The unit's CapabilityBoundingSet as setpriv's list: -all,+bpf,+perfmon,...
unit_caps() {
	local caps c out="-all"
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
	for c in $caps; do
		c=${c#CAP_}
		out+=",+${c,,}"
	done
	echo "$out"
}

test_least_capabilities() {
	local caps config=$TB_STATE/xlb.yaml out
	caps=$(unit_caps)
	echo "  capabilities: $caps"
	export TB_XLBD_WRAP="setpriv --bounding-set $caps --no-new-privs"
	TB_EXTRA=$'announce:\n  table: 200' tb_write_config encap "$config"
	tb_start_xlbd "$config" || return 1
	grep -q "^CapEff:.*$(printf '%016x' $(( (1 << 38) | (1 << 39) | (1 << 12) )))" \
		"/proc/$TB_XLBD_PID/status" || fail "xlbd's capabilities: $(grep Cap "/proc/$TB_XLBD_PID/status")" || return 1
	[[ $(tb_http_get 4 44001) == be* && $(tb_http_get 6 44002) == be* ]] ||
		fail "HTTP through the VIPs" || return 1
	out=$(tb_xlbctl trace tcp 198.18.0.9 1234 "$TB_VIP4" 80) && [[ $out == *be* || $out == *198.18.1.* ]] ||
		fail "trace: $out" || return 1
	tb_xlbctl reload >/dev/null || fail "reload" || return 1
	[[ -n $(tb_exec lb ip route show table 200) ]] || fail "no route announced" || return 1
	tb_xlbctl drain-node --no-wait >/dev/null && tb_xlbctl resume-node >/dev/null ||
		fail "drain-node, resume-node" || return 1
	tb_stop_xlbd TERM || return 1
	tb_start_xlbd "$config" || return 1
	grep -q "Adopted the data path pinned under" "$TB_STATE/xlbd.log" || fail "not adopted" || return 1
	[[ $(tb_http_get 4 44003) == be* ]] || fail "HTTP after the restart" || return 1
	unset TB_XLBD_WRAP
	echo "  started, forwarded, traced, reloaded, announced, drained, restarted and adopted"
}

test_exposure_score() {
	local out score
	command -v systemd-analyze >/dev/null || { echo "  no systemd-analyze"; return 1; }
	out=$(systemd-analyze security --offline=true "$UNIT" 2>&1)
	score=$(sed -n 's/.*Overall exposure level for xlbd.service: \([0-9.]*\) .*/\1/p' <<<"$out")
	echo "  exposure $score (systemd-analyze security)"
	[[ -n $score ]] || fail "no score: $(tail -3 <<<"$out")" || return 1
	awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || fail "over 2.5" || return 1
}

# complete WORDS...: what the completion offers for the last word.
complete_words() {
	XLB_SOCKET=$TB_SOCKET PATH="$(dirname "$TB_XLBCTL"):$PATH" bash -c '
		source tools/completion/xlbctl.bash
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _xlbctl; echo "${COMPREPLY[*]}"' _ "$@"
}

test_bash_completion() {
	local out
	out=$(complete_words xlbctl dr)
	[[ $out == "drain drain-node" ]] || fail "xlbctl dr<TAB>: '$out'" || return 1
	out=$(complete_words xlbctl -j weight "")
	[[ $out == "web4 web6" ]] || fail "xlbctl -j weight <TAB>: '$out'" || return 1
	out=$(complete_words xlbctl drain web4 198.18.1.1)
	[[ $out == "$(tb_be_addr4 1) $(tb_be_addr4 2) $(tb_be_addr4 3)" ]] ||
		fail "xlbctl drain web4 198.18.1.1<TAB>: '$out'" || return 1
	out=$(complete_words xlbctl drain-node --)
	[[ $out == "--grace --no-wait" ]] || fail "drain-node --<TAB>: '$out'" || return 1
	echo "  subcommands, VIP names and backend addresses (from the running xlbd), options"
}

e2e_main 3
