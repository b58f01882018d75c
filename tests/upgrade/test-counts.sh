#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The figures kos upgrade prints are what happened, checked against nginx's own log:
# bytes resumed only when the server honoured the Range (206), none when it sent the whole
# object again (200, nginx with max_ranges 0); object bytes fetched equal to the object
# bytes the server sent, bytes transferred to all it sent; an object a concurrent
# 'kos store gc' removed between the listing and the publish counted as fetched, not as
# already here; and every object of the release counted once, as fetched or already here.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"

make_keys
SRC=$T/src
mkdir -p "$T/v1"
head -c 3000000 /dev/urandom >"$T/v1/big"
make_files "$T/v1" 2 1000
make_release "$SRC" 1 "$T/v1"
big=$(sha256sum "$T/v1/big" | cut -d' ' -f1)
small=$(sha256sum "$T/v1/f000" | cut -d' ' -f1)
have=500000

# store_with_partial DIR: a new store whose tmp/ holds the first $have bytes of big, as an
# interrupted earlier run leaves them.
store_with_partial() {
	ok "$KOS" store init "$1"
	head -c $have "$T/v1/big" >"$1/tmp/upgrade.$big.part"
}

# A server that honours the Range: only the rest of big crosses, the rest is resumed.
store_with_partial "$T/dev1"
nginx_start "$SRC"
ok "$KOS" upgrade "$T/dev1" --from "$URL" --trust "$T/keys"
figures
grep -Eq "^206 [0-9]+ \"bytes=$have-\" /objects/" "$T/nginx/access.log" ||
	fail "no 206 answer from byte $have: $(cat "$T/nginx/access.log")"
out_has "fetched 5 objects"
out_has "saved $have bytes: 0 of 5 objects already here \\(0 bytes\\), $have bytes resumed$"
[ "$FETCHED_BYTES" -eq "$(nginx_object_body_bytes)" ] ||
	fail "fetched $FETCHED_BYTES object bytes; nginx sent $(nginx_object_body_bytes)"
[ "$TRANSFERRED" -eq "$(nginx_bytes_sent)" ] || fail "transferred $TRANSFERRED bytes; nginx sent $(nginx_bytes_sent)"
checks=$((checks + 3))
ok "$KOS" store verify "$T/dev1"
nginx_stop

# A server that ignores the Range sends the whole object again: nothing was resumed.
store_with_partial "$T/dev2"
NGINX_SERVER_EXTRA="max_ranges 0;"
nginx_start "$SRC"
NGINX_SERVER_EXTRA=""
ok "$KOS" upgrade "$T/dev2" --from "$URL" --trust "$T/keys"
figures
grep -Eq "^200 [0-9]+ \"bytes=$have-\" /objects/" "$T/nginx/access.log" ||
	fail "the server honoured the Range: $(cat "$T/nginx/access.log")"
out_has "fetched 5 objects"
out_has "saved 0 bytes: 0 of 5 objects already here \\(0 bytes\\), 0 bytes resumed$"
[ "$FETCHED_BYTES" -eq "$(nginx_object_body_bytes)" ] ||
	fail "fetched $FETCHED_BYTES object bytes; nginx sent $(nginx_object_body_bytes)"
[ "$TRANSFERRED" -eq "$(nginx_bytes_sent)" ] || fail "transferred $TRANSFERRED bytes; nginx sent $(nginx_bytes_sent)"
checks=$((checks + 3))
ok "$KOS" store verify "$T/dev2"
nginx_stop

# f000 is in the store (no generation needs it) when the upgrade lists what is missing; a
# gc removes it while big is being fetched (the upgrade stopped meanwhile), so PUBLISH
# fetches it after all: it was fetched, not already here.
ok "$KOS" store init "$T/dev3"
ok "$KOS" store add "$T/dev3" "$T/v1/f000"
nginx_start "$SRC" 1m
"$KOS" upgrade "$T/dev3" --from "$URL" --trust "$T/keys" >"$T/.out" 2>"$T/.err" &
upgrade=$!
i=0
while [ ! -e "$T/dev3/tmp/upgrade.$big.part" ] && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ -e "$T/dev3/tmp/upgrade.$big.part" ] || fail "big is not being fetched"
kill -STOP $upgrade
ok "$KOS" store gc "$T/dev3"
[ ! -e "$T/dev3/objects/$(echo "$small" | cut -c1-2)/$(echo "$small" | cut -c3-)" ] ||
	fail "gc kept the object no generation needs"
kill -CONT $upgrade
wait $upgrade || fail "the upgrade failed: $(cat "$T/.err")"
figures
out_has "^generation 1 pending"
out_has "fetched 5 objects"
out_has "saved 0 bytes: 0 of 5 objects already here \\(0 bytes\\), 0 bytes resumed$"
[ "$FETCHED_BYTES" -eq "$(nginx_object_body_bytes)" ] ||
	fail "fetched $FETCHED_BYTES object bytes; nginx sent $(nginx_object_body_bytes)"
[ "$TRANSFERRED" -eq "$(nginx_bytes_sent)" ] || fail "transferred $TRANSFERRED bytes; nginx sent $(nginx_bytes_sent)"
checks=$((checks + 4))
ok "$KOS" store verify "$T/dev3"
done_ok
