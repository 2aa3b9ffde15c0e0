#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian package, built, inspected, installed, run, upgraded and purged.
#   test_deb.sh SOURCE_ROOT
#
# 1. packaging/deb.sh builds it from the tree.
# 2. Its contents: every file where it belongs with its mode, the conffiles,
#    no test, bench or fuzz binary, the dependencies.
# 3. Throw-away roots: an overlay of this system (upper layer on a tmpfs) in
#    private mount, network and PID namespaces, with its own /run, /tmp and
#    bpffs.  dpkg runs there for real, maintainer scripts included; the host's
#    dpkg database, users and bpffs are never written, and everything
#    vanishes with the namespaces, even when the test fails.
#    Root A (systemd-sysusers present): install; the user, directories,
#    conffiles, units left disabled, the binaries; then the installed daemons
#    configured as README.Debian says, on a veth pair, driven through
#    sentinelctl; an upgrade (reinstall) keeps the firewall and the edited
#    conffiles; purge takes the firewall out of the kernel and removes
#    everything but the user and the administrator's files.
#    Root B (no systemd-sysusers, no systemd-tmpfiles): the adduser and
#    install -d fallbacks; remove keeps the conffiles, purge removes them.
# 4. lintian (when installed): errors fail, warnings are printed.
# Exit 77 when not root or a tool is missing.
set -uo pipefail

if [ "${1:-}" = --inner ]; then
	INNER=1
	shift
fi
top=${1:?source root}

fails=0
skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
ok() { echo "ok: $*"; }
quiet() { "$@" >/dev/null 2>&1; }
wait_for() { # wait_for SECONDS COMMAND...: until it succeeds, at most that long
	local end=$((SECONDS + $1))
	shift
	until quiet "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
	local what=$1
	shift
	if "$@"; then
		ok "$what"
	else
		fail "$what"
		return 1
	fi
}
res() { # COMPOUND-CONDITION; res DESCRIPTION: ok when it held
	local rc=$?
	[ $rc -eq 0 ] && ok "$1" || fail "$1"
	return $rc
}

BINS="/usr/sbin/sentinel-dp /usr/sbin/sentinel-cp /usr/sbin/sentinel-dpctl /usr/bin/sentinelctl"

