#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Message servers under the real kosd: two kos-msgd instances, real apps (shell scripts
# using the kos msg verbs, and a C client), every cell of this access matrix:
#
#   core:   weather { publish = weather-a; lookup = admin, watcher; }
#   secure: weather { publish = weather-b; lookup = admin; }
#
#   allowed publish       weather-a on core, weather-b on secure
#   denied publish        tunnel on core
#   allowed lookup+call   admin on both instances, watcher on core
#   denied lookup         tunnel on core
#   no access             tunnel to secure (not in its msg_servers), loner to anything
#   same name apart       "weather" on core and on secure answer differently
#   supervision restart   weather-a killed; kosd restarts it; watcher's calls carry on
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
. "$KOS_SOURCE/tests/integration/msg/msg-lib.sh"
CLIENT="$KOS_BUILD/tests/integration/msg/msg-test-client"

# app NAME BODY: writes the app's script; its output goes to $T/NAME.out.
app() {
	{
		echo '#!/bin/sh'
		echo "exec >>'$T/$1.out' 2>&1"
		echo "KOS='$KOS' CLIENT='$CLIENT'"
		printf '%s\n' "$2"
	} >"$T/$1.sh"
	chmod +x "$T/$1.sh"
}
app weather-a 'exec "$KOS" msg serve weather -- sh -c "echo sunny from core, asked by \$KOS_MSG_PEER"'
app weather-b 'exec "$KOS" msg serve weather -- sh -c "echo foggy from secure; grep ^SigIgn: /proc/self/status"'
app admin '"$KOS" msg call weather hello; echo "status $?"
"$KOS" msg call weather hello --server secure; echo "status $?"
echo done; exec sleep 1000'
app tunnel '"$KOS" msg lookup weather; echo "status $?"
"$KOS" msg publish weather; echo "status $?"
"$KOS" msg lookup weather --server secure; echo "status $?"
echo done; exec sleep 1000'
app loner '"$KOS" msg lookup weather; echo "status $?"; echo done; exec sleep 1000'
app watcher '"$CLIENT" weather 40 100; echo "status $?"; exec sleep 1000'

kosd_manifest "$T/m.dtb" <<'DTS'
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;
	apps {
		weather-a { path = "@T@/weather-a.sh"; msg_servers = "core"; restart = "permanent"; };
		weather-b { path = "@T@/weather-b.sh"; msg_servers = "secure"; };
		admin { path = "@T@/admin.sh"; msg_servers = "core", "secure"; };
		tunnel { path = "@T@/tunnel.sh"; msg_servers = "core"; };
		loner { path = "@T@/loner.sh"; };
		watcher { path = "@T@/watcher.sh"; msg_servers = "core"; };
	};
	msg_servers {
		core { dir_access_control { weather { publish = "weather-a"; lookup = "admin", "watcher"; }; }; };
		secure { dir_access_control { weather { publish = "weather-b"; lookup = "admin"; }; }; };
	};
};
DTS
kosd_start "$T/m.dtb" --msgd "$MSGD"
for a in admin tunnel loner; do
	wait_until 20 grep -q '^done$' "$T/$a.out"
done

grep -qx 'sunny from core, asked by admin' "$T/admin.out" || fail "admin/core: $(cat "$T/admin.out")"
grep -qx 'foggy from secure' "$T/admin.out" || fail "admin/secure: $(cat "$T/admin.out")"
# CMD runs with SIGPIPE at its default (bit 13 of the ignored-signal mask clear).
ignored=$(sed -n 's/^SigIgn:[[:space:]]*//p' "$T/admin.out")
[ -n "$ignored" ] && [ $((0x$ignored >> 12 & 1)) -eq 0 ] || fail "serve's CMD inherits an ignored SIGPIPE: $ignored"
[ "$(grep -c '^status 0$' "$T/admin.out")" -eq 2 ] || fail "admin's calls: $(cat "$T/admin.out")"
grep -q '^kos: msg lookup "weather" on "core": denied' "$T/tunnel.out" || fail "tunnel lookup: $(cat "$T/tunnel.out")"
grep -q '^kos: msg publish "weather" on "core": denied' "$T/tunnel.out" || fail "tunnel publish: $(cat "$T/tunnel.out")"
grep -q '^kos: msg lookup: no connection to message server "secure"' "$T/tunnel.out" || fail "tunnel reached secure"
[ "$(grep -c '^status 1$' "$T/tunnel.out")" -eq 3 ] || fail "tunnel: $(cat "$T/tunnel.out")"
grep -q 'no connection to that message server' "$T/loner.out" || fail "loner: $(cat "$T/loner.out")"
grep -q '^status 1$' "$T/loner.out" || fail "loner's lookup succeeded"
grep -q 'kos-msgd: \[core\] denied: app "tunnel" may not look up "weather"' "$T/kosd.log" || fail "denial not logged"
grep -q 'kos-msgd: \[core\] denied: app "tunnel" may not publish "weather"' "$T/kosd.log" || fail "denial not logged"
checks=$((checks + 11))

# Supervision: weather-a dies while watcher calls it; kosd restarts it; watcher carries on.
replies() { [ "$(grep -c '^reply: sunny from core, asked by watcher$' "$T/watcher.out")" -ge "$1" ]; }
wait_until 10 replies 4
ok "$KOS" ps
pid=$(awk '$1 == "weather-a" { print $3 }' "$T/.out")
[ -n "$pid" ] || fail "no pid for weather-a in kos ps"
kill -KILL "$pid"
wait_until 20 grep -q '^status ' "$T/watcher.out"
grep -Eq '^calls=40 reconnects=[1-9]$' "$T/watcher.out" || fail "watcher: $(cat "$T/watcher.out")"
grep -qx 'status 0' "$T/watcher.out" || fail "watcher failed"
ok "$KOS" ps
pid2=$(awk '$1 == "weather-a" { print $3 }' "$T/.out")
[ -n "$pid2" ] && [ "$pid2" != "$pid" ] || fail "weather-a was not restarted"
checks=$((checks + 3))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
