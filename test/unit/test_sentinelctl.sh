#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# sentinelctl, client side: command-line parsing, requests (method, path,
# query, headers, body), table and JSON output, exit codes, credentials and
# TLS verification, against a stand-in HTTPS server started here (python3
# standard library, canned JSON per route, a throw-away self-signed
# certificate).  The stand-in is not sentinel-cp: it only plays the API
# contract back; the integration suite runs sentinelctl against the real one.
#   test_sentinelctl.sh SENTINELCTL
set -u

ctl=${1:?usage: test_sentinelctl.sh SENTINELCTL}
ctl=$(readlink -f "$ctl") # the test runs in a directory of its own
[ -x "$ctl" ] || { echo "FAIL: $1 is not an executable"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed (the stand-in server)"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl not installed (test certificates)"; exit 77; }

# libcurl honours proxy variables; the stand-in is on loopback.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
tmp=$(mktemp -d /tmp/test-sentinelctl.XXXXXX)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

# ---- certificates: the server's (for 127.0.0.1 and localhost) and an
# unrelated one that must not verify it ----
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 2 -subj "/CN=$1" -addext "subjectAltName=$2" \
		-keyout "$1.key" -out "$1.pem" 2>/dev/null
}
mkcert server "IP:127.0.0.1,DNS:localhost" || { echo "FAIL: openssl req"; exit 1; }
mkcert other "IP:127.0.0.1,DNS:localhost" || { echo "FAIL: openssl req"; exit 1; }

# ---- the stand-in server ----
cat >server.py <<'PY'
# Plays canned API answers over HTTPS and records every request as a JSON
# line: method, raw path, raw query, headers (lower-case names), body.
import http.server, json, os, ssl, sys, time, urllib.parse

cert, key, portfile, logfile, overrides = sys.argv[1:6]

RULES = [
    {"id": "allow-ssh", "priority": 10, "action": "allow", "protocol": "tcp",
     "dst_port": 22, "dry_run": False, "enabled": True, "source": "config",
     "kernel_id": 1, "hits": {"packets": 10, "bytes": 840}},
    {"id": "block-telnet", "priority": 5, "action": "deny", "protocol": "tcp",
     "src_ip": "10.0.0.0/8", "dst_ip": "192.0.2.1", "src_port": "1024-65535",
     "dst_port": 23, "vlan_id": 100, "interface": "eth0", "dry_run": True,
     "enabled": True, "source": "api", "kernel_id": 17,
     "hits": {"packets": 123456, "bytes": 3145728}},
]
ALERTS = [
    {"id": 123, "timestamp": "2026-11-23T12:00:00Z", "component": "firewall",
     "severity": "medium", "rule_id": "block-telnet", "action": "deny",
     "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2", "src_port": 5555,
     "dst_port": 23, "protocol": "tcp", "interface": "eth0", "count": 3,
     "first_seen": "2026-11-23T11:59:00Z", "last_seen": "2026-11-23T12:00:00Z",
     "message": "denied \u001b[31mtelnet\u001b[0m", "false_positive": False},
    {"id": 124, "timestamp": "2026-11-23T12:01:00Z", "component": "firewall",
     "severity": "high", "rule_id": "block-v6", "action": "reject",
     "src_ip": "2001:db8::1", "dst_ip": "2001:db8::2", "src_port": 40000,
     "dst_port": 443, "protocol": "tcp", "interface": "eth0", "count": 1,
     "message": "rejected", "false_positive": True},
]
AUDIT = [
    {"id": 9, "timestamp": "2026-11-23T12:00:00Z", "actor": "ops-key",
     "action": "create", "component": "firewall", "object": "block-telnet",
     "before": None, "after": {"id": "block-telnet", "priority": 5,
                               "action": "deny", "dst_port": 22}},
    {"id": 10, "timestamp": "2026-11-23T12:05:00Z", "actor": "ops-key",
     "action": "update", "component": "firewall", "object": "block-telnet",
     "before": {"id": "block-telnet", "priority": 5, "action": "deny",
                "dst_port": 22},
     "after": {"id": "block-telnet", "priority": 5, "action": "deny",
               "dst_port": 23}},
]
CONFIG = {"agent": {"interfaces": ["eth0", "eth1"], "log_level": "info"},
          "firewall": {"default_policy": "drop", "rules": [
              {"id": "allow-ssh", "priority": 10, "action": "allow",
               "protocol": "tcp", "dst_port": 22},
              {"id": "allow-web", "dst_port": "80-443"}]},
          "auth": {"api_keys": [{"name": "ops", "key": "***redacted***",
                                 "role": "operator"}], "enabled": True},
          "alerting": {}}
