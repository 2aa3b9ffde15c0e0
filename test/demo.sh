#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demo: a client and a host namespace, sentinel-dp enforcing on the host's
# veth end, sentinel-cp (unprivileged) driving it with its HTTPS API, some
# traffic, and sentinelctl commands to try.
#
# Usage (as root, after `meson setup build && ninja -C build`):
#	test/demo.sh          build (or rebuild) the demo and show it working
#	test/demo.sh stop     remove it
# Environment: BUILD (default build/).  Nothing leaves the two namespaces;
# the API listens on the host namespace's loopback.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FWTOOL=$BUILD/dataplane/sentinel-fwtool
DP=$BUILD/dataplane/sentinel-dp
DPCTL=$BUILD/dataplane/sentinel-dpctl
CP=$BUILD/controlplane/sentinel-cp
CTL=$BUILD/cli/sentinelctl
DIR=/run/sentinel-demo-cp     # configuration, certificate, API key
STATE=/var/tmp/sentinel-demo-state
CP_USER=nobody
TEMPLATE=$ROOT/etc/demo.yaml
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
# sentinelctl in the host namespace, where the API listens
sctl() { nsenter --net="/run/netns/$NSH" env SENTINEL_API_KEY="$(cat "$DIR/api-key")" \
	"$CTL" --cacert "$DIR/server.crt" "$@"; }
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
	rm -rf "$PIN" "$PINC" "$SOCK" "$DIR" "$STATE"
	ip netns del "$NSC" 2>/dev/null
	ip netns del "$NSH" 2>/dev/null
	return 0
}

check()
{
	[ "$(id -u)" -eq 0 ] || fail "run as root (namespaces, XDP)"
	for b in "$FWTOOL" "$DP" "$DPCTL" "$CP" "$CTL"; do
		[ -x "$b" ] || fail "$b not found: meson setup build && ninja -C build"
	done
	for t in ip nsenter ping python3 socat openssl setpriv; do
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

	# sentinel-dp: root, three capabilities; accepts sentinel-cp's user
	nsenter --net="/run/netns/$NSH" setsid "$DP" -i "$VH" -b "$PIN" \
		-s "$SOCK" -u "$CP_USER" -u root >"/tmp/sentinel-demo-dp.log" 2>&1 </dev/null &
	echo $! >/tmp/sentinel-demo-dp.pid
	for i in $(seq 1 100); do
		ctl -t 300 status >/dev/null 2>&1 && break
		sleep 0.05
	done
	mv /tmp/sentinel-demo-dp.pid "$SOCK/dp.pid"
	ctl status >/dev/null || fail "sentinel-dp did not start: $(cat /tmp/sentinel-demo-dp.log)"

	# sentinel-cp: the configuration, a certificate, an API key
	mkdir -p "$DIR" "$STATE"
	chown "$CP_USER" "$STATE"
	chmod 755 "$DIR"
	openssl rand -hex 24 >"$DIR/api-key"
	chmod 600 "$DIR/api-key"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$DIR/server.key" -out "$DIR/server.crt" -days 30 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		>/dev/null 2>&1 || fail "openssl: no certificate"
	chmod 644 "$DIR/server.key" # the demo's own throw-away key, read by nobody
	sed -e "s|@IFACE@|$VH|" -e "s|@SOCK@|$SOCK|" -e "s|@STATE@|$STATE|" \
		-e "s|@DIR@|$DIR|g" -e "s|@KEY@|$(cat "$DIR/api-key")|" \
		"$TEMPLATE" >"$DIR/sentinel.yaml"
	chmod 644 "$DIR/sentinel.yaml"
	nsenter --net="/run/netns/$NSH" setsid setpriv --reuid="$CP_USER" \
		--regid=nogroup --clear-groups "$CP" -c "$DIR/sentinel.yaml" \
		>"/tmp/sentinel-demo-cp.log" 2>&1 </dev/null &
	echo $! >"$SOCK/cp.pid"
	for i in $(seq 1 100); do
		sctl health >/dev/null 2>&1 && break
		sleep 0.1
	done
	sctl health >/dev/null 2>&1 ||
		fail "sentinel-cp is not ready: $(cat /tmp/sentinel-demo-cp.log)"
	ctl block add "$BLOCKED4/32" >/dev/null || fail "block add"
	sctl status | sed 's/^/  /'
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
	show "ping $H4 (log-ping: log)" "${n:-0}/3 replies"
	n=$(inc ping -n -q -c 3 -i 0.2 -W 1 "$H6" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	show "ping $H6 (log-ping6: log)" "${n:-0}/3 replies"
	show "tcp $H4:22 ssh (allow-ssh-v4: allow)" "$(inc python3 "$PROBE" tcp "$H4" 22 2)"
	show "tcp [$H6]:22 ssh (allow-ssh-v6: allow)" "$(inc python3 "$PROBE" tcp "$H6" 22 2)"
	show "tcp $H4:23 telnet (reject-telnet: reject)" "$(inc python3 "$PROBE" tcp "$H4" 23 2)"
	show "udp $H4:9999 (drop-udp-9999: deny)" "$(inc python3 "$PROBE" udp "$H4" 9999 1 64)"
	n=$(inc ping -n -q -c 3 -i 0.2 -W 1 -I "$BLOCKED4" "$H4" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	show "ping from $BLOCKED4 (block set)" "${n:-0}/3 replies"
}

counters()
{
	echo
	echo "Firewall rules and their hits (sentinelctl firewall list):"
	sleep 1.2 # events become alerts within a second
	sctl firewall list | sed 's/^/  /'
	echo
	echo "Alerts (sentinelctl alerts list):"
	sctl alerts list | sed 's/^/  /'
	echo
	echo "Kernel counters (sentinel-dpctl counters, non-zero):"
	ctl counters | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k, v in d["global"].items():
    if v["packets"]:
        print("  %-20s %8d packets %10d bytes" % (k, v["packets"], v["bytes"]))'
}

howto()
{
	cat <<EOF

The demo stays up: sentinel-dp and sentinel-cp (as $CP_USER) run in $NSH.
The API: https://127.0.0.1:8443 inside $NSH, certificate $DIR/server.crt,
an admin API key in $DIR/api-key (configuration: $DIR/sentinel.yaml;
logs /tmp/sentinel-demo-{dp,cp}.log).  Try, as root:
  alias sctl='nsenter --net=/run/netns/$NSH env SENTINEL_API_KEY=\$(cat $DIR/api-key) $CTL --cacert $DIR/server.crt'
  sctl firewall add --id block-ping --priority 1 --action deny --protocol icmp
  ip netns exec $NSC ping -c2 $H4            # dropped now
  sctl alerts list --component firewall
  sctl audit history block-ping
  sctl firewall delete block-ping
  sctl metrics | grep sentinel_rule_hits
  \$EDITOR $DIR/sentinel.yaml              # saved: sentinel-cp reloads it
  ip netns exec $NSC nc -v $H4 23            # refused by the firewall (RST)
  $DPCTL -s $SOCK status                     # sentinel-dp directly
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
	echo "Firewall on $VH, configuration from $TEMPLATE:"
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
