#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every process an app made is found and stopped, with one cgroup v2 per unit:
#  - an app's process that left its process group (setsid) is stopped with the app, and
#    dies when the app exits by itself;
#  - kosd's clean shutdown leaves no process behind;
#  - a second kosd on the run directory of a live one is refused, even with the control
#    socket's file removed, and touches nothing of the first's;
#  - after kill -9 of kosd its apps run on; a second kosd on the same run directory (named
#    through a symlink) stops them before it starts its own, so no app runs twice;
#  - on a kernel without clone3 (emulated with seccomp) apps join their cgroup before exec;
#  - without a usable cgroup2 hierarchy (hidden in a mount namespace) kosd says so and runs
#    its apps on process groups as before.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

grep -q ' - cgroup2 ' /proc/self/mountinfo || { echo "no cgroup2 hierarchy here"; exit 77; }
# A sleep of our own, so that pgrep -f finds this test's processes and no others.
cp /bin/sleep "$T/contain-sleep"
S="$T/contain-sleep"

kosd_manifest "$T/m.dtb" <<EOF_DTS
	apps {
		keeper { path = "/bin/sh"; args = "-c", "( setsid $S 778 & ); exec $S 1000"; };
		quitter { path = "/bin/sh"; restart = "temporary"; args = "-c", "( setsid $S 779 & ); $S 0.2; exit 0"; };
		steady { path = "$S"; args = "1001"; };
	};
EOF_DTS

count() { pgrep -f "^$S $1\$" | wc -l; }
count_is_n() { [ "$(count "$1")" -eq "$2" ]; }
state_is() { [ "$("$KOS" ps --run-dir "$RUN" 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }')" = "$2" ]; }

kosd_start "$T/m.dtb"
wait_until 10 count_is_n 778 1
wait_until 10 count_is_n 1000 1
# keeper's escaped process is in keeper's cgroup, not only kosd's tree.
pid=$(pgrep -f "^$S 778\$")
grep -q '^0::/.*kosd-[0-9a-f]*/u-keeper$' "/proc/$pid/cgroup" || fail "the escaped process is in $(grep '^0::' "/proc/$pid/cgroup")"
checks=$((checks + 1))

# quitter exits by itself: what it left behind dies with it.
wait_until 10 state_is quitter stopped
wait_until 10 count_is_n 779 0
checks=$((checks + 1))

# A stop request stops the escaped process too.
ok "$KOS" app stop keeper
wait_until 10 state_is keeper stopped
wait_until 10 count_is_n 778 0
checks=$((checks + 1))
ok "$KOS" app start keeper
wait_until 10 count_is_n 778 1

# A second kosd on the same run directory is refused while the first lives, even when the
# control socket's file is gone; the first's apps are untouched.
old_steady=$(pgrep -f "^$S 1001\$")
rm "$RUN/kosd.sock"
run "$KOSD" --manifest "$T/m.dtb" --run-dir "$RUN"
[ "$status" -eq 1 ] && grep -q "another kosd is running on $RUN" "$T/.err" || fail "second kosd: $status $(cat "$T/.err")"
[ "$(pgrep -f "^$S 1001\$")" = "$old_steady" ] || fail "the second kosd touched the first's apps"
checks=$((checks + 1))

# kill -9 of kosd: its apps run on ...
kill -KILL "$KOSD_PID"
wait "$KOSD_PID" 2>/dev/null
[ "$(count 1000)" -eq 1 ] && [ "$(count 1001)" -eq 1 ] || fail "apps did not outlive kosd"
old_steady=$(pgrep -f "^$S 1001\$")
# ... and a second kosd on the same run directory, however it is named, stops them before
# starting its own.
ln -s "$RUN" "$T/run-link"
"$KOSD" --manifest "$T/m.dtb" --run-dir "$T/run-link/" >"$T/kosd2.log" 2>&1 &
KOSD_PID=$!
wait_until 10 state_is steady running
wait_until 10 count_is_n 1001 1
[ "$(pgrep -f "^$S 1001\$")" != "$old_steady" ] || fail "the old steady was adopted silently"
count_is_n 1000 1 || fail "keeper runs $(count 1000) times"
grep -q 'stopped [0-9]* process.* an earlier kosd on .* left running' "$T/kosd2.log" ||
	fail "no word of the leftovers: $(cat "$T/kosd2.log")"
checks=$((checks + 1))

# A clean shutdown leaves nothing, escaped processes included.
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
[ -z "$(pgrep -f "^$S ")" ] || fail "left running: $(pgrep -af "^$S ")"
checks=$((checks + 1))

# Without clone3 (before 5.3; CLONE_INTO_CGROUP came with 5.7): each app joins its cgroup
# in the child, before exec.
"$KOS_BUILD/tests/tools/kos-test-enosys" clone3 "$KOSD" --manifest "$T/m.dtb" --run-dir "$RUN" \
	>"$T/kosd-old.log" 2>&1 &
KOSD_PID=$!
wait_until 10 count_is_n 1001 1
grep -q '^0::/.*kosd-[0-9a-f]*/u-steady$' "/proc/$(pgrep -f "^$S 1001\$")/cgroup" ||
	fail "without clone3, steady is in $(grep '^0::' "/proc/$(pgrep -f "^$S 1001\$")/cgroup")"
wait_until 10 count_is_n 778 1
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd without clone3 exited $kosd_status: $(cat "$T/kosd-old.log")"
[ -z "$(pgrep -f "^$S ")" ] || fail "left running without clone3: $(pgrep -af "^$S ")"
checks=$((checks + 1))

# Without cgroup2 (hidden under a tmpfs in a private mount namespace): process groups.
cg=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
unshare -m sh -c "mount -t tmpfs none '$cg' && exec '$KOSD' --manifest '$T/m.dtb' --run-dir '$RUN'" \
	>"$T/kosd3.log" 2>&1 &
KOSD_PID=$!
wait_until 10 count_is_n 1001 1
grep -q 'no writable cgroup2 hierarchy: apps are contained by their process group only' "$T/kosd3.log" ||
	fail "no word of the fallback: $(cat "$T/kosd3.log")"
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd without cgroups exited $kosd_status"
count_is_n 1001 0 || fail "steady left running without cgroups"
pkill -f "^$S " 2>/dev/null
checks=$((checks + 1))
done_ok
