#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# sentinel-cp benchmark: HTTPS requests/s and latency, rule-to-enforced latency.
#
# usage: bench_api.sh BUILDDIR [get|post|all|hold]
#
# sentinel-dp and sentinel-cp (as nobody, no capabilities) run in namespace B
# of the integration tests' layout (lib.sh, dp_lib.sh), both pinned to CPU 1;
# the load generators run on CPU 0 in the same namespace, over 127.0.0.1.
# Rules come from the configuration file (generated: /32 and /24 source
# denies, TCP allows to a host and port), so no API call is needed to set up
# 10,000 of them.
#
# get:  GET /healthz and GET /api/v1/firewall/rules (viewer key) with
#       BENCH_API_GET_RULES rules present, BENCH_API_CONNS connections, for
#       BENCH_API_SECS seconds each: wrk (HTTP/1.1, keep-alive) and h2load
#       (HTTP/2, one stream per connection at a time).  A run with a non-2xx
#       answer or a socket error prints FAILED, not figures.
# post: with BENCH_API_BASES rules already present, bench-api POSTs
#       BENCH_API_POSTS deny rules (one new /32 source each) over one
#       keep-alive connection and times each round trip (the 201 comes after
#       sentinel-dp has applied the set); a probe frame from the rule's source
#       over the veth pair must pass before and be dropped after each 201,
#       and pass again after the DELETE that keeps the set at its size; every
#       4th rule a prober sends a frame every 50 us during the POST, and the
#       first dropped frame dates the enforcement independently of the reply.
# hold: sentinel-cp on the first of BENCH_API_GET_RULES rules, until killed
#       (prints the namespaces, work directory and pids; for debugging).
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_api.sh BUILDDIR [get|post|all|hold]}" && pwd)
WHAT=${2:-all}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SECS=${BENCH_API_SECS:-10}
CONNS=${BENCH_API_CONNS:-16 64}
GET_RULES=${BENCH_API_GET_RULES:-100 10000}
BASES=${BENCH_API_BASES:-10 1000 10000}
POSTS=${BENCH_API_POSTS:-1000}
CP=$BUILD/controlplane/sentinel-cp
BAPI=$BUILD/test/bench/bench-api
CPU_SRV=1
CPU_GEN=0
[ "$(nproc)" -ge 2 ] || CPU_SRV=0

[ "$(id -u)" = 0 ] || {
	echo "SKIP: needs root"
	exit 77
}
for f in "$CP" "$BAPI"; do
	[ -x "$f" ] || {
		echo "SKIP: $f not built"
		exit 77
	}
done
for t in wrk h2load openssl curl taskset python3; do
	command -v "$t" >/dev/null || {
		echo "SKIP: $t not installed (apt-get install wrk nghttp2-client)"
		exit 77
	}
done

CP_PID=
cp_stop()
{
	[ -n "$CP_PID" ] || return 0
	kill "$CP_PID" 2>/dev/null
	wait "$CP_PID" 2>/dev/null || true
	CP_PID=
}
set +eu # lib.sh and dp_lib.sh are written for test scripts
. "$SRC/test/integration/lib.sh" "$BUILD/dataplane/sentinel-fwtool"
. "$SRC/test/integration/dp_lib.sh" "$BUILD/dataplane/sentinel-fwtool" \
	"$BUILD/dataplane/sentinel-dp" "$BUILD/dataplane/sentinel-dpctl" "$SRC/schema"
set -eu
# cleanup (run by lib.sh's EXIT trap) stops sentinel-cp first; lib.sh's
# helpers are not written for errexit, so it is off while cleaning up
eval "$(declare -f cleanup | sed '1s/cleanup/dp_lib_cleanup/')"
cleanup()
{
	local rc=$?

	set +e
	cp_stop
	(exit "$rc")
	dp_lib_cleanup
}
require_all
require_dp
env_setup >/dev/null
chmod 755 "$WORK"
dp_start -i "$VETHB" -l info
taskset -a -cp "$CPU_SRV" "$DP_PID" >/dev/null
# probe frames come from sources that are not on the link
ip netns exec "$NSB" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	"net.ipv4.conf.$VETHB.rp_filter=0"

