#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kosd --watchdog: the real kosd keeps a watchdog alive from its event loop, every third of
# the manifest's watchdog-timeout-ms; a stalled kosd (stopped) keeps it alive no more; when
# kosd ends it leaves the watchdog running (never the magic close 'V'). The watchdog here is
# a pipe: a keepalive is one byte written, as on /dev/watchdog (src/boot/watchdog.h).
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
	apps { a { @APP:a@; }; };
	node-manager { watchdog-timeout-ms = <1500>; settle-time-ms = <100>; };
EOF_DTS
mkfifo "$T/wd"
cat "$T/wd" >"$T/pings" &
reader=$!
kosd_start "$T/m.dtb" --watchdog "$T/wd"
pings() { wc -c <"$T/pings"; }
at_least() { [ "$(pings)" -ge "$1" ]; }

wait_until 10 grep -q "watchdog: $T/wd, 2 s (not settable here: the device keeps its own), kept alive every 666 ms" \
	"$T/kosd.log"
wait_until 10 at_least 4

# A stalled kosd: no keepalive while it is stopped. Only a window of time can show that
# nothing comes: three keepalive periods.
kill -STOP "$KOSD_PID"
stalled=$(pings)
sleep 2
[ "$(pings)" -le $((stalled + 1)) ] || fail "a stopped kosd kept the watchdog alive: $stalled, then $(pings) keepalives"
kill -CONT "$KOSD_PID"
wait_until 10 at_least $((stalled + 3))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status after SIGTERM"
wait "$reader"
! grep -q V "$T/pings" || fail "kosd stopped the watchdog (magic close) on its way out"
tr -d k <"$T/pings" | grep -q . && fail "kosd wrote something else than keepalives: $(od -c "$T/pings")"

# Under systemd (WatchdogSec): WATCHDOG=1 to NOTIFY_SOCKET, every half of WATCHDOG_USEC,
# from the same loop. A listener stands in for systemd.
python3 - "$T/sd.sock" "$T/sd.msgs" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        f.write(s.recv(4096).decode() + "\n")
PY
listener=$!
wait_until 10 grep -q listening "$T/sd.msgs"
NOTIFY_SOCKET=$T/sd.sock WATCHDOG_USEC=1000000 kosd_start "$T/m.dtb"
sd_pings() { [ "$(grep -cx WATCHDOG=1 "$T/sd.msgs")" -ge "$1" ]; }
wait_until 10 grep -qx READY=1 "$T/sd.msgs"
wait_until 10 sd_pings 3
kill -TERM "$KOSD_PID"
kosd_wait_exit
kill "$listener"

# A watchdog kosd cannot open is an error before anything starts.
run "$KOSD" --manifest "$T/m.dtb" --run-dir "$RUN" --watchdog "$T/none"
[ "$status" -eq 1 ] || fail "kosd with a missing --watchdog exited $status"
grep -q "kosd: --watchdog $T/none: No such file or directory; nothing started" "$T/.err" ||
	fail "no one-line error for a missing watchdog"
done_ok
