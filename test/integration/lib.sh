# SPDX-License-Identifier: GPL-2.0-only
# Integration-test helpers: two namespaces joined by veth, the firewall, checks.
#
# Source it from a test script with the test's arguments:
#	. "$(dirname "$0")/lib.sh" "$@"
# $1 (or env FWTOOL) is the sentinel-fwtool binary; meson passes it.
#
# Layout: namespace A (traffic source) --veth-- namespace B (firewall on the
# B end, native XDP).  Addresses exist only inside the two namespaces.
# SENTINEL_TEST_SHELL=1 opens a shell inside B (with A reachable) before the
# environment is torn down, for debugging.
#
# Note: `ip netns exec` remounts /sys, hiding /sys/fs/bpf, so the firewall
# tool runs under `nsenter --net` instead: same mount namespace, B's network.

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FWTOOL=${1:-${FWTOOL:-build/dataplane/sentinel-fwtool}}
case $FWTOOL in
/*) ;;
*) FWTOOL=$PWD/$FWTOOL ;;
esac
PROBE=$LIB_DIR/probe.py

NSA=sentinel-a-$$
NSB=sentinel-b-$$
VETHA=sfa$$ # <= 15 characters even with a ".NNNN" VLAN suffix
VETHB=sfb$$
IP4A=10.123.0.1
IP4B=10.123.0.2
IP6A=fd00:5e::1
IP6B=fd00:5e::2
PIN=/sys/fs/bpf/sentinel-test-$$
PINA=/sys/fs/bpf/sentinel-test-$$-a
WORK=
VLANS=
BG_PIDS=
ENV_UP=0
PASSED=0
FAILED=0
TESTNO=0

# ---- requirements (exit 77 = skipped, with the reason) ----

skip()
{
	echo "SKIP: $*"
	exit 77
}

require_root()
{
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, XDP)"
}

require_bpffs()
{
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf 2>/dev/null ||
			skip "bpffs is not mounted on /sys/fs/bpf and cannot be mounted"
	fi
}

require_tools()
{
	local t

	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "tool '$t' not found"
	done
}

require_fwtool()
{
	[ -x "$FWTOOL" ] || skip "sentinel-fwtool not found at $FWTOOL (build first)"
}

# Everything a firewall test needs.
require_all()
{
	require_root
	require_bpffs
	require_tools ip nsenter ping python3 socat timeout mountpoint
	require_fwtool
	ip netns add "sentinel-chk-$$" 2>/dev/null ||
		skip "cannot create network namespaces"
	ip netns del "sentinel-chk-$$"
}

# ---- running things ----

in_a() { ip netns exec "$NSA" "$@"; }
in_b() { ip netns exec "$NSB" "$@"; }
# The firewall tool on B's firewall, and on A's pass-through instance.
fw() { nsenter --net="/run/netns/$NSB" "$FWTOOL" -d "$PIN" "$@"; }
fwa() { nsenter --net="/run/netns/$NSA" "$FWTOOL" -d "$PINA" "$@"; }

# bg_in NS CMD...: start CMD in namespace NS in the background, remember it
# for cleanup.  `ip netns exec` execs CMD, so $! is CMD itself; its output
# goes to a file so no stray process holds the test's stdout open.
bg_in()
{
	local ns=$1

	shift
	ip netns exec "$ns" "$@" >>"$WORK/bg.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
}

log() { echo "# $*"; }

# Fatal setup error: the test cannot go on.
die()
{
	echo "not ok - setup: $*"
	FAILED=$((FAILED + 1))
	echo "$PASSED passed, $FAILED failed"
	exit 1
}

# ---- environment ----

# env_setup [VLAN_ID...]: namespaces, veth pair, addresses, and VLAN
# subinterfaces on both ends when the kernel has 8021q ($VLANS lists those
# created; frames_seen sends tagged frames without them).
env_setup()
{
	local id

	WORK=$(mktemp -d /tmp/sentinel-it.XXXXXX) || die "mktemp"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	ENV_UP=1
	ip netns add "$NSA" || die "ip netns add $NSA"
	ip netns add "$NSB" || die "ip netns add $NSB"
	ip -n "$NSA" link add "$VETHA" type veth peer name "$VETHB" netns "$NSB" ||
		die "veth pair $VETHA/$VETHB"
	for ns in "$NSA" "$NSB"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
	done
	ip -n "$NSA" addr add "$IP4A/24" dev "$VETHA"
	ip -n "$NSB" addr add "$IP4B/24" dev "$VETHB"
	ip -n "$NSA" addr add "$IP6A/64" dev "$VETHA" nodad
	ip -n "$NSB" addr add "$IP6B/64" dev "$VETHB" nodad
	ip -n "$NSA" link set "$VETHA" up
	ip -n "$NSB" link set "$VETHB" up
	for id in "$@"; do
		if ! ip -n "$NSA" link add link "$VETHA" name "$VETHA.$id" type vlan id "$id" 2>/dev/null; then
			log "no VLAN devices in this kernel (8021q): VLAN $id tests use hand-made tagged frames"
			continue
		fi
		ip -n "$NSB" link add link "$VETHB" name "$VETHB.$id" type vlan id "$id" ||
			die "vlan $id on $VETHB"
		ip -n "$NSA" addr add "$(vlan_ip4 "$id" 1)/24" dev "$VETHA.$id"
		ip -n "$NSB" addr add "$(vlan_ip4 "$id" 2)/24" dev "$VETHB.$id"
		ip -n "$NSA" addr add "$(vlan_ip6 "$id" 1)/64" dev "$VETHA.$id" nodad
		ip -n "$NSB" addr add "$(vlan_ip6 "$id" 2)/64" dev "$VETHB.$id" nodad
		ip -n "$NSA" link set "$VETHA.$id" up
		ip -n "$NSB" link set "$VETHB.$id" up
		VLANS="$VLANS $id"
	done
	# Link up and neighbours resolved before any firewall is attached.
	wait_ping "$IP4B" || die "no IPv4 connectivity A->B"
	wait_ping "$IP6B" || die "no IPv6 connectivity A->B"
	for id in $VLANS; do
		wait_ping "$(vlan_ip4 "$id" 2)" || die "no connectivity over VLAN $id"
	done
	log "env: $NSA/$VETHA ($IP4A $IP6A) <-> $NSB/$VETHB ($IP4B $IP6B) vlans:${VLANS:- none} pin $PIN"
}

# wait_ping DEST: up to ~4 s for a first echo reply from A to DEST.
wait_ping()
{
	for _ in $(seq 1 20); do
		in_a ping -c1 -W1 "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# has_vlan ID: were VLAN subinterfaces created for ID?
has_vlan() { [[ " $VLANS " == *" $1 "* ]]; }

# 10.123.<id%256>.<host> and fd00:5e:<id>::<host>
vlan_ip4() { echo "10.123.$(($1 % 256)).$2"; }
vlan_ip6() { echo "fd00:5e:$1::$2"; }

# fw_start: load the firewall in B (known settings), attach natively to vethB;
# a pass-through instance on vethA lets XDP_TX replies (reject) reach A.
fw_start()
{
	local out

	fw load >"$WORK/load.out" 2>&1 || {
		cat "$WORK/load.out"
		die "sentinel-fwtool load"
	}
	fw set default=pass dry-run=0 malformed=drop reject-pps=1000 \
		reject-burst=100 >/dev/null || die "sentinel-fwtool set"
	out=$(fw attach "$VETHB" native 2>&1) || die "attach $VETHB native: $out"
	log "$out"
	if [ "${PEER_XDP:-1}" = 1 ]; then
		fwa load >/dev/null 2>&1 || die "load on the A side"
		fwa set default=pass dry-run=0 malformed=pass >/dev/null ||
			die "set on the A side"
		out=$(fwa attach "$VETHA" native 2>&1) ||
			die "attach $VETHA native: $out"
		log "A side: $out (pass-through, receives XDP_TX replies)"
	fi
}

cleanup()
{
	local rc=$? p

	trap - EXIT INT TERM
	if [ "$ENV_UP" = 1 ] && [ "${SENTINEL_TEST_SHELL:-0}" = 1 ] &&
		! { : </dev/tty; } 2>/dev/null; then
		echo "# SENTINEL_TEST_SHELL: no terminal, no shell"
	elif [ "$ENV_UP" = 1 ] && [ "${SENTINEL_TEST_SHELL:-0}" = 1 ]; then
		echo "# SENTINEL_TEST_SHELL: shell in $NSB; A is $NSA (ip netns exec $NSA ...)."
		echo "# The firewall: \$FWTOOL -d $PIN ...  Exit the shell to clean up."
		NSA=$NSA NSB=$NSB PIN=$PIN PINA=$PINA FWTOOL=$FWTOOL WORK=$WORK \
			PS1="[sentinel $NSB] \\w# " \
			nsenter --net="/run/netns/$NSB" bash --norc -i </dev/tty >/dev/tty 2>&1 ||
			true
	fi
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $BG_PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ "$ENV_UP" = 1 ]; then
		if [ -d "$PIN" ]; then
			fw detach "$VETHB" >/dev/null 2>&1
			fw unload >/dev/null 2>&1 || echo "# warning: unload $PIN failed"
		fi
		if [ -d "$PINA" ]; then
			fwa detach "$VETHA" >/dev/null 2>&1
			fwa unload >/dev/null 2>&1
		fi
		ip netns del "$NSA" 2>/dev/null
		ip netns del "$NSB" 2>/dev/null
		rm -rf "$PIN" "$PINA"
		[ -n "$WORK" ] && rm -rf "$WORK"
	fi
	exit "$rc"
}

# ---- rules ----

# apply_rules NAME LINE...: write a rules file from the lines and load it.
apply_rules()
{
	local name=$1 f out

	shift
	f=$WORK/$name.rules
	printf '%s\n' "# $name" "$@" >"$f"
	if ! out=$(fw rules "$f" 2>&1); then
		echo "$out"
		die "rules $name refused"
	fi
}

# ---- traffic ----

# ping_recv NS DEST COUNT: number of echo replies received.
ping_recv()
{
	local ns=$1 dst=$2 n=$3 out

	out=$(ip netns exec "$ns" ping -n -q -c "$n" -i 0.1 -W 1 "$dst" 2>&1)
	out=$(echo "$out" | sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p')
	echo "${out:-0}"
}
ping4() { ping_recv "$NSA" "${2:-$IP4B}" "$1"; }
ping6() { ping_recv "$NSA" "${2:-$IP6B}" "$1"; }

# frames_seen VLAN COUNT: send COUNT ICMP echo frames from A tagged with VLAN
# (0 = untagged) by hand, so no 8021q support is needed, and print how many
# reached B's stack (i.e. were passed by XDP).  B's kernel may discard them
# afterwards (no VLAN device): only the firewall's verdict is observed.
frames_seen()
{
	local vlan=$1 n=$2 marker mac out

	marker="sentinel-frame-$$-$RANDOM$RANDOM"
	mac=$(ip -n "$NSB" -br link show "$VETHB" | awk '{print $3}')
	in_b python3 "$PROBE" sniff "$VETHB" "$marker" 1.5 >"$WORK/sniff.out" &
	local sniffer=$!
	sleep 0.4
	in_a python3 "$PROBE" rawsend "$VETHA" "$mac" "$IP4A" "$IP4B" "$vlan" "$n" "$marker" >/dev/null
	wait "$sniffer"
	out=$(cat "$WORK/sniff.out")
	echo "${out:-error}"
}

# tcp_probe HOST PORT [TIMEOUT] (from A): connected|refused|timeout
tcp_probe() { in_a python3 "$PROBE" tcp "$1" "$2" "${3:-1.5}"; }
# udp_probe HOST PORT [TIMEOUT [PAYLOAD-SIZE]]: reply|refused|timeout
udp_probe() { in_a python3 "$PROBE" udp "$1" "$2" "${3:-1.5}" "${4:-14}"; }

# Servers in B: TCP (IPv4 and IPv6) sends a line; UDP echoes.
tcp_server() { bg_in "$NSB" socat "TCP6-LISTEN:$1,ipv6only=0,fork,reuseaddr" SYSTEM:"echo sentinel"; }
udp_server() { bg_in "$NSB" socat -T 1 "UDP6-RECVFROM:$1,ipv6only=0,fork,reuseaddr" EXEC:cat; }

# ---- counters and events ----

# stat NAME [packets|bytes]: a global counter.
stat()
{
	fw stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d[sys.argv[1]][sys.argv[2]])' "$1" "${2:-packets}" 2>/dev/null || echo "error"
}

# snap FILE: save all global counters; delta FILE NAME: growth since then.
snap() { fw stats --json >"$1"; }
delta()
{
	local now

	now=$(stat "$2")
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = sys.argv[3]
print(int(n) - d[sys.argv[2]]["packets"] if n.isdigit() else "error")' "$1" "$2" "$now" 2>/dev/null || echo "error"
}

# rule_pkts ID: packets counted for a rule id ("error" when the tool fails).
rule_pkts()
{
	local out

	out=$(fw counter "$1" --json 2>/dev/null) || {
		echo "error"
		return
	}
	echo "$out" | python3 -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        if "packets" in o:
            return o["packets"]
        for v in o.values():
            r = find(v)
            if r is not None:
                return r
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None:
                return r
    return None
r = find(json.load(sys.stdin))
print("error" if r is None else r)' 2>/dev/null || echo "error"
}

# Drop every event already in the ring.
events_drain() { fw events -t 0.3 --json >/dev/null 2>&1; }
# events_get FILE N [SECONDS]: read up to N events (JSON lines) into FILE.
events_get() { fw events -n "$2" -t "${3:-2}" --json >"$1" 2>"$1.err"; }

# jcount FILE PYEXPR: JSON lines of FILE for which PYEXPR (over e) is true.
# make_cert KEY CERT: a self-signed P-256 certificate for localhost and
# 127.0.0.1; the key readable by sentinel-cp's unprivileged user.
make_cert()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1" -out "$2" -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1 ||
		die "certificate"
	chmod 644 "$1"
}

# yaml_api_auth NAME:ROLE:KEY...: the api, tls and auth sections of a
# sentinel-cp configuration (127.0.0.1:$PORT, $WORK/cert.pem and key.pem),
# one API key per argument.
yaml_api_auth()
{
	local k n r v

	printf 'api:\n  bind_address: 127.0.0.1\n  port: %s\n' "$PORT"
	printf 'tls:\n  cert_path: %s/cert.pem\n  key_path: %s/key.pem\n' "$WORK" "$WORK"
	printf 'auth:\n  enabled: true\n  api_keys:\n'
	for k in "$@"; do
		IFS=: read -r n r v <<<"$k"
		printf '    - {name: %s, key: %s, role: %s}\n' "$n" "$v" "$r"
	done
}

jcount()
{
	python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    if eval(sys.argv[2], {}, {"e": e}):
        n += 1
print(n)' "$1" "$2" 2>/dev/null || echo "error"
}

# ---- assertions: each prints ok/not ok, expected and seen ----

ok()
{
	TESTNO=$((TESTNO + 1))
	PASSED=$((PASSED + 1))
	echo "ok $TESTNO - $1"
}

not_ok()
{
	TESTNO=$((TESTNO + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $TESTNO - $1"
	echo "#   expected: $2"
	echo "#   got:      $3"
}

assert_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1 ($3)"
	else
		not_ok "$1" "$2" "$3"
	fi
}

_num() { [[ $1 =~ ^-?[0-9]+$ ]]; }

# assert_ge NAME MIN GOT
assert_ge()
{
	if _num "$3" && [ "$3" -ge "$2" ]; then
		ok "$1 ($3 >= $2)"
	else
		not_ok "$1" ">= $2" "$3"
	fi
}

assert_gt()
{
	if _num "$3" && [ "$3" -gt "$2" ]; then
		ok "$1 ($3 > $2)"
	else
		not_ok "$1" "> $2" "$3"
	fi
}

assert_le()
{
	if _num "$3" && [ "$3" -le "$2" ]; then
		ok "$1 ($3 <= $2)"
	else
		not_ok "$1" "<= $2" "$3"
	fi
}

# assert_match NAME EXTENDED-REGEX TEXT
assert_match()
{
	if [[ $3 =~ $2 ]]; then
		ok "$1"
	else
		not_ok "$1" "text matching /$2/" "$3"
	fi
}

# finish: summary line; non-zero exit when anything failed.
finish()
{
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}
