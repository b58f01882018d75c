# SPDX-License-Identifier: Apache-2.0
# Building the example device: components, releases, the store and the boot disk.
# Sourced by examples/boot/build.sh and the system tests. Needs: $KOS (the kos command),
# $BUILD (the build tree: static kosd, kos-msgd, kos-keystored, kos-boot, kos-init), $OUT (a directory);
# $BOOT_MANIFEST_TEMPLATE, if set, is boot_release's template (default manifest.dts.in).
#
#   boot_keys                        $OUT/keys/dev.{key,pub}, $OUT/trust/dev.pub
#   boot_initrd                      $OUT/initrd.img: the system initrd (kos-init)
#   boot_keystore                    $OUT/keystore/root.key (the device root key) and the
#                                    aes-256 keys disk.key and other.key; their sealed blobs
#                                    in $OUT/data/kos/keystore/, the DataFS's initial files
#   boot_base NAME [MOTD]            $OUT/NAME.squashfs: busybox, kosd, kos-msgd,
#                                    kos-keystored, the apps, the root key if
#                                    boot_keystore made one,
#                                    and its dm-verity hash tree $OUT/NAME.squashfs.verity
#   boot_middle                      $OUT/middle.ext4: a layer between base and site
#   boot_site NAME MOTD              $OUT/NAME.erofs: configuration (/etc/kos/motd)
#   boot_encrypt IMAGE COMPONENT KEY $OUT/IMAGE.enc: IMAGE encrypted for the device key KEY
#                                    (boot_keystore), and $OUT/IMAGE.enc.dts, the component
#                                    properties that let kos-init read it
#   boot_release NAME VERSION BASE SITE [CONFIRM_MS] [EXTRA_APPS_DTS]
#                                    $OUT/NAME.dtb(.sig): signed manifest naming them
#                                    (BASE with its hash tree, middle.ext4 and SITE,
#                                    bottom to top; SITE with SITE.dts's properties if
#                                    there is one; a key_store node with the probe's key
#                                    if boot_keystore made a root key)
#   boot_commit NAME [TRIES]         adds NAME's objects to $OUT/store, commits it
#   boot_image                       $OUT/image: kos bootfs build of $OUT/store (and of
#                                    $OUT/data, if there is one, on the DataFS)
#   boot_example [VERSION]           all of the above for release v1 of the example device
#                                    (base, middle, site), committed, image not built
#   boot_confirm_here                the store's pending generation selected and confirmed
#                                    on the host, as if it had booted well

boot_examples=$(cd "$(dirname "${BASH_SOURCE:-$0}")/.." 2>/dev/null && pwd)

boot_die() {
	echo "boot example: $*" >&2
	exit 1
}

boot_keys() {
	mkdir -p "$OUT/keys" "$OUT/trust"
	[ -f "$OUT/keys/dev.key" ] || "$KOS" key generate "$OUT/keys/dev" >/dev/null || boot_die "key generate"
	cp "$OUT/keys/dev.pub" "$OUT/trust/"
}

boot_initrd() {
	"$KOS" bootfs initrd --trust "$OUT/trust" -o "$OUT/initrd.img" || boot_die "bootfs initrd"
}

# boot_keystore: the device's root key, two aes-256 keys, and those sealed under the root
# key for unwrapping only, as the device's DataFS holds them (docs/sealing.md).
boot_keystore() {
	mkdir -p "$OUT/keystore" "$OUT/data/kos/keystore"
	for f in root disk other; do
		[ -f "$OUT/keystore/$f.key" ] || "$KOS" seal generate "$OUT/keystore/$f.key" >/dev/null ||
			boot_die "seal generate $f"
	done
	for k in disk other; do
		rm -f "$OUT/data/kos/keystore/$k.sealed"
		"$KOS" seal create --root-key "$OUT/keystore/root.key" --name "$k" --type aes-256 --use unwrap \
			"$OUT/keystore/$k.key" -o "$OUT/data/kos/keystore/$k.sealed" || boot_die "seal create $k"
	done
}

# boot_base NAME [MOTD]: the root's bottom layer.
boot_base() {
	d="$OUT/$1.tree"
	rm -rf "$d"
	mkdir -p "$d/bin" "$d/sbin" "$d/usr/sbin" "$d/usr/lib/kos/apps" "$d/etc/kos/trust" \
		"$d/proc" "$d/sys" "$d/dev" "$d/run" "$d/data" "$d/tmp" "$d/var"
	cp /bin/busybox "$d/bin/busybox"
	for tool in sh cat echo mkdir mv sleep sync ls mount ps; do
		ln -s busybox "$d/bin/$tool"
	done
	cp "$BUILD/src/supervisor/kosd-static" "$d/usr/sbin/kosd"
	cp "$BUILD/src/msg/kos-msgd-static" "$d/usr/sbin/kos-msgd"
	cp "$BUILD/src/keystore/kos-keystored-static" "$d/usr/sbin/kos-keystored"
	cp "$BUILD/tests/tools/kos-test-keystore-pubkey" "$d/usr/lib/kos/apps/keystore-pubkey"
	cp "$boot_examples"/apps/* "$boot_examples/boot/probe" "$d/usr/lib/kos/apps/"
	cp "$OUT"/trust/*.pub "$d/etc/kos/trust/"
	if [ -f "$OUT/keystore/root.key" ]; then
		mkdir -p "$d/etc/kos/keystore"
		cp "$OUT/keystore/root.key" "$d/etc/kos/keystore/root.key"
		chmod 0400 "$d/etc/kos/keystore/root.key"
	fi
	echo "${2:-base}" >"$d/etc/kos/motd"
	mksquashfs "$d" "$OUT/$1.squashfs" -all-root -noappend -quiet -mkfs-time 0 -all-time 0 >/dev/null ||
		boot_die "mksquashfs $1"
	boot_verity "$OUT/$1.squashfs"
}

# boot_verity IMAGE: IMAGE.verity, its dm-verity hash tree (no superblock; the salt is
# the image's digest, so the same image gives the same tree), and IMAGE.verity.dts, the
# component properties naming it and its root hash.
boot_verity() {
	salt=$(boot_digest "$1")
	root=$(veritysetup format --no-superblock --salt="$salt" "$1" "$1.verity" | sed -n 's/^Root hash:[[:space:]]*//p')
	[ -n "$root" ] || boot_die "veritysetup format $1"
	printf ' verity-hash-tree = "%s"; verity-root-hash = "%s"; verity-salt = "%s";' \
		"$(boot_digest "$1.verity")" "$root" "$salt" >"$1.verity.dts"
}