CANNED = {
    "GET /healthz": (200, {"status": "ok"}),
    "GET /readyz": (200, {"status": "ready", "ebpf_loaded": True,
                          "dataplane_connected": True}),
    "GET /metrics": (200, "# TYPE sentinel_rules gauge\nsentinel_rules 2\n"),
    "GET /api/v1/agent/status": (200, {
        "version": "0.1.0", "hostname": "h1", "uptime_seconds": 3661,
        "dataplane": {"connected": True, "adopted": False, "prog_id": 42},
        "interfaces": ["eth0", "eth1"], "rules_loaded": 2,
        "features": ["firewall"]}),
    "GET /api/v1/firewall/rules": (200, {"rules": RULES, "count": 2}),
    "GET /api/v1/alerts": (200, {"alerts": ALERTS, "total": 342,
                                 "limit": 2, "offset": 100}),
    "GET /api/v1/audit/logs": (200, {"entries": AUDIT, "total": 2,
                                     "limit": 100, "offset": 0}),
    "GET /api/v1/config": (200, CONFIG),
    "POST /api/v1/config/reload": (200, {"status": "reloaded", "rules": 3}),
}

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, extra=None):
        data = body if isinstance(body, str) else json.dumps(body)
        data = data.encode()
        ctype = "text/plain" if isinstance(body, str) else "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self, method, path, body):
        key = method + " " + path
        try:
            with open(overrides) as f:
                o = json.load(f)
        except FileNotFoundError:
            o = {}
        if key in o:
            return tuple(o[key])
        if key in CANNED:
            return CANNED[key]
        seg = [urllib.parse.unquote(s) for s in path.split("/")]
        if method == "POST" and path == "/api/v1/firewall/rules":
            rule = json.loads(body)
            rule.update({"source": "api", "kernel_id": 18,
                         "hits": {"packets": 0, "bytes": 0}})
            return 201, rule
        if method == "DELETE" and path.startswith("/api/v1/firewall/rules/"):
            return 200, {"deleted": seg[5]}
        if (method == "POST" and len(seg) == 6 and seg[3] == "alerts"
                and seg[5] == "false-positive"):
            return 200, dict(ALERTS[0], id=int(seg[4]), false_positive=True)
        if (method == "GET" and len(seg) == 7 and seg[3] == "audit"
                and seg[6] == "history"):
            return 200, {"rule_id": seg[5], "history": AUDIT}
        return 404, {"error": {"status": 404, "message": "no route " + key}}

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        path, _, query = self.path.partition("?")
        with open(logfile, "a") as f:
            f.write(json.dumps({
                "method": self.command, "path": path, "query": query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body}) + "\n")
        status, answer = self.route(self.command, path, body)[:2]
        if answer == "__sleep__":
            time.sleep(3)
            answer = {}
        if answer == "__huge_declared__":
            # Announces more than sentinelctl accepts; sends little.
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(100 << 20))
            self.end_headers()
            self.wfile.write(b"[" * 1024)
            self.close_connection = True
            return
        if answer == "__huge_chunked__":
            # No length announced: 65 MiB that never ends in valid JSON.
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"[" * (1 << 20)
            try:
                for _ in range(65):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            self.close_connection = True
            return
        self.answer(status, answer)

    do_GET = do_POST = do_DELETE = do_PUT = handle_any

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["http/1.1"])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
PY

python3 server.py server.pem server.key port requests.log overrides.json 2>server.err &
server_pid=$!
for _ in $(seq 100); do
	[ -s port ] && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.1
done
[ -s port ] || { echo "FAIL: the stand-in server did not start"; cat server.err; exit 1; }
port=$(cat port)
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# ---- helpers ----
fails=0
n=0
TOKEN=tok-3f9a8b7c6d5e4f3a2b1c
KEY=key-0a1b2c3d4e5f6a7b8c9d

