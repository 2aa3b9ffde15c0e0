#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every benchmark (bench-fw, bench_veth.sh, bench_events.sh, bench_api.sh) and prints their figures.
#
# usage: test/bench/run.sh [BUILDDIR]   (default: build/ of this tree)
# bench-fw runs pinned to CPU 1 so its figures are steady; bench_veth.sh
# pins its own sender and receiver (see its header).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$(cd "$HERE/../.." && pwd)/build}
BF=$BUILD/test/bench/bench-fw
rc=0

[ "$(id -u)" = 0 ] || { echo "SKIP: the benchmarks need root"; exit 77; }
[ -x "$BF" ] || { echo "SKIP: $BF not built (ninja -C $BUILD)"; exit 77; }

echo "== Sentinel benchmarks: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ) =="
echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) =="
echo
echo "==== bench-fw (BPF_PROG_TEST_RUN) ===="
cpu=1
[ "$(nproc)" -ge 2 ] || cpu=0
taskset -c $cpu "$BF" || rc=1
echo
echo "==== bench_veth.sh (live frames over veth) ===="
"$HERE/bench_veth.sh" "$BUILD" || rc=1
echo
echo "==== bench_events.sh (events: ring buffer -> sentinel-dp -> nng -> subscriber) ===="
"$HERE/bench_events.sh" "$BUILD" || rc=1
echo
echo "==== bench_api.sh (control plane: HTTPS requests/s, rule-to-enforced latency) ===="
"$HERE/bench_api.sh" "$BUILD"
case $? in 0 | 77) ;; *) rc=1 ;; esac
exit $rc
