#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos upgrade over real HTTP (nginx on 127.0.0.1): a full upgrade, then an upgrade where
# 90% of the bytes are already here transfers only the new objects (+ at most 64 KiB),
# measured both by kos and by the server's own log; reruns are no-ops; bad arguments,
# missing refs and unreachable sources are clear errors; a password in the URL is never
# printed.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"

make_keys
SRC=$T/src
make_files "$T/v1" 20 51200
make_release "$SRC" 1 "$T/v1"
M1=$MANIFEST
nginx_start "$SRC"

ok "$KOS" store init "$T/dev"
ok "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys"
out_has "^generation 1 pending: manifest $M1, version 1$"
out_has "fetched 22 objects"
err_empty # no progress display: stderr is not a terminal
[ "$(transferred)" -ge $((20 * 51200)) ] || fail "transferred $(transferred) < the release's bytes"
ok "$KOS" store verify "$T/dev"
[ "$(booted_generation "$T/dev")" = 1 ] || fail "boot select does not pick generation 1"
ok "$KOS" boot confirm "$T/dev"

# v2 rewrites 16 KiB in 2 of the 20 files: 90% of its bytes are already on the device.
cp -a "$T/v1" "$T/v2"
for f in f003 f013; do
	head -c 16384 /dev/urandom | dd of="$T/v2/$f" bs=16384 seek=1 conv=notrunc 2>/dev/null
done
make_release "$SRC" 2 "$T/v2"
M2=$MANIFEST
sig=$(sed -n 's/^signatures //p' "$SRC/refs/latest")
new_bytes=$(object_bytes "$(sha256sum "$T/v2/f003" | cut -d' ' -f1)" \
	"$(sha256sum "$T/v2/f013" | cut -d' ' -f1)" "$M2" "$sig")
: >"$T/nginx/access.log"
ok "$KOS" upgrade "$T/dev" --from "$URL/" --trust "$T/keys"
out_has "^generation 2 pending: manifest $M2, version 2$"
out_has "fetched 4 objects"
out_has "18 of 22 objects already here \\(921600 bytes\\)"
figures
[ "$FETCHED_BYTES" -eq "$new_bytes" ] && [ "$FETCHED_BYTES" -eq "$(nginx_object_body_bytes)" ] ||
	fail "fetched $FETCHED_BYTES object bytes; new objects $new_bytes, nginx sent $(nginx_object_body_bytes)"
[ "$TRANSFERRED" -eq "$(nginx_bytes_sent)" ] || fail "transferred $TRANSFERRED bytes; nginx sent $(nginx_bytes_sent)"
checks=$((checks + 2))
t=$(transferred)
sent=$(nginx_bytes_sent)
echo "v2: new objects $new_bytes bytes; kos counted $t bytes, nginx sent $sent bytes"
[ "$t" -le $((new_bytes + 65536)) ] || fail "transferred $t > new objects $new_bytes + 64 KiB"
[ "$sent" -le $((new_bytes + 65536)) ] || fail "server sent $sent > new objects $new_bytes + 64 KiB"
[ "$t" -ge "$new_bytes" ] || fail "transferred $t is less than the new objects' $new_bytes bytes"
checks=$((checks + 3))
ok "$KOS" store verify "$T/dev"
[ "$(booted_generation "$T/dev")" = 2 ] || fail "boot select does not pick generation 2"

# A rerun transfers only the ref, and commits nothing.
ok "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys"
out_has "^up to date: generation 2"
[ "$(transferred)" -lt 1024 ] || fail "an up-to-date rerun transferred $(transferred) bytes"
[ "$(ls "$T/dev/generations" | wc -l)" -eq 2 ] || fail "a rerun added a generation"

# --ref picks another ref; its name is validated before anything is fetched.
ok "$KOS" store commit "$SRC" "$T/release-1.dtb" --sig "$T/release-1.dtb.sig" --ref stable
ok "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys" --ref stable
out_has "^up to date: generation 1"
fails 1 'no ref "nope"' "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys" --ref nope
fails 2 'not a valid ref name' "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys" --ref ../../etc
fails 2 'expected DIR --from SOURCE --trust KEYDIR' "$KOS" upgrade "$T/dev" --from "$URL"
fails 2 'unknown option' "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys" --bogus
fails 1 'cannot reach http://127.0.0.1:1' "$KOS" upgrade "$T/dev" --from http://127.0.0.1:1 --trust "$T/keys"
fails 1 'not a source' "$KOS" upgrade "$T/dev" --from ftp://127.0.0.1/x --trust "$T/keys"
secret_url="http://kos:hunter2@${URL#http://}"
fails 1 "$URL/refs/nope|no ref \"nope\"" "$KOS" upgrade "$T/dev" --from "$secret_url" --trust "$T/keys" --ref nope
grep -q "http://kos:\*\*\*@127" "$T/.err" && ! grep -q hunter2 "$T/.err" || fail "password shown: $(cat "$T/.err")"
fails 1 'cannot reach http://kos:\*\*\*@127.0.0.1:1' "$KOS" upgrade "$T/dev" --from http://kos:hunter2@127.0.0.1:1 --trust "$T/keys"
! grep -q hunter2 "$T/.err" || fail "password shown: $(cat "$T/.err")"
fails 1 'not a source' "$KOS" upgrade "$T/dev" --from ftp://kos:hunter2@127.0.0.1/x --trust "$T/keys"
! grep -q hunter2 "$T/.err" || fail "password shown: $(cat "$T/.err")"
checks=$((checks + 3))
fails 1 'not a store' "$KOS" upgrade "$T/nostore" --from "$URL" --trust "$T/keys"
fails 1 'no trusted keys' "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/v1"
ok "$KOS" store verify "$T/dev"

# On a terminal, progress is drawn on stderr (script(1) gives the upgrade a pty).
ok "$KOS" store init "$T/tty"
script -qec "$KOS upgrade $T/tty --from $URL --trust $T/keys" /dev/null >"$T/tty.out" 2>&1 </dev/null ||
	fail "upgrade on a terminal failed: $(cat "$T/tty.out")"
grep -q "fetching object [0-9]*/20" "$T/tty.out" || fail "no progress on a terminal: $(cat "$T/tty.out")"
checks=$((checks + 1))
done_ok
