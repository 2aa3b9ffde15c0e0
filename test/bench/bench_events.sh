#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Event pipeline throughput: ring buffer -> sentinel-dp -> FlatBuffers batches
# -> nng -> a subscriber (sentinel-dpctl events -q: receives, verifies and
# reads every batch), at several offered rates.  Prints per rate what was
# offered, delivered and lost, and where the loss was counted (kernel ring
# skips/failures, channel drops); "max" runs the generator flat out on one
# CPU (BPF_PROG_TEST_RUN of the firewall with a log rule on a UDP frame).
#
# usage: bench_events.sh BUILDDIR [SECONDS]
set -u
BUILD=$1
SECS=${2:-5}
DP=$BUILD/dataplane/sentinel-dp
DPCTL=$BUILD/dataplane/sentinel-dpctl
GEN=$BUILD/test/bench/bench-events
NS=sentinel-bev-$$
PIN=/sys/fs/bpf/sentinel-bev-$$
SOCK=/run/sentinel-bev-$$
CPU_UID=65534

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for f in "$DP" "$DPCTL" "$GEN"; do
	[ -x "$f" ] || { echo "SKIP: $f not built"; exit 77; }
done

cleanup()
{
	[ -n "${DPP:-}" ] && kill "$DPP" 2>/dev/null && wait "$DPP" 2>/dev/null
	nsenter --net="/run/netns/$NS" "$DP" uninstall -b "$PIN" -s "$SOCK" >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	rm -rf "$SOCK" "$PIN" "${WORK:-}"
}
trap cleanup EXIT
WORK=$(mktemp -d)
chmod 755 "$WORK"
ip netns add "$NS"
ip -n "$NS" link add bev0 type veth peer name bev1
ip -n "$NS" link set bev0 up
ip -n "$NS" link set bev1 up
nsenter --net="/run/netns/$NS" "$DP" -i bev0 -b "$PIN" -s "$SOCK" -u $CPU_UID \
	-l warning >"$WORK/dp.log" 2>&1 &
DPP=$!
ctl() { nsenter --net="/run/netns/$NS" setpriv --reuid=$CPU_UID --regid=$CPU_UID --clear-groups "$DPCTL" -s "$SOCK" "$@"; }
for _ in $(seq 1 100); do ctl -t 300 status >/dev/null 2>&1 && break; sleep 0.05; done
echo "id=1 prio=1 action=log proto=udp" >"$WORK/log.rules"
chmod a+r "$WORK/log.rules"
ctl rules "$WORK/log.rules" >/dev/null || { cat "$WORK/dp.log"; exit 1; }

counters() { ctl counters | python3 -c '
import json, sys
d = json.load(sys.stdin)["events"]
print(d["read"], d["sent"], d["ring_skipped"], d["ring_failed"], d["send_dropped"])'; }

printf '%-10s %12s %12s %12s %10s %10s %10s %10s\n' offered/s offered delivered delivered/s ring_skip ring_fail send_drop lost%
for rate in 100000 500000 1000000 2000000 4000000 100000000; do
	read -r r0 s0 k0 f0 d0 <<<"$(counters)"
	ctl events -q -w $((SECS + 2)) >"$WORK/sub.out" &
	SUB=$!
	sleep 0.5
	read -r offered took <<<"$(taskset -c 0 "$GEN" "$PIN/prog" "$rate" "$SECS")"
	wait "$SUB"
	read -r r1 s1 k1 f1 d1 <<<"$(counters)"
	got=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["events"])' "$WORK/sub.out")
	python3 - "$rate" "$offered" "$took" "$got" $((k1 - k0)) $((f1 - f0)) $((d1 - d0)) <<'PY'
import sys
rate, offered, took, got, ks, kf, sd = sys.argv[1:]
offered, got = int(offered), int(got)
lost = offered - got
label = "max" if int(rate) >= 100000000 else rate
print("%-10s %12d %12d %12.0f %10s %10s %10s %9.2f%%" % (label, offered, got,
      got / float(took), ks, kf, sd, 100.0 * lost / offered if offered else 0))
accounted = int(ks) + int(kf) + int(sd)
if lost != accounted:
    print("  note: %d lost, %d accounted for by the counters" % (lost, accounted))
PY
done