PORT=18453
STATE=$WORK/state
CFG=$WORK/sentinel.yaml
mkdir -p "$STATE"
chown "$CP_UID:$CP_GID" "$STATE"
make_cert "$WORK/key.pem" "$WORK/cert.pem"
KEY_VIEWER=viewer-key-0123456789abcdef0123456789
KEY_OPERATOR=operator-key-0123456789abcdef01234567
KEY_ADMIN=admin-key-0123456789abcdef0123456789ab
URL=https://127.0.0.1:$PORT

# write_config N: N rules, three shapes (2 IPv4 tuples and a third).
write_config()
{
	{
		cat <<YAML
agent:
  interfaces: [$VETHB]
  socket_dir: $SOCK
  state_dir: $STATE
  log_level: warn
firewall:
  default_policy: pass
  rules:
YAML
		python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    k, s = divmod(i, 3)
    if s == 0:
        print(f"    - {{id: base-{i}, priority: {1000 + i}, action: deny, "
              f"src_ip: 10.50.{k >> 8 & 255}.{k & 255}/32}}")
    elif s == 1:
        print(f"    - {{id: base-{i}, priority: {1000 + i}, action: allow, protocol: tcp, "
              f"dst_ip: 10.60.{k >> 8 & 255}.{k & 255}/32, dst_port: {1000 + k % 1000}}}")
    else:
        print(f"    - {{id: base-{i}, priority: {1000 + i}, action: deny, protocol: udp, "
              f"src_ip: 10.{90 + (k >> 8)}.{k & 255}.0/24}}")
PY
		yaml_api_auth "bench-viewer:viewer:$KEY_VIEWER" \
			"bench-operator:operator:$KEY_OPERATOR" \
			"bench-admin:admin:$KEY_ADMIN"
	} >"$CFG"
	chmod 644 "$CFG"
}

inb() { nsenter --net="/run/netns/$NSB" "$@"; }
api() { inb curl -s --cacert "$WORK/cert.pem" "$@"; }