# ---------------------------------------------------------------------------
# Inside the namespaces: $top is the work directory, $2 the .deb.
# ---------------------------------------------------------------------------
if [ -n "${INNER:-}" ]; then
	work=$top
	deb=${2:?deb}
	R=
	declare -a PIDS=()
	# PID 1 of the namespace: leaving kills every daemon started here
	# shellcheck disable=SC2154 # p: the trap's own loop variable
	trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done' EXIT

	# A throw-away root: this system, copy-on-write
	mkroot() {
		R=$work/$1
		mkdir -p "$R" "$work/$1.layer"
		mount -t tmpfs tmpfs "$work/$1.layer" &&
			mkdir "$work/$1.layer/upper" "$work/$1.layer/work" &&
			mount -t overlay overlay -o "lowerdir=/,upperdir=$work/$1.layer/upper,workdir=$work/$1.layer/work" "$R" &&
			mount -t proc proc "$R/proc" &&
			mount -t sysfs sysfs "$R/sys" &&
			mount -t bpf bpf "$R/sys/fs/bpf" &&
			mount --rbind /dev "$R/dev" &&
			mount -t tmpfs -o mode=0755 tmpfs "$R/run" &&
			mount -t tmpfs -o mode=1777 tmpfs "$R/tmp" || return 1
		cp "$deb" "$R/tmp/"
		# no man-db index rebuild on every dpkg run (slow, irrelevant)
		rm -f "$R/var/lib/man-db/auto-update"
	}
	ENVI=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive)
	inr() { "${ENVI[@]}" chroot "$R" "$@"; } # inside the root, clean environment
	clean_slate() { # a first installation, whatever this system has (in the root only)
		if [ -n "$(status_of)" ] && [ "$(status_of)" != "unknown ok not-installed" ]; then
			quiet inr dpkg --purge sentinel
		fi
		inr getent passwd sentinel >/dev/null && quiet inr userdel sentinel
		inr getent group sentinel >/dev/null && quiet inr groupdel sentinel
		[ -z "$(inr getent passwd sentinel)" ] && [ -z "$(inr getent group sentinel)" ] &&
			{ [ -z "$(status_of)" ] || [ "$(status_of)" = "unknown ok not-installed" ]; }
		res "the root starts without the package, the user and the group"
	}
	# sentinel-dp.service's command line: the last SENTINEL_DP_ARGS= of the
	# environment file, split at white space, no globbing (as systemd does)
	dp_args() { sed -n 's/^SENTINEL_DP_ARGS=//p' "$R/etc/sentinel/sentinel-dp.env" | tail -n 1; }
	as_sentinel() { # as the user postinst created (as sentinel-dpctl(8) says)
		inr runuser -u sentinel -- "$@"
	}
	perm() { inr stat -c '%a %U %G' "$1" 2>&1; }
	dpkg_run() { # dpkg_run LOG ARGS...: dpkg inside the root, output kept
		local log=$1
		shift
		if inr dpkg "$@" >"$log" 2>&1; then
			return 0
		fi
		sed 's/^/    /' "$log"
		return 1
	}
	absent() { [ ! -e "$R$1" ] && [ ! -L "$R$1" ]; }
	status_of() { inr dpkg-query -W -f='${Status}' sentinel 2>/dev/null; }
	ctl() { inr env SENTINEL_API_KEY="${key:-}" sentinelctl --timeout 5 \
		--cacert /etc/sentinel/tls/server.crt "$@"; }
	json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

	debname=${deb##*/}
	ip link set lo up

	# ===== root A: systemd-sysusers and systemd-tmpfiles present =====
	if ! mkroot a; then
		fail "cannot build the throw-away root (overlay of /)"
		exit 1
	fi
	clean_slate
	check "root A: dpkg -i (postinst with systemd-sysusers)" \
		dpkg_run "$work/a-install.log" -i "/tmp/$debname"
	check "dpkg: installed" [ "$(status_of)" = "install ok installed" ]
	pw=$(inr getent passwd sentinel)
	check "postinst created the system user sentinel ($pw)" \
		[ -n "$pw" ]
	IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
	[ -n "$uid" ] && [ "${uid:-1000}" -lt 1000 ] &&
		[ "$home" = /var/lib/sentinel ] && [ "$shell" = /usr/sbin/nologin ]
	res "  a system uid ($uid < 1000), home /var/lib/sentinel, no login shell"
	check "  and its group" [ "$(inr getent group sentinel | cut -d: -f3)" = "$gid" ]
	check "tmpfiles: /var/lib/sentinel 700 sentinel ($(perm /var/lib/sentinel))" \
		[ "$(perm /var/lib/sentinel)" = "700 sentinel sentinel" ]
	check "tmpfiles: /run/sentinel 2750 root:sentinel ($(perm /run/sentinel))" \
		[ "$(perm /run/sentinel)" = "2750 root sentinel" ]
	check "tmpfiles: /sys/fs/bpf/sentinel 700 root ($(perm /sys/fs/bpf/sentinel))" \
		[ "$(perm /sys/fs/bpf/sentinel)" = "700 root root" ]
	conff=$(inr dpkg-query -W -f='${Conffiles}\n' sentinel)
	grep -q '^ /etc/sentinel/sentinel.yaml ' <<<"$conff" &&
		grep -q '^ /etc/sentinel/sentinel-dp.env ' <<<"$conff"
	res "dpkg records /etc/sentinel/sentinel.yaml and sentinel-dp.env as conffiles"
	en=$(ls "$R"/etc/systemd/system/*.wants/sentinel-* 2>/dev/null)
	check "neither service is enabled on installation${en:+ ($en)}" [ -z "$en" ]
	for b in $BINS; do
		check "$b installed, executable" [ -x "$R$b" ]
	done
	check "sentinel-dp -V" [ "$(inr sentinel-dp -V)" = "sentinel-dp $VERSION" ]
	check "sentinel-cp -V" [ "$(inr sentinel-cp -V)" = "sentinel-cp $VERSION" ]
	check "sentinelctl version" grep -q "$VERSION" <<<"$(inr sentinelctl version)"
	check "sentinel-dpctl -h" quiet inr sentinel-dpctl -h
	out=$(inr sentinel-cp --check -c /etc/sentinel/sentinel.yaml 2>&1)
	check "sentinel-cp --check accepts the shipped configuration ($out)" \
		grep -q "valid" <<<"$out"
	# the unit's command line, from the shipped environment file
	set -f
	# shellcheck disable=SC2046 # split, as systemd splits $SENTINEL_DP_ARGS
	inr sentinel-dp $(dp_args) >/dev/null 2>&1
	rc=$?
	set +f
	check "as shipped, sentinel-dp exits 2 (usage: the unit does not restart it; got $rc)" \
		[ $rc -eq 2 ]
	if inr systemd-analyze --version >/dev/null 2>&1; then
		out=$(inr systemd-analyze verify --man=no \
			/lib/systemd/system/sentinel-dp.service \
			/lib/systemd/system/sentinel-cp.service 2>&1)
		check "systemd-analyze verify on the installed units (ExecStart= paths exist)${out:+: $out}" \
			[ -z "$out" ]
	fi

	# --- the installed daemons, configured as README.Debian says ---
	ip link add sdeb0 type veth peer name sdeb1 && ip link set sdeb0 up &&
		ip link set sdeb1 up || fail "veth pair"
	echo 'SENTINEL_DP_ARGS=-i sdeb0' >>"$R/etc/sentinel/sentinel-dp.env"
	# interfaces, and an admin API key (key_sha256) with auth enabled
	key=pkg-test-key-$RANDOM$RANDOM$RANDOM
	hash=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
	sed -i -e 's/^  interfaces: \[eth0\]/  interfaces: [sdeb0]/' \
		-e '/^auth:/,/^[a-z]/{s/^  enabled: false/  enabled: true/' \
		-e "s/^  api_keys: \[\]/  api_keys: [{name: pkg-test, key_sha256: $hash, role: admin}]/}" \
		"$R/etc/sentinel/sentinel.yaml"
	grep -q 'interfaces: \[sdeb0\]' "$R/etc/sentinel/sentinel.yaml" &&
		grep -q "name: pkg-test" "$R/etc/sentinel/sentinel.yaml"
	res "configuration edited (interfaces, auth with an API key)"
	# it holds a key now: root:sentinel 0640, as README.Debian says
	inr chgrp sentinel /etc/sentinel/sentinel.yaml &&
		inr chmod 0640 /etc/sentinel/sentinel.yaml
	inr sh -c 'install -d -m 0750 -g sentinel /etc/sentinel/tls &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		  -keyout /etc/sentinel/tls/server.key \
		  -out /etc/sentinel/tls/server.crt -days 365 -subj /CN=localhost \
		  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 &&
		chgrp sentinel /etc/sentinel/tls/server.key &&
		chmod 0640 /etc/sentinel/tls/server.key' >/dev/null 2>&1 ||
		fail "the certificate (README.Debian step 2)"
	# as sentinel-dp.service runs it: root, its environment file ($! is the
	# daemon: env and chroot exec it)
	set -f
	# shellcheck disable=SC2046
	"${ENVI[@]}" chroot "$R" sentinel-dp $(dp_args) >"$work/dp.log" 2>&1 &
	dp_pid=$!
	set +f
	PIDS+=("$dp_pid")
	wait_for 20 as_sentinel sentinel-dpctl -t 500 status
	st=$(as_sentinel sentinel-dpctl -t 2000 status 2>&1)
	check "sentinel-dp runs and the user sentinel may use its socket" \
		grep -q '"sdeb0"' <<<"$st" || sed 's/^/    /' "$work/dp.log"
	check "  and root may not (only the control-plane user is admitted)" \
		[ "$(inr sentinel-dpctl -t 500 status >/dev/null 2>&1; echo $?)" = 3 ]
	# as sentinel-cp.service runs it: user sentinel, the configuration
	"${ENVI[@]}" chroot "$R" setpriv --reuid=sentinel --regid=sentinel \
		--init-groups sentinel-cp -c /etc/sentinel/sentinel.yaml \
		>"$work/cp.log" 2>&1 &
	cp_pid=$!
	PIDS+=("$cp_pid")
	check "sentinel-cp as sentinel: API up, sentinel-dp connected and attached" \
		wait_for 30 ctl health || sed 's/^/    /' "$work/cp.log"
	check "firewall add through sentinelctl (API key)" \
		quiet ctl firewall add --id pkg-deny --action deny --protocol udp \
		--dst-port 9
	n=$(ctl -o json status 2>/dev/null | json 'd["dataplane"]["rules_in_kernel"]' 2>/dev/null)
	check "  and the rule is in the kernel (rules_in_kernel=$n)" [ "$n" = 1 ]
	check "the store is in /var/lib/sentinel, owned by sentinel ($(perm /var/lib/sentinel/sentinel.db))" \
		[ "$(perm /var/lib/sentinel/sentinel.db | cut -d' ' -f2-)" = "sentinel sentinel" ]
	kill "$cp_pid" "$dp_pid" 2>/dev/null
	wait "$cp_pid" "$dp_pid" 2>/dev/null
	[ -e "$R/sys/fs/bpf/sentinel/link_sdeb0" ] && ip link show sdeb0 | grep -q xdp
	res "stopped, the firewall stays (pinned link, XDP on sdeb0)"

	# --- upgrade: the same version again (prerm upgrade, postinst configure) ---
	check "upgrade (dpkg -i again)" dpkg_run "$work/a-upgrade.log" -i "/tmp/$debname"
	[ -e "$R/sys/fs/bpf/sentinel/link_sdeb0" ] && ip link show sdeb0 | grep -q xdp
	res "  keeps the firewall in the kernel"
	grep -q '^SENTINEL_DP_ARGS=-i sdeb0' "$R/etc/sentinel/sentinel-dp.env" &&
		grep -q 'interfaces: \[sdeb0\]' "$R/etc/sentinel/sentinel.yaml"
	res "  keeps the edited conffiles"

	# --- purge ---
	check "dpkg --purge" dpkg_run "$work/a-purge.log" --purge sentinel
	check "  prerm ran sentinel-dp uninstall" grep -q "uninstalled" "$work/a-purge.log"
	! ip link show sdeb0 | grep -q xdp && absent /sys/fs/bpf/sentinel
	res "  the firewall is out of the kernel (no XDP on sdeb0, no pins)"
	check "  /run/sentinel is gone" absent /run/sentinel
	for f in $BINS /etc/sentinel/sentinel.yaml /etc/sentinel/sentinel-dp.env \
		/var/lib/sentinel /lib/systemd/system/sentinel-dp.service \
		/usr/lib/sysusers.d/sentinel.conf; do
		check "  $f removed" absent "$f"
	done
	check "  the administrator's certificate stays" [ -e "$R/etc/sentinel/tls/server.crt" ]
	check "  the user sentinel stays (Debian policy)" quiet inr getent passwd sentinel
	st=$(status_of)
	[ -z "$st" ] || [ "$st" = "unknown ok not-installed" ]
	res "  dpkg: not installed (${st:-no record})"

	# ===== root B: neither systemd-sysusers nor systemd-tmpfiles =====
	if ! mkroot b; then
		fail "cannot build the second throw-away root"
		exit 1
	fi
	clean_slate
	rm -f "$R/usr/bin/systemd-sysusers" "$R/usr/bin/systemd-tmpfiles" \
		"$R/bin/systemd-sysusers" "$R/bin/systemd-tmpfiles"
	check "root B: dpkg -i (postinst falls back to adduser)" \
		dpkg_run "$work/b-install.log" -i "/tmp/$debname"
	pw=$(inr getent passwd sentinel)
	IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
	[ -n "$uid" ] && [ "${uid:-1000}" -lt 1000 ] &&
		[ "$home" = /var/lib/sentinel ] && [ "$shell" = /usr/sbin/nologin ] &&
		[ "$(inr getent group sentinel | cut -d: -f3)" = "$gid" ]
	res "adduser made a system user sentinel and its group ($pw)"
	check "  and /var/lib/sentinel 700 sentinel ($(perm /var/lib/sentinel))" \
		[ "$(perm /var/lib/sentinel)" = "700 sentinel sentinel" ]
	check "dpkg --remove" dpkg_run "$work/b-remove.log" --remove sentinel
	absent /usr/sbin/sentinel-dp && [ -e "$R/etc/sentinel/sentinel.yaml" ] &&
		[ "$(status_of)" = "deinstall ok config-files" ]
	res "  binaries gone, conffiles kept ($(status_of))"
	check "dpkg --purge" dpkg_run "$work/b-purge.log" --purge sentinel
	absent /etc/sentinel/sentinel.yaml && absent /var/lib/sentinel &&
		absent /etc/sentinel
	res "  conffiles, /etc/sentinel and the store gone"

	echo "throw-away roots: $fails failure(s)"
	exit $((fails > 0))
fi

# ---------------------------------------------------------------------------
# Outside: build, inspect, install (in the namespaces), lintian.
# ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "needs root (dpkg in throw-away roots, namespaces, XDP)"
for t in dpkg-buildpackage:dpkg-dev dh:debhelper dpkg-deb:dpkg unshare:util-linux \
	setpriv:util-linux ip:iproute2 openssl:openssl python3:python3; do
	command -v "${t%%:*}" >/dev/null ||
		skip "${t%%:*} not found: apt-get install ${t##*:}"
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip "no overlay file system (the throw-away roots)"

work=$(mktemp -d /tmp/sentinel-pkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 755 "$work"

# --- 1. build ---
start=$(date +%s)
if ! "$top/packaging/deb.sh" "$work/out"; then
	echo "FAIL: packaging/deb.sh"
	exit 1
fi
echo "build: $(($(date +%s) - start)) s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
VERSION=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
export VERSION
debs=("$work"/out/sentinel_*.deb)
deb=${debs[0]}
[ -f "$deb" ] || {
	echo "FAIL: no sentinel_*.deb in $work/out"
	exit 1
}
echo "package: ${deb##*/}, $(stat -c %s "$deb") bytes"

# --- 2. contents ---
# "mode owner path" per entry, without the leading "."
list=$(dpkg-deb -c "$deb" | awk '{ p = $6; sub(/^\./, "", p); print $1, $2, p }')
want() { # want MODE PATH
	local got
	got=$(awk -v p="$2" '$3 == p { print $1, $2 }' <<<"$list")
	if [ "$got" = "$1 root/root" ]; then
		ok "$2 $1"
	else
		fail "$2: want $1 root/root, got '${got:-nothing}'"
	fi
}
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
unitdir=${unitdir:-/usr/lib/systemd/system}
for b in $BINS; do want -rwxr-xr-x "$b"; done
for f in "$unitdir/sentinel-dp.service" "$unitdir/sentinel-cp.service" \
	/usr/lib/sysusers.d/sentinel.conf /usr/lib/tmpfiles.d/sentinel.conf \
	/etc/sentinel/sentinel.yaml /etc/sentinel/sentinel-dp.env \
	/usr/share/man/man8/sentinel-dp.8.gz /usr/share/man/man8/sentinel-cp.8.gz \
	/usr/share/man/man8/sentinel-dpctl.8.gz /usr/share/man/man1/sentinelctl.1.gz \
	/usr/share/bash-completion/completions/sentinelctl \
	/usr/share/doc/sentinel/copyright /usr/share/doc/sentinel/README.Debian \
	/usr/share/doc/sentinel/examples/firewall.yaml \
	/usr/share/doc/sentinel/examples/auth.yaml \
	/usr/share/doc/sentinel/examples/api-tls.yaml \
	/usr/share/doc/sentinel/examples/alerting.yaml \
	/usr/share/doc/sentinel/examples/audit.yaml; do
	want -rw-r--r-- "$f"
done
cmp -s <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./etc/sentinel/sentinel.yaml) \
	"$top/etc/sentinel.yaml" &&
	ok "/etc/sentinel/sentinel.yaml is etc/sentinel.yaml" ||
	fail "/etc/sentinel/sentinel.yaml differs from etc/sentinel.yaml"
