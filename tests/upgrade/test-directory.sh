#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos upgrade from a store directory (another disk, a USB stick): a full upgrade, then one
# that reads only the new objects; a source object that is altered or is a symbolic link
# is refused, and so is one behind a symlinked directory (never read); a missing source
# directory is a clear error.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"

make_keys
SRC=$T/src
make_files "$T/v1" 10 40000
make_release "$SRC" 1 "$T/v1"
ok "$KOS" store init "$T/dev"
ok "$KOS" upgrade "$T/dev" --from "$SRC" --trust "$T/keys"
out_has "^generation 1 pending"
out_has "fetched 12 objects"
ok "$KOS" store verify "$T/dev"

cp -a "$T/v1" "$T/v2"
head -c 40000 /dev/urandom >"$T/v2/f004"
make_release "$SRC" 2 "$T/v2"
sig=$(sed -n 's/^signatures //p' "$SRC/refs/latest")
new_bytes=$(object_bytes "$(sha256sum "$T/v2/f004" | cut -d' ' -f1)" "$MANIFEST" "$sig")
ok "$KOS" upgrade "$T/dev" --from "$SRC/" --trust "$T/keys"
out_has "^generation 2 pending"
out_has "9 of 12 objects already here \\(360000 bytes\\)"
figures
[ "$FETCHED" -eq 3 ] && [ "$FETCHED_BYTES" -eq "$new_bytes" ] ||
	fail "fetched $FETCHED objects, $FETCHED_BYTES bytes; new: 3 objects, $new_bytes bytes"
checks=$((checks + 1))
[ "$(transferred)" -le $((new_bytes + 4096)) ] || fail "read $(transferred) bytes for $new_bytes new"
checks=$((checks + 1))

# v3's new object is altered at the source, then replaced by a symbolic link.
make_files "$T/v3" 1 30000
make_release "$SRC" 3 "$T/v3"
img=$(sha256sum "$T/v3/f000" | cut -d' ' -f1)
obj="$SRC/objects/$(echo "$img" | cut -c1-2)/$(echo "$img" | cut -c3-)"
before=$(snapshot "$T/dev")
chmod u+w "$obj"
printf 'X' | dd of="$obj" bs=1 seek=7 conv=notrunc 2>/dev/null
fails 1 "object $img from .*: its bytes do not match its digest" "$KOS" upgrade "$T/dev" --from "$SRC" --trust "$T/keys"
rm -f "$obj"
ln -s "$T/v3/f000" "$obj"
fails 1 "a symbolic link" "$KOS" upgrade "$T/dev" --from "$SRC" --trust "$T/keys"
[ "$(snapshot "$T/dev")" = "$before" ] || fail "a refused upgrade changed the store"
fails 1 "source $T/nowhere: No such file or directory" "$KOS" upgrade "$T/dev" --from "$T/nowhere" --trust "$T/keys"
ok "$KOS" store verify "$T/dev"

# A symbolic link in the middle of a source path (refs/, objects/ab/) is not followed,
# even to a directory holding the right bytes, which would pass every digest check: the
# file behind it is never read. The same on a kernel without openat2(2) (a seccomp
# filter makes it fail with ENOSYS), where the path is walked one component at a time.
NO_OPENAT2="$KOS_BUILD/tests/tools/kos-test-enosys openat2"
rm -f "$obj" && cp "$T/v3/f000" "$obj"
mkdir "$T/elsewhere"
mv "$SRC/refs" "$T/elsewhere/refs" && ln -s "$T/elsewhere/refs" "$SRC/refs"
for wrap in "" "$NO_OPENAT2"; do
	fails 1 "refs/latest: a symbolic link" $wrap "$KOS" upgrade "$T/dev" --from "$SRC" --trust "$T/keys"
done
rm "$SRC/refs" && mv "$T/elsewhere/refs" "$SRC/refs"
ab="$SRC/objects/$(echo "$img" | cut -c1-2)"
mv "$ab" "$T/elsewhere/ab" && ln -s "$T/elsewhere/ab" "$ab"
for wrap in "" "$NO_OPENAT2"; do
	fails 1 "objects/$(echo "$img" | cut -c1-2)/[0-9a-f]{62}: a symbolic link" \
		$wrap "$KOS" upgrade "$T/dev" --from "$SRC" --trust "$T/keys"
done
[ "$(snapshot "$T/dev")" = "$before" ] || fail "a refused upgrade changed the store"
checks=$((checks + 1))
# Put back as directories, the same source upgrades.
rm "$ab" && mv "$T/elsewhere/ab" "$ab"
ok $NO_OPENAT2 "$KOS" upgrade "$T/dev" --from "$SRC" --trust "$T/keys"
out_has "^generation 3 pending"
ok "$KOS" store verify "$T/dev"
done_ok