# run ARGS...: sentinelctl against the stand-in, verified with its CA;
# leaves out, err, rc; the request log starts empty.
run() {
	: >requests.log
	"$ctl" --port "$port" --cacert server.pem "$@" >out 2>err
	rc=$?
}
# raw ARGS...: the same without the connection options.
raw() {
	: >requests.log
	"$ctl" "$@" >out 2>err
	rc=$?
}
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
fail() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "FAIL $n - $1"
	echo "  rc=$rc"
	sed 's/^/  stdout: /' out | head -20
	sed 's/^/  stderr: /' err | head -20
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
rc_is() { [ "$rc" = "$1" ]; }
out_has() { grep -qF -- "$1" out; }
err_has() { grep -qF -- "$1" err; }
out_lacks() { ! grep -qF -- "$1" out; }
# req N FIELD [HEADER]: a field of the Nth request (1-based) of the last run.
req() {
	python3 - "$@" <<'PY'
import json, sys
lines = open("requests.log").read().splitlines()
i, field = int(sys.argv[1]), sys.argv[2]
if i > len(lines):
    print("<no request %d>" % i)
    sys.exit(0)
r = json.loads(lines[i - 1])
v = r["headers"].get(sys.argv[3].lower(), "<none>") if field == "header" else r[field]
print(v)
PY
}
nreq() { wc -l <requests.log | tr -d ' '; }
is() { [ "$1" = "$2" ] || { echo "  got '$1', want '$2'"; false; }; }
# json_is JSON_TEXT EXPECTED_JSON: the same JSON value.
json_is() {
	python3 -c 'import json, sys; a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2]); sys.exit(0 if a == b else print("  got", a, "\n  want", b) or 1)' "$1" "$2"
}
# out_json_is PYTHON_EXPR: stdout is JSON equal to the server's canned value.
out_json_is() {
	python3 - "$1" <<'PY'
import json, sys
exec(open("server.py").read().split("class Handler")[0].split("overrides = sys.argv[1:6]")[1])
want = eval(sys.argv[1])
got = json.load(open("out"))
if got != want:
    print("  got", got, "\n  want", want)
    sys.exit(1)
PY
}
# aligned RIGHT_HEADERS...: every column of the table in out starts (ends,
# for right-aligned ones) where its header does.
aligned() {
	python3 - "$@" <<'PY'
import re, sys
right = set(sys.argv[1:])
lines = [l for l in open("out").read().splitlines() if l]
head = lines[0]
bad = 0
for m in re.finditer(r"\S+", head):
    name, s, e = m.group(), m.start(), m.end()
    for row in lines[1:]:
        if not re.match(r"\s*\S", row) or row.startswith(("alerts ", "entries ")):
            continue
        if name in right:
            good = len(row) >= e and row[e - 1] != " " and (len(row) == e or row[e] == " ")
        else:
            # a cell starts at its header, or the column is blank there
            nxt = re.compile(r"\s\S").search(head, e)
            blank = row[s:nxt.start() + 1 if nxt else len(row)].strip() == ""
            good = (s == 0 or row[s - 1] == " ") and (blank or row[s] != " ")
        if not good:
            print("  column %s misaligned in: %r" % (name, row))
            bad += 1
sys.exit(1 if bad else 0)
PY
}
respond() { # respond "METHOD PATH" STATUS BODY_JSON: the next answers
	python3 -c 'import json, os, sys
p = "overrides.json"
o = json.load(open(p)) if os.path.exists(p) else {}
o[sys.argv[1]] = [int(sys.argv[2]), json.loads(sys.argv[3])]
json.dump(o, open(p, "w"))' "$1" "$2" "$3"
}
reset_responses() { rm -f overrides.json; }
no_secret() { ! grep -qF -e "$TOKEN" -e "$KEY" out err; }

export SENTINEL_TOKEN=$TOKEN
unset SENTINEL_API_KEY

# ---- version, help, usage errors (no server contact) ----
run version
check "version: prints the client version, contacts nobody" \
	eval 'rc_is 0 && out_has "sentinelctl 0.1.0" && [ "$(nreq)" = 0 ]'
run -o json version
check "version -o json" eval 'rc_is 0 && python3 -c "import json; assert json.load(open(\"out\"))[\"version\"] == \"0.1.0\""'
raw --help
check "--help: exit 0, documents the exit codes" \
	eval 'rc_is 0 && out_has "Exit status" && out_has "6  server error" && out_has "3  authentication"'
for args in "" "firewall" "firewall nope" "bogus" "status extra" "firewall delete" \
	"--output yaml status" "--port 0 status" "--port x status" "--timeout 0 status" \
	"alerts list --priority 3" "status --json {}" "--no-such-option status" \
	"alerts list --limit -1" "alerts list --false-positive maybe" \
	"firewall add" "firewall add --priority high" "firewall add --dst-port 22-x" \
	"firewall add --vlan 5000" "--insecure status" "--host https://h status" \
	"--host h:8443 status" "firewall delete .."; do
	# shellcheck disable=SC2086
	run $args
	check "usage error, exit 1, nothing sent: sentinelctl $args" \
		eval 'rc_is 1 && [ "$(nreq)" = 0 ] && [ -s err ]'
