#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sentinel-dp end to end: control socket, privileges, rules on real traffic,
# events, block sets, refused peers and requests, kill -9, interfaces, uninstall.
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/dp_lib.sh" "$@"

require_all
require_dp
env_setup
chmod 755 "$WORK"
# A pass-through XDP program on A's end lets reject replies (XDP_TX) arrive.
fwa load >/dev/null 2>&1 || die "load on the A side"
fwa attach "$VETHA" native >/dev/null 2>&1 || die "attach on the A side"

dp_start -i "$VETHB" -i 'sfx*' -i '!sfxskip*'
log "sentinel-dp pid $DP_PID"

# ---- status and privileges ----
st=$(dpctl status)
assert_eq "status answers Ok" "Ok" "$(jget "$st" 'd["code"]')"
assert_eq "fresh start (nothing to adopt)" "False" "$(jget "$st" 'd["adopted"]')"
assert_eq "attached to $VETHB natively" "native" \
	"$(jget "$st" '[a["mode"] for a in d["attachments"] if a["interface"]=="'"$VETHB"'"][0].lower()')"
prog1=$(jget "$st" 'd["prog_id"]')
link1=$(jget "$st" '[a["link_id"] for a in d["attachments"]][0]')
xdp_prog=$(ip -n "$NSB" -d link show "$VETHB" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
assert_eq "the kernel runs sentinel-dp's program on $VETHB" "$prog1" "$xdp_prog"

# CAP_NET_ADMIN (12), CAP_PERFMON (38), CAP_BPF (39); nothing else, bounding set too.
want=$(printf '%016x' $(((1 << 12) | (1 << 38) | (1 << 39))))
# every thread: nng's and the event pump's too
caps=$(cat /proc/"$DP_PID"/task/*/status | awk '/^(CapEff|CapPrm|CapBnd)/ {print $2}' | sort -u | tr '\n' ' ')
assert_ge "threads checked" 3 "$(ls /proc/"$DP_PID"/task | wc -l)"
assert_eq "every thread: CapEff/Prm/Bnd exactly NET_ADMIN+PERFMON+BPF" "$want " "$caps"
assert_eq "every thread: no new privileges" "1 " \
	"$(cat /proc/"$DP_PID"/task/*/status | awk '/^NoNewPrivs/ {print $2}' | sort -u | tr '\n' ' ')"
assert_eq "socket directory root:nogroup 2750 (setgid: sockets inherit the group)" "2750 0 $CP_GID" "$(command stat -c '%a %u %g' "$SOCK")"
assert_eq "control socket 0660" "660 0 $CP_GID" "$(command stat -c '%a %u %g' "$SOCK/ctl.sock")"

# ---- refused peers ----
out=$(dpctl_as 0 0 -t 700 status 2>&1)
assert_eq "root (not the allowed user) gets no answer" "3" "$(dpctl_as 0 0 -t 700 status >/dev/null 2>&1; echo $?)"
out=$(dpctl_as 4242 "$CP_GID" -t 700 status 2>&1)
assert_eq "another uid in the socket group gets no answer" "3" "$(dpctl_as 4242 "$CP_GID" -t 700 status >/dev/null 2>&1; echo $?)"
assert_match "refusals are logged with the uid" "refused a connection on the control socket from uid 4242" "$(cat "$DP_LOG")"

# ---- rules on real traffic ----
udp_server 7000
udp_server 7001
tcp_server 7100
cat >"$WORK/r1.rules" <<RULES
id=10 prio=10 action=deny proto=udp dport=7000
id=11 prio=11 action=log proto=udp dport=7001
id=12 prio=12 action=reject proto=tcp dport=7100 iface=$VETHB
id=13 prio=13 action=deny proto=udp dport=7002 iface=sfxlater0
id=14 prio=14 action=deny proto=udp dport=7005
RULES
chmod a+r "$WORK/r1.rules"
out=$(dpctl rules "$WORK/r1.rules")
assert_eq "rule set applied" "Ok" "$(jget "$out" 'd["code"]')"
assert_eq "rules counted" "5" "$(jget "$out" 'd["rules"]')"
assert_eq "an absent interface is reported" "['sfxlater0']" "$(jget "$out" 'd["unresolved"]')"
dpctl events -n 3 -w 8 >"$WORK/ev1.json" 2>&1 &
EVP=$!
sleep 0.5
assert_eq "udp 7000 denied" "timeout" "$(udp_probe "$IP4B" 7000 1)"
assert_eq "udp 7001 logged and passed" "reply" "$(udp_probe "$IP4B" 7001 1)"
assert_eq "tcp 7100 rejected (RST) on the named interface" "refused" "$(tcp_probe "$IP4B" 7100 1)"
wait "$EVP"
assert_eq "events: deny, log and reject reached the subscriber" "10 11 12" \
	"$(python3 -c '
import json, sys
ids = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if "rule_id" in e: ids.add(e["rule_id"])
print(" ".join(str(i) for i in sorted(ids)))' "$WORK/ev1.json")"
assert_eq "event fields: addresses, port, action" "1" \
	"$(jcount "$WORK/ev1.json" 'e.get("rule_id")==10 and e["src"]=="'"$IP4A"'" and e["dst"]=="'"$IP4B"'" and e["dport"]==7000 and e["action"]=="Deny" and e["proto"]==17')"
c=$(dpctl counters 10 11)
assert_ge "rule 10 counted its packets" 1 "$(jget "$c" 'd["rules"]["10"]["packets"]')"
assert_ge "global drop counter moved" 1 "$(jget "$c" 'd["global"]["drop"]["packets"]')"
assert_ge "event pipeline counted what it sent" 3 "$(jget "$c" 'd["events"]["sent"]')"
ifdrop() { jget "$(dpctl counters)" 'sum(i["drop"]["packets"] for i in d["interfaces"] if i["interface"]=="'"$VETHB"'")'; }
d0=$(ifdrop)
sent=$(in_a python3 "$PROBE" udpflood "$IP4B" 7005 7005 1 300)
assert_eq "per-interface counters: $VETHB's drops grew by exactly the datagrams sent to a denied port" \
	"$sent" "$(($(ifdrop) - d0))"
c=$(dpctl counters)
assert_eq "the global drop counter is the sum over interfaces" "$(jget "$c" 'd["global"]["drop"]["packets"]')" \
	"$(jget "$c" 'sum(i["drop"]["packets"] for i in d["interfaces"])')"
assert_eq "every counted interface is named and has its ifindex" "True" \
	"$(jget "$c" 'all(i["ifindex"] > 0 and i["interface"] for i in d["interfaces"])')"

# ---- interfaces come and go; names in rules are re-resolved ----
ip -n "$NSB" link add sfxlater0 type veth peer name sfxskip0
sleep 0.5
st=$(dpctl status)
assert_eq "a new matching interface is attached" "1" \
	"$(jget "$st" 'len([a for a in d["attachments"] if a["interface"]=="sfxlater0" and a["link_id"]>0])')"
assert_eq "an excluded one is not" "0" \
	"$(jget "$st" 'len([a for a in d["attachments"] if a["interface"]=="sfxskip0"])')"
assert_match "its rule was re-resolved" "rule set re-resolved" "$(cat "$DP_LOG")"
ip -n "$NSB" link del sfxlater0
sleep 0.5
st=$(dpctl status)
assert_eq "a vanished interface is cleaned up" "0" \
	"$(jget "$st" 'len([a for a in d["attachments"] if a["interface"]=="sfxlater0"])')"
assert_eq "and its pin is gone" "no" "$([ -e "$PIN/link_sfxlater0" ] && echo yes || echo no)"

# ---- 100 interfaces (50 veth pairs) flapping: no stale state, links or fds ----
fds0=$(ls "/proc/$DP_PID/fd" | wc -l)
for round in 1 2 3; do
	for i in $(seq 1 50); do
		echo "link add sfxf$i type veth peer name sfxg$i"
	done | ip -n "$NSB" -batch -
	sleep 0.3
	for i in $(seq 1 50); do echo "link del sfxf$i"; done | ip -n "$NSB" -batch -
done
for i in $(seq 1 50); do
	echo "link add sfxf$i type veth peer name sfxg$i"
done | ip -n "$NSB" -batch -
for i in $(seq 1 25); do echo "link del sfxf$i"; done | ip -n "$NSB" -batch -
sleep 1
st=$(dpctl status)
existing=$(ip -n "$NSB" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' |
	grep -E '^(sfx|'"$VETHB"'$)' | grep -v '^sfxskip' | sort | tr '\n' ' ')
assert_eq "after 100 interfaces came and went 3 times (+50 more, 25 removed): attachments == matching interfaces" "$existing" \
	"$(jget "$st" '" ".join(sorted(a["interface"] for a in d["attachments"] if a["link_id"] > 0)) + " "')"
assert_eq "pins == those interfaces" "$(echo $existing | wc -w)" "$(ls "$PIN" | grep -c '^link_')"
assert_eq "XDP links of our program == those interfaces (no stale links)" "$(echo $existing | wc -w)" \
	"$(bpftool -j link show | python3 -c '
import json, sys
print(sum(1 for l in json.load(sys.stdin) if l.get("type") == "xdp" and l.get("prog_id") == int(sys.argv[1])))' "$prog1")"
assert_eq "sentinel-dp holds no more file descriptors than before" "$fds0" "$(ls "/proc/$DP_PID/fd" | wc -l)"
for i in $(seq 26 50); do echo "link del sfxf$i"; done | ip -n "$NSB" -batch -
sleep 0.5
assert_eq "all gone again: one attachment left" "1" "$(jget "$(dpctl status)" 'len(d["attachments"])')"

# ---- block sets with expiry ----
out=$(dpctl block add "$IP4A/32" ttl=2 source=7)
assert_eq "block entry added" "Ok" "$(jget "$out" 'd["code"]')"
assert_eq "blocked source: ping fails" "0" "$(ping4 3)"
assert_eq "status counts the entry" "1" "$(jget "$(dpctl status)" 'd["block4"]')"
sleep 2.5
assert_ge "after its ttl the source passes again" 2 "$(ping4 3)"
out=$(dpctl block add "$IP6A/128")
assert_eq "IPv6 block: ping6 fails" "0" "$(ping6 2)"
out=$(dpctl block del "$IP6A/128" "fd00:99::/64")
assert_eq "removal reports what was absent" "1 removed, 1 were not present" "$(jget "$out" 'd["message"]')"
assert_ge "IPv6 passes again" 1 "$(ping6 2)"

# ---- invalid and malformed requests change nothing ----
before=$(dpctl status)
bad=$(flatc_req badcidr '{"id": 77, "command_type": "ReplaceRules", "command": {"rules": [
  {"id": 1, "action": "Allow"},
  {"id": 2, "action": "Deny", "src": {"family": 4, "plen": 8, "addr": [10,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}}]}}')
