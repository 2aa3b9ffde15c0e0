#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Real traffic through the XDP firewall: packet fate, rule and global counters, events.
. "$(dirname "$0")/lib.sh" "$@"

require_all
env_setup 100
fw_start

TCP_PORT=8080
MGMT_PORT=8081
UDP_PORT=7777
VLAN4B=$(vlan_ip4 100 2)
PINGS=5

tcp_server "$TCP_PORT"
tcp_server "$MGMT_PORT"
udp_server "$UDP_PORT"
sleep 0.3

S=$WORK/stats.json
EV=$WORK/events.json

# ---- baseline: no rules, default pass ----
log "baseline: empty rule set"
apply_rules empty
snap "$S"
assert_eq "baseline: ping passes" "$PINGS" "$(ping4 $PINGS)"
assert_eq "baseline: tcp connects" connected "$(tcp_probe $IP4B $TCP_PORT)"
assert_eq "baseline: udp echoed" reply "$(udp_probe $IP4B $UDP_PORT)"
assert_ge "baseline: rx counted" $((PINGS + 3)) "$(delta "$S" rx)"
assert_ge "baseline: default_pass counted" $((PINGS + 3)) "$(delta "$S" default_pass)"
assert_eq "baseline: nothing dropped" 0 "$(delta "$S" drop)"

# ---- ICMP allow, then deny ----
log "icmp: allow then deny"
apply_rules icmp-allow "id=11 action=allow proto=icmp"
assert_eq "icmp allow: ping passes" "$PINGS" "$(ping4 $PINGS)"
assert_eq "icmp allow: rule 11 counted every echo request" "$PINGS" "$(rule_pkts 11)"

apply_rules icmp-deny "id=10 action=deny proto=icmp src=$IP4A/32"
events_drain
snap "$S"
assert_eq "icmp deny: no echo reply" 0 "$(ping4 $PINGS)"
assert_eq "icmp deny: rule 10 counter == pings sent" "$PINGS" "$(rule_pkts 10)"
assert_eq "icmp deny: global drop == pings sent" "$PINGS" "$(delta "$S" drop)"
assert_eq "icmp deny: rule_match == pings sent" "$PINGS" "$(delta "$S" rule_match)"
events_get "$EV" "$PINGS"
assert_eq "icmp deny: one deny event per ping (rule 10, src A)" "$PINGS" \
	"$(jcount "$EV" "e['rule_id'] == 10 and e['action'] == 'deny' and e['src'] == '$IP4A' and e['dst'] == '$IP4B' and e['proto'] == 1 and e['type'] == 'rule'")"
assert_eq "icmp deny: tcp still passes" connected "$(tcp_probe $IP4B $TCP_PORT)"

# ---- TCP allow / deny / reject ----
log "tcp: allow, deny, reject"
apply_rules tcp-allow "id=20 action=allow proto=tcp dport=$TCP_PORT"
assert_eq "tcp allow: connects" connected "$(tcp_probe $IP4B $TCP_PORT)"
assert_ge "tcp allow: rule 20 counted the handshake" 2 "$(rule_pkts 20)"

apply_rules tcp-deny "id=21 action=deny proto=tcp dport=$TCP_PORT"
assert_eq "tcp deny: connect times out" timeout "$(tcp_probe $IP4B $TCP_PORT)"
assert_ge "tcp deny: rule 21 counted the SYN" 1 "$(rule_pkts 21)"

apply_rules tcp-reject "id=22 action=reject proto=tcp dport=$TCP_PORT"
events_drain
snap "$S"
t0=$(date +%s%N)
res=$(tcp_probe $IP4B $TCP_PORT 3)
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "tcp reject: connection refused (RST)" refused "$res"
assert_le "tcp reject: refused quickly (ms)" 1000 "$ms"
assert_eq "tcp reject: rule 22 counted one SYN" 1 "$(rule_pkts 22)"
assert_eq "tcp reject: one XDP_TX reply" 1 "$(delta "$S" tx)"
events_get "$EV" 1
assert_eq "tcp reject: event says reject_sent" 1 \
	"$(jcount "$EV" "e['rule_id'] == 22 and e['action'] == 'reject' and e['reject_sent'] and e['dport'] == $TCP_PORT")"

