# SPDX-License-Identifier: GPL-2.0-only
# Helpers for tests that run sentinel-dp: start/stop it in namespace B and
# talk to it with sentinel-dpctl as the allowed control-plane user.
#
# Source after lib.sh; meson passes: FWTOOL DP DPCTL SCHEMA_DIR.

DP=${2:-${DP:-build/dataplane/sentinel-dp}}
DPCTL=${3:-${DPCTL:-build/dataplane/sentinel-dpctl}}
SCHEMA_DIR=${4:-${SCHEMA_DIR:-schema}}
for v in DP DPCTL SCHEMA_DIR; do
	case ${!v} in
	/*) ;;
	*) printf -v "$v" '%s' "$PWD/${!v}" ;;
	esac
done
SOCK=/run/sentinel-test-$$
CP_UID=65534 # nobody: the allowed control-plane user
CP_GID=65534
DP_PID=
DP_LOG=

require_dp()
{
	[ -x "$DP" ] || skip "sentinel-dp not found at $DP (build first)"
	[ -x "$DPCTL" ] || skip "sentinel-dpctl not found at $DPCTL"
	require_tools setpriv flatc bpftool
	getent passwd "$CP_UID" >/dev/null || skip "no user with uid $CP_UID"
}

# dp_start [ARGS...]: run sentinel-dp in B (on $VETHB unless -i is given),
# wait until its control socket answers.
dp_start()
{
	local args=("$@") i

	[ ${#args[@]} -gt 0 ] || args=(-i "$VETHB")
	DP_LOG=$WORK/dp.log
	nsenter --net="/run/netns/$NSB" "$DP" -b "$PIN" -s "$SOCK" \
		-u "$CP_UID" -l debug "${args[@]}" >>"$DP_LOG" 2>&1 &
	DP_PID=$!
	for i in $(seq 1 100); do
		if dpctl -t 500 status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$DP_LOG"
	die "sentinel-dp did not come up"
}

dp_stop()
{
	[ -n "$DP_PID" ] || return 0
	kill "$DP_PID" 2>/dev/null
	wait "$DP_PID" 2>/dev/null
	DP_PID=
}

dp_kill9()
{
	kill -9 "$DP_PID" 2>/dev/null
	wait "$DP_PID" 2>/dev/null
	DP_PID=
}

# dp_diagnose: what a sentinel-dp that stopped answering is doing (to
# stderr): its threads' states, kernel stacks and the end of its log.
dp_diagnose()
{
	local t

	{
		echo "# sentinel-dp (pid $DP_PID) did not answer; its state:"
		if [ -n "$DP_PID" ] && [ -d "/proc/$DP_PID" ]; then
			for t in /proc/"$DP_PID"/task/*; do
				echo "# thread $(cat "$t/comm") $(awk '/^State/ {print $2, $3}' "$t/status") wchan=$(cat "$t/wchan" 2>/dev/null)"
				sed 's/^/#     /' "$t/stack" 2>/dev/null
			done
		else
			echo "# not running"
		fi
		echo "# the end of its log:"
		[ -n "$DP_LOG" ] && tail -n 60 "$DP_LOG" | sed 's/^/#   /'
	} >&2
}

# dpctl ARGS...: as the allowed user, in B's network namespace.  Without -t
# (a test's deliberate short timeout) no answer means sentinel-dp is stuck:
# its state goes to the log and the test stops at once rather than running
# into meson's timeout one timed-out call at a time.
dpctl()
{
	local rc errf=$WORK/dpctl.err.$BASHPID

	nsenter --net="/run/netns/$NSB" setpriv --reuid="$CP_UID" \
		--regid="$CP_GID" --clear-groups "$DPCTL" -s "$SOCK" "$@" 2>"$errf"
	rc=$?
	cat "$errf" >&2
	if [ "$rc" = 3 ] && [ "$1" != -t ] && grep -q "no answer" "$errf" &&
		[ ! -e "$WORK/dp_stuck" ]; then
		touch "$WORK/dp_stuck"
		dp_diagnose
		echo "not ok - sentinel-dp stopped answering (dpctl $*)"
		kill -TERM $$
	fi
	rm -f "$errf"
	return "$rc"
}

# dpctl_as UID GID ARGS...: as someone else.
dpctl_as()
{
	local uid=$1 gid=$2

	shift 2
	nsenter --net="/run/netns/$NSB" setpriv --reuid="$uid" --regid="$gid" \
		--clear-groups "$DPCTL" -s "$SOCK" "$@"
}

# jget JSON PYEXPR: evaluate PYEXPR over d = the parsed JSON text.
jget()
{
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(eval(sys.argv[2], {}, {"d": d}))' "$1" "$2" 2>/dev/null || echo "error"
}

# flatc_req NAME JSON: a Request built by the real flatc from JSON; prints
# the path of the binary.
flatc_req()
{
	echo "$2" >"$WORK/$1.json"
	flatc -b -o "$WORK" "$SCHEMA_DIR/control.fbs" "$WORK/$1.json" ||
		die "flatc could not encode $1"
	chmod a+r "$WORK/$1.bin"
	echo "$WORK/$1.bin"
}

dp_cleanup()
{
	dp_stop
	if [ -n "$SOCK" ] && [ -d "$PIN" ]; then
		nsenter --net="/run/netns/$NSB" "$DP" uninstall -b "$PIN" \
			-s "$SOCK" >/dev/null 2>&1
	fi
	rm -rf "$SOCK"
}

# lib.sh's cleanup runs on EXIT; stop and uninstall sentinel-dp first.
eval "$(declare -f cleanup | sed '1s/cleanup/lib_cleanup/')"
cleanup()
{
	local rc=$?

	dp_cleanup
	(exit "$rc")
	lib_cleanup
}
