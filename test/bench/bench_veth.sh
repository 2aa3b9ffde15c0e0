#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# 64-byte UDP throughput over veth: firewall with 10k rules vs XDP_DROP vs iptables raw DROP.
#
# usage: bench_veth.sh [BUILDDIR]
#   BENCH_RULES=N (10000)  BENCH_SECONDS=S per run (5)  BENCH_MODES="1cpu 2cpu"
#   BENCH_IPTABLES=iptables|iptables-legacy|iptables-nft (iptables)
#   BENCH_ROUNDS=N (1): measure every configuration N times, interleaved, and
#     report each one's best round (other load on the CPUs only slows a run)
#
# Two namespaces joined by a veth pair.  The sender runs bench-veth's xb_gen
# program with BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES on its veth
# end: every XDP_TX becomes a transmit to the peer.  The frames are 64-byte
# UDP/IPv4 (64 bytes handed to the driver) from 65536 sources in
# 198.18.0.0/16 and 1000 source ports to 10.250.0.2 port 9: the generated
# rules use 10.0.0.0-14.255.255.255 and 172.16.0.0/12, so no frame matches
# any rule, the worst case for both firewalls (every tuple probed, every
# iptables rule walked), and the default verdict drops them.
# Receiver configurations, all in the same run:
#   xdp-drop  xb_drop: count and XDP_DROP (the ceiling)
#   firewall  sentinel_fw, BENCH_RULES rules, default policy drop; counter "rx"
#   fw-noranges  the same with the 5% port-range rules made exact-port ones
#             (what the ranges cost; see bench_fw.c for the rule mix)
#   iptables  xb_pass (count, XDP_PASS) then the same rules as iptables rules
#             in table raw, chain PREROUTING, then a final -j DROP; counted by
#             summing the rule counters
# Modes:
#   1cpu  the sender is pinned to CPU 1; the receiver's NAPI poll runs in
#         softirq on the same CPU, right after each batch of 64 frames: the
#         rate is 1 / (generator cost + receiver cost), nothing is lost.
#   2cpu  the receiver's NAPI is threaded and its kthread pinned to CPU 0,
#         the sender on CPU 1: the rate is the receiver's capacity when the
#         receiver is the bottleneck (the veth ring then overflows and the
#         excess is dropped before the receiver sees it), else the sender's.
set -u

BUILD=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build}
FWTOOL=$BUILD/dataplane/sentinel-fwtool
BV=$BUILD/test/bench/bench-veth
BF=$BUILD/test/bench/bench-fw
NRULES=${BENCH_RULES:-10000}
SECS=${BENCH_SECONDS:-5}
MODES=${BENCH_MODES:-1cpu 2cpu}
IPT=${BENCH_IPTABLES:-iptables}
CONFIGS="xdp-drop firewall fw-noranges iptables"
ROUNDS=${BENCH_ROUNDS:-1}
CAL_FRAMES=20000
MAX_FRAMES=50000000
TX_CPU=1
RX_CPU=0

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
for f in "$FWTOOL" "$BV" "$BF"; do
	[ -x "$f" ] || skip "$f not built"
done
for t in ip nsenter taskset "$IPT" "$IPT-restore" awk; do
	command -v "$t" >/dev/null || skip "$t not installed"
done
[ "$(nproc)" -ge 2 ] || MODES=1cpu

TXNS=sbtx$$
RXNS=sbrx$$
TXIF=sbt$$
RXIF=sbr$$
TXMAC=02:5b:00:00:00:01
RXMAC=02:5b:00:00:00:02
PIN=/sys/fs/bpf/sentinel-bench-$$
TMP=$(mktemp -d /tmp/sentinel-bench.XXXXXX)

