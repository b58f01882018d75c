#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos store index: chunk indexes (chunks/DIGEST.idx) of a store's objects, for chunked
# upgrades. Every object gets one that describes it; indexing again writes nothing; a
# given digest must be an object here; gc removes the indexes of the objects it removes;
# verify ignores them; and a crash at any of the command's write, fsync, rename or mkdir
# points leaves complete indexes or none (crash harness), which a rerun completes.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/store/crash-harness.sh"

S=$T/s
ok "$KOS" store init "$S"
head -c 300000 /dev/urandom >"$T/big"
printf 'small' >"$T/small"
: >"$T/empty"
ok "$KOS" store add "$S" "$T/big" "$T/small" "$T/empty"
BIG=$(sha256sum "$T/big" | cut -c1-64)
SMALL=$(sha256sum "$T/small" | cut -c1-64)

ok "$KOS" store index "$S"
out_is "indexed 3 objects (0 already indexed)"
[ "$(ls "$S/chunks" | wc -l)" -eq 3 ] || fail "expected 3 index files: $(ls "$S/chunks")"
checks=$((checks + 1))
# The format: magic, version 1, the object's digest and size, 4 KiB average for 300 kB.
idx="$S/chunks/$BIG.idx"
[ "$(head -c 8 "$idx")" = KOSCHIDX ] || fail "no magic in $idx"
[ "$(od -An -tx1 -j16 -N32 "$idx" | tr -d ' \n')" = "$BIG" ] || fail "$idx names another object"
[ "$(od -An -tu8 -j48 -N8 "$idx" | tr -d ' ')" = 300000 ] || fail "$idx: wrong object size"
[ "$(od -An -tu4 -j60 -N4 "$idx" | tr -d ' ')" = 4096 ] || fail "$idx: average not 4096"
n=$(od -An -tu4 -j68 -N4 "$idx" | tr -d ' ')
g=$(od -An -tu4 -j72 -N4 "$idx" | tr -d ' ')
[ "$g" -ge 1 ] && [ "$g" -le "$n" ] || fail "$idx: $g groups of $n chunks"
[ "$(stat -c %s "$idx")" -eq $((80 + 36 * (g + n))) ] || fail "$idx: size does not match $n chunks in $g groups"
checks=$((checks + 6))

ok "$KOS" store index "$S"
out_is "indexed 0 objects (3 already indexed)"
ok "$KOS" store index "$S" --average 65536 "$BIG"
out_is "indexed 1 objects (0 already indexed)"
[ "$(od -An -tu4 -j60 -N4 "$idx" | tr -d ' ')" = 65536 ] || fail "--average not recorded"
checks=$((checks + 1))
ok "$KOS" store verify "$S"

fails 1 "no object 0{64}" "$KOS" store index "$S" 0000000000000000000000000000000000000000000000000000000000000000
fails 2 "not an object digest" "$KOS" store index "$S" ../etc
fails 2 "--average: 3000 is not a power of two" "$KOS" store index "$S" --average 3000
chmod u+w "$S/objects/$(echo "$SMALL" | cut -c1-2)/$(echo "$SMALL" | cut -c3-)"
printf 'SMALL' >"$S/objects/$(echo "$SMALL" | cut -c1-2)/$(echo "$SMALL" | cut -c3-)"
rm "$S/chunks/$SMALL.idx"
fails 1 "object $SMALL is corrupt" "$KOS" store index "$S" "$SMALL"
[ ! -e "$S/chunks/$SMALL.idx" ] || fail "an index was written for a corrupt object"
checks=$((checks + 1))

# gc removes the objects nothing needs, and their indexes with them.
ok "$KOS" store gc "$S"
[ -z "$(ls "$S/chunks")" ] || fail "gc left indexes of removed objects: $(ls "$S/chunks")"
checks=$((checks + 1))

# Crash safety: every point of an index run, on a store without chunks/ yet.
prep() {
	"$KOS" store init "$1" >/dev/null && "$KOS" store add "$1" "$T/big" "$T/small" >/dev/null
}
run_index() { "$KOS" store index "$1"; }
check() {
	"$KOS" store verify "$1" >/dev/null 2>"$T/.verify" || { cat "$T/.verify" >&2; return 1; }
	for ix_f in "$1"/chunks/*.idx; do
		[ -e "$ix_f" ] || continue
		ix_d=$(basename "$ix_f" .idx)
		ix_n=$(od -An -tu4 -j68 -N4 "$ix_f" | tr -d ' ')
		ix_g=$(od -An -tu4 -j72 -N4 "$ix_f" | tr -d ' ')
		[ "$(stat -c %s "$ix_f")" -eq $((80 + 36 * (ix_g + ix_n))) ] || { echo "$ix_f is incomplete" >&2; return 1; }
		[ "$(od -An -tx1 -j16 -N32 "$ix_f" | tr -d ' \n')" = "$ix_d" ] || { echo "$ix_f names another object" >&2; return 1; }
	done
	if [ "$2" = rerun ]; then
		[ "$(ls "$1/chunks" | wc -l)" -eq 2 ] || { echo "the rerun did not index both objects" >&2; return 1; }
	fi
}
crash_every_point index prep run_index check
echo "crash points covered: $crash_points_total"
done_ok