# boot_middle: an ext4 layer between base and site. Its motd loses to site's; its
# middle.conf, in no other layer, shows through.
boot_middle() {
	d="$OUT/middle.tree"
	rm -rf "$d"
	mkdir -p "$d/etc/kos"
	echo middle >"$d/etc/kos/motd"
	echo "layer=middle" >"$d/etc/kos/middle.conf"
	rm -f "$OUT/middle.ext4"
	mkfs.ext4 -q -F -O ^has_journal -E root_owner=0:0 -L middle -d "$d" "$OUT/middle.ext4" 2M ||
		boot_die "mkfs.ext4 middle"
}

# boot_site NAME MOTD: the top layer; its motd wins.
boot_site() {
	d="$OUT/$1.tree"
	rm -rf "$d"
	mkdir -p "$d/etc/kos"
	echo "$2" >"$d/etc/kos/motd"
	echo "station=example" >"$d/etc/kos/site.conf"
	mkfs.erofs --all-root -T 0 "$OUT/$1.erofs" "$d" >/dev/null 2>&1 || boot_die "mkfs.erofs $1"
}

# boot_encrypt IMAGE COMPONENT KEY
boot_encrypt() {
	"$KOS" image encrypt --key "$OUT/keystore/$3.key" --key-name "$3" --component "$2" \
		"$OUT/$1" "$OUT/$1.enc" >"$OUT/$1.enc.dts" || boot_die "image encrypt $1"
}

boot_digest() {
	sha256sum "$1" | cut -c1-64
}

# A device with a root key runs the key store: the probe's key, made on its first boot.
boot_key_store='key_store { probe-key { type = "ed25519"; apps = "probe"; }; };'

# boot_release NAME VERSION BASE SITE [CONFIRM_MS] [EXTRA_APPS]
boot_release() {
	kernel=$("$KOS" bootfs kernel) || boot_die "no kernel"
	sed -e "s|@VERSION@|$2|" -e "s|@DESCRIPTION@|example device $1|" \
		-e "s|@KERNEL@|$(boot_digest "$kernel")|" -e "s|@INITRD@|$(boot_digest "$OUT/initrd.img")|" \
		-e "s|@BASE@|$(boot_digest "$OUT/$3")|" -e "s|@BASE_VERITY@|$(cat "$OUT/$3.verity.dts")|" \
		-e "s|@MIDDLE@|$(boot_digest "$OUT/middle.ext4")|" \
		-e "s|@SITE@|$(boot_digest "$OUT/$4")|" \
		-e "s|@SITE_ENCRYPTION@|$(if [ -f "$OUT/$4.dts" ]; then echo " $(cat "$OUT/$4.dts")"; fi)|" \
		-e "s|@CONFIRM_TIMEOUT@|${5:-300000}|" -e "s|@EXTRA_APPS@|${6:-}|" \
		-e "s|@KEY_STORE@|$(if [ -f "$OUT/keystore/root.key" ]; then echo "$boot_key_store"; fi)|" \
		"${BOOT_MANIFEST_TEMPLATE:-$boot_examples/boot/manifest.dts.in}" >"$OUT/$1.dts"
	"$KOS" manifest build "$OUT/$1.dts" -o "$OUT/$1.dtb" || boot_die "manifest build $1"
	"$KOS" manifest sign "$OUT/$1.dtb" --key "$OUT/keys/dev.key" || boot_die "manifest sign $1"
	echo "$kernel $OUT/initrd.img $OUT/$3 $OUT/$3.verity $OUT/middle.ext4 $OUT/$4" >"$OUT/$1.objects"
}

# boot_commit NAME [TRIES]
boot_commit() {
	"$KOS" store init "$OUT/store" >/dev/null || boot_die "store init"
	# shellcheck disable=SC2046
	"$KOS" store add "$OUT/store" $(cat "$OUT/$1.objects") >/dev/null || boot_die "store add $1"
	"$KOS" store commit "$OUT/store" "$OUT/$1.dtb" --tries "${2:-3}" >/dev/null || boot_die "store commit $1"
}

boot_image() {
	set -- --store "$OUT/store" --trust "$OUT/trust" -o "$OUT/image"
	[ ! -d "$OUT/data" ] || set -- "$@" --data "$OUT/data"
	"$KOS" bootfs build "$@" >/dev/null || boot_die "bootfs build"
}

boot_example() {
	boot_keys
	boot_initrd
	boot_base base
	boot_middle
	boot_site site site
	boot_release v1 "${1:-1}" base.squashfs site.erofs
	boot_commit v1
}

boot_confirm_here() {
	"$KOS" boot select "$OUT/store" --trust "$OUT/trust" >/dev/null || boot_die "boot select"
	"$KOS" boot confirm "$OUT/store" >/dev/null || boot_die "boot confirm"
}
