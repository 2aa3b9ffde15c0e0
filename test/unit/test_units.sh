#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# packaging/systemd: the units verify, their exposure is within bounds, and
# sysusers.d/tmpfiles.d apply cleanly to a throw-away root.
#   test_units.sh UNITS_DIR SENTINEL_DP SENTINEL_CP
# No unit is started (that needs systemd as PID 1); exit 77 when a tool is
# missing.
set -uo pipefail

units=${1:?units directory}
dp_bin=${2:?sentinel-dp binary}
cp_bin=${3:?sentinel-cp binary}
CP_MAX=2.0 # the bound for sentinel-cp

skip() { echo "SKIP: $*"; exit 77; }
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

for t in systemd-analyze systemd-sysusers systemd-tmpfiles; do
	command -v "$t" >/dev/null || skip "$t not installed (apt-get install systemd)"
done
systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' ||
	skip "systemd-analyze security has no --offline (systemd < 252)"

tmp=$(mktemp -d /tmp/sentinel-units.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The units as installed, but ExecStart= on the build dir's binaries:
# verify checks that every Exec*= program exists and is executable.
sed "s#/usr/sbin/sentinel-dp#$dp_bin#" "$units/sentinel-dp.service" >"$tmp/sentinel-dp.service"
sed "s#/usr/sbin/sentinel-cp#$cp_bin#" "$units/sentinel-cp.service" >"$tmp/sentinel-cp.service"
grep -q "ExecStart=$dp_bin " "$tmp/sentinel-dp.service" || fail "sentinel-dp.service: ExecStart= is not /usr/sbin/sentinel-dp"
grep -q "ExecStart=$cp_bin " "$tmp/sentinel-cp.service" || fail "sentinel-cp.service: ExecStart= is not /usr/sbin/sentinel-cp"

# --- verify: any warning (unknown directive, bad value, missing binary,
# missing dependency) fails; the output must be empty ---
for u in sentinel-dp sentinel-cp; do
	out=$(cd "$tmp" && systemd-analyze verify --man=no "./$u.service" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || [ -n "$out" ]; then
		fail "systemd-analyze verify $u.service (rc $rc):"
		printf '%s\n' "$out" | sed 's/^/    /'
	else
		ok "systemd-analyze verify $u.service"
	fi
done

# ...and it really does catch a wrong directive
cp "$tmp/sentinel-cp.service" "$tmp/bad.service"
printf '[Service]\nProtectSystme=strict\n' >>"$tmp/bad.service"
out=$(cd "$tmp" && systemd-analyze verify --man=no ./bad.service 2>&1)
[ -n "$out" ] && ok "verify flags a misspelt directive" ||
	fail "verify did not flag 'ProtectSystme=' (the check above proves nothing)"

# --- exposure ---
score() {
	(cd "$tmp" && systemd-analyze security --offline=true --no-pager "./$1.service" 2>&1) |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
cp_score=$(score sentinel-cp)
dp_score=$(score sentinel-dp)
[ -n "$cp_score" ] || fail "no exposure level for sentinel-cp"
[ -n "$dp_score" ] || fail "no exposure level for sentinel-dp"
echo "exposure: sentinel-cp $cp_score (bound $CP_MAX), sentinel-dp $dp_score"
if [ -n "$cp_score" ]; then
	awk -v s="$cp_score" -v m="$CP_MAX" 'BEGIN { exit !(s <= m) }' &&
		ok "sentinel-cp exposure $cp_score <= $CP_MAX" ||
		fail "sentinel-cp exposure $cp_score > $CP_MAX"
fi
(cd "$tmp" && systemd-analyze security --offline=true --no-pager ./sentinel-dp.service) | grep '✗'

# --- what the sandbox must keep (a regression here breaks the daemons) ---
want() { grep -qx "$2" "$units/$1.service" || fail "$1.service: missing '$2'"; }
want sentinel-dp 'CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN CAP_PERFMON'
want sentinel-dp 'ReadWritePaths=/sys/fs/bpf/sentinel /run/sentinel'
want sentinel-dp 'SupplementaryGroups=sentinel'
want sentinel-dp 'Type=notify'
want sentinel-cp 'User=sentinel'
want sentinel-cp 'CapabilityBoundingSet='
want sentinel-cp 'StateDirectory=sentinel'
want sentinel-cp 'Wants=sentinel-dp.service'
want sentinel-cp 'Type=notify'
grep -q '^ExecStop=' "$units/sentinel-dp.service" &&
	fail "sentinel-dp.service has ExecStop=: enforcement must survive a stop"
# sentinel-dp changes its socket directory's mode only when tmpfiles.d did
# not make it 02750 (then the setgid filter would refuse it, loudly)
want sentinel-dp 'RestrictSUIDSGID=yes'
want sentinel-dp 'ExecStartPre=+/usr/bin/systemd-tmpfiles --create sentinel.conf'

# --- sysusers.d and tmpfiles.d against a throw-away root ---
root="$tmp/root"
mkdir -p "$root/etc"
if out=$(systemd-sysusers --root="$root" "$units/sentinel.sysusers" 2>&1); then
	uid=$(awk -F: '$1 == "sentinel" { print $3 }' "$root/etc/passwd")
	gid=$(awk -F: '$1 == "sentinel" { print $3 }' "$root/etc/group")
	[ -n "$uid" ] && [ -n "$gid" ] && ok "sysusers: sentinel $uid:$gid" ||
		fail "sysusers created no sentinel user/group"
else
	fail "systemd-sysusers: $out"
	uid=x gid=x
fi
if out=$(systemd-tmpfiles --root="$root" --create "$units/sentinel.tmpfiles" 2>&1) &&
	[ -z "$out" ]; then
	ok "tmpfiles --create"
else
	fail "systemd-tmpfiles: ${out:-non-zero exit}"
fi
check_dir() {
	local got
	got=$(stat -c '%a %u %g' "$root$1" 2>/dev/null)
	[ "$got" = "$2" ] && ok "tmpfiles: $1 $got" || fail "tmpfiles: $1 is '$got', want '$2'"
}
check_dir /run/sentinel "2750 0 $gid"
check_dir /var/lib/sentinel "700 $uid $gid"
check_dir /sys/fs/bpf/sentinel "700 0 0"

# --- the environment file ---
grep -q '^SENTINEL_DP_ARGS=' "$units/sentinel-dp.env" ||
	fail "sentinel-dp.env does not set SENTINEL_DP_ARGS"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all unit checks passed"
