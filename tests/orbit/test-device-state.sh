#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# What devices report at check-in (test-device-state.py) against one backend ($1: sqlite or postgresql).
. "$KOS_SOURCE/tests/orbit/lib-orbit.sh"
orbit_db
orbit_start
ORBIT_URL=$URL ORBIT_DB=$DB ORBIT_DEVICE=$DEVICE T=$T KOS=$KOS ORBIT=$ORBIT \
	PYTHONPATH="$KOS_SOURCE/tests/orbit" python3 "$KOS_SOURCE/tests/orbit/test-device-state.py" ||
	fail "device state ($BACKEND); orbit log: $(tail -n 20 "$T/orbit.log")"
orbit_stop
