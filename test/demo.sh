#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demo: a client and a host namespace, sentinel-dp enforcing on the host's
# veth end, driven through its control socket by sentinel-dpctl; some traffic.
#
# Usage (as root, after `meson setup build && ninja -C build`):
#	test/demo.sh          build (or rebuild) the demo and show it working
#	test/demo.sh stop     remove it
# Environment: BUILD (default build/), RULES (default etc/demo-rules.txt).
# Nothing leaves the two namespaces.  Until sentinel-cp exists, root is the
# control-plane user sentinel-dp accepts on its sockets.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FWTOOL=$BUILD/dataplane/sentinel-fwtool
DP=$BUILD/dataplane/sentinel-dp
DPCTL=$BUILD/dataplane/sentinel-dpctl
RULES=${RULES:-$ROOT/etc/demo-rules.txt}
PROBE=$ROOT/test/integration/probe.py

NSC=sentinel-demo-client
NSH=sentinel-demo-host
VC=sdemo-client
VH=sdemo-host
C4=10.99.0.1
H4=10.99.0.2
BLOCKED4=10.99.0.66 # a second client address, put in the block set
C6=fd00:99::1
H6=fd00:99::2
PIN=/sys/fs/bpf/sentinel-demo
SOCK=/run/sentinel-demo
# A pass-through instance on the client end: a reply sent with XDP_TX from a
# veth (reject's RST / ICMP unreachable) only reaches a peer that runs XDP.
PINC=/sys/fs/bpf/sentinel-demo-client

# `ip netns exec` remounts /sys and hides /sys/fs/bpf: run the tool with
# nsenter, which only switches the network namespace.
ctl() { "$DPCTL" -s "$SOCK" "$@"; }
fwc() { nsenter --net="/run/netns/$NSC" "$FWTOOL" -d "$PINC" "$@"; }
inc() { ip netns exec "$NSC" "$@"; }

fail()
{
	echo "demo: $*" >&2
	exit 1
}