# ---- UDP allow / deny / reject ----
log "udp: allow, deny, reject"
apply_rules udp-allow "id=30 action=allow proto=udp dport=$UDP_PORT"
assert_eq "udp allow: echoed" reply "$(udp_probe $IP4B $UDP_PORT)"
assert_eq "udp allow: rule 30 counted the datagram" 1 "$(rule_pkts 30)"

apply_rules udp-deny "id=31 action=deny proto=udp dport=$UDP_PORT"
assert_eq "udp deny: no reply" timeout "$(udp_probe $IP4B $UDP_PORT)"
assert_eq "udp deny: rule 31 counted the datagram" 1 "$(rule_pkts 31)"

apply_rules udp-reject "id=32 action=reject proto=udp dport=$UDP_PORT"
snap "$S"
assert_eq "udp reject: ICMP port unreachable -> refused" refused "$(udp_probe $IP4B $UDP_PORT 1.5 64)"
assert_eq "udp reject: rule 32 counted the datagram" 1 "$(rule_pkts 32)"
assert_eq "udp reject: one XDP_TX reply" 1 "$(delta "$S" tx)"
# The ICMP error quotes IP header + 8 bytes: longer than a tiny datagram,
# so the reply frame must grow.
assert_eq "udp reject: 1-byte datagram -> refused" refused "$(udp_probe $IP4B $UDP_PORT 1.5 1)"
assert_eq "udp reject: no reply build error" 0 "$(delta "$S" reject_error)"

# ---- IPv6 ----
log "ipv6: ping6 and tcp deny"
apply_rules v6 \
	"id=40 action=deny proto=icmpv6 icmp-type=128" \
	"id=41 action=deny proto=tcp dport=$TCP_PORT src=fd00:5e::/64" \
	"id=42 action=reject proto=udp dport=$UDP_PORT src=fd00:5e::/64"
assert_eq "v6 rules: IPv4 ping unaffected" "$PINGS" "$(ping4 $PINGS)"
assert_eq "v6: ping6 dropped" 0 "$(ping6 $PINGS)"
assert_eq "v6: rule 40 counter == pings sent" "$PINGS" "$(rule_pkts 40)"
assert_eq "v6: tcp over IPv6 times out" timeout "$(tcp_probe $IP6B $TCP_PORT)"
assert_ge "v6: rule 41 counted the SYN" 1 "$(rule_pkts 41)"
assert_eq "v6: tcp over IPv4 unaffected" connected "$(tcp_probe $IP4B $TCP_PORT)"
assert_eq "v6: udp reject -> ICMPv6 unreachable -> refused" refused "$(udp_probe $IP6B $UDP_PORT 1.5 64)"
assert_eq "v6: rule 42 counted the datagram" 1 "$(rule_pkts 42)"
assert_eq "v6: udp reject of a 1-byte datagram -> refused" refused "$(udp_probe $IP6B $UDP_PORT 1.5 1)"
apply_rules empty
assert_eq "v6: ping6 passes without rules" "$PINGS" "$(ping6 $PINGS)"

# ---- VLAN ----
# Tagged frames are made by hand (frames_seen), so this runs on kernels
# without 8021q too; with it, pings over real VLAN subinterfaces as well.
log "vlan 100: tagged dropped, untagged passes"
apply_rules vlan "id=50 action=deny vlan=100"
events_drain
snap "$S"
assert_eq "vlan: tagged frames dropped" 0 "$(frames_seen 100 $PINGS)"
assert_eq "vlan: rule 50 counter == tagged frames" "$PINGS" "$(rule_pkts 50)"
assert_eq "vlan: drop counter == tagged frames" "$PINGS" "$(delta "$S" drop)"
events_get "$EV" "$PINGS"
assert_eq "vlan: deny events carry vlan 100" "$PINGS" \
	"$(jcount "$EV" "e['rule_id'] == 50 and e['vlan'] == 100")"