out=$(dpctl raw "$bad")
assert_eq "host bits in a prefix: Invalid" "Invalid" "$(jget "$out" 'd["code"]')"
assert_eq "the reply names the field" "rules[1].src" "$(jget "$out" 'd["field"]')"
assert_eq "and echoes the id" "77" "$(jget "$out" 'd["id"]')"
bad=$(flatc_req dupid '{"id": 78, "command_type": "ReplaceRules", "command": {"rules": [
  {"id": 5, "action": "Deny"}, {"id": 5, "action": "Allow"}]}}')
out=$(dpctl raw "$bad")
assert_eq "duplicate rule id: Invalid" "Invalid" "$(jget "$out" 'd["code"]')"
assert_match "the message names the rule" "5" "$(jget "$out" 'd["message"]')"
bad=$(flatc_req badif '{"id": 79, "command_type": "SetDryRun", "command": {"interface": "a/b", "enabled": true}}')
assert_eq "bad interface name: Invalid" "interface" "$(jget "$(dpctl raw "$bad")" 'd["field"]')"
bad=$(flatc_req badttl '{"id": 80, "command_type": "BlockAdd", "command": {"entries": [
  {"cidr": {"family": 4, "plen": 32, "addr": [10,9,9,9,0,0,0,0,0,0,0,0,0,0,0,0]}, "ttl_ms": 99999999999999, "source": 0, "dry_run": false}]}}')