extra=$(awk '$3 ~ /^\/usr\/s?bin\/./ { print $3 }' <<<"$list" |
	grep -vxF -f <(tr ' ' '\n' <<<"$BINS"))
[ -z "$extra" ] && ok "no other program in /usr/bin, /usr/sbin" ||
	fail "programs that are not the package's: $extra"
bad=$(awk '{ print $3 }' <<<"$list" |
	grep -E 'fwtool|/test-|/test_|bench|fuzz|xdp_gen|\.a$|\.h$|/include/|\.bpf\.o$')
[ -z "$bad" ] && ok "no test, bench, fuzz or development file" ||
	fail "not for the package: $bad"
odd=$(awk '$2 != "root/root" || $1 ~ /[sS]/ { print }' <<<"$list")
[ -z "$odd" ] && ok "everything root/root, no setuid/setgid bit" ||
	fail "ownership or mode: $odd"
dpkg-deb -e "$deb" "$work/control"
want_conf=$'/etc/sentinel/sentinel-dp.env\n/etc/sentinel/sentinel.yaml'
got_conf=$(sort "$work/control/conffiles" 2>/dev/null)
[ "$got_conf" = "$want_conf" ] && ok "DEBIAN/conffiles: the two files of /etc/sentinel" ||
	fail "DEBIAN/conffiles: want '$want_conf', got '$got_conf'"
