#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Chunked upgrades, against a real nginx and real squashfs images: v1 and v2 are
# mksquashfs of a tree, v2 after one file in it was edited; the source store publishes
# chunk indexes (kos store index). Holds:
#  - the upgrade to v2 builds the image from chunks of v1 and fetches the rest as ranges,
#    in one multi-range request: it transfers a small fraction of the image, by kos's
#    count and by nginx's log, and the figures add up;
#  - a lying server is refused with one "kos: " line, nothing changes and generation 1
#    still boots: chunk bytes that do not match the index, an object cut short (ranges it
#    cannot send), an index of another object, an index whose chunk digests are wrong, a
#    malformed index, and an index that matches bytes that are not the object;
#  - a source without indexes, or with chunks too small to use: whole objects, as before;
#    a source directory: chunked too;
#  - an upgrade crashed after some chunks were written resumes and fetches none of them
#    again.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"
command -v mksquashfs >/dev/null || fail "mksquashfs is not installed (scripts/deps/boot.list)"

make_keys
SRC=$T/www/src
mkdir -p "$T/tree" "$T/v1" "$T/v2" "$T/www"
i=1
while [ $i -le 40 ]; do
	head -c $((i * 5000)) /dev/urandom >"$T/tree/blob$i"
	i=$((i + 1))
done
seq 1 20000 >"$T/tree/config"
mksquashfs "$T/tree" "$T/v1/rootfs.img" -noappend -quiet -no-progress >/dev/null || fail "mksquashfs v1"
sed -i 's/^10000$/ten thousand/' "$T/tree/config"
mksquashfs "$T/tree" "$T/v2/rootfs.img" -noappend -quiet -no-progress >/dev/null || fail "mksquashfs v2"
printf 'app v1\n' >"$T/v1/app"
printf 'app v2\n' >"$T/v2/app"
IMAGE=$(stat -c %s "$T/v2/rootfs.img")
V2IMG=$(sha256sum "$T/v2/rootfs.img" | cut -c1-64)
V1IMG=$(sha256sum "$T/v1/rootfs.img" | cut -c1-64)
make_release "$SRC" 1 "$T/v1"
ok "$KOS" store commit "$SRC" "$T/release-1.dtb" --sig "$T/release-1.dtb.sig" --ref v1
make_release "$SRC" 2 "$T/v2"
M2=$MANIFEST
ok "$KOS" store index "$SRC"
nginx_start "$T/www"

# The device: v1 committed, booted and confirmed.
ok "$KOS" store init "$T/dev1"
ok "$KOS" upgrade "$T/dev1" --from "$URL/src" --trust "$T/keys" --ref v1
[ "$(booted_generation "$T/dev1")" = 1 ] || fail "generation 1 does not boot"
ok "$KOS" boot confirm "$T/dev1"
before=$(snapshot "$T/dev1")

# --- the upgrade: a small fraction of the image crosses
cp -a "$T/dev1" "$T/dev"
: >"$T/nginx/access.log"
ok "$KOS" upgrade "$T/dev" --from "$URL/src" --trust "$T/keys"
out_has "^generation 2 pending: manifest $M2"
figures
out_has "^chunked 2 objects \\([0-9]+ bytes\\): [0-9]+ bytes reused from chunks here, [0-9]+ bytes fetched as ranges; transferred 0\\.[0-9]+ of their size$"
sent=$(nginx_bytes_sent)
[ "$TRANSFERRED" -eq "$sent" ] || fail "kos counted $TRANSFERRED bytes, nginx logged $sent"
[ "$TRANSFERRED" -le $((IMAGE / 10)) ] || fail "transferred $TRANSFERRED bytes of a $IMAGE-byte image"
reused=$REUSED
[ "$reused" -ge $((IMAGE * 9 / 10)) ] || fail "only $reused bytes of the image came from v1's chunks"
grep -Eq "^206 [0-9]+ \"bytes=[0-9]+-[0-9]+,[0-9]+-[0-9]+" "$T/nginx/access.log" ||
	fail "no multi-range request: $(cat "$T/nginx/access.log")"
