#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Restart intensity: a crash loop escalates (everything stops in reverse order, kosd exits
# 1); a missing program is a clear error at each start and counts toward the intensity; a
# bad manifest is refused before anything starts. As PID 1 (of a new PID namespace) kosd
# never exits: a bad manifest reboots, SIGTERM powers off.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

# A crash loop after two healthy apps: 3 restarts in 10 s are allowed, the 4th escalates.
kosd_manifest "$T/loop.dtb" <<'EOF_DTS'
	apps {
		first { @APP:first@, "--notify-after", "0";
		        ready = "notify"; };
		second { @APP:second@, "--notify-after", "0";
		         ready = "notify"; };
		crasher { @APP:crasher@, "--exit-after", "20", "3"; };
	};
	node-manager { restart-intensity = <3>; restart-period-ms = <10000>; };
EOF_DTS
kosd_start "$T/loop.dtb"
kosd_wait_exit
[ "$kosd_status" -eq 1 ] || fail "kosd exited $kosd_status on a crash loop, expected 1"
[ "$(count_events 'start crasher')" -eq 4 ] || fail "crasher started $(count_events 'start crasher') times, expected 4"
grep -q 'crasher: restart intensity exceeded (more than 3 restarts in 10000 ms); stopping everything' "$T/kosd.log" ||
	fail "no escalation message"
[ "$(grep -c 'crasher: exited with status 3' "$T/kosd.log")" -eq 4 ] || fail "exit status not logged"
mark=0
expect_events "start first
start second
start crasher
start crasher
start crasher
start crasher
stop second
stop first"
checks=$((checks + 3))

# A missing program: the error names it, each failed start counts, then escalation.
# first is ready only once it has set up to record its stop, so that stop is not lost.
rm -f "$REC"
kosd_manifest "$T/missing.dtb" <<'EOF_DTS'
	apps {
		first { @APP:first@, "--notify-after", "0";
		        ready = "notify"; };
		ghost { path = "@T@/no-such-program"; };
	};
	node-manager { restart-intensity = <2>; restart-period-ms = <10000>; };
EOF_DTS
kosd_start "$T/missing.dtb"
kosd_wait_exit
[ "$kosd_status" -eq 1 ] || fail "kosd exited $kosd_status on a missing program, expected 1"
[ "$(grep -c "kosd: ghost: cannot execute $T/no-such-program: No such file or directory" "$T/kosd.log")" -eq 3 ] ||
	fail "missing program not reported once per start: $(cat "$T/kosd.log")"
grep -q 'ghost: restart intensity exceeded' "$T/kosd.log" || fail "no escalation for the missing program"
[ "$(count_events 'stop first')" -eq 1 ] || fail "first was not stopped"
checks=$((checks + 4))

# A script whose "#!" interpreter is missing: execve() says ENOENT as for a missing
# script, but the error names the interpreter, not the script that is there.
rm -f "$REC"
printf '#!/no/such/sh -e\necho hello\n' >"$T/app.sh"
chmod +x "$T/app.sh"
kosd_manifest "$T/interp.dtb" <<'EOF_DTS'
	apps {
		script { path = "@T@/app.sh"; };
	};
	node-manager { restart-intensity = <0>; restart-period-ms = <10000>; };
EOF_DTS
kosd_start "$T/interp.dtb"
kosd_wait_exit
[ "$kosd_status" -eq 1 ] || fail "kosd exited $kosd_status on a missing interpreter, expected 1"
grep -q "kosd: script: cannot execute $T/app.sh: its interpreter /no/such/sh is missing\$" "$T/kosd.log" ||
	fail "missing interpreter not named: $(cat "$T/kosd.log")"
checks=$((checks + 2))

# transient: a clean exit is final, a crash restarts; temporary: never restarted.
rm -f "$REC"
kosd_manifest "$T/types.dtb" <<'EOF_DTS'
	apps {
		done-ok { @APP:done-ok@, "--exit-after", "0", "0";
		          restart = "transient"; };
		once { @APP:once@, "--exit-after", "0", "1";
		       restart = "temporary"; };
		flaky { @APP:flaky@, "--exit-after", "50", "1";
		        restart = "transient"; };
	};
	node-manager { restart-intensity = <2>; restart-period-ms = <60000>; };
EOF_DTS
kosd_start "$T/types.dtb"
kosd_wait_exit
[ "$kosd_status" -eq 1 ] || fail "flaky should have escalated"
[ "$(count_events 'start done-ok')" -eq 1 ] || fail "transient app restarted after a clean exit"
[ "$(count_events 'start once')" -eq 1 ] || fail "temporary app restarted"
[ "$(count_events 'start flaky')" -eq 3 ] || fail "transient app not restarted after a crash"
grep -q 'once: not restarted (restart = temporary)' "$T/kosd.log" || fail "temporary not logged"
checks=$((checks + 5))

# A bad manifest (an unknown property) is refused and nothing starts.
rm -f "$REC"
printf '/dts-v1/;\n/ { compatible = "kos,manifest-v1"; version = <1>;\n  apps { a { path = "%s"; args = "--record", "%s"; colour = "red"; }; }; };\n' \
	"$APP" "$REC" >"$T/bad.dts"
dtc -I dts -O dtb -o "$T/bad.dtb" "$T/bad.dts" 2>/dev/null || fail "dtc"
run "$KOSD" --manifest "$T/bad.dtb" --run-dir "$RUN"
[ "$status" -eq 1 ] || fail "kosd accepted a bad manifest (status $status)"
grep -q "kosd: $T/bad.dtb: .*colour.*; nothing started" "$T/.err" || fail "no clear error: $(cat "$T/.err")"
[ ! -e "$REC" ] || fail "an app started from a bad manifest"
run "$KOSD"
[ "$status" -eq 2 ] && grep -q '^kosd: exactly one of --manifest' "$T/.err" || fail "usage error"
checks=$((checks + 4))

# PID 1: reboot(2) in a PID namespace ends its init with SIGHUP (reboot) or SIGINT (power
# off), which unshare passes on: 129 and 130 instead of an exit that would panic a kernel.
if unshare --pid --fork true 2>/dev/null; then
	run unshare --pid --fork "$KOSD" --manifest "$T/bad.dtb" --run-dir "$RUN"
	[ "$status" -eq 129 ] || fail "as PID 1, a bad manifest gave status $status, not a reboot"
	grep -q '^kosd: rebooting$' "$T/.err" || fail "no reboot message: $(cat "$T/.err")"
	kosd_manifest "$T/one.dtb" <<'EOF_DTS'
	apps { one { @APP:one@; }; };
EOF_DTS
	rm -f "$REC"
	unshare --pid --fork "$KOSD" --manifest "$T/one.dtb" --run-dir "$RUN" >"$T/kosd.log" 2>&1 &
	KOSD_PID=$!
	wait_until 10 count_is 1 'start one'
	kill -TERM "$(cat "/proc/$KOSD_PID/task/$KOSD_PID/children")"
	kosd_wait_exit
	[ "$kosd_status" -eq 130 ] || fail "as PID 1, SIGTERM gave status $kosd_status, not a power-off"
	grep -q '^kosd: powering off$' "$T/kosd.log" || fail "no power-off message"
	[ "$(count_events 'stop one')" -eq 1 ] || fail "one was not stopped before the power-off"
	checks=$((checks + 5))
fi
done_ok
