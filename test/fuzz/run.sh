#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run one libFuzzer target for a bounded time on its seed corpus.
# usage: run.sh FUZZER SEED_DIR SECONDS
set -eu
fuzzer=$1 seeds=$2 secs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# new inputs go to $work, never into the source tree
rc=0
"$fuzzer" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
	-rss_limit_mb=2048 "$work" "$seeds" >"$work.log" 2>&1 || rc=$?
tail -n 30 "$work.log"
rm -f "$work.log"
if [ "$rc" = 0 ]; then
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
fi
exit "$rc"
