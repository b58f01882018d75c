#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The upgrade demo: the example system (examples/system) goes from v1 to v2 over HTTP.
#   1. a release store on the build host holds v1: the example manifest plus a kernel, a
#      base image and a site image (random bytes standing in for real images);
#   2. nginx serves that store on 127.0.0.1; a device store upgrades to v1, boots it and
#      confirms it;
#   3. v2 changes only the site image; the device upgrades again and transfers only
#      what is new: the bytes saved are printed; v2 boots.
# usage: examples/run-upgrade.sh BUILD_DIR
# Uses $KOS_EXAMPLE_OUT (default BUILD_DIR/example) for its files. Without nginx the
# device upgrades from the release store's directory instead.
set -eu
build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
kos="$build/src/cli/kos"
out="${KOS_EXAMPLE_OUT:-$build/example}/upgrade"

say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*" | sed "s|$out/||g; s|$build/src/cli/||g"; "$@"; }

rm -rf "$out"
mkdir -p "$out/keys/trust" "$out/images"
"$kos" key generate "$out/keys/release" >/dev/null
cp "$out/keys/release.pub" "$out/keys/trust/"

# Images: v1 and v2 share the kernel and the base image; v2 has a new site image.
head -c 2097152 /dev/urandom >"$out/images/kernel"
head -c 8388608 /dev/urandom >"$out/images/base.squashfs"
head -c 262144 /dev/urandom >"$out/images/site-v1.erofs"
head -c 262144 /dev/urandom >"$out/images/site-v2.erofs"
digest() { sha256sum "$1" | cut -c1-64; }

# release VERSION: the example system's manifest, with a boot node and components naming
# the images, built, signed, and committed to the release store as refs/latest.
release() {
	v=$1 site="$out/images/site-v$1.erofs"
	sed -e "s|@APPS@|$examples/apps|g" \
	    -e "s|version = <1>;|version = <$v>;|" \
	    -e "s|description = \"weather station 1.0\";|description = \"weather station 1.$v\";\\
	boot { kernel = \"$(digest "$out/images/kernel")\"; cmdline = \"console=ttyS0\"; };\\
	components {\\
		base { sha256 = \"$(digest "$out/images/base.squashfs")\"; format = \"squashfs\"; };\\
		site { sha256 = \"$(digest "$site")\"; format = \"erofs\"; };\\
	};|" \
	    "$examples/system/manifest.dts.in" >"$out/v$v.dts"
	"$kos" manifest build "$out/v$v.dts" -o "$out/v$v.dtb" >/dev/null
	"$kos" manifest sign "$out/v$v.dtb" --key "$out/keys/release.key" >/dev/null
	show "$kos" store add "$out/release-store" "$out/images/kernel" "$out/images/base.squashfs" "$site" |
		sed "s|$out/||"
	show "$kos" store commit "$out/release-store" "$out/v$v.dtb" --sig "$out/v$v.dtb.sig"
}

say "the build host: a release store with the example system v1"
show "$kos" store init "$out/release-store"
release 1

source="$out/release-store"
if command -v nginx >/dev/null; then
	T="$out/http"
	mkdir -p "$T"
	fail() {
		echo "run-upgrade: $*" >&2
		exit 1
	}
	. "$examples/../tests/upgrade/lib-upgrade.sh"
	nginx_start "$out/release-store"
	source=$URL
	echo "nginx serves the release store at $URL"
else
	echo "(nginx is not installed: upgrading from the release store's directory)"
fi

say "the device: upgrade to v1, boot it, confirm it"
show "$kos" store init "$out/device-store"
show "$kos" upgrade "$out/device-store" --from "$source" --trust "$out/keys/trust"
show "$kos" boot select "$out/device-store" --trust "$out/keys/trust"
show "$kos" boot confirm "$out/device-store"

say "the build host: v2 changes only the site image"
release 2

say "the device: upgrade to v2: only the new site image and manifest travel"
show "$kos" upgrade "$out/device-store" --from "$source" --trust "$out/keys/trust" >"$out/upgrade-v2.out"
cat "$out/upgrade-v2.out"
transferred=$(sed -n 's/^transferred \([0-9]*\) bytes.*/\1/p' "$out/upgrade-v2.out")
saved=$(sed -n 's/^saved \([0-9]*\) bytes.*/\1/p' "$out/upgrade-v2.out")
awk -v t="$transferred" -v s="$saved" 'BEGIN {
	printf "bytes saved: %.1f MiB of %.1f MiB (%.1f%%); transferred %.1f KiB\n",
	       s / 1048576, (s + t) / 1048576, 100 * s / (s + t), t / 1024 }'
show "$kos" boot select "$out/device-store" --trust "$out/keys/trust"
show "$kos" boot confirm "$out/device-store"
show "$kos" store list "$out/device-store"
show "$kos" store verify "$out/device-store"

say "the build host: v3 rewrites 16 KiB in the middle of the 8 MiB base image and publishes chunk indexes"
cp "$out/images/site-v2.erofs" "$out/images/site-v3.erofs"
head -c 16384 /dev/urandom | dd of="$out/images/base.squashfs" bs=16384 seek=256 conv=notrunc 2>/dev/null
release 3
show "$kos" store index "$out/release-store"

say "the device: upgrade to v3: the new base image is built from chunks of the old one"
show "$kos" upgrade "$out/device-store" --from "$source" --trust "$out/keys/trust" >"$out/upgrade-v3.out"
cat "$out/upgrade-v3.out"
sed -n 's/^chunked [0-9]* objects (\([0-9]*\) bytes): \([0-9]*\) bytes reused.*/\1 \2/p' "$out/upgrade-v3.out" |
	awk -v t="$(sed -n 's/^transferred \([0-9]*\) bytes.*/\1/p' "$out/upgrade-v3.out")" '{
	printf "chunked: a %.1f MiB image changed by 16 KiB; %.1f MiB reused from the old one, %.1f KiB transferred (%.2f%%)\n",
	       $1 / 1048576, $2 / 1048576, t / 1024, 100 * t / $1 }'
show "$kos" boot select "$out/device-store" --trust "$out/keys/trust"
show "$kos" boot confirm "$out/device-store"
