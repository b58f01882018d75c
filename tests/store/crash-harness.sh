# SPDX-License-Identifier: Apache-2.0
# Crash-point harness: runs a command once per crash point it performs, crashing it there
# (KOS_FAULT_CRASH_AT, src/util/fault.h), and checks the state it leaves. Reusable by any
# command: source after tests/lib.sh, define three functions, call crash_every_point.
#
#   crash_every_point NAME PREPARE RUN CHECK
#     PREPARE DIR   builds the starting state in the (new, empty) directory DIR
#     RUN DIR       runs the command under test on DIR, exactly one KOS process that sees
#                   the KOS_FAULT_* environment (start helpers like HTTP servers in PREPARE
#                   or unset the variables for them); its exit status is the command's
#     CHECK DIR PHASE
#                   asserts invariants on DIR; PHASE is "crashed" (right after a crash) or
#                   "rerun" (after the command was run again, without faults, and
#                   succeeded); call fail on a violation
#
# For every point i of 1..N (N counted by a fault-free run with KOS_FAULT_LOG): copy the
# prepared state, run with KOS_FAULT_CRASH_AT=i and require the crash exit status (86),
# CHECK crashed, run again without faults and require success, CHECK rerun. Adds N to
# $crash_points_total and prints "NAME: N crash points". The copies of the state live in
# $CRASH_DIR/crash-NAME ($CRASH_DIR defaults to $T), so a test can put them on a file
# system of its own (a small tmpfs, to crash a command that runs out of space); the list
# of points and the command's output stay in $T.

crash_points_total=${crash_points_total:-0}
FAULT_EXIT_CODE=86

crash_every_point() {
	cname=$1 cprepare=$2 crun=$3 ccheck=$4
	base="$T/crash-$cname"
	cstate="${CRASH_DIR:-$T}/crash-$cname"
	rm -rf "$base" "$cstate"
	mkdir -p "$base" "$cstate/template"
	"$cprepare" "$cstate/template/s" || fail "$cname: prepare failed"

	cp -a "$cstate/template" "$cstate/count"
	: >"$base/points"
	(
		export KOS_FAULT_LOG="$base/points"
		"$crun" "$cstate/count/s" >"$base/count.out" 2>&1
	) || fail "$cname: fault-free run failed: $(cat "$base/count.out")"
	n=$(wc -l <"$base/points")
	[ "$n" -gt 0 ] || fail "$cname: the command performed no crash points"

	i=1
	while [ "$i" -le "$n" ]; do
		rm -rf "$cstate/work"
		cp -a "$cstate/template" "$cstate/work"
		(
			export KOS_FAULT_CRASH_AT=$i
			"$crun" "$cstate/work/s" >"$base/crash.out" 2>&1
		)
		st=$?
		point=$(sed -n "${i}p" "$base/points")
		[ "$st" -eq "$FAULT_EXIT_CODE" ] ||
			fail "$cname: point $i ($point): expected a crash (exit $FAULT_EXIT_CODE), got $st"
		"$ccheck" "$cstate/work/s" crashed || fail "$cname: point $i ($point): bad state after crash"
		"$crun" "$cstate/work/s" >"$base/rerun.out" 2>&1 ||
			fail "$cname: point $i ($point): re-run failed: $(cat "$base/rerun.out")"
		"$ccheck" "$cstate/work/s" rerun || fail "$cname: point $i ($point): bad state after re-run"
		i=$((i + 1))
	done
	rm -rf "$base" "$cstate"
	crash_points_total=$((crash_points_total + n))
	checks=$((checks + n))
	echo "$cname: $n crash points"
}
