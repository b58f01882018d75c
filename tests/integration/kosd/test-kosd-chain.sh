#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kosd runs the seed's four apps plus an unrelated one: start order, exact env and fds,
# the ethernet and tunnel kill chains (stop in reverse, start in forward order, logger
# untouched), kos ps and kos app restart|stop|start, SIGTERM shutdown order.
# The apps use ready = "notify" (READY=1 right after recording their start), so the order
# of their own records is the order kosd started them in.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
	apps {
		ethernet { @APP:ethernet@, "--notify-after", "0"; ready = "notify";
		           env = "MTU=1500", "LOG_LEVEL=info"; };
		tunnel { @APP:tunnel@, "--notify-after", "0"; ready = "notify"; };
		hello-phx { @APP:hello-phx@, "--notify-after", "0"; ready = "notify"; };
		admin { @APP:admin@, "--notify-after", "0"; ready = "notify"; };
		logger { @APP:logger@, "--notify-after", "0"; ready = "notify"; };
	};
	supervision {
		ethernet = "tunnel", "hello-phx", "admin";
		tunnel = "hello-phx", "admin";
	};
	node-manager { settle-time-ms = <200>; };
EOF_DTS
# Mark before the start: apps may record their starts before kosd_start returns.
mark_events
kosd_start "$T/m.dtb"
wait_until 10 count_is 1 'start logger'
expect_events "start ethernet
start tunnel
start hello-phx
start admin
start logger"

# Exactly the manifest's env (plus NOTIFY_SOCKET); fds 0, 1, 2 only; output captured.
grep -qx "env ethernet MTU=1500|LOG_LEVEL=info|NOTIFY_SOCKET=$RUN/notify/ethernet" "$REC" ||
	fail "ethernet env: $(grep '^env ethernet' "$REC")"
grep -qx "env tunnel NOTIFY_SOCKET=$RUN/notify/tunnel" "$REC" || fail "tunnel env: $(grep '^env tunnel' "$REC")"
[ "$(grep -c '^fds [a-z-]* 0,1,2$' "$REC")" -eq 5 ] || fail "fds: $(grep '^fds' "$REC")"
checks=$((checks + 3))
wait_until 5 grep -q 'kosd: logger: logger says hello' "$T/kosd.log"
wait_until 5 grep -q 'every app ready for 200 ms' "$T/kosd.log"

ok "$KOS" ps
out_has '^ethernet +running +[0-9]+ +0 '
out_has '^logger +running '
[ "$(grep -c ' running ' "$T/.out")" -eq 5 ] || fail "not all running"

# The seed's chain: kill -9 ethernet.
mark_events
kill -KILL "$(pid_of ethernet)"
wait_until 10 count_is 2 'start admin'
expect_events "stop admin
stop hello-phx
stop tunnel
start ethernet
start tunnel
start hello-phx
start admin"
[ "$(count_events 'start logger')" -eq 1 ] && [ "$(count_events 'stop logger')" -eq 0 ] ||
	fail "logger was touched"
checks=$((checks + 1))

# tunnel's chain leaves ethernet alone.
mark_events
kill -KILL "$(pid_of tunnel)"
wait_until 10 count_is 3 'start admin'
expect_events "stop admin
stop hello-phx
start tunnel
start hello-phx
start admin"
ok "$KOS" ps --json
out_has '"name": "tunnel"'
out_has '"restarts": 2'

# Control: restart, stop (with dependents), start (with dependents).
mark_events
ok "$KOS" app restart hello-phx
wait_until 10 count_is 4 'start hello-phx'
expect_events "stop hello-phx
start hello-phx"

mark_events
ok "$KOS" app stop ethernet
wait_until 10 count_is 1 'stop ethernet'
expect_events "stop admin
stop hello-phx
stop tunnel
stop ethernet"
ok "$KOS" ps
out_has '^ethernet +stopped +0 '
out_has '^logger +running '

mark_events
ok "$KOS" app start ethernet
wait_until 10 count_is 4 'start admin'
expect_events "start ethernet
start tunnel
start hello-phx
start admin"

fails 1 'no app named "nosuch"' "$KOS" app restart nosuch
fails 2 'unknown command' "$KOS" app frobnicate ethernet

# SIGTERM: everything stops in reverse order and kosd exits 0.
mark_events
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status after SIGTERM"
expect_events "stop logger
stop admin
stop hello-phx
stop tunnel
stop ethernet"
[ ! -e "$RUN/kosd.sock" ] || fail "control socket left behind"
grep -q 'ERROR\|AddressSanitizer\|runtime error' "$T/kosd.log" && fail "sanitizer report in kosd.log"
checks=$((checks + 2))
done_ok
