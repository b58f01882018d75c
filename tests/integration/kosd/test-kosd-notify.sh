#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The notify socket believes only the app's own process group: another app that sends
# READY=1 to it is ignored (and logged), and the next app still waits for the real one.
# The start timeout: a setup script that hangs, or a notify app that never says READY=1,
# is stopped, and that is a fault (restart type and intensity apply), never a hang.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
	apps {
		impostor { @APP:impostor@, "--notify-after", "200",
		           "--notify-socket", "@T@/run/notify/waiter"; };
		waiter { @APP:waiter@, "--notify-after", "1200";
		         ready = "notify"; };
		after { @APP:after@; };
	};
	node-manager { settle-time-ms = <100>; };
EOF_DTS
# Mark before the start: apps may record their starts before kosd_start returns.
mark_events
kosd_start "$T/m.dtb"
wait_until 10 count_is 1 'start after'
# impostor is ready as soon as it is exec'd, so its own "start" record may land after
# waiter's; the order that matters, READY=1 before the next start, is checked below.
for app in impostor waiter after; do
	count_is 1 "start $app" || fail "$app did not start exactly once: $(cat "$REC")"
done
checks=$((checks + 3))
events start ready >"$T/order"
awk '$1 == "ready" && $2 == "impostor" { i = NR } $1 == "ready" && $2 == "waiter" { w = NR }
     $1 == "start" && $2 == "after" { a = NR } END { exit !(i && w > i && a > w) }' "$T/order" ||
	fail "after did not wait for waiter's own READY=1: $(cat "$T/order")"
grep -q "kosd: waiter: ignored 1 notification from pid $(pid_of impostor), which is not in the app's process group" \
	"$T/kosd.log" || fail "the impostor's READY=1 was not reported: $(cat "$T/kosd.log")"
checks=$((checks + 2))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"

rm -f "$REC"
printf '#!/bin/sh\nexec sleep 100\n' >"$T/hang.sh"
chmod +x "$T/hang.sh"
kosd_manifest "$T/timeout.dtb" <<'EOF_DTS'
	apps {
		hang { @APP:hang@; restart = "temporary";
		       aux_device_setup_script = "@T@/hang.sh"; };
		never { @APP:never@; ready = "notify"; };
		after { @APP:after@; };
	};
	node-manager { restart-intensity = <1>; restart-period-ms = <60000>; stop-timeout-ms = <300>;
		       start-timeout-ms = <400>; };
EOF_DTS
kosd_start "$T/timeout.dtb"
kosd_wait_exit
[ "$kosd_status" -eq 1 ] || fail "kosd exited $kosd_status; a notify app that is never ready must escalate"
mark=0
expect_events "start never
stop never
start never
stop never"
grep -q 'kosd: hang: aux_device_setup_script did not finish within 400 ms; stopping it, which counts as a fault' \
	"$T/kosd.log" || fail "hung setup script not reported: $(cat "$T/kosd.log")"
grep -q 'kosd: hang: not restarted (restart = temporary)' "$T/kosd.log" || fail "temporary app restarted"
[ "$(grep -c 'kosd: never: not ready within 400 ms; stopping it, which counts as a fault' "$T/kosd.log")" -eq 2 ] ||
	fail "start timeout not reported twice: $(cat "$T/kosd.log")"
grep -q 'kosd: never: restart intensity exceeded' "$T/kosd.log" || fail "no escalation"
checks=$((checks + 4))
done_ok
