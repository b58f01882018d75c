#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# 10,000 crash/restart cycles: afterwards kosd holds exactly the fds it held before, has
# no zombie children and no child but the one steady app. The crasher is /bin/false
# (restart = permanent), with an intensity loose enough to never escalate.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
CYCLES=${KOSD_TEST_CYCLES:-10000}

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
	apps {
		steady { @APP:steady@; };
		crasher { path = "/bin/false"; };
	};
	node-manager { restart-intensity = <1000000>; restart-period-ms = <1000>; };
EOF_DTS
kosd_start "$T/m.dtb"
wait_until 10 count_is 1 'start steady'

fds() { ls "/proc/$KOSD_PID/fd" | wc -l; }
# children: all children of kosd.
# (ps, not a scan of /proc/*/stat: processes vanish mid-scan, and a comm with spaces
# shifts the fields.)
children() { ps -o pid= --ppid "$KOSD_PID" | wc -l; }
# zombies: children of kosd that have exited and are not reaped yet.
zombies() { ps -o stat= --ppid "$KOSD_PID" | grep -c '^Z'; }
no_zombies() { [ "$(zombies)" -eq 0 ]; }
restarts() {
	"$KOS" ps >"$T/ps" 2>/dev/null && awk '$1 == "crasher" { print $4 }' "$T/ps"
}
enough() { [ "$(restarts)" -ge "$CYCLES" ]; }

stopped_state() { "$KOS" ps >"$T/ps" 2>/dev/null && grep -q '^crasher  *stopped' "$T/ps"; }
ok "$KOS" app stop crasher
wait_until 10 stopped_state
wait_until 10 no_zombies
fds_before=$(fds)
started=$(date +%s)
ok "$KOS" app start crasher
wait_until 100 enough
ok "$KOS" app stop crasher
wait_until 10 stopped_state
elapsed=$(($(date +%s) - started))
n=$(awk '$1 == "crasher" { print $4 }' "$T/ps")
# A crasher that has just died is reaped a moment later: wait for that, bounded.
wait_until 10 no_zombies
fds_after=$(fds)
echo "cycles: $n in ${elapsed}s; kosd fds before $fds_before, after $fds_after; zombies $(zombies); children $(children)"
[ "$n" -ge "$CYCLES" ] || fail "only $n cycles"
[ "$fds_after" -eq "$fds_before" ] || { ls -l "/proc/$KOSD_PID/fd" >&2; fail "fd leak: $fds_before -> $fds_after"; }
[ "$(zombies)" -eq 0 ] || {
	ps -o pid,stat,comm --ppid "$KOSD_PID" >&2
	fail "zombies left"
}
[ "$(children)" -eq 1 ] || fail "kosd has $(children) children, expected 1 (steady)"
[ "$(count_events 'start steady')" -eq 1 ] || fail "steady was restarted"
grep -q 'restart intensity exceeded' "$T/kosd.log" && fail "escalated"
checks=$((checks + 6))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