stop()
{
	local p

	if [ -e "/run/netns/$NSH" ]; then
		# the demo's servers: every process left in the host namespace
		for p in $(ip netns pids "$NSH" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
		for p in 1 2 3 4 5 6 7 8 9 10; do
			[ -z "$(ip netns pids "$NSH" 2>/dev/null)" ] && break
			sleep 0.1
		done
	fi
	if [ -r "$SOCK/dp.pid" ]; then
		kill "$(cat "$SOCK/dp.pid")" 2>/dev/null
		sleep 0.3
	fi
	"$DP" uninstall -b "$PIN" -s "$SOCK" >/dev/null 2>&1
	[ -d "$PINC" ] && fwc unload >/dev/null 2>&1
	rm -rf "$PIN" "$PINC" "$SOCK"
	ip netns del "$NSC" 2>/dev/null
	ip netns del "$NSH" 2>/dev/null
	return 0
}

check()
{
	[ "$(id -u)" -eq 0 ] || fail "run as root (namespaces, XDP)"
	for b in "$FWTOOL" "$DP" "$DPCTL"; do
		[ -x "$b" ] || fail "$b not found: meson setup build && ninja -C build"
	done
	[ -r "$RULES" ] || fail "rules file $RULES not found"
	for t in ip nsenter ping python3 socat; do
		command -v "$t" >/dev/null || fail "'$t' is needed"
	done
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
		fail "cannot mount bpffs on /sys/fs/bpf"
}

network()
{
	ip netns add "$NSC" && ip netns add "$NSH" || fail "ip netns add"
	ip -n "$NSC" link add "$VC" type veth peer name "$VH" netns "$NSH" ||
		fail "veth pair"
	for ns in "$NSC" "$NSH"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0
	done
	ip -n "$NSC" addr add "$C4/24" dev "$VC"
	ip -n "$NSC" addr add "$BLOCKED4/24" dev "$VC"
	ip -n "$NSC" addr add "$C6/64" dev "$VC" nodad
	ip -n "$NSH" addr add "$H4/24" dev "$VH"
	ip -n "$NSH" addr add "$H6/64" dev "$VH" nodad
	ip -n "$NSC" link set "$VC" up
	ip -n "$NSH" link set "$VH" up
	for i in $(seq 1 20); do
		inc ping -c1 -W1 "$H6" >/dev/null 2>&1 && break
		sleep 0.2
	done
}

servers()
{
	local hs="ip netns exec $NSH"

	$hs socat TCP6-LISTEN:22,ipv6only=0,fork,reuseaddr \
		SYSTEM:'echo SSH-2.0-sentinel-demo' >/dev/null 2>&1 &
	$hs socat TCP6-LISTEN:23,ipv6only=0,fork,reuseaddr \
		SYSTEM:'echo telnet' >/dev/null 2>&1 &
	$hs socat -T 1 UDP6-RECVFROM:9999,ipv6only=0,fork,reuseaddr \
		EXEC:cat >/dev/null 2>&1 &
	sleep 0.3
}

firewall()
{
	local i

	nsenter --net="/run/netns/$NSH" setsid "$DP" -i "$VH" -b "$PIN" \
		-s "$SOCK" -u root >"/tmp/sentinel-demo-dp.log" 2>&1 </dev/null &
	echo $! >"/tmp/sentinel-demo-dp.pid"
	for i in $(seq 1 100); do
		ctl -t 300 status >/dev/null 2>&1 && break
		sleep 0.05
	done
	mv /tmp/sentinel-demo-dp.pid "$SOCK/dp.pid"
	ctl status >/dev/null || fail "sentinel-dp did not start: $(cat /tmp/sentinel-demo-dp.log)"
	ctl rules "$RULES" >/dev/null || fail "rules $RULES refused: $(ctl rules "$RULES")"
	ctl block add "$BLOCKED4/32" >/dev/null || fail "block add"
	ctl status | python3 -c '
import json, sys
d = json.load(sys.stdin)
for a in d["attachments"]:
    print("  sentinel-dp %s (program %d): %s attached, %s mode, link %d; %d rules" % (
        d["version"], d["prog_id"], a["interface"], a["mode"].lower(), a["link_id"], d["rules"]))'
	fwc load >/dev/null && fwc set default=pass >/dev/null &&
		fwc attach "$VC" native >/dev/null ||
		fail "pass-through XDP on $VC"
	ctl events -w 4 >"/tmp/sentinel-demo-events.json" 2>&1 &
	EVENTS=$!
	sleep 0.3
}

# show WHAT RESULT
show() { printf '  %-52s %s\n' "$1" "$2"; }

traffic()
{
	local n

	echo
	echo "Traffic from $NSC to $NSH:"
	n=$(inc ping -n -q -c 3 -i 0.2 -W 1 "$H4" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	show "ping $H4 (rule 40: log)" "${n:-0}/3 replies"
	n=$(inc ping -n -q -c 3 -i 0.2 -W 1 "$H6" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	show "ping $H6 (rule 41: log)" "${n:-0}/3 replies"
	show "tcp $H4:22 ssh (rule 10: allow)" "$(inc python3 "$PROBE" tcp "$H4" 22 2)"
	show "tcp [$H6]:22 ssh (rule 11: allow)" "$(inc python3 "$PROBE" tcp "$H6" 22 2)"
	show "tcp $H4:23 telnet (rule 20: reject)" "$(inc python3 "$PROBE" tcp "$H4" 23 2)"
	show "udp $H4:9999 (rule 30: deny)" "$(inc python3 "$PROBE" udp "$H4" 9999 1 64)"
	n=$(inc ping -n -q -c 3 -i 0.2 -W 1 -I "$BLOCKED4" "$H4" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	show "ping from $BLOCKED4 (block set)" "${n:-0}/3 replies"
}

counters()
{
	echo
	echo "Counters (sentinel-dpctl counters):"
	ctl counters | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k, v in d["global"].items():
    if v["packets"]:
        print("  %-20s %8d packets %10d bytes" % (k, v["packets"], v["bytes"]))
for k, v in sorted(d["rules"].items(), key=lambda kv: int(kv[0])):
    print("  rule %-15s %8d packets %10d bytes" % (k, v["packets"], v["bytes"]))
e = d["events"]
print("  events: %d read, %d sent in %d batches, %d lost (ring %d+%d, channel %d)" % (
    e["read"], e["sent"], e["batches"], e["ring_skipped"] + e["ring_failed"] + e["send_dropped"],
    e["ring_skipped"], e["ring_failed"], e["send_dropped"]))'
	echo
	echo "Events (sentinel-dpctl events, FlatBuffers batches over nng):"
	wait "$EVENTS"
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if "rule_id" in e:
        print("  %-6s rule %-4d %s %s:%d -> %s:%d len %d%s" % (e["action"].lower(), e["rule_id"],
              {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6"}.get(e["proto"], e["proto"]),
              e["src"], e["sport"], e["dst"], e["dport"], e["len"],
              " (block set)" if e["type"] == 2 else ""))' /tmp/sentinel-demo-events.json
}

howto()
{
	cat <<EOF

The demo stays up: sentinel-dp runs in $NSH (log /tmp/sentinel-demo-dp.log).
Try:
  ip netns exec $NSC ping $H4
  ip netns exec $NSC ping -I $BLOCKED4 $H4   # blocked source
  ip netns exec $NSC nc -v $H4 23   # refused by the firewall
  $DPCTL -s $SOCK status
  $DPCTL -s $SOCK counters 40
  $DPCTL -s $SOCK events   # follow events (Ctrl-C)
  $DPCTL -s $SOCK dry-run on   # deny/reject only report
  $DPCTL -s $SOCK block del $BLOCKED4/32
  $DPCTL -s $SOCK rules $RULES   # after editing the rules
  kill -9 \$(cat $SOCK/dp.pid)   # enforcement stays; started again, it adopts:
  nsenter --net=/run/netns/$NSH $DP -i $VH -b $PIN -s $SOCK -u root &
Remove the demo: $0 stop
EOF
}

case ${1:-start} in
stop)
	stop
	echo "demo removed"
	;;
start)
	check
	stop
	network
	servers
	echo "Network: $NSC ($VC: $C4, $BLOCKED4, $C6) <-> $NSH ($VH: $H4, $H6)"
	echo "Firewall on $VH, rules from $RULES:"
	firewall
	traffic
	counters
	howto
	;;
*)
	echo "usage: $0 [start|stop]" >&2
	exit 2
	;;
esac
