#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The message-server handover, kosd's side, against a stand-in kos-msgd that records what
# it receives: one kos-msgd per instance started before any app, one connection per (app,
# instance) the manifest lists, sent to the instance with the app's name and handed to the
# app as fd 3, 4, ... with KOS_MSG_SERVERS naming them; an app listing no instance gets
# nothing; a kos-msgd fault restarts its clients and only them.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
	apps {
		alpha { @APP:alpha@, "--msg-check", "--notify-after", "0";
		        ready = "notify"; msg_servers = "core"; };
		beta { @APP:beta@, "--msg-check", "--notify-after", "0";
		       ready = "notify"; msg_servers = "secure", "core"; };
		gamma { @APP:gamma@, "--msg-check", "--notify-after", "0";
		        ready = "notify"; };
	};
	msg_servers {
		core { dir_access_control { weather { publish = "alpha"; lookup = "beta"; }; }; };
		secure { dir_access_control { orbit { publish = "beta"; lookup = "beta"; }; }; };
	};
EOF_DTS
# The stand-in logs beside itself.
cp "$MSGD" "$T/kosd-test-msgd"
kosd_start "$T/m.dtb" --msgd "$T/kosd-test-msgd"
wait_until 10 count_is 1 'start gamma'
wait_until 5 test -s "$T/msgd.log"
wait_until 5 grep -q '^conn core beta' "$T/msgd.log"

# Both instances ran before the apps, with only fds 0-3 (4 closed).
grep -qx 'run core 0' "$T/msgd.log" && grep -qx 'run secure 0' "$T/msgd.log" || fail "msgd runs: $(cat "$T/msgd.log")"
# The manifest comes as fd 4, sealed: no service reads a file kosd did not validate.
grep -qx 'manifest core sealed' "$T/msgd.log" && grep -qx 'manifest secure sealed' "$T/msgd.log" ||
	fail "manifest fd: $(cat "$T/msgd.log")"
[ "$(grep -c '^conn' "$T/msgd.log")" -eq 3 ] || fail "connections: $(cat "$T/msgd.log")"
grep -qx 'conn core alpha seqpacket' "$T/msgd.log" || fail "alpha's connection to core"
grep -qx 'conn secure beta seqpacket' "$T/msgd.log" || fail "beta's connection to secure"
grep -qx 'conn core beta seqpacket' "$T/msgd.log" || fail "beta's connection to core"
checks=$((checks + 5))

# The apps: env names the fds in the app's msg_servers order; each fd reaches its instance.
grep -qx "env beta KOS_MSG_SERVERS=secure=3,core=4|NOTIFY_SOCKET=$RUN/notify/beta" "$REC" ||
	fail "beta env: $(grep '^env beta' "$REC")"
grep -qx 'fds beta 0,1,2,3,4' "$REC" || fail "beta fds: $(grep '^fds beta' "$REC")"
grep -qx 'msg beta secure hello beta from secure' "$REC" || fail "beta/secure: $(grep '^msg beta' "$REC")"
grep -qx 'msg beta core hello beta from core' "$REC" || fail "beta/core"
grep -qx 'msg alpha core hello alpha from core' "$REC" || fail "alpha/core"
grep -qx 'fds alpha 0,1,2,3' "$REC" || fail "alpha fds"
grep -qx 'msg gamma none -' "$REC" || fail "gamma got a connection"
grep -qx 'fds gamma 0,1,2' "$REC" || fail "gamma fds"
checks=$((checks + 8))

ok "$KOS" ps
out_has '^kos-msgd:core +running '
out_has '^kos-msgd:secure +running '

# A kos-msgd fault restarts its clients (reverse order, then forward), not gamma.
mark_events
kill -KILL "$(awk '$1 == "kos-msgd:core" { print $3 }' "$T/.out")"
wait_until 10 count_is 2 'start alpha'
wait_until 10 count_is 2 'start beta'
expect_events "stop beta
stop alpha
start alpha
start beta"
[ "$(count_events 'start gamma')" -eq 1 ] || fail "gamma was restarted"
wait_until 5 test "$(grep -c '^conn' "$T/msgd.log")" -eq 6
grep -c 'run core' "$T/msgd.log" | grep -qx 2 || fail "core was not restarted"
checks=$((checks + 2))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
