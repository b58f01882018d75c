#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Bad input: names that try to leave the store, refs to missing objects, truncated and
# corrupt objects, an object that cannot be read, a tampered manifest, an untrusted
# signature, a version below the floor, damaged state files. Each is one clear error, and
# the previous generation (v1) still boots.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/store/fixture.sh"

fixture_keys
fixture_release v1 1 20000 3000
fixture_release v2 2 20000 5000
V1=$(fixture_digest "$T/v1/v1.dtb")
S="$T/s"
fixture_store "$S"
fixture_add "$S" v2

# v1_boots: boot select (on a copy) still picks v1.
v1_boots() {
	[ "$(fixture_chosen "$S")" = "$V1" ] || fail "v1 no longer boots after: $*"
	checks=$((checks + 1))
}

# Ref names that try to leave the store, or take the boot decision's own refs.
for ref in ../escape a/b ../../etc/passwd .hidden "" current booted "x y"; do
	fails 2 "invalid ref name|reserved" "$KOS" store commit "$S" "$T/v2/v2.dtb" --ref "$ref"
done
[ ! -e "$T/escape" ] && [ ! -e "$S/escape" ] || fail "a ref name escaped the store"
v1_boots "bad ref names"

# A ref file whose digest tries to leave the store: verify calls it malformed, boot ignores it.
printf 'manifest ../../../../etc/passwd\n' >"$S/refs/evil"
fails 1 "refs/evil is malformed" "$KOS" store verify "$S"
v1_boots "a ref with a path for a digest"
rm "$S/refs/evil"

# A ref to a missing object.
printf 'manifest %064d\n' 0 >"$S/refs/dangling"
fails 1 "object 0{64} is missing, needed by refs/dangling" "$KOS" store verify "$S"
v1_boots "a dangling ref"
rm "$S/refs/dangling"

# A generation file naming a path instead of a digest is never followed.
printf 'manifest ../../../etc/passwd\nversion 9\nstate pending\ntries 3\n' >"$S/generations/7"
fails 1 "generations/7 is malformed" "$KOS" store verify "$S"
v1_boots "a generation with a path for a digest"
rm "$S/generations/7"

# A manifest that references an object the store lacks: commit refuses, changing nothing.
fixture_release v9 9 1000
before=$(ls -R "$S" | sha256sum)
fails 1 "references object [0-9a-f]{64}, which is not in the store" "$KOS" store commit "$S" "$T/v9/v9.dtb"
[ "$(ls -R "$S" | sha256sum)" = "$before" ] || fail "a refused commit changed the store"
v1_boots "a commit with a missing object"

# Truncated object: verify names it; boot select rejects v2 and boots v1.
ok "$KOS" store commit "$S" "$T/v2/v2.dtb"
obj=$(fixture_digest "$T/v2/obj2")
p="$S/objects/$(echo "$obj" | cut -c1-2)/$(echo "$obj" | cut -c3-)"
chmod u+w "$p" && truncate -s 100 "$p"
fails 1 "object $obj is corrupt, needed by generation 2" "$KOS" store verify "$S"
v1_boots "a truncated object"
cp -a "$S" "$T/json" && ok "$KOS" boot select "$T/json" --trust "$T/trust" --json
out_has "\"reason\": \"object corrupt\""
out_has "$obj"
# ... and a missing one.
rm "$p"
fails 1 "object $obj is missing, needed by generation 2" "$KOS" store verify "$S"
v1_boots "a missing object"

# An object several generations need: verify names each of them, the current one first,
# then the others newest first.
S5="$T/s5"
fixture_store "$S5"
ok "$KOS" store commit "$S5" "$T/v1/v1.dtb"
ok "$KOS" boot select "$S5" --trust "$T/trust"
ok "$KOS" boot confirm "$S5"
ok "$KOS" store commit "$S5" "$T/v1/v1.dtb"
o=$(fixture_digest "$T/v1/obj2")
rm -f "$S5/objects/$(echo "$o" | cut -c1-2)/$(echo "$o" | cut -c3-)"
fails 1 "^kos: $S5: object $o is missing, needed by generation 2 \\(current\\), generation 3, generation 1\$" \
	"$KOS" store verify "$S5"

# Tampered manifest (a byte of the command line changed after signing): commit accepts
# it (trust is not the store's business), boot select rejects its signature.
fixture_release v4 4 6000
perl -pe 's/ttyS0/ttyS1/' "$T/v4/v4.dtb" >"$T/tampered.dtb"
ok "$KOS" manifest check "$T/tampered.dtb"
fixture_add "$S" v4
ok "$KOS" store commit "$S" "$T/tampered.dtb" --sig "$T/v4/v4.dtb.sig"
cp -a "$S" "$T/json2" && ok "$KOS" boot select "$T/json2" --trust "$T/trust" --json
out_has "\"reason\": \"bad signature\""
v1_boots "a tampered manifest"