assert_eq "absurd ttl: Invalid, field named" "entries[0].ttl_ms" "$(jget "$(dpctl raw "$bad")" 'd["field"]')"
head -c 300 /dev/urandom >"$WORK/random.bin"
chmod a+r "$WORK/random.bin"
assert_eq "random bytes: Malformed" "Malformed" "$(jget "$(dpctl raw "$WORK/random.bin")" 'd["code"]')"
good=$(flatc_req good '{"id": 81, "command_type": "GetStatus", "command": {}}')
head -c 20 "$good" >"$WORK/trunc.bin"
chmod a+r "$WORK/trunc.bin"
assert_eq "a truncated request: Malformed" "Malformed" "$(jget "$(dpctl raw "$WORK/trunc.bin")" 'd["code"]')"
assert_eq "flatc's own GetStatus is understood" "Ok" "$(jget "$(dpctl raw "$good")" 'd["code"]')"
truncate -s 70M "$WORK/huge.bin"
chmod a+r "$WORK/huge.bin"
assert_eq "a 70 MiB request (over the 64 MiB limit): connection dropped, no answer" "3" \
	"$(dpctl -t 3000 raw "$WORK/huge.bin" >/dev/null 2>&1; echo $?)"
rm -f "$WORK/huge.bin"
assert_eq "sentinel-dp still answers others" "Ok" "$(jget "$(dpctl status)" 'd["code"]')"
many=""
for i in $(seq 1 65); do many="$many 10.$i.0.0/16"; done
out=$(dpctl mgmt $many)
assert_eq "65 IPv4 anti-lockout prefixes (the trie holds 64): TooLarge" "TooLarge" "$(jget "$out" 'd["code"]')"
assert_eq "and the list is unchanged" "0" "$(jget "$(dpctl status)" 'd["mgmt"]')"
dpctl events -w 8 >"$WORK/sub1.out" 2>&1 &
SUB1=$!
sleep 0.5
dpctl events -w 1 >/dev/null 2>&1
assert_match "a second subscriber of the allowed uid is accepted, with a warning" "2 event subscribers" "$(cat "$DP_LOG")"
dpctl_as 4242 "$CP_GID" events -w 2 >"$WORK/sub2.out" 2>&1 &
SUB2=$!
sleep 0.5
for i in 1 2 3 4 5 6; do # denied: six batches of events, 0.15 s apart
	in_a python3 "$PROBE" udpflood "$IP4B" 7000 7000 1 3 >/dev/null
	sleep 0.15
