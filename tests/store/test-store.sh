#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos store and kos boot as users see them: outputs, JSON, exit codes, boot counting and
# the fallback to the last good generation after unconfirmed boots.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/store/fixture.sh"

fixture_keys
fixture_release v1 1 20000 3000
fixture_release v2 2 20000 5000
V1=$(fixture_digest "$T/v1/v1.dtb")
V2=$(fixture_digest "$T/v2/v2.dtb")
S="$T/s"

ok "$KOS" store init "$S"
err_empty
ok "$KOS" store init "$S"        # idempotent
ok "$KOS" store add "$S" "$T/v1/obj1" "$T/v1/obj2"
out_is "$(fixture_digest "$T/v1/obj1")  $T/v1/obj1
$(fixture_digest "$T/v1/obj2")  $T/v1/obj2"
ok "$KOS" store add "$S" "$T/v1/obj1"   # already present: still success, same digest
out_has "^$(fixture_digest "$T/v1/obj1")  "

ok "$KOS" store commit "$S" "$T/v1/v1.dtb"
out_is 1
ok "$KOS" store list "$S" --json
out_has '"state": "pending"'
out_has '"tries": 3'
out_has '"current": null'

# No boot confirmed yet: select takes tries from v1, then nothing can boot.
for tries_left in 2 1 0; do
	ok "$KOS" boot select "$S" --trust "$T/trust"
	out_is "generation 1 manifest $V1"
	ok "$KOS" store list "$S" --json
	out_has "\"tries\": $tries_left"
done
cp -a "$S" "$T/spent"
fails 1 "no generation can boot" "$KOS" boot select "$T/spent" --trust "$T/trust"
ok "$KOS" store list "$T/spent"
out_has "^1 +bad"

ok "$KOS" boot confirm "$S"
out_is "generation 1 confirmed"
ok "$KOS" boot status "$S" --json
out_has '"floor": 1'
ok "$KOS" store list "$S"
out_has "^1 +good .*current"

# v2 committed with 2 tries and never confirmed: 2 boots of v2, then back to v1.
fixture_add "$S" v2
ok "$KOS" store commit "$S" "$T/v2/v2.dtb" --tries 2 --ref stable
out_is 2
[ "$(sed -n 's/^manifest //p' "$S/refs/stable")" = "$V2" ] || fail "refs/stable does not name v2"
ok "$KOS" boot select "$S" --trust "$T/trust"
out_is "generation 2 manifest $V2"
ok "$KOS" boot select "$S" --trust "$T/trust"
out_is "generation 2 manifest $V2"
ok "$KOS" boot select "$S" --trust "$T/trust" --json
out_has '"generation": 1'
out_has '"reason": "no tries left"'
ok "$KOS" store list "$S"
out_has "^2 +bad"
out_has "^1 +good .*current"
ok "$KOS" boot confirm "$S"
out_is "generation 1 confirmed"
fails 1 "no such store|not a store" "$KOS" boot confirm "$T/nothing"

# gc keeps the current generation; the bad one is the newest, so it stays (numbers are
# never reused) and so do its objects.
ok "$KOS" store gc "$S"
out_is "removed 0 generations, 0 objects, 0 bytes"
ok "$KOS" store verify "$S"
out_has "^8 objects, [0-9]+ bytes: all match"

# A trust directory holding keys of other algorithms beside the good one still decides:
# each such key is skipped with a warning. Keys of no usable kind at all are an error.
mkdir "$T/mixed" "$T/rsa-only"
cp "$T/trust/dev.pub" "$T/mixed/"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null | openssl pkey -pubout -out "$T/mixed/rsa.pub" 2>/dev/null
openssl genpkey -algorithm X25519 2>/dev/null | openssl pkey -pubout -out "$T/mixed/x25519.pub" 2>/dev/null
cp "$T/mixed/rsa.pub" "$T/rsa-only/"
cp -a "$S" "$T/s-mixed"
ok "$KOS" boot select "$T/s-mixed" --trust "$T/mixed"
out_is "generation 1 manifest $V1"
grep -qx "kos: warning: $T/mixed/rsa\.pub: not an Ed25519 key; skipped" "$T/.err" || fail "no warning for rsa.pub"
grep -qx "kos: warning: $T/mixed/x25519\.pub: not an Ed25519 key; skipped" "$T/.err" || fail "no warning for x25519.pub"
fails 1 "rsa-only/rsa\.pub: not an Ed25519 key" "$KOS" boot select "$T/s-mixed" --trust "$T/rsa-only"

# Usage errors exit 2 with one "kos: " line.
fails 2 "unknown command" "$KOS" store frobnicate "$S"
fails 2 "expected DIR" "$KOS" store list
fails 2 "--tries must be a number" "$KOS" store commit "$S" "$T/v2/v2.dtb" --tries 0
fails 2 "does not apply" "$KOS" store list "$S" --keep 3
fails 2 "--trust KEYDIR is required" "$KOS" boot select "$S"
fails 2 "unknown option" "$KOS" boot status "$S" --bogus
ok "$KOS" store --help
out_has "usage: kos store"
ok "$KOS" boot --help
out_has "usage: kos boot"

done_ok