done
run --insecure --cacert server.pem status
check "--insecure with --cacert is a usage error" eval 'rc_is 1 && err_has "--insecure and --cacert"'
run firewall add --json '{"id":"x"}' --priority 5
check "--json with a rule flag: usage error naming the flag" \
	eval 'rc_is 1 && err_has "--json and --priority" && [ "$(nreq)" = 0 ]'
run firewall add --json '{"id": "x",'
check "--json invalid: usage error with line and column" \
	eval 'rc_is 1 && err_has "--json: line 1 column" && [ "$(nreq)" = 0 ]'
run firewall add --json '[1]'
check "--json not an object: usage error" eval 'rc_is 1 && err_has "JSON object"'
raw --port "$port" status --cacert /nonexistent/ca.pem
check "--cacert unreadable: usage error naming the file" \
	eval 'rc_is 1 && err_has "/nonexistent/ca.pem"'

# ---- status ----
run status
check "status: GET /api/v1/agent/status" \
	eval 'rc_is 0 && is "$(req 1 method) $(req 1 path)" "GET /api/v1/agent/status" && is "$(nreq)" 1'
check "status: bearer token from SENTINEL_TOKEN, no X-API-Key" \
	eval 'is "$(req 1 header authorization)" "Bearer $TOKEN" && is "$(req 1 header x-api-key)" "<none>"'
check "status: asks for JSON, identifies itself" \
	eval 'req 1 header accept | grep -q application/json && req 1 header user-agent | grep -q "^sentinelctl/0.1.0"'
check "status table: fields, uptime, data plane, lists" \
	eval 'out_has "version       0.1.0" && out_has "uptime        1h 01m 01s" && out_has "dataplane     connected (prog 42)" && out_has "interfaces    eth0, eth1" && out_has "rules loaded  2"'
run status -o json
check "status -o json: the server's JSON" eval 'rc_is 0 && out_json_is "CANNED[\"GET /api/v1/agent/status\"][1]"'
check "status -o json: indented" eval 'out_has "  \"version\": \"0.1.0\""'

# ---- health ----
run health
check "health: GET /healthz then /readyz" \
	eval 'rc_is 0 && is "$(req 1 path),$(req 2 path)" "/healthz,/readyz"'
check "health table" eval 'out_has "live          ok" && out_has "ready         ready" && out_has "dataplane     connected"'
respond "GET /readyz" 503 '{"status":"not_ready","ebpf_loaded":false,"dataplane_connected":false,"reason":"sentinel-dp unreachable"}'
run health
check "health not ready: exit 6, the reason shown" \
	eval 'rc_is 6 && out_has "not_ready" && out_has "sentinel-dp unreachable" && out_has "ebpf          not loaded" && err_has "not ready"'
run health -o json
check "health -o json: both answers" \
	eval 'rc_is 6 && python3 -c "import json; d = json.load(open(\"out\")); assert d[\"healthz\"][\"status\"] == \"ok\" and d[\"readyz\"][\"reason\"] == \"sentinel-dp unreachable\""'
reset_responses

# ---- metrics ----
run metrics
check "metrics: GET /metrics, Prometheus text as is" \
	eval 'rc_is 0 && is "$(req 1 path)" /metrics && is "$(cat out)" "$(printf "# TYPE sentinel_rules gauge\nsentinel_rules 2")"'

# ---- firewall ----
run firewall list
check "firewall list: GET /api/v1/firewall/rules" \
	eval 'rc_is 0 && is "$(req 1 method) $(req 1 path) $(req 1 query)" "GET /api/v1/firewall/rules "'
check "firewall list table: header" \
	eval 'is "$(head -1 out | tr -s " ")" "ID PRIO ACTION PROTO SRC SPORT DST DPORT VLAN IFACE STATE ORIGIN PACKETS BYTES"'
check "firewall list table: columns aligned" aligned PRIO PACKETS BYTES
check "firewall list table: absent fields match any, unused columns hidden" \
	eval 'grep -q "^allow-ssh .* any .* any .* 22 .* any .* any .* config" out && out_lacks "TCP-FLAGS" && out_lacks "ICMP"'