done
wait "$SUB2"
assert_match "an events subscriber of another uid is refused" "refused a connection on the events socket from uid 4242" "$(cat "$DP_LOG")"
assert_eq "it got no event (never closed, see dp_main.c)" "0" "$(jcount "$WORK/sub2.out" '"rule_id" in e')"
assert_match "while it was connected the batches were dropped" "refused peer is connected to the events socket" "$(cat "$DP_LOG")"
udp_probe "$IP4B" 7000 1 >/dev/null
wait "$SUB1"
assert_ge "once it left, the subscriber got events again" 1 "$(jcount "$WORK/sub1.out" 'e.get("rule_id")==10')"
kill -HUP "$DP_PID"
sleep 0.5
assert_eq "SIGHUP does not stop sentinel-dp" "alive" "$(kill -0 "$DP_PID" 2>/dev/null && echo alive)"
assert_match "SIGHUP resynchronises interfaces" "SIGHUP: resynchronising" "$(cat "$DP_LOG")"
after=$(dpctl status)
assert_eq "rule set unchanged by all of that" "$(jget "$before" 'd["rules"], d["generation"]')" \
	"$(jget "$after" 'd["rules"], d["generation"]')"
assert_eq "udp 7000 still denied" "timeout" "$(udp_probe "$IP4B" 7000 1)"
assert_eq "udp 7001 still passes" "reply" "$(udp_probe "$IP4B" 7001 1)"

# ---- dry-run and default policy, global and per interface ----
dpctl dry-run on "$VETHB" >/dev/null
assert_eq "dry-run on $VETHB: the denied port passes" "reply" "$(udp_probe "$IP4B" 7000 1)"
dpctl dry-run off "$VETHB" >/dev/null
assert_eq "dry-run off: denied again" "timeout" "$(udp_probe "$IP4B" 7000 1)"
dpctl policy drop "$VETHB" >/dev/null
assert_eq "default drop on $VETHB: unmatched traffic dropped" "0" "$(ping4 2)"
out=$(dpctl mgmt "$IP4A/32")
assert_eq "anti-lockout list set" "Ok" "$(jget "$out" 'd["code"]')"
assert_ge "a management source passes even under default drop" 1 "$(ping4 2)"
dpctl mgmt >/dev/null
dpctl policy reset "$VETHB" >/dev/null
assert_ge "policy reset: the global pass applies" 1 "$(ping4 2)"