# A corrupt manifest object in the store.
m=$(fixture_digest "$T/v2/v2.dtb")
mp="$S/objects/$(echo "$m" | cut -c1-2)/$(echo "$m" | cut -c3-)"
chmod u+w "$mp" && printf 'Z' | dd of="$mp" bs=1 seek=100 conv=notrunc 2>/dev/null
fails 1 "object $m is corrupt" "$KOS" store verify "$S"
v1_boots "a corrupt manifest object"

# Signed by an untrusted key only.
fixture_release v3 3 4000
cp "$T/v3/v3.dtb" "$T/untrusted.dtb"
ok "$KOS" manifest sign "$T/untrusted.dtb" --key "$T/keys/evil.key"
"$KOS" store add "$S" "$T/v3/obj1" >/dev/null
ok "$KOS" store commit "$S" "$T/untrusted.dtb"
cp -a "$S" "$T/json3" && ok "$KOS" boot select "$T/json3" --trust "$T/trust" --json
out_has "\"reason\": \"bad signature\""
out_has "no signature by a trusted key"
v1_boots "an untrusted signature"

# Below the floor: confirm v3 (floor 3); a v2 manifest can no longer be committed.
S2="$T/s2"
fixture_store "$S2"
fixture_add "$S2" v3
ok "$KOS" store commit "$S2" "$T/v3/v3.dtb"
ok "$KOS" boot select "$S2" --trust "$T/trust"
ok "$KOS" boot confirm "$S2"
ok "$KOS" boot status "$S2"
out_has "floor: +3"
fixture_add "$S2" v2
fails 1 "version 2 is below the store's version floor 3" "$KOS" store commit "$S2" "$T/v2/v2.dtb"
# ... and an older good generation below the floor is not booted either.
o=$(fixture_digest "$T/v3/obj1")
rm -f "$S2/objects/$(echo "$o" | cut -c1-2)/$(echo "$o" | cut -c3-)"
run "$KOS" boot select "$S2" --trust "$T/trust" --json
[ "$status" -eq 1 ] || fail "boot select with nothing bootable must exit 1"
out_has "\"reason\": \"below floor\""
out_has "\"reason\": \"object missing\""

# Damaged refs/current does not stop the boot.
echo garbage >"$S/refs/current"
v1_boots "a damaged refs/current"

# Things that are not files where state files belong (a FIFO must not hang anything, a
# directory must not stop the boot): skipped by boot select, malformed to verify.
S3="$T/s3"
fixture_store "$S3"
V1_S3() { [ "$(fixture_chosen "$S3")" = "$V1" ] || fail "v1 no longer boots after: $*"; }
mkfifo "$S3/generations/9" "$S3/refs/fifo"
mkdir "$S3/generations/8"
V1_S3 "a FIFO and a directory for generation files"
run timeout 20 "$KOS" store verify "$S3"
[ "$status" -eq 1 ] || fail "verify with a FIFO for a generation: exit $status, expected 1"
grep -q "generations/9 is malformed" "$T/.err" && grep -q "refs/fifo is malformed" "$T/.err" &&
	grep -q "generations/8 is malformed" "$T/.err" || fail "verify did not name each non-file"
# ... and the next commit never takes the number of a damaged generation file.
fixture_add "$S3" v2
ok "$KOS" store commit "$S3" "$T/v2/v2.dtb"
out_is 10
rm -r "$S3/generations/8" "$S3/generations/9" "$S3/refs/fifo"

# An object of v2 replaced by a FIFO, then by a symlink to its own bytes: v2 is rejected
# as corrupt (not a failed boot decision), v1 boots, verify names it.
o=$(fixture_digest "$T/v2/obj1")
op="$S3/objects/$(echo "$o" | cut -c1-2)/$(echo "$o" | cut -c3-)"
rm -f "$op" && mkfifo "$op"
cp -a "$S3" "$T/json4" && run timeout 20 "$KOS" boot select "$T/json4" --trust "$T/trust" --json
[ "$status" -eq 0 ] || fail "boot select with a FIFO for an object: exit $status"
out_has "\"reason\": \"object corrupt\""
V1_S3 "a FIFO for an object"
fails 1 "object $o is corrupt, needed by generation 10" timeout 20 "$KOS" store verify "$S3"
rm "$op" && ln -s "$T/v2/obj1" "$op"
V1_S3 "a symlink for an object"
fails 1 "object $o is corrupt, needed by generation 10" "$KOS" store verify "$S3"
# Adding the object again repairs it in place.
rm "$op" && echo damaged >"$op"
fails 1 "object $o is corrupt" "$KOS" store verify "$S3"
fixture_add "$S3" v2
ok "$KOS" store verify "$S3"