check "firewall list table: ranges, vlan, state, hits" \
	eval 'grep -q "^block-telnet .*10.0.0.0/8 .*1024-65535 .*192.0.2.1 .*23 .*100 .*eth0 .*dry-run .*api .*123456 .*3.0 MiB$" out && grep -q "840 B$" out'
run firewall list --output json
check "firewall list -o json: the server's JSON" eval 'rc_is 0 && out_json_is "{\"rules\": RULES, \"count\": 2}"'
respond "GET /api/v1/firewall/rules" 200 '{"rules":[{"id":"allow-ssh","priority":10,"action":"allow","protocol":"tcp","dst_port":22,"source":"config","kernel_id":1,"hits":{"packets":0,"bytes":0}}],"count":7,"limit":1,"offset":3}'
run firewall list --limit 1 --offset 3
check "firewall list --limit --offset: a page, and which" \
	eval 'rc_is 0 && is "$(req 1 query)" "limit=1&offset=3" && out_has allow-ssh && out_has "rules 4-4 of 7; more with --offset 4"'
reset_responses
run firewall list --offset -1
check "firewall list --offset -1: usage error, nothing sent" eval 'rc_is 1 && is "$(req 1 path)" "<no request 1>"'
run firewall list --host 127.0.0.1
check "options after the command (eBPFsentinel style)" eval 'rc_is 0 && out_has block-telnet'
raw --host 127.0.0.1 --port "$port" --cacert server.pem firewall list
check "options before the command" eval 'rc_is 0 && out_has block-telnet'
raw --host localhost --port "$port" --cacert server.pem firewall list
check "--host by name, certificate name checked" eval 'rc_is 0 && out_has block-telnet'

run firewall add --id block-telnet --priority 5 --action deny --protocol tcp \
	--src-ip 10.0.0.0/8 --dst-ip 192.0.2.1 --src-port 1024-65535 --dst-port 23 \
	--vlan 100 --interface eth0 --tcp-flags syn/syn,ack --icmp-type 8 --icmp-code 0 --dry-run
check "firewall add (flags): POST /api/v1/firewall/rules, JSON body" \
	eval 'rc_is 0 && is "$(req 1 method) $(req 1 path)" "POST /api/v1/firewall/rules" && is "$(req 1 header content-type)" application/json'
check "firewall add (flags): every flag becomes its RULE field, typed" \
	eval 'json_is "$(req 1 body)" "{\"id\":\"block-telnet\",\"priority\":5,\"action\":\"deny\",\"protocol\":\"tcp\",\"src_ip\":\"10.0.0.0/8\",\"dst_ip\":\"192.0.2.1\",\"src_port\":\"1024-65535\",\"dst_port\":23,\"vlan_id\":100,\"interface\":\"eth0\",\"tcp_flags\":\"syn/syn,ack\",\"icmp_type\":8,\"icmp_code\":0,\"dry_run\":true}"'
check "firewall add: the created rule as a table" \
	eval 'head -1 out | grep -q "^ID .*TCP-FLAGS .*ICMP" && grep -q "^block-telnet .*syn/syn,ack .*8/0 .*dry-run .*api" out'
json='{"id":"block-ssh","priority":10,"action":"deny","protocol":"tcp","dst_port":22}'
run firewall add --json "$json"
check "firewall add --json: the object sent as given" eval 'rc_is 0 && json_is "$(req 1 body)" "$json"'
echo "$json" >rule.json
run firewall add --json @rule.json -o json
check "firewall add --json @FILE, -o json: the server's answer" \
	eval 'rc_is 0 && json_is "$(req 1 body)" "$json" && python3 -c "import json; assert json.load(open(\"out\"))[\"kernel_id\"] == 18"'
: >requests.log
"$ctl" --port "$port" --cacert server.pem firewall add --json - <rule.json >out 2>err
rc=$?
check "firewall add --json - (standard input)" eval 'rc_is 0 && json_is "$(req 1 body)" "$json"'
run firewall add --id web --dst-port 80-443 --protocol 17
check "firewall add: a port range stays a string, a protocol number a string" \
	eval 'json_is "$(req 1 body)" "{\"id\":\"web\",\"dst_port\":\"80-443\",\"protocol\":\"17\"}"'

run firewall delete block-telnet
check "firewall delete: DELETE /api/v1/firewall/rules/ID" \
	eval 'rc_is 0 && is "$(req 1 method) $(req 1 path)" "DELETE /api/v1/firewall/rules/block-telnet" && is "$(cat out)" "deleted rule block-telnet"'
