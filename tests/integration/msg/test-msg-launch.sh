#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The real kos-msgd with real apps (kos msg verbs and a C client), msg-launch playing kosd's
# handover. Two instances; every cell of the access matrix below is exercised.
#
#   core:   weather { publish = weather-a; lookup = admin, watcher; }
#   secure: weather { publish = weather-b; lookup = admin; }
#   tunnel is on core but in no cell; loner lists no instance at all.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/msg/msg-lib.sh"

msg_manifest "$T/m.dtb" <<'DTS'
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;
	apps {
		weather-a { path = "/bin/true"; msg_servers = "core"; };
		weather-b { path = "/bin/true"; msg_servers = "secure"; };
		admin { path = "/bin/true"; msg_servers = "core", "secure"; };
		watcher { path = "/bin/true"; msg_servers = "core"; };
		tunnel { path = "/bin/true"; msg_servers = "core"; };
		loner { path = "/bin/true"; };
	};
	msg_servers {
		core { dir_access_control { weather { publish = "weather-a"; lookup = "admin", "watcher"; }; }; };
		secure { dir_access_control { weather { publish = "weather-b"; lookup = "admin"; }; }; };
	};
};
DTS

run "$LAUNCH" --msgd "$MSGD" --manifest "$T/m.dtb" <<'SCRIPT'
start weather-a exec kos msg serve weather -- sh -c 'echo "sunny from core, asked by $KOS_MSG_PEER"'
start weather-b exec kos msg serve weather -- sh -c 'echo "foggy from secure"'
run admin kos msg call weather hello
run admin kos msg call weather hello --server secure
run tunnel kos msg lookup weather
run tunnel kos msg publish weather
run tunnel kos msg lookup weather --server secure
run loner kos msg lookup weather
run admin kos msg servers
run admin sh -c 'for i in $(seq 40); do kos msg call weather x >/dev/null || exit 1; done; echo forty calls'
# The watcher pauses after its first reply (in the test directory, where apps start)
# while its publisher restarts, so its next call meets the dead publisher.
start watcher exec msg-test-client weather 12 100 watcher.paused
await watcher.paused
restart weather-a
remove watcher.paused
wait watcher
SCRIPT
[ "$status" -eq 0 ] || fail "msg-launch or a kos-msgd failed (status $status)"
cp "$T/.out" "$T/launch.out"
cp "$T/.err" "$T/launch.err"

# allowed lookup and call, on each instance: the same name kept apart
out_has '^sunny from core, asked by admin$'
out_has '^foggy from secure$'
grep -q '^admin: exit 0$' "$T/.out" || fail "admin's calls failed"
# denied lookup, denied publish: "denied", and logged by the server
grep -Eq '^kos: msg lookup "weather" on "core": denied' "$T/.err" || fail "tunnel's lookup was not denied"
grep -Eq '^kos: msg publish "weather" on "core": denied' "$T/.err" || fail "tunnel's publish was not denied"
grep -q 'kos-msgd: \[core\] denied: app "tunnel" may not look up "weather"' "$T/.err" || fail "denied lookup not logged"
grep -q 'kos-msgd: \[core\] denied: app "tunnel" may not publish "weather"' "$T/.err" || fail "denied publish not logged"
# an app with no access to an instance: tunnel is not on secure, loner on nothing
grep -Eq 'msg lookup: no connection to message server "secure"' "$T/.err" || fail "tunnel reached secure"
grep -Eq 'msg lookup "weather" on "none": no connection' "$T/.err" || fail "loner reached a server"
[ "$(grep -c ': exit 1$' "$T/.out")" -eq 4 ] || fail "expected exactly four refused commands"
out_has '^0 core$'
out_has '^1 secure$'
# many short-lived channels in a row: each one closed is no longer counted
out_has '^forty calls$'
# the publisher restarted: its client got an error, looked up again and carried on
out_has '^reconnected$'
out_has '^calls=12 reconnects=1$'
out_has '^watcher: exit 0$'
done_ok