assert_eq "vlan: untagged frames pass" "$PINGS" "$(frames_seen 0 $PINGS)"
assert_eq "vlan: untagged ping passes" "$PINGS" "$(ping4 $PINGS)"
assert_eq "vlan: untagged traffic not counted by rule 50" "$PINGS" "$(rule_pkts 50)"
if has_vlan 100; then
	assert_eq "vlan: ping over VLAN 100 subinterface dropped" 0 "$(ping4 $PINGS "$VLAN4B")"
fi
apply_rules vlan-other "id=52 action=deny vlan=200"
assert_eq "vlan=200 rule: VLAN 100 frames pass" "$PINGS" "$(frames_seen 100 $PINGS)"
assert_eq "vlan=200 rule: not counted" 0 "$(rule_pkts 52)"
apply_rules vlan-untagged "id=51 action=deny proto=icmp vlan=untagged"
assert_eq "vlan=untagged: untagged frames dropped" 0 "$(frames_seen 0 $PINGS)"
assert_eq "vlan=untagged: untagged ping dropped" 0 "$(ping4 $PINGS)"
assert_eq "vlan=untagged: tagged frames pass" "$PINGS" "$(frames_seen 100 $PINGS)"
assert_eq "vlan=untagged: rule 51 counter == untagged frames + pings" $((2 * PINGS)) "$(rule_pkts 51)"
if has_vlan 100; then
	assert_eq "vlan=untagged: ping over VLAN 100 passes" "$PINGS" "$(ping4 $PINGS "$VLAN4B")"
fi

# ---- block set ----
log "block set"
apply_rules empty
events_drain
snap "$S"
fw block add "$IP4A/32" >/dev/null || not_ok "block add" "exit 0" "exit $?"
assert_eq "block: ping from blocked source dropped" 0 "$(ping4 $PINGS)"
assert_eq "block: bs_drop == pings sent" "$PINGS" "$(delta "$S" bs_drop)"
events_get "$EV" "$PINGS"
assert_eq "block: one blockset event per ping from A" "$PINGS" \
	"$(jcount "$EV" "e['type'] == 'blockset' and e['src'] == '$IP4A'")"
assert_eq "block: v6 from A not blocked by a v4 entry" "$PINGS" "$(ping6 $PINGS)"
fw block del "$IP4A/32" >/dev/null || not_ok "block del" "exit 0" "exit $?"
assert_eq "block del: ping passes again" "$PINGS" "$(ping4 $PINGS)"

snap "$S"
fw block add "$IP4A/32" ttl=2 >/dev/null || not_ok "block add ttl=2" "exit 0" "exit $?"
assert_eq "block ttl=2: ping dropped at first" 0 "$(ping4 2)"
sleep 3
assert_eq "block ttl=2: ping passes after expiry" "$PINGS" "$(ping4 $PINGS)"
assert_ge "block ttl=2: bs_expired counted" 1 "$(delta "$S" bs_expired)"
fw block del "$IP4A/32" >/dev/null 2>&1

# ---- anti-lockout ----
log "anti-lockout under deny-all"
apply_rules deny-all "id=60 action=deny"
snap "$S"
fw mgmt add "$IP4A/32" "$MGMT_PORT" >/dev/null || not_ok "mgmt add" "exit 0" "exit $?"
assert_eq "mgmt: tcp to the management port connects" connected "$(tcp_probe $IP4B $MGMT_PORT)"
assert_ge "mgmt: mgmt_pass counted" 2 "$(delta "$S" mgmt_pass)"
assert_eq "mgmt: tcp to another port times out" timeout "$(tcp_probe $IP4B $TCP_PORT)"
assert_eq "mgmt: ping still dropped" 0 "$(ping4 $PINGS)"
assert_ge "mgmt: deny-all rule 60 counted the rest" $((PINGS + 1)) "$(rule_pkts 60)"
fw mgmt del "$IP4A/32" >/dev/null || not_ok "mgmt del" "exit 0" "exit $?"
assert_eq "mgmt del: management port blocked again" timeout "$(tcp_probe $IP4B $MGMT_PORT)"