run firewall delete 'a b/c?d'
check "firewall delete: the id is one escaped path segment" \
	eval 'rc_is 0 && is "$(req 1 path) $(req 1 query)" "/api/v1/firewall/rules/a%20b%2Fc%3Fd " && is "$(cat out)" "deleted rule a b/c?d"'
run firewall delete block-telnet -o json
check "firewall delete -o json" eval 'rc_is 0 && out_json_is "{\"deleted\": \"block-telnet\"}"'

# ---- alerts ----
run alerts list --component firewall --severity high --from 2026-11-23T00:00:00Z \
	--to 1700000000 --false-positive false --limit 2 --offset 100
check "alerts list: GET /api/v1/alerts with every filter in the query" \
	eval 'rc_is 0 && is "$(req 1 method) $(req 1 path)" "GET /api/v1/alerts" && is "$(req 1 query)" "component=firewall&severity=high&from=2026-11-23T00%3A00%3A00Z&to=1700000000&false_positive=false&limit=2&offset=100"'
check "alerts list table: header" \
	eval 'is "$(head -1 out | tr -s " " | sed "s/^ //")" "ID TIME SEVERITY COMPONENT ACTION RULE SRC DST PROTO IFACE COUNT FP MESSAGE"'
check "alerts list table: columns aligned" aligned ID COUNT
check "alerts list table: endpoints, IPv6 in brackets, false positives" \
	eval 'grep -q "^123 .*10.0.0.1:5555 .*10.0.0.2:23 .* 3 .*denied" out && grep -q "^124 .*\[2001:db8::1\]:40000 .*\[2001:db8::2\]:443 .*yes .*rejected$" out'
check "alerts list table: the page and the next offset" \
	eval 'out_has "alerts 101-102 of 342; more with --offset 102"'
check "alerts list table: control characters from the server never reach the terminal" \
	eval '! grep -q $'"'"'\x1b'"'"' out && out_has "denied ?[31mtelnet?[0m"'
run alerts list
check "alerts list without filters: no query" eval 'rc_is 0 && is "$(req 1 query)" ""'
run alerts list -o json
check "alerts list -o json: the server's JSON (escapes kept)" \
	eval 'rc_is 0 && out_json_is "CANNED[\"GET /api/v1/alerts\"][1]" && grep -qiF "\\u001b[31m" out'
run alerts mark-fp 123
check "alerts mark-fp: POST /api/v1/alerts/ID/false-positive, no body" \
	eval 'rc_is 0 && is "$(req 1 method) $(req 1 path)" "POST /api/v1/alerts/123/false-positive" && is "$(req 1 body)" "" && is "$(req 1 header content-type)" "<none>" && is "$(cat out)" "alert 123 marked as a false positive"'
run alerts mark-fp 123 -o json
check "alerts mark-fp -o json" \
	eval 'rc_is 0 && python3 -c "import json; d = json.load(open(\"out\")); assert d[\"id\"] == 123 and d[\"false_positive\"] is True"'

# ---- audit ----
run audit logs --component firewall --actor ops-key --limit 20 --offset 0
check "audit logs: GET /api/v1/audit/logs with the filters" \
	eval 'rc_is 0 && is "$(req 1 path)?$(req 1 query)" "/api/v1/audit/logs?component=firewall&actor=ops-key&limit=20&offset=0"'
check "audit logs table: header, alignment" \
	eval 'is "$(head -1 out | tr -s " " | sed "s/^ //")" "ID TIME ACTOR ACTION COMPONENT OBJECT CHANGE" && aligned ID'
check "audit logs table: a creation lists the fields, an update the differences" \
	eval 'grep -q "^ 9 .*create .*block-telnet  priority=5 action=deny dst_port=22$" out && grep -q "^10 .*update .*dst_port: 22 -> 23$" out'
run audit history block-telnet
check "audit history: GET /api/v1/audit/rules/ID/history" \
	eval 'rc_is 0 && is "$(req 1 path)" /api/v1/audit/rules/block-telnet/history && is "$(head -1 out | tr -s " " | sed "s/^ //")" "ID TIME ACTOR ACTION CHANGE"'
run audit history block-telnet -o json
check "audit history -o json" \
	eval 'rc_is 0 && out_json_is "{\"rule_id\": \"block-telnet\", \"history\": AUDIT}"'

