# SPDX-License-Identifier: Apache-2.0
# Helpers for kosd's integration tests; source after tests/lib.sh.
#   KOSD, APP, MSGD        the programs under test
#   REC                    the file every test app appends its events to
#   kosd_manifest OUT.dtb  builds a manifest from DTS on stdin (@APP@, @REC@, @T@, @KOS@ replaced;
#                          @APP:NAME@ is the test app recording as NAME: path and the start
#                          of its args). Without a "/dts-v1/;" line, stdin is the inside of
#                          the root node of a version 1 manifest.
#   kosd_start DTB [ARGS]  runs kosd in the background (log in $T/kosd.log, pid in $KOSD_PID)
#   kosd_wait_exit         waits for kosd to exit (at most 20 s); its status in $kosd_status
#   wait_until SECONDS CMD waits until CMD succeeds, or fails the test
#   events [KIND...]       the recorded "KIND NAME" events (default: start and stop)
KOSD="$KOS_BUILD/src/supervisor/kosd"
APP="$KOS_BUILD/tests/integration/kosd/kosd-test-app"
MSGD="$KOS_BUILD/tests/integration/kosd/kosd-test-msgd"
REC="$T/rec"
RUN="$T/run"
KOSD_PID=
export KOS_RUN_DIR="$RUN"
trap 'kosd_cleanup' EXIT

# Stops a kosd still running: SIGTERM, up to 5 s for it to exit, then SIGKILL.
kosd_cleanup() {
	if [ -n "$KOSD_PID" ] && kill -0 "$KOSD_PID" 2>/dev/null; then
		kill -TERM "$KOSD_PID" 2>/dev/null
		i=0
		while kill -0 "$KOSD_PID" 2>/dev/null && [ $i -lt 100 ]; do
			i=$((i + 1))
			sleep 0.05
		done
		kill -KILL "$KOSD_PID" 2>/dev/null
	fi
	rm -rf "$T"
}

kosd_manifest() {
	cat >"$T/m.in"
	{
		grep -q '^/dts-v1/;' "$T/m.in" ||
			printf '/dts-v1/;\n/ {\n\tcompatible = "kos,manifest-v1";\n\tversion = <1>;\n'
		cat "$T/m.in"
		grep -q '^/dts-v1/;' "$T/m.in" || printf '};\n'
	} | sed -e 's|@APP:\([a-z0-9-]*\)@|path = "@APP@"; args = "--name", "\1", "--record", "@REC@"|g' \
		-e "s|@APP@|$APP|g" -e "s|@REC@|$REC|g" -e "s|@T@|$T|g" -e "s|@KOS@|$KOS|g" >"$T/m.dts"
	"$KOS" manifest build "$T/m.dts" -o "$1" >"$T/.out" 2>"$T/.err" ||
		fail "manifest does not build"
}

kosd_start() {
	dtb=$1
	shift
	"$KOSD" --manifest "$dtb" --run-dir "$RUN" "$@" >"$T/kosd.log" 2>&1 &
	KOSD_PID=$!
}

kosd_wait_exit() {
	i=0
	while kill -0 "$KOSD_PID" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 400 ] || fail "kosd did not exit within 20 s"
		sleep 0.05
	done
	wait "$KOSD_PID"
	kosd_status=$?
	KOSD_PID=
}

wait_until() {
	limit=$(($1 * 20))
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		if [ $i -gt $limit ]; then
			echo "--- kosd.log:" >&2
			cat "$T/kosd.log" >&2
			echo "--- events:" >&2
			cat "$REC" >&2 2>/dev/null
			fail "timed out waiting for: $*"
		fi
		sleep 0.05
	done
}

# events [KIND...]: "KIND NAME" lines, in order (start and stop by default).
events() {
	[ $# -gt 0 ] || set -- start stop
	[ -f "$REC" ] || return 0
	for k in "$@"; do printf '%s\n' "$k"; done >"$T/.kinds"
	awk 'NR == FNR { want[$1] = 1; next } ($1 in want) { print $1, $2 }' "$T/.kinds" "$REC"
}

# count_events LINE: how many recorded "KIND NAME" events equal LINE.
count_events() {
	events | grep -cx "$1"
}

# pid_of NAME: the pid of NAME's latest start.
pid_of() {
	awk -v n="$1" '$1 == "start" && $2 == n { p = $3 } END { print p }' "$REC"
}

# expect_events TEXT: the events since the mark equal TEXT (lines "KIND NAME").
mark_events() {
	mark=$(events | wc -l)
}
expect_events() {
	got=$(events | tail -n +$((mark + 1)))
	[ "$got" = "$1" ] || {
		cat "$T/kosd.log" >&2
		fail "events were:
$got
expected:
$1"
	}
	checks=$((checks + 1))
}

# count_is N LINE: exactly N recorded events equal LINE (for wait_until).
count_is() {
	[ "$(count_events "$2")" -eq "$1" ]
}