# ---- ApplyState: rules, policy, dry-run, anti-lockout, interfaces at once ----
a4=$(python3 -c 'import ipaddress, sys; print(list(ipaddress.IPv4Address(sys.argv[1]).packed) + [0] * 12)' "$IP4A")
apply_req() # NAME ID RULES POLICY MGMT INTERFACES
{
	flatc_req "$1" '{"id": '"$2"', "command_type": "ApplyState", "command": {
  "rules": '"$3"', "default_policy": "'"$4"'", "dry_run": false,
  "mgmt": '"$5"', "interfaces": '"$6"'}}'
}
deny7001='[{"id": 20, "priority": 1, "action": "Deny", "proto": 17, "dport_lo": 7001, "dport_hi": 7001}]'
mgmt7000='[{"cidr": {"family": 4, "plen": 32, "addr": '"$a4"'}, "ports": [7000]}]'
out=$(dpctl raw "$(apply_req s1 90 "$deny7001" Drop "$mgmt7000" '[{"interface": "'"$VETHB"'", "own_policy": true, "policy": "Pass"}]')")
assert_eq "ApplyState (rules, drop, anti-lockout, $VETHB's own pass): Ok" "Ok" "$(jget "$out" 'd["code"]')"
assert_eq "it answers like ReplaceRules" "1" "$(jget "$out" 'd["rules"]')"
st=$(dpctl status)
assert_eq "status: 1 rule, global drop, 1 anti-lockout prefix" "1 drop 1" \
	"$(jget "$st" '"%s %s %s" % (d["rules"], d["default_policy"], d["mgmt"])')"
assert_ge "$VETHB's own pass beats the global drop" 1 "$(ping4 2)"
assert_eq "the new rule denies udp 7001" "timeout" "$(udp_probe "$IP4B" 7001 1)"
assert_eq "the old rule 10 is gone: udp 7000 passes" "reply" "$(udp_probe "$IP4B" 7000 1)"
out=$(dpctl raw "$(apply_req s2 91 "$deny7001" Drop "$mgmt7000" '[]')")
assert_eq "ApplyState without $VETHB: Ok" "Ok" "$(jget "$out" 'd["code"]')"
assert_eq "an interface not listed follows the global drop" "0" "$(ping4 2)"
assert_eq "the anti-lockout port passes under the drop" "reply" "$(udp_probe "$IP4B" 7000 1)"
bad4='[{"id": 21, "action": "Deny", "src": {"family": 4, "plen": 8, "addr": [10,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}}]'
out=$(dpctl raw "$(apply_req s3 92 "$bad4" Pass '[]' '[{"interface": "'"$VETHB"'", "own_policy": true, "policy": "Pass"}]')")
assert_eq "ApplyState with a bad rule: Invalid, field named" "Invalid rules[0].src" "$(jget "$out" 'd["code"] + " " + d["field"]')"
out=$(dpctl raw "$(apply_req s4 93 '[]' Pass '[]' '[{"interface": "x"}, {"interface": "x"}]')")
assert_eq "ApplyState naming an interface twice: Invalid, field named" "Invalid interfaces[1].interface" \
	"$(jget "$out" 'd["code"] + " " + d["field"]')"
st=$(dpctl status)
assert_eq "refused ApplyStates changed nothing: 1 rule, drop, 1 anti-lockout prefix" "1 drop 1" \
	"$(jget "$st" '"%s %s %s" % (d["rules"], d["default_policy"], d["mgmt"])')"
assert_eq "and $VETHB still follows the global drop" "0" "$(ping4 2)"
out=$(dpctl raw "$(apply_req s5 94 '[]' Pass '[]' '[]')")
assert_eq "ApplyState back to nothing: Ok" "Ok" "$(jget "$out" 'd["code"]')"
assert_eq "status: no rules, pass, no anti-lockout" "0 pass 0" "$(jget "$(dpctl status)" '"%s %s %s" % (d["rules"], d["default_policy"], d["mgmt"])')"
assert_ge "ping passes again" 1 "$(ping4 2)"
out=$(dpctl rules "$WORK/r1.rules")
assert_eq "the first rule set again" "Ok" "$(jget "$out" 'd["code"]')"