cleanup() {
	[ -d "$PIN/fw" ] && "$FWTOOL" -d "$PIN/fw" unload >/dev/null 2>&1
	rm -rf "$PIN"
	ip netns del "$TXNS" 2>/dev/null
	ip netns del "$RXNS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

tx() { nsenter --net=/run/netns/"$TXNS" "$@"; }
rx() { nsenter --net=/run/netns/"$RXNS" "$@"; }

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
	skip "cannot mount bpffs"
mkdir -p "$PIN" || die "mkdir $PIN"

ip netns add "$TXNS" && ip netns add "$RXNS" || die "ip netns add"
# no IPv6: no router solicitations or DAD frames on the veth to miscount
for ns in "$TXNS" "$RXNS"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || die "sysctl in $ns"
done
ip -n "$TXNS" link add "$TXIF" address $TXMAC type veth \
	peer name "$RXIF" netns "$RXNS" address $RXMAC || die "veth"
ip -n "$TXNS" addr add 10.250.0.1/24 dev "$TXIF"
ip -n "$RXNS" addr add 10.250.0.2/24 dev "$RXIF"
ip -n "$TXNS" link set "$TXIF" up && ip -n "$RXNS" link set "$RXIF" up &&
	ip -n "$TXNS" link set lo up && ip -n "$RXNS" link set lo up ||
	die "link up"

"$BF" --emit-rules "$NRULES" >"$TMP/rules" &&
	"$BF" --emit-rules "$NRULES" noranges >"$TMP/rules-nr" ||
	die "generating rules"
{
	"$BF" --emit-iptables "$NRULES" | sed '/^COMMIT$/d'
	echo "-A PREROUTING -j DROP"
	echo "COMMIT"
} >"$TMP/ipt" || die "generating iptables rules"

# Put the receiver's NAPI into a kthread on RX_CPU (mode 2cpu).  Run after
# an XDP attach: veth only has a NAPI instance while XDP is attached.
rx_threaded() {
	local pid

	ip netns exec "$RXNS" sh -c "echo 1 > /sys/class/net/$RXIF/threaded" ||
		die "cannot thread the NAPI of $RXIF"
	pid=$(ps -eo pid=,comm= | awk -v n="napi/$RXIF-" \
		'index($2, n) == 1 { print $1; exit }')
	[ -n "$pid" ] || die "no NAPI kthread for $RXIF"
	taskset -pc $RX_CPU "$pid" >/dev/null || die "taskset napi thread"
}

# Back to NAPI in softirq (mode 1cpu, after a 2cpu round).
rx_unthreaded() {
	ip netns exec "$RXNS" sh -c "echo 0 > /sys/class/net/$RXIF/threaded" ||
		die "cannot unthread the NAPI of $RXIF"
}

# gen FRAMES: run the generator on TX_CPU; prints "sent N ns T".
gen() {
	tx taskset -c $TX_CPU "$BV" gen "$TXIF" $TXMAC $RXMAC 198.18.0.0 \
		10.250.0.2 "$1" 65536 1000
}

# Receiver counter for the current configuration.
rx_count() {
	case $1 in
	xdp-drop) "$BV" count "$PIN" "$RXIF" ;;
	firewall|fw-noranges)
		"$FWTOOL" -d "$PIN/fw" stats | awk '$1 == "rx" { print $2 }' ;;
	iptables) rx "$IPT" -t raw -L PREROUTING -v -x -n |
		awk 'NR > 2 { s += $1 } END { print s + 0 }' ;;
	esac
}

setup() {
	case $1 in
	xdp-drop)
		rx "$BV" attach "$RXIF" drop "$PIN" >/dev/null || die "attach xb_drop"
		;;
	firewall|fw-noranges)
		local f=$TMP/rules

		[ $1 = fw-noranges ] && f=$TMP/rules-nr
		"$FWTOOL" -d "$PIN/fw" load >/dev/null &&
			"$FWTOOL" -d "$PIN/fw" set default=drop malformed=drop &&
			"$FWTOOL" -d "$PIN/fw" rules "$f" >"$TMP/fwrules" &&
			rx "$FWTOOL" -d "$PIN/fw" attach "$RXIF" native >/dev/null ||
			die "firewall setup"
		echo "# $1: $(cat "$TMP/fwrules")"
		;;
	iptables)
		rx "$BV" attach "$RXIF" pass "$PIN" >/dev/null || die "attach xb_pass"
		rx "$IPT-restore" <"$TMP/ipt" || die "$IPT-restore"
		echo "# iptables: $(rx "$IPT" -t raw -S PREROUTING | grep -c '^-A') rules in raw PREROUTING ($("$IPT" -V))"
		;;
	esac
}

teardown() {
	case $1 in
	firewall|fw-noranges) "$FWTOOL" -d "$PIN/fw" unload >/dev/null ;;
	iptables) rx "$IPT" -t raw -F PREROUTING ;;
	esac
	rm -f "$PIN/xb_link_$RXIF" "$PIN/xb_cnt_$RXIF"
}