# ---- config ----
run config show
check "config show: GET /api/v1/config" eval 'rc_is 0 && is "$(req 1 path)" /api/v1/config'
check "config show table: the configuration as YAML" \
	eval 'out_has "agent:" && out_has "  interfaces:" && out_has "  - eth0" && out_has "  - id: allow-ssh" && out_has "    dst_port: \"80-443\"" && out_has "    key: \"***redacted***\"" && out_has "alerting: {}" && out_has "  enabled: true"'
if python3 -c 'import yaml' 2>/dev/null; then
	check "config show table: YAML that reads back as the server's JSON" \
		python3 -c 'import json, yaml; exec(open("server.py").read().split("CANNED =")[0].split("overrides = sys.argv[1:6]")[1]); assert yaml.safe_load(open("out")) == CONFIG'
fi
run config show -o json
check "config show -o json" eval 'rc_is 0 && out_json_is "CONFIG"'
run config reload
check "config reload: POST /api/v1/config/reload" \
	eval 'rc_is 0 && is "$(req 1 method) $(req 1 path)" "POST /api/v1/config/reload" && is "$(cat out)" "configuration reloaded: 3 rules"'
respond "POST /api/v1/config/reload" 422 '{"error":{"status":422,"message":"port 70000 out of range","field":"firewall.rules[2].dst_port","line":14}}'
run config reload
check "config reload refused: exit 5, the field and the line on stderr" \
	eval 'rc_is 5 && err_has "config reload: HTTP 422 Unprocessable Content: field \"firewall.rules[2].dst_port\" (line 14): port 70000 out of range" && [ ! -s out ]'
reset_responses

# ---- HTTP errors and exit codes ----
err_case() { # err_case STATUS BODY RC STDERR_TEXT
	# shellcheck disable=SC2034 # read by the eval in check()
	local want_rc=$3 want_err=$4
	respond "GET /api/v1/firewall/rules" "$1" "$2"
	run firewall list
	check "HTTP $1: exit $3, stderr names it" \
		eval 'rc_is "$want_rc" && err_has "$want_err" && [ ! -s out ]'
}
err_case 401 '{"error":{"status":401,"message":"missing or invalid credentials"}}' 3 "firewall list: HTTP 401 Unauthorized: missing or invalid credentials"
err_case 403 '{"error":{"status":403,"message":"role viewer may not do this"}}' 3 "HTTP 403 Forbidden: role viewer"
err_case 404 '{"error":{"status":404,"message":"no such rule"}}' 4 "HTTP 404 Not Found: no such rule"
err_case 400 '{"error":{"status":400,"message":"expected 0..65535","field":"dst_port"}}' 5 'HTTP 400 Bad Request: field "dst_port": expected 0..65535'
err_case 409 '{"error":{"status":409,"message":"rule block-ssh exists","field":"id"}}' 5 'field "id": rule block-ssh exists'
err_case 500 '{"error":{"status":500,"message":"store failure"}}' 6 "HTTP 500 Internal Server Error: store failure"
err_case 503 '{"error":{"status":503,"message":"sentinel-dp unreachable"}}' 6 "sentinel-dp unreachable"
err_case 502 '"<html>bad gateway</html>"' 6 "HTTP 502 Bad Gateway"
err_case 200 '"not json at all"' 6 "HTTP 200 with an answer that is not JSON"
reset_responses
respond "DELETE /api/v1/firewall/rules/allow-ssh" 403 '{"error":{"status":403,"message":"rule allow-ssh comes from the configuration file"}}'
run firewall delete allow-ssh
check "firewall delete of a configuration rule: exit 3 with the reason" \
	eval 'rc_is 3 && err_has "comes from the configuration file"'
respond "POST /api/v1/firewall/rules" 400 '{"error":{"status":400,"message":"unknown protocol","field":"protocol"}}'
run firewall add --id x --protocol bogus
check "firewall add refused: exit 5, the field on stderr" \
	eval 'rc_is 5 && err_has "firewall add: HTTP 400 Bad Request: field \"protocol\": unknown protocol"'
respond "POST /api/v1/alerts/999/false-positive" 404 '{"error":{"status":404,"message":"no alert 999"}}'
run alerts mark-fp 999
check "alerts mark-fp unknown: exit 4" eval 'rc_is 4 && err_has "no alert 999"'
reset_responses