# An object that cannot be read (an I/O error, injected with KOS_FAULT_READ_EIO): verify
# says so and names what needs it; boot select rejects just the generation that needs it
# (v2 here), with the error, and boots the next one; without the fault v2 boots.
S4="$T/s4"
fixture_store "$S4"
fixture_add "$S4" v2
ok "$KOS" store commit "$S4" "$T/v2/v2.dtb"
o=$(fixture_digest "$T/v2/obj2")
eio="KOS_FAULT_READ_EIO=$(echo "$o" | cut -c3-)"
fails 1 "object $o cannot be read: Input/output error, needed by generation 2" env "$eio" "$KOS" store verify "$S4"
[ "$(grep -c . "$T/.err")" -eq 1 ] || fail "verify named more than the unreadable object"
cp -a "$S4" "$T/json6" && ok env "$eio" "$KOS" boot select "$T/json6" --trust "$T/trust" --json
out_has "\"reason\": \"object corrupt\""
out_has "$o: Input/output error"
[ "$(fixture_digest "$T/v2/v2.dtb")" != "$V1" ] && grep -q "\"manifest\": \"$V1\"" "$T/.out" ||
	fail "boot select with v2's object unreadable did not choose v1"
checks=$((checks + 1))
rm -rf "$T/json6" && cp -a "$S4" "$T/json6" && ok "$KOS" boot select "$T/json6" --trust "$T/trust"
out_has "manifest $(fixture_digest "$T/v2/v2.dtb")"
ok "$KOS" store verify "$S4"

# A damaged floor stops nothing and opens no rollback: it reads as the current
# generation's version; boot confirm rewrites it.
ok "$KOS" boot select "$S3" --trust "$T/trust"
ok "$KOS" boot confirm "$S3"
echo garbage >"$S3/floor"
[ "$(fixture_chosen "$S3")" = "$(fixture_digest "$T/v2/v2.dtb")" ] || fail "a damaged floor stopped v2 from booting"
fails 1 "floor is malformed" "$KOS" store commit "$S3" "$T/v2/v2.dtb"
rm -f "$op"
cp -a "$S3" "$T/json5" && run "$KOS" boot select "$T/json5" --trust "$T/trust" --json
[ "$status" -eq 1 ] || fail "v1 booted below the floor a damaged floor file stood for"
out_has "\"reason\": \"below floor\""
fixture_add "$S3" v2
ok "$KOS" boot select "$S3" --trust "$T/trust"
ok "$KOS" boot confirm "$S3"
[ "$(cat "$S3/floor")" = 2 ] || fail "boot confirm did not rewrite the damaged floor"

# A missing floor is damage too once a boot was confirmed (refs/current exists): it reads
# as the current generation's version, not as 0, so it opens no rollback either.
rm "$S3/floor"
[ "$(fixture_chosen "$S3")" = "$(fixture_digest "$T/v2/v2.dtb")" ] || fail "a missing floor stopped v2 from booting"
ok "$KOS" boot status "$S3"
out_has "floor: +2"
fails 1 "floor is missing \\(boot confirm rewrites it\\)" "$KOS" store commit "$S3" "$T/v1/v1.dtb"
rm -f "$op"
cp -a "$S3" "$T/json7" && run "$KOS" boot select "$T/json7" --trust "$T/trust" --json
[ "$status" -eq 1 ] || fail "v1 booted below the floor a missing floor file stood for"
out_has "\"reason\": \"below floor\""
fixture_add "$S3" v2
ok "$KOS" boot select "$S3" --trust "$T/trust"
ok "$KOS" boot confirm "$S3"
[ "$(cat "$S3/floor")" = 2 ] || fail "boot confirm did not rewrite the missing floor"

# store verify sees one state: it waits while a writer holds the store's lock (a commit or
# gc in progress would make objects seem missing); store list does not wait.
flock -x "$S3/kos-store" sh -c '
	timeout 2 "$1" store verify "$2" >/dev/null 2>&1; echo "verify $?"
	timeout 5 "$1" store list "$2" >/dev/null 2>&1; echo "list $?"' sh "$KOS" "$S3" >"$T/lock.out"
grep -qx "verify 124" "$T/lock.out" || fail "store verify did not wait for the writer: $(cat "$T/lock.out")"
grep -qx "list 0" "$T/lock.out" || fail "store list waited for the writer: $(cat "$T/lock.out")"
checks=$((checks + 2))

# Not a store; a non-empty directory is not turned into one.
mkdir "$T/notstore" && echo x >"$T/notstore/file"
fails 1 "not a store" "$KOS" store list "$T/notstore"
fails 1 "not empty and not a store" "$KOS" store init "$T/notstore"
fails 1 "no such store" "$KOS" boot status "$T/nonexistent"

done_ok
