#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sentinel-cp hot reload from a Kubernetes ConfigMap volume: ..data swaps
# reload, same content does not, an invalid file keeps the running state.
#
# The directory is laid out as kubelet's atomic writer does it:
#   sentinel.yaml -> ..data/sentinel.yaml, ..data -> ..<timestamp>/
# and an update writes a new ..<timestamp>/, points ..data_tmp at it and
# renames ..data_tmp over ..data (one rename(2)), then removes the old one.
# sentinel-dp runs as the DaemonSet runs it: root with only CAP_BPF,
# CAP_NET_ADMIN and CAP_PERFMON in its bounding set, no_new_privs, the
# control plane's group as a supplementary group and a socket directory
# that starts out root:root 0755 (a hostPath DirectoryOrCreate).
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/dp_lib.sh" "$@"
CP=${5:-${CP:-build/controlplane/sentinel-cp}}
case $CP in /*) ;; *) CP=$PWD/$CP ;; esac

require_all
require_dp
[ -x "$CP" ] || skip "sentinel-cp not found at $CP"
require_tools curl openssl
setpriv --help 2>&1 | grep -q -- --bounding-set || skip "setpriv has no --bounding-set"
env_setup
chmod 755 "$WORK"
fwa load >/dev/null 2>&1 || die "load on the A side"
fwa attach "$VETHA" native >/dev/null 2>&1 || die "attach on the A side"

# ---- sentinel-dp with the DaemonSet's privileges ----
mkdir -m 0755 "$SOCK"
DP_LOG=$WORK/dp.log
nsenter --net="/run/netns/$NSB" setpriv --bounding-set=-all,+bpf,+net_admin,+perfmon \
	--inh-caps=-all --groups="$CP_GID" --no-new-privs \
	"$DP" -i "$VETHB" -b "$PIN" -s "$SOCK" -u "$CP_UID" -g "$CP_GID" -l debug \
	>>"$DP_LOG" 2>&1 &
DP_PID=$!
for _ in $(seq 1 100); do
	dpctl -t 500 status >/dev/null 2>&1 && break
	kill -0 "$DP_PID" 2>/dev/null || break
	sleep 0.05
done
dpctl -t 500 status >/dev/null 2>&1 || { cat "$DP_LOG"; die "sentinel-dp did not come up with the container's capabilities"; }
assert_eq "sentinel-dp holds exactly CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON" \
	"000000c000001000 000000c000001000" \
	"$(awk '/^CapEff/ {e=$2} /^CapBnd/ {b=$2} END {print e, b}' "/proc/$DP_PID/status")"
assert_eq "and made the socket directory root:$CP_GID 2750 without CAP_CHOWN" \
	"0 $CP_GID 2750" "$(command stat -c '%u %g %a' "$SOCK")"

# ---- the ConfigMap volume ----
PORT=18453
STATE=$WORK/state
CM=$WORK/configmap
mkdir -p "$STATE" "$CM"
chown "$CP_UID:$CP_GID" "$STATE"
make_cert "$WORK/key.pem" "$WORK/cert.pem"
KEY_ADMIN=admin-key-0123456789abcdef0123456789ab

# config_yaml RULES...: the configuration with one deny rule per UDP port
# (a port "bad" gives an invalid rule)
config_yaml()
{
	local p

	cat <<YAML
agent:
  interfaces: [$VETHB]
  socket_dir: $SOCK
  state_dir: $STATE
  log_level: debug
firewall:
  default_policy: pass
  rules:
YAML
	for p in "$@"; do
		if [ "$p" = bad ]; then
			printf '    - {id: cm-bad, action: deny, protocol: udp, dst_port: 70000}\n'
		else
			printf '    - {id: cm-deny-%s, action: deny, protocol: udp, dst_port: %s}\n' "$p" "$p"
		fi
	done
	yaml_api_auth "ops-admin:admin:$KEY_ADMIN"
}

# cm_publish RULES...: what kubelet does when the ConfigMap changes
GEN=0
cm_publish()
{
	local old new

	GEN=$((GEN + 1))
	new=..2026_11_23_15_00_0$GEN.00000000$GEN
	mkdir -m 0755 "$CM/$new"
	config_yaml "$@" >"$CM/$new/sentinel.yaml"
	chmod 644 "$CM/$new/sentinel.yaml"
	old=$(readlink "$CM/..data" 2>/dev/null || true)
	ln -s "$new" "$CM/..data_tmp"
	mv -T "$CM/..data_tmp" "$CM/..data"
	[ -L "$CM/sentinel.yaml" ] || ln -s ..data/sentinel.yaml "$CM/sentinel.yaml"
	[ -z "$old" ] || rm -rf "${CM:?}/$old"
}

api()
{
	local m=$1 p=$2

	shift 2
	nsenter --net="/run/netns/$NSB" curl -s --cacert "$WORK/cert.pem" -X "$m" \
		-H "X-API-Key: $KEY_ADMIN" "https://127.0.0.1:$PORT$p" "$@"
}
has_rule() { jget "$(api GET /api/v1/firewall/rules)" "len([r for r in d['rules'] if r['id']=='$1'])"; }
# reloads made by the watcher, from the audit trail
watch_reloads() { jget "$(api GET '/api/v1/audit/logs?component=config&actor=file-watch&limit=100')" 'd["total"]'; }
# wait_for 'SHELL CONDITION': up to 10 s until it holds (evaluated each time)
wait_for()
{
	for _ in $(seq 1 100); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}
log_count() { grep -c -- "$1" "$WORK/cp.log" || true; }

cm_publish 7101
assert_eq "layout: sentinel.yaml -> ..data/sentinel.yaml" "..data/sentinel.yaml" "$(readlink "$CM/sentinel.yaml")"
udp_server 7101
udp_server 7102
udp_server 7103

nsenter --net="/run/netns/$NSB" setpriv --reuid="$CP_UID" --regid="$CP_GID" --clear-groups \
	"$CP" -c "$CM/sentinel.yaml" >>"$WORK/cp.log" 2>&1 &
CP_PID=$!
trap 'rc=$?; kill "$CP_PID" 2>/dev/null; wait "$CP_PID" 2>/dev/null; (exit $rc); cleanup' EXIT
wait_for '[ "$(api GET /readyz -o /dev/null -w "%{http_code}")" = 200 ]' ||
	{ cat "$WORK/cp.log"; die "sentinel-cp did not become ready"; }
assert_eq "the first generation's rule is listed" "1" "$(has_rule cm-deny-7101)"
assert_eq "and enforced" "timeout" "$(udp_probe "$IP4B" 7101 1)"
assert_eq "no watcher reload yet" "0" "$(watch_reloads)"

# ---- a ConfigMap update: a new generation behind ..data ----
cm_publish 7101 7102
wait_for '[ "$(has_rule cm-deny-7102)" = 1 ]'
assert_eq "after the ..data swap the new rule is listed" "1" "$(has_rule cm-deny-7102)"
assert_eq "and enforced on real packets" "timeout" "$(udp_probe "$IP4B" 7102 1)"
assert_eq "one reload by the watcher in the audit trail" "1" "$(watch_reloads)"
assert_eq "the reload created the rule (audit)" "1" \
	"$(jget "$(api GET '/api/v1/audit/logs?component=firewall&limit=100')" 'len([e for e in d["entries"] if e["object"]=="cm-deny-7102" and e["action"]=="create" and e["actor"]=="file-watch"])')"
assert_eq "GET /api/v1/config shows the new file" "cm-deny-7101 cm-deny-7102" \
	"$(jget "$(api GET /api/v1/config)" '" ".join(r["id"] for r in d["firewall"]["rules"])')"

# ---- events with unchanged content: no reload ----
unchanged_before=$(log_count "content unchanged, no reload")
cm_publish 7101 7102 # same bytes, new generation: every rename happens again
sleep 1
touch -h "$CM/sentinel.yaml" "$CM/..data"
sleep 1.2
assert_ge "the watcher saw the events and compared the content" "$((unchanged_before + 1))" \
	"$(log_count "content unchanged, no reload")"
assert_eq "same content: still one reload" "1" "$(watch_reloads)"
assert_eq "and one 'changed: reloading' line" "1" "$(log_count "changed: reloading")"

# ---- an invalid generation: refused, the running state kept ----
cm_publish 7101 7102 bad
wait_for 'grep -q "reload refused" "$WORK/cp.log"'
assert_match "the invalid file is refused, naming the key" "reload refused.*dst_port" "$(cat "$WORK/cp.log")"
assert_eq "no reload recorded" "1" "$(watch_reloads)"
assert_eq "the running rules are unchanged" "cm-deny-7101 cm-deny-7102" \
	"$(jget "$(api GET /api/v1/config)" '" ".join(r["id"] for r in d["firewall"]["rules"])')"
assert_eq "and still enforced" "timeout timeout" \
	"$(udp_probe "$IP4B" 7101 1) $(udp_probe "$IP4B" 7102 1)"

# ---- fixed: 7101 goes, 7103 comes ----
cm_publish 7102 7103
wait_for '[ "$(has_rule cm-deny-7103)" = 1 ]'
assert_eq "the next valid generation is loaded" "0 1 1" \
	"$(has_rule cm-deny-7101) $(has_rule cm-deny-7102) $(has_rule cm-deny-7103)"
assert_eq "udp 7101 passes again, 7103 is dropped" "reply timeout" \
	"$(udp_probe "$IP4B" 7101 1) $(udp_probe "$IP4B" 7103 1)"
assert_eq "two reloads by the watcher" "2" "$(watch_reloads)"
assert_eq "the reload's removal is audited" "1" \
	"$(jget "$(api GET '/api/v1/audit/rules/cm-deny-7101/history')" 'len([e for e in d["history"] if e["action"]=="delete"])')"

# ---- SIGHUP still reloads unconditionally ----
kill -HUP "$CP_PID"
sighup_reloads() { jget "$(api GET '/api/v1/audit/logs?component=config&actor=sighup')" 'd["total"]'; }
wait_for '[ "$(sighup_reloads)" = 1 ]'
assert_eq "SIGHUP with unchanged content reloads" "1" "$(sighup_reloads)"
assert_eq "sentinel-dp is still the same process" "0" "$(kill -0 "$DP_PID"; echo $?)"

finish
