#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Crash safety, proven point by point: store init, add, commit, boot select (taking a try,
# running out of tries, counting a good generation's boot, passing over a good generation
# for its unconfirmed boots), boot confirm (of a new generation, and of a good one, which
# clears its count) and gc are each crashed at every write, fsync, rename, unlink, mkdir
# and create they perform. After each crash: store verify is clean
# and boot select picks the old or the new generation; the command then completes when
# run again.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/store/fixture.sh"
. "$KOS_SOURCE/tests/store/crash-harness.sh"

fixture_keys
fixture_release v1 1 20000 3000
fixture_release v2 2 20000 5000 7000
fixture_release v3 3 9000
fixture_release v4 4 11000
fixture_release v5 1 13000
V1=$(fixture_digest "$T/v1/v1.dtb")
V2=$(fixture_digest "$T/v2/v2.dtb")
V4=$(fixture_digest "$T/v4/v4.dtb")
V5=$(fixture_digest "$T/v5/v5.dtb")

# check_boots DIR PHASE: store verify is clean, and boot select picks one of $allowed.
check_boots() {
	"$KOS" store verify "$1" >/dev/null 2>"$T/.verify" || { cat "$T/.verify" >&2; return 1; }
	chosen=$(fixture_chosen "$1")
	case " $allowed " in
	*" $chosen "*) return 0 ;;
	esac
	echo "boot select chose \"$chosen\", expected one of: $allowed" >&2
	return 1
}

# --- store init
prep_none() { :; }
run_init() { "$KOS" store init "$1"; }
check_init() {
	[ "$2" = crashed ] && return 0
	"$KOS" store verify "$1" >/dev/null && "$KOS" store list "$1" >/dev/null
}
crash_every_point init prep_none run_init check_init

# --- store add (v1 is current)
prep_v1() { fixture_store "$1"; fixture_add "$1" v2; }
run_add() { "$KOS" store add "$1" "$T/v3/obj1"; }
allowed=$V1
crash_every_point add prep_v1 run_add check_boots

# --- store commit of v2 (objects present) on a store whose v1 is current
run_commit() { "$KOS" store commit "$1" "$T/v2/v2.dtb"; }
allowed="$V1 $V2"
crash_every_point commit prep_v1 run_commit check_boots

# --- boot select: v2 pending with tries left
prep_v2_pending() { prep_v1 "$1"; run_commit "$1" >/dev/null; }
run_select() { "$KOS" boot select "$1" --trust "$T/trust"; }
crash_every_point select prep_v2_pending run_select check_boots

# --- boot select: v2 pending, out of tries -> marked bad, falls back to v1
prep_v2_spent() {
	prep_v1 "$1"
	"$KOS" store commit "$1" "$T/v2/v2.dtb" --tries 1 >/dev/null
	run_select "$1" >/dev/null 2>&1
}
allowed=$V1
crash_every_point select-out-of-tries prep_v2_spent run_select check_boots

# --- boot confirm of v2
prep_v2_selected() { prep_v2_pending "$1"; run_select "$1" >/dev/null 2>&1; }
run_confirm() { "$KOS" boot confirm "$1"; }
allowed="$V1 $V2"
crash_every_point confirm prep_v2_selected run_confirm check_boots

# --- boot select of the good current generation: counts its boot
prep_v1_only() { fixture_store "$1"; }
allowed=$V1
crash_every_point select-good prep_v1_only run_select check_boots

# --- boot confirm of a good generation with unconfirmed boots: clears the count
prep_v1_unconfirmed() { fixture_store "$1"; run_select "$1" >/dev/null 2>&1; run_select "$1" >/dev/null 2>&1; }
crash_every_point confirm-good prep_v1_unconfirmed run_confirm check_boots

# --- boot select passing over good generation 2 (v5, the same version as v1) after three
# unconfirmed boots: generation 1 boots, and after any crash still does
prep_v5_failing() {
	fixture_store "$1"
	fixture_add "$1" v5
	"$KOS" store commit "$1" "$T/v5/v5.dtb" >/dev/null
	run_select "$1" >/dev/null 2>&1
	run_confirm "$1" >/dev/null
	for _ in 1 2 3; do run_select "$1" >/dev/null 2>&1; done
}
crash_every_point select-pass-over prep_v5_failing run_select check_boots

# --- gc: gen 1 good (old), 2 current, 3 bad, 4 pending; garbage object; stale tmp file
prep_gc() {
	prep_v2_selected "$1"
	run_confirm "$1" >/dev/null
	fixture_add "$1" v3
	"$KOS" store commit "$1" "$T/v3/v3.dtb" --tries 1 >/dev/null
	run_select "$1" >/dev/null 2>&1
	run_select "$1" >/dev/null 2>&1
	fixture_add "$1" v4
	"$KOS" store commit "$1" "$T/v4/v4.dtb" >/dev/null
	head -c 4096 /dev/urandom >"$T/garbage"
	"$KOS" store add "$1" "$T/garbage" >/dev/null
	echo partial >"$1/tmp/store.add.stale"
}
run_gc() { "$KOS" store gc "$1" --keep 0; }
allowed="$V2 $V4"
crash_every_point gc prep_gc run_gc check_boots

# gc really removed what it should: v1 and v3 objects, garbage, the stale file.
prep_gc "$T/gcs"
ok "$KOS" store gc "$T/gcs" --keep 0
out_has "removed 2 generations"
[ ! -e "$T/gcs/tmp/store.add.stale" ] || fail "gc left a stale tmp file"
ok "$KOS" store list "$T/gcs" --json
[ "$(grep -c '"generation":' "$T/.out")" -eq 2 ] || fail "gc kept other than generations 2 and 4"

echo "crash points covered: $crash_points_total"
done_ok
