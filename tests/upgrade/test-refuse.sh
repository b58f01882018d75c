#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos upgrade refuses, changing nothing, whatever the source serves: an untrusted key, a
# bad signature, a version below the floor, an object whose bytes do not match (altered,
# truncated), an object or manifest the source lacks, a ref that tries to leave the store,
# a release already marked bad. After each refusal the store's state is byte for byte as
# before, tmp/ holds no download, and the confirmed generation still boots.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"

make_keys
SRC=$T/src
make_files "$T/v1" 4 20000
make_files "$T/v3" 4 30000
make_release "$SRC" 3 "$T/v3"
M3=$MANIFEST
nginx_start "$T"

ok "$KOS" store init "$T/dev"
ok "$KOS" upgrade "$T/dev" --from "$URL/src" --trust "$T/keys"
[ "$(booted_generation "$T/dev")" = 1 ] || fail "generation 1 does not boot"
ok "$KOS" boot confirm "$T/dev" # the floor is now 3
before=$(snapshot "$T/dev")

# refused SOURCE PATTERN: the upgrade from SOURCE (a path under $T, served at $URL) fails
# with PATTERN, and nothing changed.
refused() {
	fails 1 "$2" "$KOS" upgrade "$T/dev" --from "$URL/$1" --trust "$T/keys" ${3:+--ref "$3"}
	[ "$(snapshot "$T/dev")" = "$before" ] || fail "the store changed after: $2"
	[ -z "$(ls "$T/dev/tmp" | grep '^upgrade\.')" ] || fail "download files left after: $2"
	[ "$(would_boot "$T/dev")" = 1 ] || fail "generation 1 no longer boots after: $2"
	checks=$((checks + 3))
}

# A copy of the source store to spoil.
spoil() {
	rm -rf "$T/bad"
	cp -a "$SRC" "$T/bad"
	chmod -R u+w "$T/bad"
}
object() { echo "$T/bad/objects/$(echo "$1" | cut -c1-2)/$(echo "$1" | cut -c3-)"; }
first_image=$(sed -n 's/.*image = "\([0-9a-f]*\)".*/\1/p' "$T/release-3.dts" | head -n1)

# Signed by a key the device does not trust.
spoil
make_release "$T/bad" 4 "$T/v1" "$T/other/evil.key"
refused bad "no signature by a trusted key"

# Signed by the trusted key, but the signature does not verify.
spoil
make_release "$T/bad" 4 "$T/v1"
sig=$(sed -n 's/^signatures //p' "$T/bad/refs/latest")
awk '{ c = substr($3, 1, 1); $3 = (c == "0" ? "1" : "0") substr($3, 2); print }' "$(object "$sig")" >"$T/forged.sig"
forged=$("$KOS" store add "$T/bad" "$T/forged.sig" | cut -d' ' -f1)
sed "s/^signatures .*/signatures $forged/" "$T/bad/refs/latest" >"$T/bad/refs/forged"
refused bad "bad signature" forged

# A ref without signatures is not trusted either.
grep -v '^signatures' "$T/bad/refs/latest" >"$T/bad/refs/unsigned"
refused bad "names no signatures" unsigned

# Version 2 is below the floor (3) that the confirmed boot set.
spoil
make_release "$T/bad" 2 "$T/v1"
refused bad "version 2, below this device's floor 3"

# The source's bytes for an object do not match its digest: altered, then truncated.
spoil
make_release "$T/bad" 4 "$T/v1"
img=$(sed -n 's/.*image = "\([0-9a-f]*\)".*/\1/p' "$T/release-4.dts" | head -n1)
printf 'X' | dd of="$(object "$img")" bs=1 seek=100 conv=notrunc 2>/dev/null
refused bad "object $img from .*: its bytes do not match its digest"
head -c 1000 "$T/v1/f000" >"$(object "$img")"
refused bad "its bytes do not match its digest"

# An object, or the manifest, that the source lacks.
rm -f "$(object "$img")"
refused bad "object $img is not at the source"
m4=$(sed -n 's/^manifest //p' "$T/bad/refs/latest")
rm -f "$(object "$m4")"
refused bad "the manifest is not at the source"

# Refs whose contents try to leave the store, or are not refs at all.
printf 'manifest ../../../../etc/passwd\nsignatures %s\n' "$sig" >"$T/bad/refs/escape"
refused bad "refs/escape is malformed" escape
printf 'manifest %s/../../x\n' "$m4" >"$T/bad/refs/escape2"
refused bad "refs/escape2 is malformed" escape2
head -c 100000 /dev/urandom >"$T/bad/refs/huge"
refused bad "larger than allowed" huge
mkdir "$T/bad/refs/dir"
refused bad "" dir

# A release that this device already tried and marked bad is not taken again.
make_files "$T/v5" 2 1000
make_release "$SRC" 5 "$T/v5"
ok "$KOS" upgrade "$T/dev" --from "$URL/src" --trust "$T/keys" --tries 1
[ "$(booted_generation "$T/dev")" = 2 ] || fail "generation 2 was not tried"
[ "$(booted_generation "$T/dev")" = 1 ] || fail "no fallback to generation 1"
before=$(snapshot "$T/dev")
refused src "already tried here as generation 2 and marked bad"

ok "$KOS" store verify "$T/dev"
done_ok
