#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# On a kernel without close_range(2) (before 5.9, emulated with seccomp), apps still start
# and get no fd but 0, 1 and 2, even one kosd itself inherited without close-on-exec.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
WRAP="$KOS_BUILD/tests/tools/kos-test-enosys"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
	apps { one { @APP:one@; }; };
EOF_DTS
# fd 9 is left open without close-on-exec, as a careless parent of kosd would.
"$WRAP" close_range "$KOSD" --manifest "$T/m.dtb" --run-dir "$RUN" >"$T/kosd.log" 2>&1 9</dev/null &
KOSD_PID=$!
wait_until 10 count_is 1 'start one'
grep -qx 'fds one 0,1,2' "$REC" || fail "app fds: $(grep '^fds' "$REC")"
[ -e "/proc/$KOSD_PID/fd/9" ] || fail "kosd was not left an fd 9"
checks=$((checks + 2))
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status: $(cat "$T/kosd.log")"
done_ok