# ---- dry-run ----
log "dry-run"
apply_rules dry "id=70 action=deny proto=icmp"
fw set dry-run=1 >/dev/null
events_drain
snap "$S"
assert_eq "dry-run: denied ping passes" "$PINGS" "$(ping4 $PINGS)"
assert_eq "dry-run: dry_run counter == pings" "$PINGS" "$(delta "$S" dry_run)"
assert_eq "dry-run: rule 70 still counted" "$PINGS" "$(rule_pkts 70)"
events_get "$EV" "$PINGS"
assert_eq "dry-run: events flagged dry_run" "$PINGS" \
	"$(jcount "$EV" "e['rule_id'] == 70 and e['dry_run'] is True")"
fw set dry-run=0 >/dev/null
assert_eq "dry-run off: ping dropped" 0 "$(ping4 $PINGS)"
apply_rules dry-rule "id=71 action=deny proto=icmp dry-run"
assert_eq "per-rule dry-run: ping passes" "$PINGS" "$(ping4 $PINGS)"
assert_eq "per-rule dry-run: rule 71 counted" "$PINGS" "$(rule_pkts 71)"

# ---- log action ----
log "log action"
apply_rules log "id=80 action=log proto=tcp dport=$TCP_PORT"
events_drain
assert_eq "log: traffic passes" connected "$(tcp_probe $IP4B $TCP_PORT)"
events_get "$EV" 1
assert_ge "log: event with rule id, addresses and ports" 1 \
	"$(jcount "$EV" "e['rule_id'] == 80 and e['action'] == 'log' and e['src'] == '$IP4A' and e['dst'] == '$IP4B' and e['dport'] == $TCP_PORT and e['sport'] > 1023 and e['proto'] == 6 and e['family'] == 4 and not e['dry_run']")"

# ---- default policy ----
log "default drop with an allow rule"
apply_rules default-drop "id=90 action=allow proto=icmp"
fw set default=drop >/dev/null
snap "$S"
assert_eq "default=drop: allowed ping passes" "$PINGS" "$(ping4 $PINGS)"
assert_eq "default=drop: other tcp times out" timeout "$(tcp_probe $IP4B $TCP_PORT)"
assert_ge "default=drop: default_drop counted" 1 "$(delta "$S" default_drop)"
fw ifset "$VETHB" default=pass >/dev/null
assert_eq "ifset default=pass overrides global drop" connected "$(tcp_probe $IP4B $TCP_PORT)"
fw ifset "$VETHB" clear >/dev/null
fw set default=pass >/dev/null

log "per-interface default drop"
apply_rules empty
fw ifset "$VETHB" default=drop >/dev/null || not_ok "ifset" "exit 0" "exit $?"
snap "$S"
assert_eq "ifset default=drop: ping dropped" 0 "$(ping4 $PINGS)"
# the pings, plus at most a couple of IPv6 neighbour/MLD packets that the
# default drop also catches
D=$(delta "$S" default_drop)
assert_ge "ifset default=drop: default_drop >= pings" "$PINGS" "$D"
assert_le "ifset default=drop: default_drop <= pings + 2" "$((PINGS + 2))" "$D"
fw ifset "$VETHB" clear >/dev/null || not_ok "ifset clear" "exit 0" "exit $?"
assert_eq "ifset clear: ping passes" "$PINGS" "$(ping4 $PINGS)"

finish