[ "$(grep -c "/objects/$(echo "$V2IMG" | cut -c1-2)/" "$T/nginx/access.log")" -eq 1 ] ||
	fail "the image took more than one request: $(cat "$T/nginx/access.log")"
checks=$((checks + 7))
echo "squashfs image of $IMAGE bytes, one file edited: transferred $TRANSFERRED bytes, reused $reused"
ok "$KOS" store verify "$T/dev"
[ "$(booted_generation "$T/dev")" = 2 ] || fail "generation 2 does not boot"

# --- a source directory: the same, through ranges read from the files
rm -rf "$T/dev"
cp -a "$T/dev1" "$T/dev"
ok "$KOS" upgrade "$T/dev" --from "$SRC" --trust "$T/keys"
out_has "^chunked 2 objects"
ok "$KOS" store verify "$T/dev"

# --- no indexes at the source: whole objects
rm -rf "$T/dev" "$T/www/plain"
cp -a "$T/dev1" "$T/dev"
cp -a "$SRC" "$T/www/plain"
rm -rf "$T/www/plain/chunks"
ok "$KOS" upgrade "$T/dev" --from "$URL/plain" --trust "$T/keys"
figures
[ "$FETCHED_BYTES" -ge "$IMAGE" ] || fail "the image was not fetched whole"
grep -q '^chunked' "$T/.out" && fail "chunked without an index"
checks=$((checks + 2))

# --- an index of chunks too small to cut this store into: whole objects
rm -rf "$T/dev" "$T/www/tiny"
cp -a "$T/dev1" "$T/dev"
cp -a "$SRC" "$T/www/tiny"
ok "$KOS" store index "$T/www/tiny" --average 256
ok "$KOS" upgrade "$T/dev" --from "$URL/tiny" --trust "$T/keys"
grep -q '^chunked' "$T/.out" && fail "chunked with 256-byte chunks"
checks=$((checks + 1))

