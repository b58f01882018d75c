#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The static boot decision (kos-test-boot-select, built by kos_static_program()): the file
# is a static executable, and run alone in an empty root (chroot: no shared library, no
# /etc, no /dev, no /proc) it picks the same generation as `kos boot select` on the same
# store, and leaves the store in the same state.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/store/fixture.sh"

PROBE="$KOS_BUILD/tests/tools/kos-test-boot-select"

# Static: no program interpreter, no dynamic section, and ldd agrees.
ok readelf -lW "$PROBE"
grep -q INTERP "$T/.out" && fail "has a PT_INTERP program header"
checks=$((checks + 1))
ok readelf -dW "$PROBE"
out_has "There is no dynamic section"
run ldd "$PROBE"
grep -q "not a dynamic executable" "$T/.out" "$T/.err" || fail "ldd does not say: not a dynamic executable"
checks=$((checks + 1))

# An empty root to run it in; chroot needs root, else a user namespace maps us to it.
mkdir "$T/root"
cp "$PROBE" "$T/root/boot-select"
if [ "$(id -u)" -eq 0 ] && chroot "$T/root" /boot-select >/dev/null 2>&1; [ $? -eq 2 ]; then
	in_root() { chroot "$T/root" "$@"; }
elif unshare -r chroot "$T/root" /boot-select >/dev/null 2>&1; [ $? -eq 2 ]; then
	in_root() { unshare -r chroot "$T/root" "$@"; }
else
	echo "SKIP: cannot chroot (neither root nor user namespaces)"
	exit 77
fi

fixture_keys
fixture_release v1 1 20000 3000
fixture_release v2 2 20000 5000
S="$T/s"
fixture_store "$S"
fixture_add "$S" v2
ok "$KOS" store commit "$S" "$T/v2/v2.dtb"

# same_decision NAME: `kos boot select` on one copy of $S, the static program in the empty
# root on another: same output, same store afterwards. Prints the decision.
same_decision() {
	rm -rf "$T/kos-$1" "$T/root/store" "$T/root/trust"
	cp -a "$S" "$T/kos-$1"
	cp -a "$S" "$T/root/store"
	cp -a "$T/trust" "$T/root/trust"
	ok "$KOS" boot select "$T/kos-$1" --trust "$T/trust"
	cp "$T/.out" "$T/kos.out"
	ok in_root /boot-select /store /trust
	cmp -s "$T/kos.out" "$T/.out" || fail "$1: decisions differ: kos: $(cat "$T/kos.out")"
	ok "$KOS" store list "$T/kos-$1" --json
	cp "$T/.out" "$T/kos.list"
	ok "$KOS" store list "$T/root/store" --json
	cmp -s "$T/kos.list" "$T/.out" || fail "$1: the stores differ after the decision"
	cat "$T/kos.out"
}

# The pending generation boots.
[ "$(same_decision pending)" = "generation 2 manifest $(fixture_digest "$T/v2/v2.dtb")" ] ||
	fail "pending: generation 2 not chosen"
checks=$((checks + 1))

# Its kernel damaged: both fall back to generation 1.
obj="$S/objects/$(fixture_digest "$T/v2/obj1" | cut -c1-2)/$(fixture_digest "$T/v2/obj1" | cut -c3-)"
chmod u+w "$obj"
printf 'damage' | dd of="$obj" conv=notrunc status=none
[ "$(same_decision damaged)" = "generation 1 manifest $(fixture_digest "$T/v1/v1.dtb")" ] ||
	fail "damaged: generation 1 not chosen"
checks=$((checks + 1))

# Nothing trusted: neither boots anything.
rm -f "$T/trust"/*.pub
"$KOS" key generate "$T/other" >/dev/null || fail "key generate"
cp "$T/other.pub" "$T/trust/"
cp -a "$S" "$T/root/store-untrusted"
rm -rf "$T/root/trust" && cp -a "$T/trust" "$T/root/trust"
run in_root /boot-select /store-untrusted /trust
[ "$status" -eq 1 ] || fail "untrusted: expected exit 1 (got $status)"
grep -q "no generation can boot" "$T/.err" || fail "untrusted: no 'no generation can boot'"
checks=$((checks + 1))

done_ok