# ---- kill -9 and restart: enforcement never stops ----
# the sink and the flood work: in dry-run the denied port receives
dpctl dry-run on >/dev/null
in_b python3 "$PROBE" udpsink 7005 2 >"$WORK/sink0.out" &
SINK=$!
sleep 0.3
in_a python3 "$PROBE" udpflood "$IP4B" 7005 7005 1 200 >/dev/null
wait "$SINK"
assert_ge "control: with dry-run on, the sink receives the flood" 150 "$(cat "$WORK/sink0.out")"
dpctl dry-run off >/dev/null
dpctl policy drop "$VETHB" >/dev/null
dpctl mgmt "$IP4A/32,7001" >/dev/null
in_b python3 "$PROBE" udpsink 7005 9 >"$WORK/sink.out" &
SINK=$!
BG_PIDS="$BG_PIDS $SINK"
sleep 0.3
in_a python3 "$PROBE" udpflood "$IP4B" 7005 7005 7 2000 >"$WORK/flood.out" &
FLOOD=$!
sleep 1
dp_kill9
sleep 1
assert_eq "killed: the XDP program is still attached" "$prog1" \
	"$(ip -n "$NSB" -d link show "$VETHB" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')"
dp_start -i "$VETHB" -i 'sfx*' -i '!sfxskip*'
sleep 1
dp_kill9
dp_start -i "$VETHB" -i 'sfx*' -i '!sfxskip*'
wait "$FLOOD"
wait "$SINK"
assert_ge "datagrams offered to the denied port across two kill -9" 5000 "$(cat "$WORK/flood.out")"
assert_eq "none of them got through" "0" "$(cat "$WORK/sink.out")"
st=$(dpctl status)
assert_eq "restart adopted the pinned state" "True" "$(jget "$st" 'd["adopted"]')"
assert_eq "the same link (no detach/attach)" "$link1" \
	"$(jget "$st" '[a["link_id"] for a in d["attachments"] if a["interface"]=="'"$VETHB"'"][0]')"
prog3=$(jget "$st" 'd["prog_id"]')
assert_eq "the link now runs the new program" "$prog3" \
	"$(ip -n "$NSB" -d link show "$VETHB" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')"
assert_eq "one XDP link runs the new program, one link pinned" "1 1" \
	"$(bpftool -j link show | python3 -c '
import json, sys
print(sum(1 for l in json.load(sys.stdin) if l.get("type") == "xdp" and l.get("prog_id") == int(sys.argv[1])))' "$prog3") $(ls "$PIN" | grep -c '^link_')"
assert_eq "the rule set survived (rules in the kernel)" "5" "$(jget "$st" 'd["rules"]')"
assert_eq "per-interface policy survived" "0" "$(ping4 2 "$IP4B")"
assert_eq "anti-lockout port survived" "reply" "$(udp_probe "$IP4B" 7001 1)"
dpctl policy reset "$VETHB" >/dev/null
dpctl mgmt >/dev/null
assert_eq "a second instance is refused while one runs" "1" \
	"$(nsenter --net="/run/netns/$NSB" "$DP" -b "$PIN" -s "$SOCK" -u "$CP_UID" -i "$VETHB" >/dev/null 2>&1; echo $?)"

# ---- uninstall ----
dp_stop
assert_match "SIGTERM: an orderly stop" "stopping; the firewall stays enforced" "$(cat "$DP_LOG")"
assert_eq "stopped (SIGTERM): still enforcing" "timeout" "$(udp_probe "$IP4B" 7000 1)"
assert_eq "uninstall refuses nothing once stopped" "0" \
	"$(nsenter --net="/run/netns/$NSB" "$DP" uninstall -b "$PIN" -s "$SOCK" >/dev/null 2>&1; echo $?)"
assert_eq "uninstalled: no XDP program on $VETHB" "" \
	"$(ip -n "$NSB" -d link show "$VETHB" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')"
assert_eq "uninstalled: pins and sockets gone" "no no" \
	"$([ -e "$PIN" ] && echo yes || echo no) $([ -e "$SOCK" ] && echo yes || echo no)"
assert_eq "uninstalled: the denied port passes" "reply" "$(udp_probe "$IP4B" 7000 1)"

finish