# --- lying servers
# refused NAME PATTERN: the upgrade from $URL/NAME fails with PATTERN; nothing changed.
refused() {
	rm -rf "$T/dev"
	cp -a "$T/dev1" "$T/dev"
	fails 1 "$2" "$KOS" upgrade "$T/dev" --from "$URL/$1" --trust "$T/keys"
	[ "$(snapshot "$T/dev")" = "$before" ] || fail "the store changed after: $2"
	[ -z "$(ls "$T/dev/tmp" | grep '^upgrade\.')" ] || fail "download files left after: $2"
	[ "$(booted_generation "$T/dev")" = 1 ] || fail "generation 1 no longer boots after: $2"
	checks=$((checks + 3))
}
# spoil NAME: $T/www/NAME, a writable copy of the source; sets IMG and IDX (its image
# object and index).
spoil() {
	rm -rf "$T/www/$1"
	cp -a "$SRC" "$T/www/$1"
	chmod -R u+w "$T/www/$1"
	IMG="$T/www/$1/objects/$(echo "$V2IMG" | cut -c1-2)/$(echo "$V2IMG" | cut -c3-)"
	IDX="$T/www/$1/chunks/$V2IMG.idx"
}
# Different bytes where chunks are fetched: everything but v1's chunks.
spoil wrong-bytes
head -c "$IMAGE" /dev/urandom >"$IMG"
refused wrong-bytes "^kos: upgrade: refusing object $V2IMG from the source: objects/../.{62}: bytes [0-9]+-[0-9]+ do not match their chunk's digest in the chunk index$"
# The object cut short: the ranges at its end cannot be sent.
spoil truncated
truncate -s $((IMAGE / 3)) "$IMG"
refused truncated "^kos: upgrade: refusing object $V2IMG from the source: objects/../.{62}: (the source did not send bytes [0-9]+-[0-9]+ it was asked for|the source's file is shorter than its chunk index says)$"
# The index of another object.
spoil other-index
cp "$T/www/other-index/chunks/$V1IMG.idx" "$IDX"
refused other-index "^kos: upgrade: refusing the chunk index of object $V2IMG from the source: chunks/$V2IMG.idx: the index of another object$"
# A wrong chunk digest, the last chunk's (the squashfs tables, which v2 changed): its group
# no longer matches the group table.
spoil bad-digest
printf 'XXXX' | dd of="$IDX" bs=1 seek=$(($(stat -c %s "$IDX") - 4)) conv=notrunc 2>/dev/null
refused bad-digest "^kos: upgrade: refusing the chunk index of object $V2IMG from the source: chunks/$V2IMG.idx: malformed \\(group [0-9]+ of [0-9]+ does not match its table entry, or the chunks do not add up to the object\\)$"
# Chunk digests that are wrong and a group table made to match them: only the chunk
# bytes tell (the last entry's digest changed, its group's digest recomputed).
spoil consistent-lie
python3 - "$IDX" <<'PY' || fail "cannot rewrite the index"
import hashlib, struct, sys
path = sys.argv[1]
b = bytearray(open(path, "rb").read())
n, g = struct.unpack_from("<II", b, 68)
b[-4:] = b"XXXX"
entries = 80 + 36 * g
first = n - struct.unpack_from("<I", b, 80 + 36 * (g - 1))[0]
b[80 + 36 * (g - 1) + 4:80 + 36 * g] = hashlib.sha256(b[entries + 36 * first:]).digest()
open(path, "wb").write(b)
PY
refused consistent-lie "^kos: upgrade: refusing object $V2IMG from the source: objects/../.{62}: bytes [0-9]+-[0-9]+ do not match their chunk's digest in the chunk index$"
# A malformed index.
spoil malformed
printf 'XXXX' | dd of="$IDX" bs=1 conv=notrunc 2>/dev/null
refused malformed "^kos: upgrade: refusing the chunk index of object $V2IMG from the source: chunks/$V2IMG.idx: malformed$"
# An index that matches the bytes served, which are v1's image, not v2's: every chunk
# checks out, the whole does not.
spoil not-the-object
cp "$T/v1/rootfs.img" "$IMG"
cp "$T/www/not-the-object/chunks/$V1IMG.idx" "$IDX"
printf '%s' "$V2IMG" | xxd -r -p | dd of="$IDX" bs=1 seek=16 conv=notrunc 2>/dev/null
refused not-the-object "^kos: upgrade: refusing: object $V2IMG from $URL/not-the-object: its bytes do not match its digest; nothing changed$"

# --- resume: crashed just before its last chunk write, a rerun fetches one chunk at most
rm -rf "$T/dev"
cp -a "$T/dev1" "$T/dev"
cp -a "$T/dev1" "$T/count"
KOS_FAULT_LOG="$T/points" "$KOS" upgrade "$T/count" --from "$URL/src" --trust "$T/keys" >/dev/null ||
	fail "the counting run failed"
last=$(grep -n "^[0-9]* write .*upgrade\.$V2IMG\.part" "$T/points" | tail -n1 | cut -d: -f1)
[ -n "$last" ] || fail "no write to the image's download file: $(cat "$T/points")"
run env KOS_FAULT_CRASH_AT="$last" "$KOS" upgrade "$T/dev" --from "$URL/src" --trust "$T/keys"
[ "$status" -eq 86 ] || fail "the upgrade did not crash at point $last (exit $status)"
: >"$T/nginx/access.log"
ok "$KOS" upgrade "$T/dev" --from "$URL/src" --trust "$T/keys"
figures
[ "$RESUMED" -gt 0 ] || fail "nothing resumed"
fetched=$(sed -n 's/.* \([0-9]*\) bytes fetched as ranges;.*/\1/p' "$T/.out")
max_chunk=$(od -An -tu4 -j64 -N4 "$SRC/chunks/$V2IMG.idx" | tr -d ' ')
[ "$fetched" -le "$max_chunk" ] || fail "the rerun fetched $fetched bytes, more than one chunk ($max_chunk)"
checks=$((checks + 2))
ok "$KOS" store verify "$T/dev"
[ "$(booted_generation "$T/dev")" = 2 ] || fail "generation 2 does not boot after the resume"
done_ok
