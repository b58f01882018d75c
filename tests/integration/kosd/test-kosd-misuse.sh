#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# What a new user's misuse must not break, in one kosd run:
#  - relative paths: kosd started from another directory with --manifest, --run-dir and
#    --msgd relative; the real kos-msgd reads the manifest and a notify app becomes ready
#    (its NOTIFY_SOCKET must be absolute: apps run in "/");
#  - `kos app stop kos-msgd:core` then `kos app start pub`: the message server is started
#    first, pub runs, nothing counts as a fault and kosd stays up;
#  - output without a final newline: each run's last words are a line of their own, never
#    lost and never glued to the next run's output;
#  - the manifest file rebuilt in place with another access matrix, then kos-msgd killed:
#    the restarted kos-msgd enforces the matrix kosd validated, not the file's new one.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
	apps {
		pub { @APP:pub@, "--notify-after", "0"; ready = "notify"; msg_servers = "core"; };
		other { @APP:other@; msg_servers = "core"; };
		weather { path = "@KOS@"; args = "msg", "serve", "weather", "--", "echo", "sunny"; msg_servers = "core"; };
		looker { path = "/bin/sh"; msg_servers = "core";
		         args = "-c", "@KOS@ msg lookup weather; echo status $? >>@T@/looker.out; exec sleep 1000"; };
		partial { path = "/bin/sh";
		          args = "-c", "n=$(cat @T@/runs 2>/dev/null || echo 0); echo $((n + 1)) >@T@/runs; [ $n -ge 2 ] && exec sleep 1000; printf 'fatal: disk gone %s' $n; exit 3"; };
	};
	msg_servers { core { dir_access_control { weather { publish = "weather"; lookup = "looker"; }; }; }; };
EOF_DTS
cp "$T/m.dts" "$T/m-open.dts"
cp "$KOS_BUILD/src/msg/kos-msgd" "$T/kos-msgd"
mkdir "$T/cwd"
mv "$T/m.dtb" "$T/cwd/m.dtb"
(cd "$T/cwd" && exec "$KOSD" --manifest m.dtb --run-dir rr --msgd ../kos-msgd) >"$T/kosd.log" 2>&1 &
KOSD_PID=$!
RUN="$T/cwd/rr"
export KOS_RUN_DIR="$RUN"

app_state() { "$KOS" ps --run-dir "$RUN" 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }'; }
state_is() { [ "$(app_state "$1")" = "$2" ]; }
# file_has_lines FILE N: FILE has at least N lines (evaluated at every poll).
file_has_lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# Relative paths were made absolute: kos-msgd runs, pub became ready through its socket.
wait_until 10 state_is pub running
wait_until 10 state_is other running
state_is kos-msgd:core running || fail "kos-msgd:core is $(app_state kos-msgd:core): $(cat "$T/kosd.log")"
grep -q "env pub .*NOTIFY_SOCKET=$RUN/notify/pub" "$REC" || fail "pub env: $(grep '^env pub' "$REC")"
checks=$((checks + 1))

# Output without a final newline: two runs, two lines, in order, nothing glued.
wait_until 10 grep -qx 3 "$T/runs"
wait_until 10 grep -q 'fatal: disk gone 1' "$T/kosd.log"
[ "$(grep -c '^kosd: partial: fatal: disk gone [01]$' "$T/kosd.log")" -eq 2 ] ||
	fail "partial lines: $(grep 'partial' "$T/kosd.log")"
grep 'partial: fatal' "$T/kosd.log" | head -1 | grep -q 'gone 0$' || fail "first run's line is not first"
checks=$((checks + 1))

# The manifest file rebuilt in place denying looker's lookup, then kos-msgd killed: kosd
# restarts it and its clients, and it still enforces the manifest kosd validated.
wait_until 10 grep -qx 'status 0' "$T/looker.out"
sed 's/lookup = "looker"/lookup = "other"/' "$T/m-open.dts" >"$T/m-closed.dts"
ok "$KOS" manifest build "$T/m-closed.dts" -o "$T/m-closed.dtb"
cat "$T/m-closed.dtb" >"$T/cwd/m.dtb"
msgd_pid=$("$KOS" ps --run-dir "$RUN" | awk '$1 == "kos-msgd:core" { print $3 }')
kill -KILL "$msgd_pid"
wait_until 10 file_has_lines "$T/looker.out" 2
[ "$(sed -n 2p "$T/looker.out")" = 'status 0' ] ||
	fail "after kos-msgd's restart looker got $(sed -n 2p "$T/looker.out"): the file's new matrix is live"
checks=$((checks + 1))

# Starting a client of a stopped message server starts the server first; no fault.
ok "$KOS" app stop kos-msgd:core
wait_until 10 state_is kos-msgd:core stopped
wait_until 10 state_is pub stopped
state_is other stopped || fail "other is $(app_state other)"
ok "$KOS" app start pub
out_has '2 units to start'
wait_until 10 state_is pub running
state_is kos-msgd:core running || fail "kos-msgd:core is $(app_state kos-msgd:core)"
state_is other stopped || fail "other, stopped by the user, is $(app_state other)"
state_is looker stopped || fail "looker, stopped by the user, is $(app_state looker)"
grep -q 'cannot connect\|is not running\|restart intensity' "$T/kosd.log" &&
	fail "a control start counted as a fault: $(cat "$T/kosd.log")"
kill -0 "$KOSD_PID" || fail "kosd exited"
checks=$((checks + 1))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
