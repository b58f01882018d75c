#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# An interrupted download resumes with an HTTP Range request instead of starting over.
# nginx serves slowly; midway through a large object the server is killed (the source
# disappears, connections cut). The upgrade fails saying so and changes nothing; the
# partial download stays in tmp/. With the server back (elsewhere: another port), a rerun
# asks only for the rest (Range: bytes=N-, answered 206), and the upgrade completes.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"

make_keys
SRC=$T/src
mkdir -p "$T/v1"
head -c 4000000 /dev/urandom >"$T/v1/big"
make_files "$T/v1" 3 1000
make_release "$SRC" 1 "$T/v1"
total=$(du -sb --apparent-size "$SRC/objects" | cut -f1)
ok "$KOS" store init "$T/dev"
before=$(snapshot "$T/dev")

nginx_start "$SRC" 1m
"$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys" >"$T/first.out" 2>"$T/first.err" &
upgrade=$!
partial=""
i=0
while [ $i -lt 200 ]; do
	partial=$(ls "$T/dev/tmp"/upgrade.*.part 2>/dev/null | xargs -r ls -S | head -n1)
	if [ -n "$partial" ] && [ "$(stat -c %s "$partial")" -ge 1048576 ]; then
		break
	fi
	sleep 0.05
	i=$((i + 1))
done
[ -n "$partial" ] || fail "no download file appeared in tmp/"
nginx_stop
wait $upgrade
status=$?
[ "$status" -eq 1 ] || fail "the interrupted upgrade exited $status, not 1"
grep -q "^kos: upgrade: source http://127.0.0.1:[0-9]* disappeared midway" "$T/first.err" ||
	fail "no clear error: $(cat "$T/first.err")"
[ "$(snapshot "$T/dev")" = "$before" ] || fail "the interrupted upgrade changed the store"
have=$(stat -c %s "$partial")
[ "$have" -ge 1048576 ] && [ "$have" -lt 4000000 ] || fail "partial download holds $have bytes"
checks=$((checks + 4))

nginx_start "$SRC"
ok "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys"
out_has "^generation 1 pending"
grep -Eq "^206 [0-9]+ \"bytes=$have-\" /objects/" "$T/nginx/access.log" ||
	fail "no Range request from byte $have: $(cat "$T/nginx/access.log")"
out_has "0 of 6 objects already here \\(0 bytes\\), [0-9]+ bytes resumed"
resumed=$(sed -n 's/.*, \([0-9]*\) bytes resumed$/\1/p' "$T/.out")
[ "$resumed" -ge "$have" ] || fail "resumed $resumed bytes, less than the $have in tmp/"
t=$(transferred)
echo "resumed at $have of 4000000 bytes; rerun transferred $t of $total object bytes"
[ "$t" -le $((total - have + 65536)) ] || fail "the rerun transferred $t bytes: it started over"
checks=$((checks + 2))
[ ! -e "$partial" ] || fail "the partial download was not published"
ok "$KOS" store verify "$T/dev"
[ "$(booted_generation "$T/dev")" = 1 ] || fail "generation 1 does not boot"
done_ok