cp_start()
{
	# nsenter, taskset and setpriv exec: $! is sentinel-cp
	nsenter --net="/run/netns/$NSB" taskset -c "$CPU_SRV" setpriv \
		--reuid="$CP_UID" --regid="$CP_GID" --clear-groups \
		"$CP" -c "$CFG" >>"$WORK/cp.log" 2>&1 &
	CP_PID=$!
	for _ in $(seq 1 300); do
		[ "$(api -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200 ] && return 0
		kill -0 "$CP_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/cp.log"
	die "sentinel-cp did not become ready"
}

# cp_with N: sentinel-cp (restarted) on a configuration of N rules, listed
# back through the API before anything is measured.
cp_with()
{
	local n

	cp_stop
	write_config "$1"
	cp_start
	n=$(api -H "X-API-Key: $KEY_VIEWER" "$URL/api/v1/firewall/rules" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
	[ "$n" = "$1" ] || die "GET rules lists $n rules, not $1"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# One load run; prints a table row.  $1 tool, $2 path, $3 rules, $4 conns.
get_run()
{
	local tool=$1 path=$2 rules=$3 c=$4 out=$WORK/run.out hdr=() c0 d0 c1 d1
	local hz l0 row t0 t1

	[ "$path" = /healthz ] || hdr=(-H "X-API-Key: $KEY_VIEWER")
	hz=$(getconf CLK_TCK)
	l0=$(load1)
	t0=$(date +%s.%N)
	c0=$(cpu_ticks "$CP_PID")
	d0=$(cpu_ticks "$DP_PID")
	if [ "$tool" = wrk ]; then
		inb taskset -c "$CPU_GEN" wrk -t1 -c"$c" -d"${SECS}s" --latency \
			--timeout 10s "${hdr[@]}" "$URL$path" >"$out" 2>&1 || true
	else
		rm -f "$WORK/h2.log"
		inb taskset -c "$CPU_GEN" h2load -t1 -c"$c" -m1 -D "$SECS" \
			--warm-up-time=1 "${hdr[@]}" --log-file="$WORK/h2.log" \
			"$URL$path" >"$out" 2>&1 || true
	fi
	c1=$(cpu_ticks "$CP_PID")
	d1=$(cpu_ticks "$DP_PID")
	t1=$(date +%s.%N)
	row=$(python3 - "$tool" "$out" "$WORK/h2.log" "$t0" "$t1" "$hz" \
		$((c1 - c0)) $((d1 - d0)) <<'PY'
import re, sys
tool, out, log, t0, t1, hz, cpt, dpt = sys.argv[1:]
secs = float(t1) - float(t0)  # wall time of the run, warm-up included
t = open(out).read()
cpu = "%3.0f%% %3.0f%%" % (100.0 * int(cpt) / int(hz) / float(secs),
                           100.0 * int(dpt) / int(hz) / float(secs))
def ms(v, unit):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
err = []
if tool == "wrk":
    m = re.search(r"Requests/sec:\s+([\d.]+)", t)
    n = re.search(r"(\d+) requests in", t)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    if bad:
        err.append("%s non-2xx" % bad.group(1))
    if se and sum(map(int, se.groups())):
        err.append("socket errors " + "/".join(se.groups()))
    lat = dict((p, ms(v, u)) for p, v, u in
               re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)\b", t))
    if not m or not n or int(n.group(1)) == 0 or len(lat) < 2:
        err.append("no result")
    else:
        rps, p50, p99 = float(m.group(1)), lat["50"], lat["99"]
else:
    m = re.search(r"finished in [\d.]+s, ([\d.]+) req/s", t)
    r = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", t)
    s = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", t)
    if not m or not r or not s:
        err.append("no result")
    else:
        if int(r.group(5)) or int(r.group(6)) or int(r.group(7)):
            err.append("%s failed, %s errored, %s timeout" % r.group(5, 6, 7))
        if sum(int(x) for x in s.group(2, 3, 4)):
            err.append("non-2xx: %s 3xx %s 4xx %s 5xx" % s.group(2, 3, 4))
        if int(r.group(4)) == 0:
            err.append("no request succeeded")
        d = []
        for line in open(log):
            f = line.split("\t")
            if len(f) < 3:
                continue
            st = int(f[1])
            if 200 <= st < 300:
                d.append(int(f[2]) / 1e3)
            elif st > 0:
                err.append("status %d in the log" % st)
                break
            # <= 0: a stream still open when the run stopped (the summary
            # above counts real failures)
        d.sort()
        if not d:
            err.append("empty log")
        else:
            rps = float(m.group(1))
            p50 = d[max(0, -(-len(d) * 50 // 100) - 1)]
            p99 = d[max(0, -(-len(d) * 99 // 100) - 1)]
if err:
    print("FAILED: " + "; ".join(err))
else:
    print("%9.0f %9.2f %9.2f   %s" % (rps, p50, p99, cpu))
PY
)
	printf '%-8s %-24s %6s %5s  %s   load %s->%s\n' "$tool" "$path" "$rules" "$c" \
		"$row" "$l0" "$(load1)"
	case $row in FAILED*)
		grep -v progress "$out" | sed 's/^/    | /'
		kill -0 "$CP_PID" 2>/dev/null || {
			echo "sentinel-cp exited:"
			tail -20 "$WORK/cp.log"
			exit 1
		}
		return 1
		;;
	esac
}

bench_get()
{
	local rc=0 n c tool path

	echo "== GET: requests/s and latency (ms); sentinel-cp + sentinel-dp on CPU $CPU_SRV, generator on CPU $CPU_GEN, ${SECS} s a run =="
	printf '%-8s %-24s %6s %5s  %9s %9s %9s   %4s %4s\n' tool path rules conns \
		req/s p50 p99 cp dp
	for n in $GET_RULES; do
		cp_with "$n"
		for path in /healthz /api/v1/firewall/rules '/api/v1/firewall/rules?limit=20'; do
			for tool in wrk h2load; do
				for c in $CONNS; do
					get_run "$tool" "$path" "$n" "$c" || rc=1
				done
			done
		done
	done
	return $rc
}

bench_post()
{
	local rc=0 n off=0 out mac

	mac=$(ip -n "$NSB" -br link show "$VETHB" | awk '{print $3}')
	echo "== POST: rule-to-enforced latency (us), $POSTS deny rules a row, each deleted again =="
	printf '%6s %6s %8s %8s %8s   %5s %8s %8s %8s   %8s %8s   %s\n' rules posts \
		rtt_p50 rtt_p99 rtt_max enf_n enf_p50 enf_p99 enf_max del_p50 del_p99 checks
	for n in $BASES; do
		cp_with "$n"
		local l0 lines
		l0=$(load1)
		lines=$(wc -l <"$WORK/dp.log")
		out=$(taskset -c "$CPU_GEN" "$BAPI" -u "$URL" -C "$WORK/cert.pem" \
			-k "$KEY_OPERATOR" -K "$KEY_ADMIN" -A "/run/netns/$NSA" \
			-B "/run/netns/$NSB" -i "$VETHA" -m "$mac" -d "$IP4B" -P 7100 \
			-c "$IP4A" -n "$POSTS" -o "$off" -e 4 -I 50 \
			-w "$WORK/post-$n.txt" 2>"$WORK/bapi.err") || rc=1
		off=$((off + POSTS))
		python3 - "$n" "$out" "$(load1)" "$l0" <<'PY'
import sys
n, out, l1, l0 = sys.argv[1:]
if "posts=" not in out:
    print("%6s FAILED: bench-api printed no result" % n)
    sys.exit(0)
d = dict(kv.split("=", 1) for kv in out.split())
checks = "before pass %s, after drop %s, after delete pass %s of %s" % (
    d["before_pass"], d["after_drop"], d["del_pass"], d["posts"])
bad = int(d["bad_status"]) + int(d["bad_check"]) + int(d["enf_late"]) + \
      int(d["enf_early"]) + int(d["enf_unenforced"])
if bad:
    print("%6s FAILED: %s  (%s)" % (n, out, checks))
    sys.exit(0)
f = lambda k: "%8.0f" % float(d[k])
print("%6s %6s %s %s %s   %5s %s %s %s   %s %s   %s; load %s->%s%s" % (
    n, d["created"], f("rtt_p50_us"), f("rtt_p99_us"), f("rtt_max_us"),
    d["enf_n"], f("enf_p50_us"), f("enf_p99_us"), f("enf_max_us"),
    f("del_p50_us"), f("del_p99_us"), checks, l0, l1,
    "" if d["new_conns"] == "0" else "; %s reconnects" % d["new_conns"]))
PY
		[ -s "$WORK/bapi.err" ] && sed 's/^/    | /' "$WORK/bapi.err" | head -20
		# where sentinel-dp's part of each POST and DELETE went
		tail -n +"$((lines + 1))" "$WORK/dp.log" | python3 -c '
import re, sys
c, w = [], []
for l in sys.stdin:
    m = re.search(r"compiled in ([0-9.]+) ms, written in ([0-9.]+) ms", l)
    if m:
        c.append(float(m.group(1))); w.append(float(m.group(2)))
q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))]
if c:
    print("       sentinel-dp, %d applies: compile p50 %.2f p99 %.2f ms, write p50 %.2f p99 %.2f max %.2f ms (apply %d)" % (
        len(c), q(c, .5), q(c, .99), q(w, .5), q(w, .99), max(w), w.index(max(w)) + 1))'
	done
	return $rc
}

echo "== sentinel-cp: $(uname -r), $(nproc) CPUs,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), state on $(df -T "$WORK" | awk 'NR==2 {print $2}') =="
rc=0
case $WHAT in
get) bench_get || rc=1 ;;
post) bench_post || rc=1 ;;
all)
	bench_get || rc=1
	echo
	bench_post || rc=1
	;;
hold)
	cp_with "${GET_RULES%% *}"
	echo "NSA=$NSA NSB=$NSB WORK=$WORK URL=$URL CP_PID=$CP_PID DP_PID=$DP_PID SOCK=$SOCK KEY_VIEWER=$KEY_VIEWER"
	sleep infinity &
	wait $! || true
	;;
*) die "unknown section $WHAT" ;;
esac
# a reply sentinel-dp could not send costs sentinel-cp a 3 s timeout
n=$(grep -c "reply could not be sent" "$WORK/dp.log" || true)
[ "$n" = 0 ] || echo "note: sentinel-dp logged $n dropped replies (rate-limited, a lower bound)"
exit $rc
