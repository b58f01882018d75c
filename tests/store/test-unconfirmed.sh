#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Unconfirmed boots (src/boot/boot.h): every choice counts one boot of the generation and
# only a confirmation sets the count back to 0. A good generation chosen its manifest's
# node-manager unconfirmed-boots times in a row (default 3) without a confirmation is
# passed over, with its reason, for the next older good one; if nothing else can boot it
# boots all the same; unconfirmed-boots = <0> never passes over.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/store/fixture.sh"

fixture_keys
fixture_release v1 1 20000 3000
fixture_release v2 1 20000 5000
fixture_release v3 2 9000
V1=$(fixture_digest "$T/v1/v1.dtb")
V2=$(fixture_digest "$T/v2/v2.dtb")
V3=$(fixture_digest "$T/v3/v3.dtb")

# release_with NAME VERSION NODE-MANAGER: release NAME (one kernel object) whose manifest
# has node-manager { NODE-MANAGER }.
release_with() {
	fixture_release "$1" "$2" 7000
	sed -i "s|^    apps |    node-manager { $3 };\n    apps |" "$T/$1/$1.dts"
	"$KOS" manifest build "$T/$1/$1.dts" -o "$T/$1/$1.dtb" || fail "manifest build $1"
	"$KOS" manifest sign "$T/$1/$1.dtb" --key "$T/keys/dev.key" || fail "manifest sign $1"
}

# boots DIR N: generation N's "state tries unconfirmed-boots", from kos store list --json.
boots() {
	"$KOS" store list "$1" --json | python3 -c '
import json, sys
for g in json.load(sys.stdin)["generations"]:
    if g["generation"] == int(sys.argv[1]):
        print(g["state"], g["tries"], g["unconfirmed_boots"])' "$2"
}
# err_has TEXT: the last command's stderr has a line containing TEXT.
err_has() {
	grep -qF -- "$1" "$T/.err" || fail "stderr has no \"$1\""
	checks=$((checks + 1))
}
select_cmd() { "$KOS" boot select "$1" --trust "$T/trust"; }

# --- a pending generation counts its boots with its tries; the confirmation clears them.
S=$T/s
fixture_store "$S"
[ "$(boots "$S" 1)" = "good 2 0" ] || fail "generation 1 after its confirmation: $(boots "$S" 1)"
fixture_add "$S" v2
"$KOS" store commit "$S" "$T/v2/v2.dtb" >/dev/null || fail "commit v2"
ok select_cmd "$S"
out_is "generation 2 manifest $V2"
ok select_cmd "$S"
[ "$(boots "$S" 2)" = "pending 1 2" ] || fail "generation 2 after two choices: $(boots "$S" 2)"
ok "$KOS" boot confirm "$S"
[ "$(boots "$S" 2)" = "good 1 0" ] || fail "generation 2 after its confirmation: $(boots "$S" 2)"

# --- a good generation: three boots in a row that never confirm, then the fourth decision
# passes it over for generation 1, and says why.
for n in 1 2 3; do
	ok select_cmd "$S"
	out_is "generation 2 manifest $V2"
	[ "$(boots "$S" 2)" = "good 1 $n" ] || fail "generation 2 after $n unconfirmed boots: $(boots "$S" 2)"
done
ok select_cmd "$S"
out_is "generation 1 manifest $V1"
err_has "generation 2 rejected: unconfirmed boots: 3 boots in a row not confirmed"
ok "$KOS" boot status "$S"
out_has "^booted:  generation 1, version 1, good, 2 tries left, 1 unconfirmed boot$"
[ "$(boots "$S" 1)" = "good 2 1" ] || fail "generation 1 did not count its boot: $(boots "$S" 1)"
ok "$KOS" boot select "$S" --trust "$T/trust" --json
python3 - "$T/.out" <<'PY' || fail "boot select --json does not report the rejection"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["chosen"]["generation"] == 1 and d["chosen"]["unconfirmed_boots"] == 2, d
assert d["rejected"] == [{"generation": 2, "reason": "unconfirmed boots",
                          "detail": "3 boots in a row not confirmed"}], d
assert d["last_resort"] is False, d
PY
# Generation 1 confirms: it is current again; generation 2 stays good, passed over.
ok "$KOS" boot confirm "$S"
out_is "generation 1 confirmed"
ok select_cmd "$S"
out_is "generation 1 manifest $V1"
[ "$(boots "$S" 2)" = "good 1 3" ] || fail "generation 2 changed: $(boots "$S" 2)"

# --- a confirmation in between starts the count again.
S=$T/again
fixture_store "$S"
for n in 1 2; do ok select_cmd "$S"; done
ok "$KOS" boot confirm "$S"
for n in 1 2 3; do
	ok select_cmd "$S"
	out_is "generation 1 manifest $V1"
	err_empty
done

# --- nothing else can boot: the generation passed over boots all the same (a device that
# powers off never recovers). Here the older good generation is below the floor.
S=$T/last
fixture_store "$S"
fixture_add "$S" v3
"$KOS" store commit "$S" "$T/v3/v3.dtb" >/dev/null || fail "commit v3"
select_cmd "$S" >/dev/null 2>&1 && "$KOS" boot confirm "$S" >/dev/null || fail "v3 confirmed"
for n in 1 2 3; do ok select_cmd "$S"; done
ok select_cmd "$S"
out_is "generation 2 manifest $V3"
err_has "generation 2 rejected: unconfirmed boots: 3 boots in a row not confirmed"
err_has "generation 1 rejected: below floor"
err_has "kos: warning: generation 2 boots all the same: no other generation can boot"
[ "$(boots "$S" 2)" = "good 2 4" ] || fail "generation 2's boot was not counted: $(boots "$S" 2)"
ok "$KOS" boot select "$S" --trust "$T/trust" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["last_resort"] is True and d["chosen"]["generation"] == 2, d' \
	"$T/.out" || fail "boot select --json does not say last_resort"

# --- the manifest decides: unconfirmed-boots = <1> passes over after one failed boot,
# <0> never.
release_with one 1 "unconfirmed-boots = <1>;"
release_with never 1 "unconfirmed-boots = <0>;"
for name in one never; do
	S=$T/store-$name
	fixture_store "$S"
	fixture_add "$S" "$name"
	"$KOS" store commit "$S" "$T/$name/$name.dtb" >/dev/null || fail "commit $name"
	select_cmd "$S" >/dev/null 2>&1 && "$KOS" boot confirm "$S" >/dev/null || fail "$name confirmed"
	ok select_cmd "$S"
	out_has "^generation 2 "
done
ok select_cmd "$T/store-one"
out_is "generation 1 manifest $V1"
err_has "generation 2 rejected: unconfirmed boots: 1 boot in a row not confirmed"
for n in 2 3 4 5 6; do
	ok select_cmd "$T/store-never"
	out_has "^generation 2 "
done
[ "$(boots "$T/store-never" 2)" = "good 2 6" ] || fail "generation 2 of never: $(boots "$T/store-never" 2)"

done_ok
