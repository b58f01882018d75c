# SPDX-License-Identifier: Apache-2.0
# Helpers for Orbit tests, sourced with the backend (sqlite or postgresql) as $1: a
# database of that kind in $T (PostgreSQL: a real server this test starts, as an
# unprivileged user, on 127.0.0.1 at a free port), and orbit started on 127.0.0.1 at an
# ephemeral port.
. "$KOS_SOURCE/tests/lib.sh"

BACKEND=${1:?backend: sqlite or postgresql}
ORBIT="$KOS_BUILD/src/orbit/orbit"
DEVICE="$KOS_BUILD/tests/orbit/orbit-device"
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_DIR="" ORBIT_PID="" PG_RUN=""

orbit_test_cleanup() {
	orbit_kill
	if [ -n "$PG_DIR" ]; then
		$PG_RUN "$PG_BIN/pg_ctl" -D "$PG_DIR/data" stop -m immediate >/dev/null 2>&1
		rm -rf "$PG_DIR"
	fi
	rm -rf "$T"
}
trap orbit_test_cleanup EXIT
# killed (a timeout, a closed pipe): the cleanup still stops orbit and PostgreSQL
trap 'exit 1' HUP INT TERM PIPE

# pg_start: initdb and start PostgreSQL in a temporary directory, as nobody when we are
# root (PostgreSQL refuses to run as root). Sets PG_URL.
pg_start() {
	[ -x "$PG_BIN/initdb" ] || fail "PostgreSQL is not installed (scripts/install-deps)"
	PG_DIR=$(mktemp -d /tmp/kos-orbit-pg.XXXXXX)
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody "$PG_DIR"
		PG_RUN="setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env"
	fi
	$PG_RUN "$PG_BIN/initdb" -D "$PG_DIR/data" -U orbit --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
		fail "initdb failed: $(tail -n 5 "$PG_DIR/initdb.log")"
	for _try in 1 2 3 4 5 6 7 8 9 10; do
		PG_PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
		if $PG_RUN "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=50" \
			start >/dev/null 2>&1; then
			PG_URL="postgresql://orbit@127.0.0.1:$PG_PORT/postgres"
			return 0
		fi
	done
	fail "PostgreSQL did not start: $(tail -n 5 "$PG_DIR/server.log")"
}

# orbit_db: sets DB to a new, empty database of the backend.
orbit_db() {
	case "$BACKEND" in
	sqlite) DB="sqlite:$T/orbit.db" ;;
	postgresql) pg_start; DB=$PG_URL ;;
	*) fail "unknown backend $BACKEND" ;;
	esac
}

# orbit_start: starts orbit on DB with the store $T/store; sets URL and ORBIT_PID.
orbit_start() {
	rm -f "$T/orbit.port"
	"$ORBIT" --db "$DB" --store "$T/store" --port-file "$T/orbit.port" ${ORBIT_ARGS:-} 2>>"$T/orbit.log" &
	ORBIT_PID=$!
	while [ ! -s "$T/orbit.port" ]; do
		kill -0 "$ORBIT_PID" 2>/dev/null || fail "orbit did not start: $(cat "$T/orbit.log")"
		sleep 0.02
	done
	URL="http://127.0.0.1:$(cat "$T/orbit.port")"
}

# orbit_stop: SIGTERM, and orbit must exit 0.
orbit_stop() {
	kill "$ORBIT_PID"
	wait "$ORBIT_PID" || fail "orbit exited with status $?: $(cat "$T/orbit.log")"
	ORBIT_PID=""
}

# orbit_kill: SIGKILL (a crash).
orbit_kill() {
	if [ -n "$ORBIT_PID" ]; then
		kill -9 "$ORBIT_PID" 2>/dev/null
		wait "$ORBIT_PID" 2>/dev/null
		ORBIT_PID=""
	fi
}

# admin ARGS...: orbit admin on DB.
admin() {
	"$ORBIT" admin --db "$DB" "$@"
}
