#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kill -9 of orbit under load (test-kill.py) against one backend ($1: sqlite or
# postgresql): no acknowledged report is lost, and the database opens again (orbit
# restarts on it; SQLite's integrity check passes).
. "$KOS_SOURCE/tests/orbit/lib-orbit.sh"
orbit_db
orbit_start
export ORBIT_URL=$URL ORBIT_DB=$DB ORBIT_DEVICE=$DEVICE T KOS ORBIT PYTHONPATH="$KOS_SOURCE/tests/orbit"
python3 "$KOS_SOURCE/tests/orbit/test-kill.py" load "$ORBIT_PID" || fail "load ($BACKEND)"
wait "$ORBIT_PID" 2>/dev/null
ORBIT_PID=""
if [ "$BACKEND" = sqlite ]; then
	result=$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])" "$T/orbit.db") ||
		fail "the SQLite database does not open"
	[ "$result" = ok ] || fail "SQLite integrity check: $result"
fi
orbit_start
ORBIT_URL=$URL python3 "$KOS_SOURCE/tests/orbit/test-kill.py" verify ||
	fail "verify ($BACKEND); orbit log: $(tail -n 20 "$T/orbit.log")"
orbit_stop