for s in postinst prerm postrm; do
	[ -x "$work/control/$s" ] && ok "DEBIAN/$s" || fail "no DEBIAN/$s"
done
# systemd (not running in the throw-away roots): an upgrade restarts running
# units after unpacking and stops nothing before; removal stops them
grep -q "deb-systemd-invoke try-restart 'sentinel-cp.service' 'sentinel-dp.service'" \
	"$work/control/postinst" && ! grep -qs "deb-systemd-invoke stop" "$work/control/preinst"
res "upgrade: running services restarted in postinst (try-restart), not stopped in preinst"
grep -q "deb-systemd-invoke stop sentinel-cp.service sentinel-dp.service" "$work/control/prerm"
res "removal: prerm stops both services"
! grep -q "_dh_action=start\|deb-systemd-invoke start" "$work/control/postinst" &&
	[ "$(grep -c "deb-systemd-helper debian-installed" "$work/control/postinst")" = 2 ]
res "installation: neither service started nor enabled (re-enabled on upgrade if it was)"
dep=$(dpkg-deb -f "$deb" Depends)
for d in adduser libbpf1 libnng1 libh2o libsqlite3-0; do
	grep -q "$d" <<<"$dep" && ok "Depends: $d" || fail "Depends lacks $d: $dep"
done

# --- 3. throw-away roots ---
echo "--- throw-away roots (overlays of /, private mount, network, PID namespaces)"
unshare --mount --net --pid --fork --mount-proc --kill-child \
	"$0" --inner "$work" "$deb" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "throw-away roots (exit $rc)"

# --- 4. lintian ---
if command -v lintian >/dev/null; then
	chmod -R a+rX "$work/out"
	# as nobody: lintian unpacks what it checks, and needs no root
	l=$(cd /tmp && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env HOME=/tmp TMPDIR=/tmp lintian -I --pedantic "$work"/out/*.deb 2>&1)
	printf '%s\n' "$l" | sed 's/^/    lintian: /'
	if grep -q '^E:' <<<"$l"; then
		fail "lintian: errors"
	else
		ok "lintian: no error ($(grep -c '^W:' <<<"$l") warnings, $(grep -c '^[IP]:' <<<"$l") info/pedantic)"
	fi
else
	echo "lintian not installed (apt-get install lintian): not run"
fi

echo "$fails failure(s)"
[ $fails -eq 0 ]
