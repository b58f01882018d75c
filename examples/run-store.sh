#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The store demo: generations and the fallback after unconfirmed boots.
#   1. a store; release v1 (kernel + a component) committed, booted, confirmed;
#   2. release v2 committed with 3 boot tries and never confirmed: three boots of v2,
#      then the boot decision marks it bad and falls back to v1, the last good one;
#   3. store verify and gc.
# usage: examples/run-store.sh BUILD_DIR
# Uses $KOS_EXAMPLE_OUT (default BUILD_DIR/example) for its files. Each step is a
# function, so other demos (e.g. the v1 -> v2 upgrade) can source this file with
# STORE_DEMO_LIBRARY=1 and reuse them.
set -eu
build=$(cd "${1:-build}" && pwd)
kos="$build/src/cli/kos"
out="${KOS_EXAMPLE_OUT:-$build/example}/store"
keys="$out/keys"

say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*" | sed "s|$out/||g"; "$@"; }

# store_demo_keys: a signing key and a trust directory holding its public half.
store_demo_keys() {
	mkdir -p "$keys/trust"
	[ -f "$keys/release.key" ] || "$kos" key generate "$keys/release" >/dev/null
	cp "$keys/release.pub" "$keys/trust/"
}

# store_demo_release NAME VERSION: a kernel and a base image (random bytes standing in
# for real images), a manifest referencing them, built and signed, in $out/NAME/.
store_demo_release() {
	d="$out/$1"
	mkdir -p "$d"
	head -c 262144 /dev/urandom >"$d/kernel"
	head -c 1048576 /dev/urandom >"$d/base.squashfs"
	cat >"$d/manifest.dts" <<DTS
/dts-v1/;
/ {
    compatible = "kos,manifest-v1";
    version = <$2>;
    description = "example release $1";
    persistent-boot;
    boot { kernel = "$(sha256sum "$d/kernel" | cut -c1-64)"; cmdline = "console=ttyS0"; };
    components { base { sha256 = "$(sha256sum "$d/base.squashfs" | cut -c1-64)"; format = "squashfs"; }; };
    apps { hello { path = "/bin/true"; }; };
};
DTS
	"$kos" manifest build "$d/manifest.dts" -o "$d/manifest.dtb"
	"$kos" manifest sign "$d/manifest.dtb" --key "$keys/release.key"
}

# store_demo_commit STORE NAME [ARGS...]: adds a release's images and commits it.
store_demo_commit() {
	s=$1 d="$out/$2"
	shift 2
	show "$kos" store add "$s" "$d/kernel" "$d/base.squashfs"
	show "$kos" store commit "$s" "$d/manifest.dtb" "$@"
}

# store_demo_boot STORE: one boot: select, and print what was chosen.
store_demo_boot() {
	show "$kos" boot select "$1" --trust "$keys/trust"
}

store_demo_main() {
	s="$out/device-store"
	rm -rf "$out"
	mkdir -p "$out"
	store_demo_keys
	store_demo_release v1 1
	store_demo_release v2 2

	say "a device store with release v1, booted and confirmed"
	show "$kos" store init "$s"
	store_demo_commit "$s" v1
	store_demo_boot "$s"
	show "$kos" boot confirm "$s"
	show "$kos" store list "$s"

	say "release v2, 3 boot tries, never confirmed (say its apps never become ready)"
	store_demo_commit "$s" v2 --tries 3
	for n in 1 2 3; do
		store_demo_boot "$s"
	done
	show "$kos" store list "$s"
	say "the 4th boot: v2 is out of tries, marked bad; the device falls back to v1"
	show "$kos" boot select "$s" --trust "$keys/trust" --json
	show "$kos" boot confirm "$s"
	show "$kos" boot status "$s"
	show "$kos" store list "$s"

	say "every object re-hashed; garbage collected (v2 is newest, so it stays)"
	show "$kos" store verify "$s"
	show "$kos" store gc "$s"
}

[ -n "${STORE_DEMO_LIBRARY:-}" ] || store_demo_main