declare -A PPS
echo "# sender on CPU $TX_CPU; $NRULES rules; ~${SECS}s per configuration; $ROUNDS round(s); $(uname -r)"
for round in $(seq "$ROUNDS"); do
	for mode in $MODES; do
		for cfg in $CONFIGS; do
			setup $cfg
			if [ "$mode" = 2cpu ]; then
				rx_threaded
			else
				rx_unthreaded
			fi
			# calibration (and warm-up) runs of >= 0.25 s, then ~SECS s
			frames=$CAL_FRAMES
			while :; do
				out=$(gen "$frames") || die "$cfg: generator failed"
				ns=$(echo "$out" | awk '{ print $4 }')
				[ "$ns" -ge 250000000 ] || [ "$frames" -ge $MAX_FRAMES ] &&
					break
				frames=$(awk -v n="$ns" -v f="$frames" -v max=$MAX_FRAMES \
					'BEGIN { g = int(f * 3e8 / n); if (g > f * 20) g = f * 20;
					if (g > max) g = max; print g }')
			done
			frames=$(awk -v n="$ns" -v s="$SECS" -v c="$frames" \
				-v max=$MAX_FRAMES 'BEGIN { f = int(c * s * 1e9 / n);
				if (f < c) f = c; if (f > max) f = max; print f }')
			before=$(rx_count $cfg)
			[ $cfg = iptables ] && xbefore=$("$BV" count "$PIN" "$RXIF")
			out=$(gen "$frames") || die "$cfg: generator failed"
			after=$(rx_count $cfg)
			sent=$(echo "$out" | awk '{ print $2 }')
			ns=$(echo "$out" | awk '{ print $4 }')
			got=$((after - before))
			pps=$(awk -v g=$got -v n="$ns" 'BEGIN { printf "%.0f", g * 1e9 / n }')
			spps=$(awk -v g="$sent" -v n="$ns" 'BEGIN { printf "%.0f", g * 1e9 / n }')
			[ "${PPS[$mode.$cfg]:-0}" -ge "$pps" ] || PPS[$mode.$cfg]=$pps
			note=""
			if [ $cfg = iptables ]; then
				xafter=$("$BV" count "$PIN" "$RXIF")
				note=" (xb_pass saw $((xafter - xbefore)))"
			fi
			printf '# %-5s %-11s sent %10d in %6.2f s (%9d pps), receiver counted %10d%s\n' \
				$mode $cfg "$sent" "$(awk -v n="$ns" 'BEGIN { print n / 1e9 }')" \
				"$spps" "$got" "$note"
			[ "$got" -gt 0 ] || die "$mode $cfg: the receiver saw no traffic"
			# a handful of frames more than sent would be the stack's own
			[ "$got" -le $((sent + 10)) ] ||
				die "$mode $cfg: counted $got, more than the $sent sent"
			if [ $mode = 1cpu ] && [ $((got * 100)) -lt $((sent * 95)) ]; then
				die "$mode $cfg: only $got of $sent frames arrived"
			fi
			teardown $cfg
		done
	done
done

for mode in $MODES; do
	echo
	echo "== veth, 64-byte UDP, $NRULES rules, mode $mode (best of $ROUNDS) =="
	[ $mode = 2cpu ] && echo "(receiver-bound only where it counted fewer frames than were sent, see above)"
	printf '%-34s %12s %10s %12s\n' config "pps received" "ns/frame" "vs XDP_DROP"
	for cfg in $CONFIGS; do
		name=$cfg
		[ $cfg = xdp-drop ] && name="plain XDP_DROP"
		[ $cfg = firewall ] && name="sentinel_fw, $NRULES rules"
		[ $cfg = fw-noranges ] && name="sentinel_fw, $NRULES, no ranges"
		[ $cfg = iptables ] && name="iptables raw DROP, $NRULES rules"
		awk -v n="$name" -v p="${PPS[$mode.$cfg]}" -v d="${PPS[$mode.xdp-drop]}" \
			'BEGIN { printf "%-34s %12d %10.1f %12.3f\n", n, p, 1e9 / p, p / d }'
	done
	awk -v f="${PPS[$mode.firewall]}" -v d="${PPS[$mode.xdp-drop]}" \
		-v i="${PPS[$mode.iptables]}" 'BEGIN {
		printf "target firewall >= 0.9 x XDP_DROP: %.3f -> %s\n", f / d,
			(f >= 0.9 * d) ? "MET" : "NOT MET"
		printf "target firewall >= 100 x iptables: %.1f -> %s\n", f / i,
			(f >= 100 * i) ? "MET" : "NOT MET" }'
done
