#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every C source and header in the tree must match .clang-format.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
command -v clang-format >/dev/null || { echo "SKIP: clang-format not installed"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find bpf dataplane controlplane cli test -name '*.[ch]')
[ -n "$files" ] || { echo "no C files"; exit 1; }
bad=0
for f in $files; do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
n=$(echo "$files" | wc -l)
echo "$((n - bad)) passed, $bad failed"
[ "$bad" = 0 ]
