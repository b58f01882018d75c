#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Crash safety of kos upgrade, proven point by point with the store's crash harness
# (tests/store/crash-harness.sh): the upgrade is crashed at every write, fsync, rename,
# unlink, mkdir and create it performs, over HTTP from a fresh start, and from a store
# directory resuming a partial download. After each crash: store verify is clean and boot
# select picks the old generation or the new one; a rerun then completes, and the new
# generation boots. A third run crashes a chunked upgrade (a source with chunk indexes:
# chunks copied from v1's objects and fetched as ranges) at each of its points.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
. "$KOS_SOURCE/tests/store/crash-harness.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"

make_keys
SRC=$T/src
make_files "$T/v1" 3 20000
make_release "$SRC" 1 "$T/v1"
ok "$KOS" store commit "$SRC" "$T/release-1.dtb" --sig "$T/release-1.dtb.sig" --ref v1
# v2 keeps one file, changes two (one now spans two write chunks), adds one.
mkdir -p "$T/v2"
cp "$T/v1/f000" "$T/v2/"
head -c 200000 /dev/urandom >"$T/v2/f001"
head -c 30000 /dev/urandom >"$T/v2/f002"
head -c 5000 /dev/urandom >"$T/v2/f003"
make_release "$SRC" 2 "$T/v2"
M2=$MANIFEST
nginx_start "$SRC"

# The device: v1 committed, booted and confirmed.
prep_v1() {
	"$KOS" store init "$1" >/dev/null &&
		"$KOS" upgrade "$1" --from "$SRC" --trust "$T/keys" --ref v1 >/dev/null &&
		"$KOS" boot select "$1" --trust "$T/keys" >/dev/null &&
		"$KOS" boot confirm "$1" >/dev/null
}
# The same, with half of f001's new object left in tmp/ by an interrupted upgrade.
prep_v1_partial() {
	prep_v1 "$1" || return 1
	d=$(sha256sum "$T/v2/f001" | cut -c1-64)
	head -c 100000 "$T/v2/f001" >"$1/tmp/upgrade.$d.part"
}
run_http() { "$KOS" upgrade "$1" --from "$URL" --trust "$T/keys"; }
run_dir() { "$KOS" upgrade "$1" --from "$SRC" --trust "$T/keys"; }

check() {
	"$KOS" store verify "$1" >/dev/null 2>"$T/.verify" || { cat "$T/.verify" >&2; return 1; }
	rm -rf "$T/check"
	cp -a "$1" "$T/check"
	g=$("$KOS" boot select "$T/check" --trust "$T/keys" 2>/dev/null | sed -n 's/^generation \([0-9]*\) .*/\1/p')
	case "$2:$g" in
	crashed:1 | crashed:2 | rerun:2) ;;
	*)
		echo "after the $2 run boot select picked \"$g\"" >&2
		return 1
		;;
	esac
	if [ "$2" = rerun ]; then
		"$KOS" store list "$1" | grep -q "$M2" || { echo "generation 2 is not manifest $M2" >&2; return 1; }
		[ -z "$(ls "$1/tmp" | grep '^upgrade\.')" ] || { echo "download files left in tmp/" >&2; return 1; }
	fi
}

# Chunked: v2's object is v1's with 4 kB rewritten in the middle; the source has indexes.
SRCC=$T/srcc
mkdir -p "$T/c1" "$T/c2"
head -c 30000 /dev/urandom >"$T/c1/g000"
cp "$T/c1/g000" "$T/c2/g000"
head -c 4000 /dev/urandom | dd of="$T/c2/g000" bs=1000 seek=13 conv=notrunc 2>/dev/null
make_release "$SRCC" 1 "$T/c1"
ok "$KOS" store commit "$SRCC" "$T/release-1.dtb" --sig "$T/release-1.dtb.sig" --ref v1
make_release "$SRCC" 2 "$T/c2"
MC2=$MANIFEST
ok "$KOS" store index "$SRCC"
prep_c1() {
	"$KOS" store init "$1" >/dev/null &&
		"$KOS" upgrade "$1" --from "$SRCC" --trust "$T/keys" --ref v1 >/dev/null &&
		"$KOS" boot select "$1" --trust "$T/keys" >/dev/null &&
		"$KOS" boot confirm "$1" >/dev/null
}
run_chunked() { "$KOS" upgrade "$1" --from "$SRCC" --trust "$T/keys"; }
check_chunked() {
	M2_SAVED=$M2
	M2=$MC2
	check "$@"
	r=$?
	M2=$M2_SAVED
	return $r
}

crash_every_point upgrade-http prep_v1 run_http check
crash_every_point upgrade-dir-resume prep_v1_partial run_dir check
crash_every_point upgrade-chunked prep_c1 run_chunked check_chunked
echo "crash points covered: $crash_points_total"
done_ok
