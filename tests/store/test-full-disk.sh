#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Boot on a full or read-only store: the boot decision still picks a generation and exits
# 0, saying in one warning line what it could not record. A good generation boots though
# its boot cannot be counted (the store is left as it was); a pending one whose try cannot be recorded does not boot (the good one does);
# refs/booted never goes on naming a generation other than the one chosen while the store
# can still remove it; confirm never confirms another generation than the one chosen.
# The stores live on a small tmpfs filled to its last block; EROFS comes from a read-only
# bind mount. Needs root (mount); exits 77 (skipped) without it, or where mounting is not
# allowed.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/store/fixture.sh"
. "$KOS_SOURCE/tests/store/crash-harness.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: mounting a small tmpfs needs root"
	exit 77
fi

mkdir "$T/small" "$T/ro"
if ! mount -t tmpfs -o size=4m,mode=0755 kos-test-full "$T/small"; then
	echo "skipped: this machine does not let root mount a tmpfs"
	exit 77
fi
cleanup() {
	umount "$T/ro" 2>/dev/null
	umount "$T/small" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

fixture_keys
fixture_release v1 1 20000 3000
fixture_release v2 2 20000 5000
V1=$(fixture_digest "$T/v1/v1.dtb")

# fill: takes every free block of the tmpfs (a probe of one byte no longer fits).
fill() {
	dd if=/dev/zero of="$T/small/fill" bs=4096 2>/dev/null
	if printf x 2>/dev/null >"$T/small/probe"; then
		fail "the tmpfs is not full"
	fi
	rm -f "$T/small/probe"
}
unfill() { rm -f "$T/small/fill"; }

# gen DIR N: generation N's "state tries".
gen() {
	printf '%s %s' "$(sed -n 's/^state //p' "$1/generations/$2")" "$(sed -n 's/^tries //p' "$1/generations/$2")"
}
# booted DIR: the generation refs/booted names, "none" if there is no refs/booted.
booted() {
	if [ -e "$1/refs/booted" ]; then sed -n 's/^generation //p' "$1/refs/booted"; else echo none; fi
}
snapshot() {
	(cd "$1" && find . -path ./tmp -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum) | sha256sum
}
# one_warning PATTERN: the last command printed exactly one warning, matching PATTERN.
one_warning() {
	[ "$(grep -c '^kos: warning: ' "$T/.err")" -eq 1 ] || fail "expected exactly one warning line"
	grep '^kos: warning: ' "$T/.err" | grep -Eq -- "$1" || fail "the warning does not match /$1/"
	checks=$((checks + 1))
}
select_cmd() { "$KOS" boot select "$1" --trust "$T/trust"; }

# --- a confirmed good generation boots on a full disk, its boot uncounted: nothing written.
S=$T/small/good
fixture_store "$S"
before=$(snapshot "$S")
fill
ok select_cmd "$S"
out_is "generation 1 manifest $V1"
one_warning "^kos: warning: $S: cannot record the boot decision: No space left on device; generation 1 boots uncounted$"
ok "$KOS" boot confirm "$S"
out_is "generation 1 confirmed"
unfill
[ "$(snapshot "$S")" = "$before" ] || fail "select on a full disk changed the store"

# --- a pending generation whose try cannot be recorded does not boot; the good one does.
S=$T/small/pending
fixture_store "$S"
fixture_add "$S" v2
"$KOS" store commit "$S" "$T/v2/v2.dtb" >/dev/null || fail "commit v2"
before=$(snapshot "$S")
fill
ok select_cmd "$S"
out_is "generation 1 manifest $V1"
one_warning "^kos: warning: $S: cannot record the boot decision: No space left on device; generation 2 not tried; generation 1 boots uncounted$"
grep -q "generation 2 rejected: try not recorded: No space left on device" "$T/.err" ||
	fail "generation 2's rejection is not reported"
unfill
[ "$(snapshot "$S")" = "$before" ] || fail "select on a full disk changed the store"
[ "$(gen "$S" 2)" = "pending 3" ] || fail "generation 2 is $(gen "$S" 2), not pending 3"

# The same on a read-only bind mount of the store.
mount --bind "$S" "$T/ro" && mount -o remount,bind,ro "$T/ro" || fail "read-only bind mount"
ok select_cmd "$T/ro"
out_is "generation 1 manifest $V1"
one_warning "cannot record the boot decision: Read-only file system; generation 2 not tried; generation 1 boots uncounted$"
ok "$KOS" boot confirm "$T/ro"
out_is "generation 1 confirmed"
umount "$T/ro"
[ "$(snapshot "$S")" = "$before" ] || fail "select on a read-only store changed it"

# --- refs/booted names the pending generation an earlier boot tried; now the disk is full.
# The good generation boots, and refs/booted is rewritten to name it (removing it first
# frees the block the new one needs), so confirm confirms what booted.
S=$T/small/tried
fixture_store "$S"
fixture_add "$S" v2
"$KOS" store commit "$S" "$T/v2/v2.dtb" >/dev/null || fail "commit v2"
select_cmd "$S" >/dev/null 2>&1 || fail "select v2"
[ "$(booted "$S")" = 2 ] || fail "v2 was not selected"
cp -a "$S" "$T/tried-ro"
fill
ok select_cmd "$S"
out_is "generation 1 manifest $V1"
one_warning "^kos: warning: $S: cannot record the boot decision: No space left on device; generation 2 not tried; generation 1 boots uncounted$"
[ "$(booted "$S")" = 1 ] || fail "refs/booted names $(booted "$S"), not generation 1"
[ "$(gen "$S" 2)" = "pending 2" ] || fail "generation 2 is $(gen "$S" 2), not pending 2"
ok "$KOS" boot confirm "$S"
out_is "generation 1 confirmed"
[ "$(gen "$S" 2)" = "pending 2" ] || fail "confirm changed generation 2"
unfill

# Read-only: refs/booted can be neither rewritten nor removed; the warning says it still
# names generation 2, and confirm (which cannot write either) confirms nothing.
mount --bind "$T/tried-ro" "$T/ro" && mount -o remount,bind,ro "$T/ro" || fail "read-only bind mount"
ok select_cmd "$T/ro"
out_is "generation 1 manifest $V1"
one_warning "Read-only file system; generation 2 not tried; generation 1 boots uncounted; refs/booted still names generation 2$"
fails 1 "cannot confirm: Read-only file system" "$KOS" boot confirm "$T/ro"
umount "$T/ro"
[ "$(gen "$T/tried-ro" 2)" = "pending 2" ] || fail "generation 2 changed on a read-only store"

# --- out of tries on a full disk: the generation cannot be marked bad, but it does not
# boot, and it is rejected again (no tries left) at every boot until it can be.
S=$T/small/spent
fixture_store "$S"
fixture_add "$S" v2
"$KOS" store commit "$S" "$T/v2/v2.dtb" --tries 1 >/dev/null || fail "commit v2"
select_cmd "$S" >/dev/null 2>&1 || fail "select v2"
fill
for round in 1 2; do
	ok select_cmd "$S"
	out_is "generation 1 manifest $V1"
	one_warning "No space left on device; generation 2 not marked bad"
	[ "$(gen "$S" 2)" = "pending 0" ] || fail "generation 2 is $(gen "$S" 2), not pending 0"
	[ "$(booted "$S")" = 1 ] || fail "refs/booted names $(booted "$S"), not generation 1"
done
unfill
ok select_cmd "$S"
out_is "generation 1 manifest $V1"
err_has_no_warning() { ! grep -q '^kos: warning: ' "$T/.err" || fail "unexpected warning"; }
err_has_no_warning
[ "$(gen "$S" 2)" = "bad 0" ] || fail "generation 2 is $(gen "$S" 2), not bad, once there is room"

# --- crash safety of the full-disk path: refs/booted names pending generation 2, the disk
# is full; select fails to take the try, fails to rewrite refs/booted, removes it and
# writes it again. Crashed at each of those points, the store stays valid, and once the
# command has run again refs/booted never names generation 2 (after a crash between the
# removal and the new write there is no block left to write it with: it stays absent).
prep_tried() {
	fixture_store "$1"
	fixture_add "$1" v2
	"$KOS" store commit "$1" "$T/v2/v2.dtb" >/dev/null
	select_cmd "$1" >/dev/null 2>&1
}
run_full_select() {
	dd if=/dev/zero of="$T/small/fill" bs=4096 2>/dev/null
	select_cmd "$1"
	st=$?
	rm -f "$T/small/fill"
	return $st
}
check_tried() {
	"$KOS" store verify "$1" >/dev/null || return 1
	[ "$(gen "$1" 2)" = "pending 2" ] || { echo "generation 2 is $(gen "$1" 2)" >&2; return 1; }
	case "$2:$(booted "$1")" in
	crashed:1 | crashed:2 | crashed:none | rerun:1 | rerun:none) ;;
	*) echo "refs/booted names $(booted "$1") after $2" >&2; return 1 ;;
	esac
	[ "$(fixture_chosen "$1")" != "" ] || { echo "nothing boots" >&2; return 1; }
}
CRASH_DIR=$T/small
crash_every_point select-full prep_tried run_full_select check_tried

done_ok
