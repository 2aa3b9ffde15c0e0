#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sentinel-cp end to end: sentinel-dp + sentinel-cp in a namespace, the
# HTTPS API driving real packets, alerts, audit, reloads, RBAC, restarts.
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/dp_lib.sh" "$@"
CP=${5:-${CP:-build/controlplane/sentinel-cp}}
case $CP in /*) ;; *) CP=$PWD/$CP ;; esac
CTL=${6:-}

require_all
require_dp
[ -x "$CP" ] || skip "sentinel-cp not found at $CP"
require_tools curl openssl
env_setup
chmod 755 "$WORK"
fwa load >/dev/null 2>&1 || die "load on the A side"
fwa attach "$VETHA" native >/dev/null 2>&1 || die "attach on the A side"
dp_start -i "$VETHB"

PORT=18443
STATE=$WORK/state
CFG=$WORK/sentinel.yaml
mkdir -p "$STATE"
chown "$CP_UID:$CP_GID" "$STATE"
make_cert "$WORK/key.pem" "$WORK/cert.pem"
KEY_VIEWER=viewer-key-0123456789abcdef0123456789
KEY_OPERATOR=operator-key-0123456789abcdef01234567
KEY_ADMIN=admin-key-0123456789abcdef0123456789ab

write_config()
{
	cat >"$CFG" <<YAML
agent:
  interfaces: [$VETHB]
  socket_dir: $SOCK
  state_dir: $STATE
  log_level: debug
firewall:
  default_policy: pass
${2:-}
  rules:
    - id: cfg-deny-7002
      priority: 20
      action: deny
      protocol: udp
      dst_port: 7002
$1
alerting:
  dedup_window_secs: 60
$(yaml_api_auth "ops-viewer:viewer:$KEY_VIEWER" \
		"ops-operator:operator:$KEY_OPERATOR" "ops-admin:admin:$KEY_ADMIN")
YAML
	chmod 644 "$CFG"
}
write_config ""

cp_start()
{
	nsenter --net="/run/netns/$NSB" setpriv --reuid="$CP_UID" --regid="$CP_GID" \
		--clear-groups "$CP" -c "$CFG" >>"$WORK/cp.log" 2>&1 &
	CP_PID=$!
	for _ in $(seq 1 100); do
		[ "$(api GET /readyz -o /dev/null -w '%{http_code}')" = 200 ] && return 0
		kill -0 "$CP_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/cp.log"
	die "sentinel-cp did not become ready"
}
cp_stop() { kill "$CP_PID" 2>/dev/null; wait "$CP_PID" 2>/dev/null; }

# api METHOD PATH [curl args...]: in B's namespace, TLS verified.
api()
{
	local m=$1 p=$2

	shift 2
	nsenter --net="/run/netns/$NSB" curl -s --cacert "$WORK/cert.pem" -X "$m" \
		"https://127.0.0.1:$PORT$p" "$@"
}
as_viewer() { api "$@" -H "X-API-Key: $KEY_VIEWER"; }
as_operator() { api "$@" -H "X-API-Key: $KEY_OPERATOR"; }
as_admin() { api "$@" -H "X-API-Key: $KEY_ADMIN"; }

cp_start
trap 'rc=$?; cp_stop; (exit $rc); cleanup' EXIT

assert_eq "sentinel-cp has no capabilities" "0000000000000000 0000000000000000" \
	"$(awk '/^CapEff/ {e=$2} /^CapPrm/ {p=$2} END {print e, p}' "/proc/$CP_PID/status")"
assert_eq "and runs as the unprivileged user" "$CP_UID" "$(awk '/^Uid/ {print $2}' "/proc/$CP_PID/status")"
assert_eq "healthz" '{"status":"ok"}' "$(api GET /healthz)"
r=$(api GET /readyz)
assert_eq "readyz: dp connected, program attached" "ready True True" \
	"$(jget "$r" 'd["status"], d["dataplane_connected"], d["ebpf_loaded"]' | tr -d "(),'")"

# ---- a rule through the API is enforced before the 201 ----
udp_server 7000
udp_server 7002
assert_eq "udp 7000 open before" "reply" "$(udp_probe "$IP4B" 7000 1)"
assert_eq "the config rule is enforced" "timeout" "$(udp_probe "$IP4B" 7002 1)"
code=$(as_operator POST /api/v1/firewall/rules -o "$WORK/add.json" -w '%{http_code}' \
	-d '{"id":"block-7000","priority":5,"action":"deny","protocol":"udp","dst_port":7000}')
assert_eq "operator adds a rule: 201" "201" "$code"
assert_eq "udp 7000 denied right after the 201" "timeout" "$(udp_probe "$IP4B" 7000 1)"
assert_eq "the reply is the rule, from the api" "block-7000 api deny" \
	"$(jget "$(cat "$WORK/add.json")" 'd["id"], d["source"], d["action"]' | tr -d "(),'")"
code=$(as_operator POST /api/v1/firewall/rules -o "$WORK/dup.json" -w '%{http_code}' \
	-d '{"id":"block-7000","action":"deny"}')
assert_eq "the same id again: 409" "409" "$code"
code=$(as_operator POST /api/v1/firewall/rules -o "$WORK/bad.json" -w '%{http_code}' \
	-d '{"id":"x","action":"deny","protocol":"udp","dst_port":"9-1"}')
assert_eq "a reversed port range: 400" "400" "$code"
assert_eq "naming the field" "dst_port" "$(jget "$(cat "$WORK/bad.json")" 'd["error"]["field"]')"
code=$(as_operator POST /api/v1/firewall/rules -o /dev/null -w '%{http_code}' -d '{"id": ')
assert_eq "malformed JSON: 400" "400" "$code"
rules=$(as_viewer GET /api/v1/firewall/rules)
assert_eq "list: config + api rules" "2" "$(jget "$rules" 'd["count"]')"
assert_ge "hits from the kernel counters" 1 \
	"$(jget "$rules" '[r["hits"]["packets"] for r in d["rules"] if r["id"]=="block-7000"][0]')"

# ---- alerts and audit ----
sleep 1.5
al=$(as_viewer GET '/api/v1/alerts?component=firewall&limit=10')
assert_ge "the denied datagrams became alerts" 1 \
	"$(jget "$al" 'len([a for a in d["alerts"] if a["rule_id"]=="block-7000" and a["dst_port"]==7000 and a["src_ip"]=="'"$IP4A"'"])')"
aid=$(jget "$al" '[a["id"] for a in d["alerts"] if a["rule_id"]=="block-7000"][0]')
assert_eq "viewer cannot mark a false positive" "403" \
	"$(as_viewer POST "/api/v1/alerts/$aid/false-positive" -o /dev/null -w '%{http_code}')"
fp=$(as_operator POST "/api/v1/alerts/$aid/false-positive")
assert_eq "operator marks it" "True" "$(jget "$fp" 'd["false_positive"]')"
assert_eq "filter: false positives only" "1" \
	"$(jget "$(as_viewer GET '/api/v1/alerts?false_positive=true')" 'd["total"]')"
assert_eq "bad severity filter: 400 naming it" "severity" \
	"$(jget "$(as_viewer GET '/api/v1/alerts?severity=extreme')" 'd["error"]["field"]')"
h=$(as_viewer GET /api/v1/audit/rules/block-7000/history)
assert_eq "audit: created by the operator's key" "create ops-operator" \
	"$(jget "$h" 'd["history"][0]["action"], d["history"][0]["actor"]' | tr -d "(),'")"

# ---- delete: admin only; config rules are not the API's ----
assert_eq "operator cannot delete: 403" "403" \
	"$(as_operator DELETE /api/v1/firewall/rules/block-7000 -o /dev/null -w '%{http_code}')"
assert_eq "a config rule cannot be deleted through the API: 403" "403" \
	"$(as_admin DELETE /api/v1/firewall/rules/cfg-deny-7002 -o /dev/null -w '%{http_code}')"
assert_eq "unknown rule: 404" "404" \
	"$(as_admin DELETE /api/v1/firewall/rules/nope -o /dev/null -w '%{http_code}')"

# ---- restarts: cp (kill -9) keeps its rules; dp restarts get the state back ----
kill -9 "$CP_PID"
wait "$CP_PID" 2>/dev/null
cp_start
assert_eq "after kill -9 of sentinel-cp the API rule is still listed" "1" \
	"$(jget "$(as_viewer GET /api/v1/firewall/rules)" 'len([r for r in d["rules"] if r["id"]=="block-7000"])')"
assert_eq "and enforced" "timeout" "$(udp_probe "$IP4B" 7000 1)"
dp_kill9
sleep 1.5
assert_eq "sentinel-dp gone: readyz 503" "503" "$(api GET /readyz -o /dev/null -w '%{http_code}')"
# the loop does not wait for an absent sentinel-dp (it used to: 3 s a tick)
assert_eq "and the API is not held up meanwhile: 5 healthz in under 1 s each" "0" \
	"$(for _ in 1 2 3 4 5; do api GET /healthz -o /dev/null -w '%{time_total}\n'; done |
		awk '$1 >= 1 { n++ } END { print n + 0 }')"
dp_start -i "$VETHB"
for _ in $(seq 1 30); do
	[ "$(api GET /readyz -o /dev/null -w '%{http_code}')" = 200 ] && break
	sleep 0.2
done
assert_eq "sentinel-dp back: readyz 200" "200" "$(api GET /readyz -o /dev/null -w '%{http_code}')"
assert_match "sentinel-cp pushed its state again" "pushing the desired state" "$(cat "$WORK/cp.log")"

# ---- reloads ----
cp "$CFG" "$WORK/good.yaml"
printf 'firewall:\n  rules:\n    - id: r1\n      action: deny\n      dst_port: 70000\n' >>"$CFG"
r=$(as_admin POST /api/v1/config/reload -w '\n%{http_code}')
assert_eq "invalid file: 422" "422" "$(echo "$r" | tail -1)"
assert_match "the error names the key" "firewall|dst_port|duplicate|line" "$(echo "$r" | head -1)"
assert_eq "the running rules are untouched" "timeout timeout" \
	"$(udp_probe "$IP4B" 7000 1) $(udp_probe "$IP4B" 7002 1)"
write_config "    - id: cfg-deny-7003
      priority: 21
      action: deny
      protocol: udp
      dst_port: 7003"
udp_server 7003
assert_eq "viewer cannot reload" "403" "$(as_viewer POST /api/v1/config/reload -o /dev/null -w '%{http_code}')"
r=$(as_admin POST /api/v1/config/reload)
assert_eq "valid file: reloaded" "reloaded" "$(jget "$r" 'd["status"]')"
assert_eq "the new config rule is enforced" "timeout" "$(udp_probe "$IP4B" 7003 1)"
assert_eq "the API rule survived the reload" "timeout" "$(udp_probe "$IP4B" 7000 1)"
assert_eq "audit: the reload created the rule" "1" \
	"$(jget "$(as_viewer GET '/api/v1/audit/logs?component=firewall&limit=100')" 'len([e for e in d["entries"] if e["object"]=="cfg-deny-7003" and e["action"]=="create"])')"
cfgjson=$(as_viewer GET /api/v1/config)
assert_eq "config: API key hashes are redacted" "0" \
	"$(echo "$cfgjson" | grep -c -i -E "$KEY_ADMIN|[0-9a-f]{64}")"
kill -HUP "$CP_PID"
sleep 0.5
assert_match "SIGHUP reloads" "SIGHUP: reloading" "$(cat "$WORK/cp.log")"
write_config "    - id: cfg-deny-7003
      priority: 21
      action: deny
      protocol: udp
      dst_port: 7003
    - id: cfg-deny-7005
      priority: 22
      action: deny
      protocol: udp
      dst_port: 7005"
for _ in $(seq 1 30); do
	grep -q "cfg-deny-7005" <<<"$(as_viewer GET /api/v1/firewall/rules)" && break
	sleep 0.1
done
assert_match "an edit of the file is picked up by the watcher" "changed: reloading" "$(cat "$WORK/cp.log")"
assert_eq "and its new rule is listed" "1" \
	"$(jget "$(as_viewer GET /api/v1/firewall/rules)" 'len([r for r in d["rules"] if r["id"]=="cfg-deny-7005"])')"

# ---- per-interface policy and anti-lockout from the file ----
udp_server 7006
write_config "    - id: cfg-deny-7003
      priority: 21
      action: deny
      protocol: udp
      dst_port: 7003" "  interface_policies:
    - {interface: $VETHB, default_policy: drop}
  anti_lockout:
    sources: [$IP4A/32]
    ports: [7006]"
r=$(as_admin POST /api/v1/config/reload)
assert_eq "reload with an interface policy and anti-lockout" "reloaded" "$(jget "$r" 'd["status"]')"
assert_eq "default drop on $VETHB: ping dropped" "0" "$(ping4 2)"
assert_eq "the anti-lockout port still passes" "reply" "$(udp_probe "$IP4B" 7006 1)"
assert_eq "sentinel-dp holds the anti-lockout entry" "1" "$(jget "$(dpctl status)" 'd["mgmt"]')"
write_config "    - id: cfg-deny-7003
      priority: 21
      action: deny
      protocol: udp
      dst_port: 7003"
r=$(as_admin POST /api/v1/config/reload)
assert_ge "both removed from the file: the global pass applies again" 1 "$(ping4 2)"
assert_eq "and the anti-lockout list is empty" "0" "$(jget "$(dpctl status)" 'd["mgmt"]')"

# ---- TLS: a renewed certificate (same paths) is served after a reload ----
fp_of() { openssl x509 -noout -fingerprint -sha256 | cut -d= -f2; }
served_fp()
{
	nsenter --net="/run/netns/$NSB" openssl s_client -connect "127.0.0.1:$PORT" \
		-servername localhost </dev/null 2>/dev/null | fp_of
}
fp_old=$(fp_of <"$WORK/cert.pem")
assert_eq "sentinel-cp serves cert.pem" "$fp_old" "$(served_fp)"
cp "$WORK/cert.pem" "$WORK/cert-old.pem"
make_cert "$WORK/key-new.pem" "$WORK/cert-new.pem"
mv "$WORK/key-new.pem" "$WORK/key.pem"
mv "$WORK/cert-new.pem" "$WORK/cert.pem"
fp_new=$(fp_of <"$WORK/cert.pem")
assert_eq "renewed files: the old certificate until a reload" "$fp_old" "$(served_fp)"
r=$(api POST /api/v1/config/reload -H "X-API-Key: $KEY_ADMIN" --cacert "$WORK/cert-old.pem")
assert_eq "reload (over the old certificate)" "reloaded" "$(jget "$r" 'd["status"]')"
assert_eq "the renewed certificate is served" "$fp_new" "$(served_fp)"
assert_eq "and clients that trust it get in" "200" \
	"$(as_viewer GET /api/v1/agent/status -o /dev/null -w '%{http_code}')"
cp "$WORK/key.pem" "$WORK/key-good.pem"
echo "not a key" >"$WORK/key.pem"
r=$(as_admin POST /api/v1/config/reload -w '\n%{http_code}')
assert_eq "a broken key file: reload refused, 422" "422" "$(echo "$r" | tail -1)"
assert_eq "naming tls.key_path" "tls.key_path" "$(jget "$(echo "$r" | head -1)" 'd["error"]["field"]')"
assert_eq "the running certificate stays" "$fp_new" "$(served_fp)"
cp "$WORK/key-good.pem" "$WORK/key.pem"

# ---- firewall.enabled: false enforces nothing and keeps the API rules ----
write_config "" "  enabled: false
  interface_policies:
    - {interface: $VETHB, default_policy: drop}"
r=$(as_admin POST /api/v1/config/reload)
assert_eq "reload with the firewall disabled" "reloaded" "$(jget "$r" 'd["status"]')"
assert_eq "sentinel-dp holds no rules and the global pass" "0 pass" \
	"$(jget "$(dpctl status)" '"%s %s" % (d["rules"], d["default_policy"])')"
assert_eq "the API rule is not enforced: udp 7000 passes" "reply" "$(udp_probe "$IP4B" 7000 1)"
assert_ge "nor the disabled firewall's interface policy: ping passes" 1 "$(ping4 2)"
assert_eq "the API rule is kept (listed)" "1" \
	"$(jget "$(as_viewer GET /api/v1/firewall/rules)" 'len([r for r in d["rules"] if r["id"]=="block-7000"])')"
assert_eq "a new API rule is refused while disabled: 409" "409" \
	"$(as_admin POST /api/v1/firewall/rules -d '{"id":"late","action":"deny","protocol":"udp","dst_port":7008}' -o /dev/null -w '%{http_code}')"
write_config "    - id: cfg-deny-7003
      priority: 21
      action: deny
      protocol: udp
      dst_port: 7003"
r=$(as_admin POST /api/v1/config/reload)
assert_eq "enabled again: the API rule is enforced again" "timeout" "$(udp_probe "$IP4B" 7000 1)"
assert_eq "and the configuration's rule" "timeout" "$(udp_probe "$IP4B" 7002 1)"

# ---- delete through the API ----
assert_eq "admin deletes the API rule" "200" \
	"$(as_admin DELETE /api/v1/firewall/rules/block-7000 -o /dev/null -w '%{http_code}')"
assert_eq "udp 7000 open again" "reply" "$(udp_probe "$IP4B" 7000 1)"
assert_eq "audit: delete recorded with the rule before" "delete ops-admin block-7000" \
	"$(jget "$(as_viewer GET /api/v1/audit/rules/block-7000/history)" 'd["history"][-1]["action"], d["history"][-1]["actor"], d["history"][-1]["before"]["id"]' | tr -d "(),'")"

# ---- RBAC: every route x every role ----
"$CP" --routes >"$WORK/routes.txt" || die "sentinel-cp --routes"
bad=0
while read -r method path role; do
	p=${path//\{id\}/1}
	for who in none viewer operator admin; do
		case $who in
		none) out=$(api "$method" "$p" -o "$WORK/rbac.body" -w '%{http_code}') ;;
		viewer) out=$(as_viewer "$method" "$p" -o "$WORK/rbac.body" -w '%{http_code}' -d '{}') ;;
		operator) out=$(as_operator "$method" "$p" -o "$WORK/rbac.body" -w '%{http_code}' -d '{}') ;;
		admin) out=$(as_admin "$method" "$p" -o "$WORK/rbac.body" -w '%{http_code}' -d '{}') ;;
		esac
		# a handler's own 404 (no rule 1) is not a missing route
		[ "$out" = 404 ] && ! grep -q "no such endpoint" "$WORK/rbac.body" && out=404h
		lvl() { case $1 in public) echo 0 ;; viewer) echo 1 ;; operator) echo 2 ;; admin) echo 3 ;; none) echo 0 ;; esac; }
		need=$(lvl "$role") have=$(lvl "$who")
		if [ "$need" -gt 0 ] && [ "$who" = none ]; then want=401
		elif [ "$have" -lt "$need" ]; then want=403
		else want=allowed; fi
		if [ "$want" = allowed ]; then
			case $out in 401 | 403 | 404 | 405) bad=$((bad + 1)); echo "# $method $path as $who: $out" ;; esac
		elif [ "$out" != "$want" ]; then
			bad=$((bad + 1)); echo "# $method $path as $who: $out, want $want"
		fi
	done
done <"$WORK/routes.txt"
assert_eq "RBAC matrix: $(wc -l <"$WORK/routes.txt") routes x 4 roles as declared" "0" "$bad"

# ---- OpenAPI: the document lists exactly the routes the server has ----
api GET /api-docs/openapi.json >"$WORK/openapi.json"
assert_eq "OpenAPI document == the route table" "" "$(python3 - "$WORK/openapi.json" "$WORK/routes.txt" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
have = set()
for path, ops in doc["paths"].items():
    for m, op in ops.items():
        role = op.get("x-sentinel-role") or "public"
        have.add((m.upper(), path, role))
want = set(tuple(l.split()) for l in open(sys.argv[2]) if l.strip())
for x in sorted(want - have): print("missing from the document:", *x)
for x in sorted(have - want): print("not served:", *x)
PY
)"

# ---- sentinelctl against the real API ----
if [ -n "$CTL" ]; then
	case $CTL in /*) ;; *) CTL=$PWD/$CTL ;; esac
	ctl() { nsenter --net="/run/netns/$NSB" env SENTINEL_API_KEY="$KEY_OPERATOR" \
		"$CTL" --port "$PORT" --cacert "$WORK/cert.pem" "$@"; }
	ctla() { nsenter --net="/run/netns/$NSB" env SENTINEL_API_KEY="$KEY_ADMIN" \
		"$CTL" --port "$PORT" --cacert "$WORK/cert.pem" "$@"; }
	udp_server 7004
	assert_eq "sentinelctl health" "0" "$(ctl health >/dev/null 2>&1; echo $?)"
	out=$(ctl firewall add --id ctl-7004 --priority 3 --action deny --protocol udp --dst-port 7004 2>&1)
	assert_eq "sentinelctl firewall add: exit 0" "0" "$?"
	assert_eq "and the kernel drops udp 7004" "timeout" "$(udp_probe "$IP4B" 7004 1)"
	assert_match "sentinelctl firewall list shows it (table)" "ctl-7004" "$(ctl firewall list)"
	assert_eq "sentinelctl firewall list -o json" "1" \
		"$(jget "$(ctl -o json firewall list)" 'len([r for r in d["rules"] if r["id"]=="ctl-7004"])')"
	sleep 1.5
	assert_match "sentinelctl alerts list shows the drop" "ctl-7004" "$(ctl alerts list --component firewall)"
	assert_match "sentinelctl audit history" "create" "$(ctl audit history ctl-7004)"
	ctl firewall add --id bad --action deny --protocol udp --dst-port 9-1 >/dev/null 2>"$WORK/ctl.err"
	assert_eq "a bad rule: exit 5" "5" "$?"
	assert_match "naming the field" "dst_port" "$(cat "$WORK/ctl.err")"
	assert_eq "operator cannot delete: exit 3" "3" "$(ctl firewall delete ctl-7004 >/dev/null 2>&1; echo $?)"
	assert_eq "admin deletes: exit 0" "0" "$(ctla firewall delete ctl-7004 >/dev/null 2>&1; echo $?)"
	assert_eq "udp 7004 open again" "reply" "$(udp_probe "$IP4B" 7004 1)"
	assert_eq "unknown rule: exit 4" "4" "$(ctla firewall delete nope >/dev/null 2>&1; echo $?)"
	assert_eq "config reload through sentinelctl" "0" "$(ctla config reload >/dev/null 2>&1; echo $?)"
	assert_eq "without a CA: exit 2" "2" \
		"$(nsenter --net="/run/netns/$NSB" "$CTL" --port "$PORT" status >/dev/null 2>&1; echo $?)"
fi

# ---- no auth on a non-loopback address: refused unless told ----
out=$(nsenter --net="/run/netns/$NSB" setpriv --reuid="$CP_UID" --regid="$CP_GID" --clear-groups \
	"$CP" -c "$CFG" -s api.bind_address=0.0.0.0 -s api.port=18444 -s auth.enabled=false 2>&1)
assert_eq "without auth on 0.0.0.0: exit 1" "1" "$?"
assert_match "saying why" "not a loopback address and auth is disabled" "$out"

# ---- metrics ----
m=$(as_viewer GET /metrics)
assert_match "metrics: packets by verdict" 'sentinel_packets_total\{verdict="drop"\} [1-9]' "$m"
assert_match "metrics: packets by interface and verdict" "sentinel_interface_packets_total\\{interface=\"$VETHB\",verdict=\"drop\"\\} [1-9]" "$m"
assert_match "metrics: per-rule hits" 'sentinel_rule_hits_total\{rule="cfg-deny-7002"\} [1-9]' "$m"
assert_match "metrics: dp connection" 'sentinel_dataplane_connected 1' "$m"
assert_match "metrics: the dp restart seen on the event stream (new instance id)" 'sentinel_dataplane_restarts_total 1' "$m"
assert_match "metrics: API requests by route and status" 'sentinel_api_requests_total\{route="/api/v1/firewall/rules",status="2xx"\}' "$m"
assert_match "metrics: process memory" 'sentinel_cp_resident_memory_bytes [1-9]' "$m"
assert_eq "metrics need a role" "401" "$(api GET /metrics -o /dev/null -w '%{http_code}')"

# ---- a real Prometheus scrapes it (API key as a bearer credential) ----
if command -v prometheus >/dev/null; then
	mkdir -p "$WORK/prom"
	cat >"$WORK/prom.yml" <<PROM
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: sentinel
    scheme: https
    tls_config: {ca_file: $WORK/cert.pem}
    authorization: {type: Bearer, credentials: $KEY_VIEWER}
    static_configs: [{targets: ['127.0.0.1:$PORT']}]
PROM
	nsenter --net="/run/netns/$NSB" prometheus --config.file="$WORK/prom.yml" \
		--storage.tsdb.path="$WORK/prom" --web.listen-address=127.0.0.1:19090 \
		>"$WORK/prom.log" 2>&1 &
	PROM_PID=$!
	BG_PIDS="$BG_PIDS $PROM_PID"
	q=""
	for _ in $(seq 1 60); do
		q=$(nsenter --net="/run/netns/$NSB" curl -s \
			'http://127.0.0.1:19090/api/v1/query?query=sentinel_rule_hits_total%7Brule%3D%22cfg-deny-7002%22%7D')
		[ "$(jget "$q" 'len(d["data"]["result"])')" = 1 ] && break
		sleep 0.5
	done
	assert_ge "Prometheus scraped and answers a query for a rule's hits" 1 \
		"$(jget "$q" 'int(float(d["data"]["result"][0]["value"][1]))')"
	up=$(nsenter --net="/run/netns/$NSB" curl -s 'http://127.0.0.1:19090/api/v1/query?query=up')
	assert_eq "the scrape target is up (TLS verified, authorised)" "1" \
		"$(jget "$up" 'd["data"]["result"][0]["value"][1]')"
else
	log "prometheus not installed: scrape check skipped"
fi

finish
