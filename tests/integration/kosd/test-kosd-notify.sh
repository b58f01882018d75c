#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The notify socket believes only the app's own process group: another app that sends
# READY=1 to it is ignored (and logged), and the next app still waits for the real one.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;
	apps {
		impostor { path = "@APP@"; args = "--name", "impostor", "--record", "@REC@", "--notify-after", "200",
		           "--notify-socket", "@T@/run/notify/waiter"; };
		waiter { path = "@APP@"; args = "--name", "waiter", "--record", "@REC@", "--notify-after", "1200";
		         ready = "notify"; };
		after { path = "@APP@"; args = "--name", "after", "--record", "@REC@"; };
	};
	node-manager { settle-time-ms = <100>; };
};
EOF_DTS
kosd_start "$T/m.dtb"
mark_events
wait_until 10 count_is 1 'start after'
expect_events "start impostor
start waiter
start after"
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
done_ok