# ---- transport ----
raw --port "$closed_port" --cacert server.pem status
check "connection refused: exit 2" eval 'rc_is 2 && err_has "unreachable"'
raw --host ::1 --port "$closed_port" --cacert server.pem status
check "--host with an IPv6 address: bracketed in the URL" eval 'rc_is 2 && err_has "https://[::1]:$closed_port"'
raw --host '[::1]' --port "$closed_port" --cacert server.pem status
check "--host [IPv6]: kept as is" eval 'rc_is 2 && err_has "https://[::1]:$closed_port"'
raw --host nonexistent.invalid --port "$port" --cacert server.pem --timeout 5 status
check "unknown host: exit 2" eval 'rc_is 2'
raw --port "$port" status
check "certificate not verifiable without --cacert or --insecure: exit 2, says what to do" \
	eval 'rc_is 2 && err_has "--cacert" && [ "$(nreq)" = 0 ]'
raw --port "$port" --cacert other.pem status
check "--cacert of another CA: exit 2" eval 'rc_is 2 && [ "$(nreq)" = 0 ]'
raw --port "$port" --insecure status
check "--insecure: no verification" eval 'rc_is 0 && out_has "hostname      h1"'
respond "GET /api/v1/agent/status" 200 '"__sleep__"'
# shellcheck disable=SC2034 # read by the eval in check()
start=$(date +%s)
run status --timeout 1
check "--timeout: exit 2 after about that long" eval 'rc_is 2 && [ $(($(date +%s) - start)) -lt 3 ]'
respond "GET /api/v1/config" 200 '"__huge_declared__"'
run config show
check "an answer announced over 64 MiB: refused, exit 6" eval 'rc_is 6 && err_has "64 MiB"'
respond "GET /api/v1/config" 200 '"__huge_chunked__"'
run config show
check "an answer growing over 64 MiB: cut, exit 6" eval 'rc_is 6 && err_has "64 MiB"'
reset_responses

# ---- credentials ----
unset SENTINEL_TOKEN
run status
check "no credential: none sent" \
	eval 'rc_is 0 && is "$(req 1 header authorization)|$(req 1 header x-api-key)" "<none>|<none>"'
respond "GET /api/v1/agent/status" 401 '{"error":{"status":401,"message":"credentials required"}}'
run status
check "401 without a credential: exit 3, says how to give one" eval 'rc_is 3 && err_has "SENTINEL_TOKEN"'
reset_responses
SENTINEL_API_KEY=$KEY run status
check "SENTINEL_API_KEY: sent as X-API-Key only" \
	eval 'rc_is 0 && is "$(req 1 header x-api-key)|$(req 1 header authorization)" "$KEY|<none>"'
run --api-key "$KEY" status
check "--api-key: sent as X-API-Key" eval 'rc_is 0 && is "$(req 1 header x-api-key)" "$KEY"'
SENTINEL_TOKEN=env-token run --token "$TOKEN" status
check "--token beats SENTINEL_TOKEN" eval 'rc_is 0 && is "$(req 1 header authorization)" "Bearer $TOKEN"'
SENTINEL_TOKEN=$TOKEN run --api-key "$KEY" status
check "a flag beats the environment: only X-API-Key" \
	eval 'rc_is 0 && is "$(req 1 header x-api-key)|$(req 1 header authorization)" "$KEY|<none>"'
run --token "$TOKEN" --api-key "$KEY" status
check "--token with --api-key: usage error" eval 'rc_is 1 && [ "$(nreq)" = 0 ]'
SENTINEL_TOKEN=$(printf 'tok\r\nX-Evil: 1') run status
check "a credential with control characters: refused, not echoed" \
	eval 'rc_is 1 && [ "$(nreq)" = 0 ] && ! grep -q Evil err'
check "no run printed a credential" eval 'no_secret'
export SENTINEL_TOKEN=$TOKEN
: >all.out
for args in "status" "firewall list" "health" "alerts list" "audit logs" "config show" "config reload" \
	"firewall add --id x" "--token $TOKEN status" "--api-key $KEY status"; do
	# shellcheck disable=SC2086
	run $args
	cat out err >>all.out
	respond "GET /api/v1/agent/status" 401 '{"error":{"status":401,"message":"bad token"}}'
	respond "GET /api/v1/firewall/rules" 403 '{"error":{"status":403,"message":"forbidden"}}'
	# shellcheck disable=SC2086
	run $args
	cat out err >>all.out
	reset_responses
	# shellcheck disable=SC2086
	raw --port "$closed_port" $args
	cat out err >>all.out
done
check "tokens and keys never appear in any output, success or failure" \
	eval '! grep -qF -e "$TOKEN" -e "$KEY" all.out'

echo "$((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
