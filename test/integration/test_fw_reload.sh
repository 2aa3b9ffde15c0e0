#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A bad rules file is refused with a precise message and the active set keeps enforcing.
. "$(dirname "$0")/lib.sh" "$@"

require_all
env_setup
fw_start

TCP_PORT=8080
UDP_PORT=7777
PINGS=3
tcp_server "$TCP_PORT"
udp_server "$UDP_PORT"
sleep 0.3

GOOD=$WORK/good.rules
cat >"$GOOD" <<EOF
# the active set
id=1 action=deny proto=icmp
id=2 action=allow proto=tcp dport=$TCP_PORT
id=3 action=reject proto=udp dport=$UDP_PORT
# IPv6 neighbour discovery and router solicitations: keep them off the default
id=9 action=allow proto=icmpv6
EOF
out=$(fw rules "$GOOD" 2>&1) || die "good rules refused: $out"
log "$out"
S=$WORK/stats.json

# verdicts PREFIX: the active set still judges traffic exactly as set.
verdicts()
{
	local c1 c2 c3

	c1=$(rule_pkts 1)
	c2=$(rule_pkts 2)
	c3=$(rule_pkts 3)
	snap "$S"
	assert_eq "$1: ping still denied" 0 "$(ping4 $PINGS)"
	assert_eq "$1: rule 1 counted the pings" $((c1 + PINGS)) "$(rule_pkts 1)"
	assert_eq "$1: tcp still allowed" connected "$(tcp_probe $IP4B $TCP_PORT)"
	assert_gt "$1: rule 2 counted the connection" "$c2" "$(rule_pkts 2)"
	assert_eq "$1: udp still rejected" refused "$(udp_probe $IP4B $UDP_PORT 1.5 64)"
	assert_eq "$1: rule 3 counted the datagram" $((c3 + 1)) "$(rule_pkts 3)"
	assert_eq "$1: no packet fell to the default policy" 0 \
		"$(($(delta "$S" default_pass) + $(delta "$S" default_drop)))"
}

verdicts "before"

# bad NAME FIELD-REGEX LINE-NO RULE-ID CONTENT: the file is refused, exit 1,
# the message names the line (or the rule id) and the field, nothing changed.
bad()
{
	local name=$1 field=$2 line=$3 id=$4 f=$WORK/$1.rules out rc

	printf '%s\n' "$5" >"$f"
	out=$(fw rules "$f" 2>&1)
	rc=$?
	log "$name: $out"
	assert_eq "$name: refused with exit status 1" 1 "$rc"
	assert_match "$name: message names line $line or rule $id" \
		"(line ?|:)$line([^0-9]|$)|rule $id([^0-9]|$)" "$out"
	assert_match "$name: message names the field" "$field" "$out"
	verdicts "after $name"
}

# Each bad file starts with rules that would change the verdicts if any part
# of it were applied.
bad bad-cidr "src|10\.0\.0\.300" 4 4 "# bad cidr
id=1 action=allow proto=icmp
id=3 action=allow proto=udp
id=4 action=deny src=10.0.0.300/24"

bad icmp-ports "dport|port" 3 5 "id=1 action=allow proto=icmp
id=2 action=deny proto=tcp
id=5 action=deny proto=icmp dport=80"

bad dup-id "id|duplicate" 3 1 "id=1 action=allow proto=icmp
id=2 action=deny proto=tcp dport=$TCP_PORT
id=1 action=deny proto=udp"

bad bad-action "action|explode" 2 7 "id=1 action=allow proto=icmp
id=7 action=explode proto=tcp"

# A valid reload of the same set keeps the counters of ids present in both.
c1=$(rule_pkts 1)
out=$(fw rules "$GOOD" 2>&1)
assert_eq "good file reloads" 0 "$?"
assert_match "rules summary line" "^rules 4 " "$out"
assert_eq "rule 1 counter survives a reload" "$c1" "$(rule_pkts 1)"
verdicts "after valid reload"

finish
