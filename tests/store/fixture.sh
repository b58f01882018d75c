# SPDX-License-Identifier: Apache-2.0
# Test fixture for store, boot and upgrade tests. Source after tests/lib.sh (needs $KOS,
# $T). Provides:
#   fixture_keys                 $T/keys/dev.{key,pub}, $T/trust/ (dev.pub), $T/evil.key
#   fixture_release NAME VERSION SIZE...
#                                $T/NAME/: one random object per SIZE (obj1, obj2, ...),
#                                NAME.dtb referencing them (kernel + components), signed
#                                with dev.key into NAME.dtb.sig
#   fixture_store DIR            a store with release v1 committed, selected, confirmed
#   fixture_gen DIR N            prints generation N's "state tries" from kos store list --json
#   fixture_digest FILE          SHA-256 of FILE

fixture_digest() {
	sha256sum "$1" | cut -c1-64
}

fixture_keys() {
	mkdir -p "$T/keys" "$T/trust"
	"$KOS" key generate "$T/keys/dev" >/dev/null || fail "key generate"
	"$KOS" key generate "$T/keys/evil" >/dev/null || fail "key generate"
	cp "$T/keys/dev.pub" "$T/trust/"
}

# fixture_release NAME VERSION SIZE...: objects of SIZE bytes each (random).
fixture_release() {
	name=$1 version=$2
	shift 2
	d="$T/$name"
	mkdir -p "$d"
	i=0 kernel= comps=
	for size in "$@"; do
		i=$((i + 1))
		head -c "$size" /dev/urandom >"$d/obj$i"
		h=$(fixture_digest "$d/obj$i")
		if [ $i -eq 1 ]; then
			kernel=$h
		else
			comps="$comps        c$i { sha256 = \"$h\"; format = \"squashfs\"; };
"
		fi
	done
	cat >"$d/$name.dts" <<DTS
/dts-v1/;
/ {
    compatible = "kos,manifest-v1";
    version = <$version>;
    description = "$name";
    boot { kernel = "$kernel"; cmdline = "console=ttyS0"; };
    components {
$comps    };
    apps { hello { path = "/bin/true"; }; };
};
DTS
	"$KOS" manifest build "$d/$name.dts" -o "$d/$name.dtb" || fail "manifest build $name"
	"$KOS" manifest sign "$d/$name.dtb" --key "$T/keys/dev.key" || fail "manifest sign $name"
}

# fixture_add DIR NAME: adds release NAME's objects to store DIR.
fixture_add() {
	"$KOS" store add "$1" "$T/$2"/obj* >/dev/null || fail "store add $2"
}

fixture_store() {
	"$KOS" store init "$1" || fail "store init"
	fixture_add "$1" v1
	"$KOS" store commit "$1" "$T/v1/v1.dtb" >/dev/null || fail "commit v1"
	"$KOS" boot select "$1" --trust "$T/trust" >/dev/null 2>&1 || fail "select v1"
	"$KOS" boot confirm "$1" >/dev/null || fail "confirm v1"
}

# fixture_chosen DIR: runs boot select on a copy of DIR; prints the chosen manifest digest.
fixture_chosen() {
	rm -rf "$T/.chosen"
	cp -a "$1" "$T/.chosen"
	"$KOS" boot select "$T/.chosen" --trust "$T/trust" 2>/dev/null | sed -n 's/^generation [0-9]* manifest //p'
}
