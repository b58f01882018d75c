#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A full disk during an upgrade: the device's store lives on a 2 MiB tmpfs, and the
# release needs more. The upgrade fails saying so, changes nothing, gives back the space
# its downloads took, and the confirmed generation still boots. Needs root (mount); exits
# 77 (skipped) without it, or where mounting is not allowed.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: mounting a small tmpfs needs root"
	exit 77
fi

mkdir "$T/small"
if ! mount -t tmpfs -o size=2m,mode=0755 kos-test-full "$T/small"; then
	echo "skipped: this machine does not let root mount a tmpfs"
	exit 77
fi
UNMOUNT=$T/small
trap upgrade_test_cleanup EXIT

make_keys
SRC=$T/src
make_files "$T/v1" 2 50000
make_release "$SRC" 1 "$T/v1"
nginx_start "$SRC"

ok "$KOS" store init "$T/small/dev"
ok "$KOS" upgrade "$T/small/dev" --from "$URL" --trust "$T/keys"
[ "$(booted_generation "$T/small/dev")" = 1 ] || fail "generation 1 does not boot"
ok "$KOS" boot confirm "$T/small/dev"

# v2: 3 MB of new objects, on a file system with under 2 MiB free.
make_files "$T/v2" 6 500000
make_release "$SRC" 2 "$T/v2"
before=$(snapshot "$T/small/dev")
free_before=$(df --output=avail -B1 "$T/small" | tail -n1)
fails 1 "no space left on the store's file system" "$KOS" upgrade "$T/small/dev" --from "$URL" --trust "$T/keys"
[ "$(snapshot "$T/small/dev")" = "$before" ] || fail "the failed upgrade changed the store"
[ -z "$(ls "$T/small/dev/tmp" | grep '^upgrade\.')" ] || fail "download files left in tmp/"
free_after=$(df --output=avail -B1 "$T/small" | tail -n1)
[ "$free_after" -ge "$free_before" ] || fail "free space $free_after < $free_before before the upgrade"
[ "$(booted_generation "$T/small/dev")" = 1 ] || fail "generation 1 no longer boots"
ok "$KOS" store verify "$T/small/dev"
checks=$((checks + 4))
done_ok
