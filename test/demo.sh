#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The firewall demo: a client and a host namespace, the XDP firewall, some traffic.
#
# Usage (as root, after `meson setup build && ninja -C build`):
#	test/demo.sh          build (or rebuild) the demo and show it working
#	test/demo.sh stop     remove it
# Environment: FWTOOL (default build/dataplane/sentinel-fwtool), RULES
# (default etc/demo-rules.txt).  Nothing leaves the two namespaces.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FWTOOL=${FWTOOL:-$ROOT/build/dataplane/sentinel-fwtool}
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
# A pass-through instance on the client end: a reply sent with XDP_TX from a
# veth (reject's RST / ICMP unreachable) only reaches a peer that runs XDP.
PINC=/sys/fs/bpf/sentinel-demo-client

# `ip netns exec` remounts /sys and hides /sys/fs/bpf: run the tool with
# nsenter, which only switches the network namespace.
fwh() { nsenter --net="/run/netns/$NSH" "$FWTOOL" -d "$PIN" "$@"; }
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
	[ -d "$PIN" ] && fwh unload >/dev/null 2>&1
	[ -d "$PINC" ] && fwc unload >/dev/null 2>&1
	rm -rf "$PIN" "$PINC"
	ip netns del "$NSC" 2>/dev/null
	ip netns del "$NSH" 2>/dev/null
	return 0
}

check()
{
	[ "$(id -u)" -eq 0 ] || fail "run as root (namespaces, XDP)"
	[ -x "$FWTOOL" ] || fail "$FWTOOL not found: meson setup build && ninja -C build"
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
	fwh load >/dev/null || fail "sentinel-fwtool load"
	fwh set default=pass dry-run=0 malformed=drop reject-pps=100 \
		reject-burst=20 >/dev/null || fail "sentinel-fwtool set"
	fwh rules "$RULES" || fail "rules $RULES refused"
	fwh block add "$BLOCKED4/32" >/dev/null || fail "block add"
	fwh attach "$VH" native || fail "attach $VH"
	fwc load >/dev/null && fwc set default=pass >/dev/null &&
		fwc attach "$VC" native >/dev/null ||
		fail "pass-through XDP on $VC"
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
	local id

	echo
	echo "Global counters (non-zero; sentinel-fwtool stats):"
	fwh stats | awk '$2 != 0 { printf "  %-20s %8s packets %10s bytes\n", $1, $2, $3 }'
	echo
	echo "Rule counters (sentinel-fwtool counter ID):"
	for id in $(sed -n 's/^id=\([0-9]*\).*/\1/p' "$RULES"); do
		fwh counter "$id" | awk '{ printf "  rule %-6s %8s packets %10s bytes\n", $1, $2, $3 }'
	done
	echo
	echo "Events (sentinel-fwtool events):"
	fwh events -t 0.5 | sed 's/^/  /'
}

howto()
{
	cat <<EOF

The demo stays up.  Try:
  ip netns exec $NSC ping $H4
  ip netns exec $NSC ping -I $BLOCKED4 $H4   # blocked source
  ip netns exec $NSC nc -v $H4 23   # refused by the firewall
  $FWTOOL -d $PIN stats
  $FWTOOL -d $PIN counter 40
  $FWTOOL -d $PIN events   # follow events (Ctrl-C)
  $FWTOOL -d $PIN set dry-run=1   # deny/reject only report
  $FWTOOL -d $PIN block del $BLOCKED4/32
  $FWTOOL -d $PIN rules $RULES   # after editing the rules
Commands that name an interface (attach, detach, ifset) run in the host
namespace: nsenter --net=/run/netns/$NSH $FWTOOL -d $PIN ifset $VH default=drop
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
