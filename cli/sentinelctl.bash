# SPDX-License-Identifier: GPL-2.0-only
# bash completion for sentinelctl (installed as
# share/bash-completion/completions/sentinelctl).  Completes commands,
# options and their fixed values; it never contacts the server.

# COMPREPLY from compgen ARGS for the current word, one per line (file
# names may hold spaces).
_sentinelctl_reply()
{
	mapfile -t COMPREPLY < <(compgen "$@" -- "$cur")
}

_sentinelctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local global='--host --port --token --api-key --cacert --insecure
		--timeout --output -o --help -h'
	local rule='--json --id --priority --action --protocol --src-ip --dst-ip
		--src-port --dst-port --vlan --interface --tcp-flags --icmp-type
		--icmp-code --dry-run'

	# Values of the options that take one.
	case $prev in
	-o | --output)
		_sentinelctl_reply -W 'table json'
		return
		;;
	--cacert)
		_sentinelctl_reply -f
		compopt -o filenames 2>/dev/null
		return
		;;
	--host)
		_sentinelctl_reply -A hostname
		return
		;;
	--action)
		_sentinelctl_reply -W 'allow deny log reject'
		return
		;;
	--protocol)
		_sentinelctl_reply -W 'tcp udp icmp icmpv6'
		return
		;;
	--severity)
		_sentinelctl_reply -W 'low medium high critical'
		return
		;;
	--component)
		_sentinelctl_reply -W 'firewall'
		return
		;;
	--false-positive)
		_sentinelctl_reply -W 'true false'
		return
		;;
	--interface)
		_sentinelctl_reply -W "$(ls /sys/class/net 2>/dev/null)"
		return
		;;
	--port | --token | --api-key | --timeout | --json | --id | --priority | \
	--src-ip | --dst-ip | --src-port | --dst-port | --vlan | --tcp-flags | \
	--icmp-type | --icmp-code | --from | --to | --actor | --limit | --offset)
		return
		;;
	esac

	# The command words typed so far, options and their values skipped.
	local i w cmd=() skip=0
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if ((skip)); then
			skip=0
			continue
		fi
		case $w in
		--insecure | --dry-run | --help | -h | --*=*) ;;
		-o | --*) skip=1 ;;
		*) cmd+=("$w") ;;
		esac
	done

	local opts=$global
	case "${cmd[0]} ${cmd[1]}" in
	'firewall add') opts="$global $rule" ;;
	'alerts list')
		opts="$global --component --severity --from --to
			--false-positive --limit --offset"
		;;
	'audit logs') opts="$global --component --actor --limit --offset" ;;
	'firewall list') opts="$global --limit --offset" ;;
	esac
	if [[ $cur == -* ]]; then
		_sentinelctl_reply -W "$opts"
		return
	fi

	case ${#cmd[@]} in
	0)
		_sentinelctl_reply -W 'version status health metrics firewall
			alerts audit config help'
		;;
	1)
		case ${cmd[0]} in
		firewall) _sentinelctl_reply -W 'list add delete' ;;
		alerts) _sentinelctl_reply -W 'list mark-fp' ;;
		audit) _sentinelctl_reply -W 'logs history' ;;
		config) _sentinelctl_reply -W 'show reload' ;;
		esac
		;;
	esac
}

complete -F _sentinelctl sentinelctl
