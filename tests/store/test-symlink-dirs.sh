#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A store whose objects/ab, refs/, generations/ or tmp/ is a symbolic link to a directory
# outside it: every command that would read or write through it refuses with one clear
# line, nothing is written outside, and where the store can still boot (objects/ab holds
# only the new release's objects) the previous generation boots. Run twice: with
# openat2(2), and as on Linux 5.4, where openat2 fails with ENOSYS (a seccomp filter) and
# the store walks each path one component at a time.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/store/fixture.sh"

fixture_keys
fixture_release v1 1 20000 3000
fixture_release v2 2 20000 5000
V1=$(fixture_digest "$T/v1/v1.dtb")
REAL_KOS=$KOS
WRAP="$KOS_BUILD/tests/tools/kos-test-enosys"
[ -x "$WRAP" ] || fail "missing $WRAP"
printf '#!/bin/sh\nexec "%s" openat2 "%s" "$@"\n' "$WRAP" "$REAL_KOS" >"$T/kos-no-openat2"
chmod +x "$T/kos-no-openat2"

# A source store with v2 committed, for kos upgrade.
SRC="$T/src"
ok "$KOS" store init "$SRC"
"$KOS" store add "$SRC" "$T"/v1/obj* "$T"/v2/obj* >/dev/null || fail "store add to the source"
ok "$KOS" store commit "$SRC" "$T/v2/v2.dtb"

# snapshot DIR: names, types, sizes, modes and contents of everything under DIR.
snapshot() {
	(cd "$1" && find . -printf '%p %y %s %m\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum
}

# one_line: the last command's stderr is a single line.
one_line() {
	[ "$(wc -l <"$T/.err")" -eq 1 ] || fail "more than one line on stderr: $*"
	checks=$((checks + 1))
}

# fanout_of FILE: the objects/ directory a file's object sits in.
fanout_of() {
	fixture_digest "$1" | cut -c1-2
}

# A v2 object whose objects/ab holds nothing of v1 (so v1 still boots without it).
v1_fanouts="$(fanout_of "$T/v1/obj1") $(fanout_of "$T/v1/obj2") $(fanout_of "$T/v1/v1.dtb") $(fanout_of "$T/v1/v1.dtb.sig")"
OBJ=
for f in "$T/v2/obj1" "$T/v2/obj2"; do
	case " $v1_fanouts " in *" $(fanout_of "$f") "*) continue ;; esac
	OBJ=$f
	break
done
[ -n "$OBJ" ] || { echo "v1 and v2 share every object directory (chance); nothing to test"; exit 0; }
AB=$(fanout_of "$OBJ")
OBJ_DIGEST=$(fixture_digest "$OBJ")

for mode in openat2 walk; do
	if [ $mode = walk ]; then KOS="$T/kos-no-openat2"; else KOS=$REAL_KOS; fi

	# refs/, generations/, tmp/: a store that is refused whole, by every command.
	for d in refs generations tmp; do
		S="$T/$mode-$d" O="$T/$mode-$d-outside"
		fixture_store "$S"
		fixture_add "$S" v2
		mv "$S/$d" "$O" && ln -s "$O" "$S/$d"
		before=$(snapshot "$O")
		for cmd in "store list" "store verify" "store gc" "boot status" "boot confirm"; do
			# shellcheck disable=SC2086 # cmd is two words
			fails 1 "^kos: $S: objects/, generations/, refs/ or tmp/ is a symbolic link or not a directory" "$KOS" $cmd "$S"
			one_line
		done
		fails 1 "cannot create store: objects/, generations/, refs/ or tmp/ is a symbolic link" "$KOS" store init "$S"
		one_line
		fails 1 "is a symbolic link or not a directory" "$KOS" store add "$S" "$T/v2/obj1"
		one_line
		fails 1 "is a symbolic link or not a directory" "$KOS" store commit "$S" "$T/v2/v2.dtb"
		one_line
		fails 1 "is a symbolic link or not a directory" "$KOS" boot select "$S" --trust "$T/trust"
		one_line
		fails 1 "is a symbolic link or not a directory" "$KOS" upgrade "$S" --from "$SRC" --trust "$T/trust"
		one_line
		[ "$(snapshot "$O")" = "$before" ] || fail "$mode: a command wrote into $d's target outside the store"
		checks=$((checks + 1))
		# Put back, the store is whole again and v1 boots.
		rm "$S/$d" && mv "$O" "$S/$d"
		[ "$(fixture_chosen "$S")" = "$V1" ] || fail "$mode: v1 does not boot once $d is a directory again"
		checks=$((checks + 1))
	done

	# objects/ab a symlink to an empty directory outside: nothing is published through it
	# (the store has no object there yet: v1 has none in it).
	S="$T/$mode-objects" O="$T/$mode-objects-outside"
	fixture_store "$S"
	mkdir "$O" && ln -s "$O" "$S/objects/$AB"
	fails 1 "Too many levels of symbolic links" "$KOS" upgrade "$S" --from "$SRC" --trust "$T/trust"
	one_line
	fails 1 "Too many levels of symbolic links" "$KOS" store add "$S" "$OBJ"
	one_line
	[ -z "$(ls -A "$O")" ] || fail "$mode: an object was published outside the store"
	checks=$((checks + 1))

	# v2 committed, then its objects/ab moved outside behind a symlink: v2 cannot boot,
	# v1 still does, and no command changes what lies outside.
	rm "$S/objects/$AB" && rmdir "$O"
	fixture_add "$S" v2
	ok "$KOS" store commit "$S" "$T/v2/v2.dtb"
	mv "$S/objects/$AB" "$O" && ln -s "$O" "$S/objects/$AB"
	before=$(snapshot "$O")
	fails 1 "object $OBJ_DIGEST is missing, needed by generation 2" "$KOS" store verify "$S"
	fails 1 "Too many levels of symbolic links" "$KOS" store add "$S" "$OBJ"
	one_line
	fails 1 "references object $OBJ_DIGEST, which is not in the store" "$KOS" store commit "$S" "$T/v2/v2.dtb"
	one_line
	ok "$KOS" store gc "$S"
	[ "$(fixture_chosen "$S")" = "$V1" ] || fail "$mode: v1 does not boot with objects/$AB a symlink"
	ok "$KOS" boot select "$S" --trust "$T/trust" --json
	out_has "\"reason\": \"object corrupt\""
	out_has "$OBJ_DIGEST"
	ok "$KOS" boot confirm "$S"
	ok "$KOS" boot status "$S"
	out_has "^current: +generation 1\b"
	[ "$(snapshot "$O")" = "$before" ] || fail "$mode: a command wrote into objects/$AB's target outside the store"
	checks=$((checks + 1))
done
done_ok
