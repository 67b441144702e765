# SPDX-License-Identifier: GPL-2.0
# bash completion for xlbctl: subcommands from 'xlbctl --help' (one list, the
# dispatcher's), VIP names and backend addresses from a running xlbd
# ('xlbctl dump', bounded by --timeout), files where a command takes one.

_xlbctl_dump() {
	xlbctl --timeout 2 dump 2>/dev/null
}

_xlbctl() {
	local cur prev cmd i words_before=0
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# The subcommand: the first word that is not an option of xlbctl's own.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-j) ;;
		--timeout) ((i++)) ;;
		*) cmd=${COMP_WORDS[i]}; words_before=$((COMP_CWORD - i - 1)); break ;;
		esac
	done

	if [[ -z ${cmd:-} ]]; then
		[[ $prev == --timeout ]] && return 0
		COMPREPLY=($(compgen -W "-j --timeout $(xlbctl --help 2>&1 |
			awk '/^Available subcommands:/ { on = 1; next } on && NF { print $1 }')" -- "$cur"))
		return 0
	fi

	case $prev in
	--guard|--grace|--since|--until|--interval|--count|--timeout) return 0 ;;
	esac
	case $cmd in
	check|diff)
		COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur"))
		return 0 ;;
	compare)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0 ;;
	show)
		((words_before == 0)) &&
			COMPREPLY=($(compgen -W "$(_xlbctl_dump | awk -F'\t' '$1 == "vip" { print $2 }')" -- "$cur"))
		return 0 ;;
	rollback)
		[[ $prev == --change ]] && return 0
		COMPREPLY=($(compgen -W "--change $(_xlbctl_dump | awk -F'\t' '$1 == "vip" { print $2 }')" -- "$cur"))
		return 0 ;;
	weight|drain|disable|enable|remove|reset|add)
		if ((words_before == 0)); then
			COMPREPLY=($(compgen -W "$(_xlbctl_dump | awk -F'\t' '$1 == "vip" { print $2 }')" -- "$cur"))
		elif ((words_before == 1)) && [[ $cmd != add ]]; then
			local vip=${COMP_WORDS[COMP_CWORD - 1]}
			COMPREPLY=($(compgen -W "$(_xlbctl_dump |
				awk -F'\t' -v v="$vip" '$1 == "backend" && $2 == v { print $3 }')" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--guard --wait" -- "$cur"))
		fi
		return 0 ;;
	reload)
		COMPREPLY=($(compgen -W "--guard --wait" -- "$cur")) ;;
	drain-node)
		COMPREPLY=($(compgen -W "--grace --no-wait" -- "$cur")) ;;
	trace)
		((words_before == 0)) && COMPREPLY=($(compgen -W "tcp udp" -- "$cur")) ;;
	top)
		COMPREPLY=($(compgen -W "--interval --count" -- "$cur")) ;;
	events)
		COMPREPLY=($(compgen -W "--since --until --samples" -- "$cur")) ;;
	report)
		COMPREPLY=($(compgen -W "--since --until" -- "$cur")) ;;
	esac
	return 0
}

complete -F _xlbctl xlbctl
