#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kill -9 a real kos upgrade from a slow HTTP server at random moments. After every kill:
# store verify is clean and boot select (on a copy, so no try is spent) picks the old
# generation, or the new one if the kill came after the commit. Then a rerun completes,
# resuming what the killed runs had fetched.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"
KILLS=${KOS_TEST_KILLS:-10}

make_keys
SRC=$T/src
make_files "$T/v1" 3 10000
make_release "$SRC" 1 "$T/v1"
make_files "$T/v2" 6 400000
make_release "$SRC" 2 "$T/v2"
M2=$MANIFEST
# The device runs v1 (refs/v1 at the source), and upgrades to v2 (refs/latest).
ok "$KOS" store commit "$SRC" "$T/release-1.dtb" --sig "$T/release-1.dtb.sig" --ref v1
ok "$KOS" store init "$T/dev"
ok "$KOS" upgrade "$T/dev" --from "$SRC" --trust "$T/keys" --ref v1
[ "$(booted_generation "$T/dev")" = 1 ] || fail "generation 1 does not boot"
ok "$KOS" boot confirm "$T/dev"

nginx_start "$SRC" 3m # 2.4 MB of new objects: most of a second for a full run
cp -a "$T/dev" "$T/template"

# How long a whole upgrade takes, so the kills fall anywhere within one.
t0=$(date +%s%N)
ok "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys"
full_ms=$((($(date +%s%N) - t0) / 1000000))
echo "an uninterrupted upgrade takes $full_ms ms"

k=0 old=0 new=0
while [ $k -lt "$KILLS" ]; do
	rm -rf "$T/dev"
	cp -a "$T/template" "$T/dev"
	# Every other kill falls in the last 200 ms, where the objects are published and
	# the generation committed; the others anywhere.
	rnd=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	if [ $((k % 2)) -eq 0 ]; then
		delay_ms=$((rnd % (full_ms + 50)))
	else
		delay_ms=$((full_ms - 150 + rnd % 200))
	fi
	"$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys" >"$T/kill.out" 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	ok "$KOS" store verify "$T/dev"
	rm -rf "$T/check"
	cp -a "$T/dev" "$T/check"
	g=$(booted_generation "$T/check")
	case $g in
	1) old=$((old + 1)) ;;
	2) new=$((new + 1)) ;;
	*) fail "after a kill at $delay_ms ms boot select picked \"$g\"" ;;
	esac
	checks=$((checks + 1))

	# The rerun completes, resuming what the killed run left in tmp/.
	ok "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys"
	out_has "manifest $M2"
	ok "$KOS" store verify "$T/dev"
	[ "$(booted_generation "$T/dev")" = 2 ] || fail "generation 2 does not boot after the rerun"
	[ -z "$(ls "$T/dev/tmp" | grep '^upgrade\.')" ] || fail "download files left in tmp/"
	checks=$((checks + 2))
	k=$((k + 1))
done
echo "$KILLS kills: $old before the commit (generation 1 still boots), $new after it (generation 2 boots)"
done_ok
