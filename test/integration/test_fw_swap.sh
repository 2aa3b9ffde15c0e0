#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Atomic rule-set replacement under traffic: every packet judged by exactly one set.
. "$(dirname "$0")/lib.sh" "$@"

require_all
env_setup
fw_start

NPORTS=16
BASE=6000
SECONDS_RUN=${SWAP_SECONDS:-10}
PPS=${SWAP_PPS:-1500}

# Set A: rule i (1..N) logs dport BASE+i-1; 100 logs everything else.
# Set B: rule 1000+i logs dport BASE+N-i (the reverse mapping); 1100 the rest.
# A packet judged by a mix of the two (A's tuples, B's entries, or a stale
# half-written set) would carry an id that is wrong for its port.
{
	echo "# swap set A"
	for i in $(seq 1 $NPORTS); do
		echo "id=$i prio=10 action=log proto=udp dport=$((BASE + i - 1))"
	done
	echo "id=100 prio=100 action=log"
} >"$WORK/A.rules"
{
	echo "# swap set B"
	for i in $(seq 1 $NPORTS); do
		echo "id=$((1000 + i)) prio=10 action=log proto=udp dport=$((BASE + NPORTS - i))"
	done
	echo "id=1100 prio=100 action=log"
} >"$WORK/B.rules"

fw rules "$WORK/A.rules" >/dev/null || die "set A refused"
sleep 0.2
events_drain
S=$WORK/stats.json
snap "$S"

# Read events for the whole run in the background.
fw events -n 100000000 -t $((SECONDS_RUN + 4)) --json >"$WORK/events.json" 2>"$WORK/events.err" &
READER=$!
BG_PIDS="$BG_PIDS $READER"
sleep 0.5

# Swap A/B back to back while traffic flows.
(
	n=0 bad=0
	end=$(($(date +%s) + SECONDS_RUN))
	while [ "$(date +%s)" -lt "$end" ]; do
		fw rules "$WORK/B.rules" >/dev/null 2>>"$WORK/swap.err" && n=$((n + 1)) || bad=$((bad + 1))
		fw rules "$WORK/A.rules" >/dev/null 2>>"$WORK/swap.err" && n=$((n + 1)) || bad=$((bad + 1))
	done
	echo "$n $bad" >"$WORK/swaps"
) &
SWAPPER=$!
BG_PIDS="$BG_PIDS $SWAPPER"

sent=$(in_a python3 "$PROBE" udpflood "$IP4B" $BASE $((BASE + NPORTS - 1)) "$SECONDS_RUN" "$PPS")
wait "$SWAPPER"
wait "$READER"
read -r swaps swap_fail <"$WORK/swaps"
log "sent $sent datagrams, $swaps swaps ($swap_fail failed)"
[ -s "$WORK/swap.err" ] && sed 's/^/# swap: /' "$WORK/swap.err" | head -5

assert_gt "swaps done" 20 "$swaps"
assert_eq "no swap failed" 0 "$swap_fail"
assert_ge "datagrams sent" $((SECONDS_RUN * PPS / 2)) "$sent"
assert_eq "no packet fell to the default pass" 0 "$(delta "$S" default_pass)"
assert_eq "no packet fell to the default drop" 0 "$(delta "$S" default_drop)"
assert_ge "every datagram matched a rule" "$sent" "$(delta "$S" rule_match)"
assert_eq "no event skipped" 0 "$(delta "$S" events_skipped)"
assert_eq "no event failed" 0 "$(delta "$S" events_failed)"

# Every event: the right id for its port in set A or in set B, never a mix.
res=$(python3 - "$WORK/events.json" $NPORTS $BASE <<'EOF'
import json, sys
path, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = {base + i - 1: i for i in range(1, n + 1)}
b = {base + n - i: 1000 + i for i in range(1, n + 1)}
total = in_a = in_b = other = bad = 0
first_bad = ""
for line in open(path):
    line = line.strip()
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    total += 1
    rid, dport = e["rule_id"], e["dport"]
    if e["proto"] == 17 and dport in a:
        if rid == a[dport] and e["action"] == "log":
            in_a += 1
            continue
        if rid == b[dport] and e["action"] == "log":
            in_b += 1
            continue
    elif rid in (100, 1100):
        other += 1
        continue
    bad += 1
    if not first_bad:
        first_bad = line
print(total, in_a, in_b, other, bad, first_bad or "-")
EOF
)
read -r ev_total ev_a ev_b ev_other ev_bad ev_first <<<"$res"
log "events: $ev_total total, $ev_a by set A, $ev_b by set B, $ev_other catch-all, $ev_bad wrong"
assert_ge "events read for the datagrams" "$sent" "$ev_total"
assert_eq "every event has the right rule id for its port (A or B)" 0 "$ev_bad"
[ "$ev_bad" = 0 ] || log "first wrong event: $ev_first"
assert_gt "set A judged some datagrams" 0 "$ev_a"
assert_gt "set B judged some datagrams" 0 "$ev_b"
assert_eq "events read == events sent by the kernel" "$(delta "$S" events_sent)" "$ev_total"
# The last swap applied set A: it judges a new datagram.
events_drain
udp_probe "$IP4B" $BASE 0.2 >/dev/null
events_get "$WORK/last.json" 1
assert_eq "after the run set A judges dport $BASE (rule 1)" 1 \
	"$(jcount "$WORK/last.json" "e['rule_id'] == 1 and e['dport'] == $BASE")"

finish
