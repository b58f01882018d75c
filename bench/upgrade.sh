#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Upgrade benchmark: kos upgrade (chunked and whole objects) against ostree pull (with and
# without a static delta) and casync, over the same nginx on 127.0.0.1, on two releases:
#
#   tree      FILES files of 128 KiB of random bytes (default 800: 100 MiB); v2 rewrites
#             16 KiB in every tenth file. Floor: those rewritten bytes.
#   squashfs  one squashfs image (mksquashfs) of the same tree plus 4 MB of text (a
#             compressible part); v2 is the image rebuilt after 16 KiB of one file were
#             rewritten. Floor: the bytes in which the two images differ (cmp -l).
#
# Each side first gets v1 (untimed), then is timed getting v2:
#
#   kos (chunked)  the source store has chunk indexes (kos store index): missing objects
#                  are built from chunks of v1's objects plus byte ranges of the new ones
#   kos (whole)    the same store without indexes: whole changed objects
#                  (in both, each file of the tree, or the image, is one store object,
#                  named by a signed v1/v2 manifest as an app image)
#   ostree         each version a commit of the same tree in an archive-mode repo;
#                  the client (bare-user) runs ostree pull
#   ostree+delta   the same, with a static delta v1 -> v2 generated beforehand
#   casync         casync make (its defaults: 64 KiB average chunks, zstd) of v2 on the
#                  host; on the device casync extract --seed=<v1> from the HTTP chunk store
#   floor          bytes: as above; time (tree only): one curl fetching just the changed
#                  files over one keep-alive connection
#
# Bytes are what nginx sent (headers included), from its access log, the same measure for
# every side. Times are wall clock of the client command. Prints each figure, the ratio of
# bytes to the floor, and times against ostree pull.
# usage: bench/upgrade.sh BUILD_DIR [FILES]
set -eu
build=$(cd "$1" && pwd)
FILES=${2:-800}
KOS="$build/src/cli/kos"
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/kos-bench-upgrade.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() {
	echo "bench/upgrade: $*" >&2
	exit 1
}
for tool in nginx ostree curl casync mksquashfs; do
	command -v $tool >/dev/null || fail "$tool is not installed (scripts/deps/update.list, chunks.list, boot.list)"
done
# nginx_start, nginx_stop, nginx_bytes_sent
. "$here/../tests/upgrade/lib-upgrade.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
name() { printf 'f%04d' "$1"; }

echo "making a tree of $FILES files x 128 KiB, and v2 rewriting 16 KiB in every tenth"
mkdir -p "$T/tree/v1" "$T/keys"
i=0
while [ $i -lt "$FILES" ]; do
	head -c 131072 /dev/urandom >"$T/tree/v1/$(name $i)"
	i=$((i + 1))
done
cp -a "$T/tree/v1" "$T/tree/v2"
tree_changed=0
i=0
while [ $i -lt "$FILES" ]; do
	head -c 16384 /dev/urandom | dd of="$T/tree/v2/$(name $i)" bs=4096 seek=$((i % 28)) conv=notrunc 2>/dev/null
	tree_changed=$((tree_changed + 1))
	echo "$(name $i)" >>"$T/tree/changed"
	i=$((i + 10))
done
tree_floor=$((tree_changed * 16384))

echo "making squashfs images of that tree and 4 MB of text, v2 after 16 KiB of one file changed"
mkdir -p "$T/sqtree" "$T/squashfs/v1" "$T/squashfs/v2"
cp -a "$T/tree/v1/." "$T/sqtree/"
seq 1 600000 >"$T/sqtree/config.txt"
mksquashfs "$T/sqtree" "$T/squashfs/v1/rootfs.img" -noappend -quiet -no-progress >/dev/null
head -c 16384 /dev/urandom | dd of="$T/sqtree/$(name 5)" bs=4096 seek=9 conv=notrunc 2>/dev/null
mksquashfs "$T/sqtree" "$T/squashfs/v2/rootfs.img" -noappend -quiet -no-progress >/dev/null
squashfs_floor=$(cmp -l "$T/squashfs/v1/rootfs.img" "$T/squashfs/v2/rootfs.img" | wc -l)

"$KOS" key generate "$T/keys/dev" >/dev/null
mkdir -p "$T/www"

# publish CASE: every side's source for CASE under $T/www/CASE
publish() {
	c=$1 w="$T/www/$1"
	mkdir -p "$w"
	"$KOS" store init "$w/kos" >/dev/null
	for v in 1 2; do
		"$KOS" store add "$w/kos" "$T/$c/v$v"/* >"$T/$c/added-$v"
		{
			echo "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <$v>; apps {"
			while read -r digest file; do
				echo "$(basename "$file" | tr -c 'a-z0-9\n' '-') { image = \"$digest\"; };"
			done <"$T/$c/added-$v"
			echo "}; };"
		} >"$T/$c/v$v.dts"
		"$KOS" manifest build "$T/$c/v$v.dts" -o "$T/$c/v$v.dtb" >/dev/null
		"$KOS" manifest sign "$T/$c/v$v.dtb" --key "$T/keys/dev.key" >/dev/null
		"$KOS" store commit "$w/kos" "$T/$c/v$v.dtb" --sig "$T/$c/v$v.dtb.sig" --ref "v$v" >/dev/null
	done
	cp -a "$w/kos" "$w/kos-whole"
	"$KOS" store index "$w/kos" >/dev/null

	ostree --repo="$w/ostree" init --mode=archive
	for v in 1 2; do
		ostree --repo="$w/ostree" commit -b "v$v" --tree=dir="$T/$c/v$v" --no-xattrs >/dev/null
	done
	cp -a "$w/ostree" "$w/ostree-delta"
	ostree --repo="$w/ostree-delta" static-delta generate --from=v1 --to=v2 >/dev/null 2>&1
	ostree --repo="$w/ostree-delta" summary -u >/dev/null

	if [ "$c" = tree ]; then
		casync make --store="$w/casync.castr" "$w/v2.caidx" "$T/$c/v2" >/dev/null
	else
		casync make --store="$w/casync.castr" "$w/v2.caibx" "$T/$c/v2/rootfs.img" >/dev/null
	fi
}

# measure CASE: sets CASE_<side>_bytes and CASE_<side>_ms for every side
measure() {
	c=$1 u="$URL/$1"
	# kos: the device at v1 (untimed), then v2 from each source
	"$KOS" store init "$T/$c/dev-v1" >/dev/null
	"$KOS" upgrade "$T/$c/dev-v1" --from "$u/kos-whole" --trust "$T/keys" --ref v1 >/dev/null
	for side in whole chunked; do
		src=kos
		[ $side = whole ] && src=kos-whole
		rm -rf "$T/$c/dev"
		cp -a "$T/$c/dev-v1" "$T/$c/dev"
		sync
		: >"$T/nginx/access.log"
		t0=$(now_ms)
		"$KOS" upgrade "$T/$c/dev" --from "$u/$src" --trust "$T/keys" --ref v2 >"$T/$c/kos-$side.out"
		eval "${c}_kos_${side}_ms=\$((\$(now_ms) - t0))"
		eval "${c}_kos_${side}_bytes=\$(nginx_bytes_sent)"
		counted=$(sed -n 's/^transferred \([0-9]*\) bytes.*/\1/p' "$T/$c/kos-$side.out")
		[ "$counted" = "$(nginx_bytes_sent)" ] || fail "$c: kos counted $counted bytes, nginx logged $(nginx_bytes_sent)"
		"$KOS" store verify "$T/$c/dev" >/dev/null || fail "$c: kos store verify failed after the upgrade"
	done
	sed -n 's/^/  kos (chunked) said: /p' "$T/$c/kos-chunked.out" | tail -n 2

	# ostree pull: v1 (untimed), then v2; with and without the static delta
	for side in ostree delta; do
		repo=ostree
		[ $side = delta ] && repo=ostree-delta
		ostree --repo="$T/$c/client-$side" init --mode=bare-user
		ostree --repo="$T/$c/client-$side" remote add --no-gpg-verify origin "$u/$repo"
		ostree --repo="$T/$c/client-$side" pull origin v1 >/dev/null
		sync
		: >"$T/nginx/access.log"
		t0=$(now_ms)
		ostree --repo="$T/$c/client-$side" pull origin v2 >/dev/null
		eval "${c}_${side}_ms=\$((\$(now_ms) - t0))"
		eval "${c}_${side}_bytes=\$(nginx_bytes_sent)"
		ostree --repo="$T/$c/client-$side" fsck >/dev/null 2>&1 || fail "$c: ostree fsck failed after the pull"
	done

	# casync: the device has v1 (its seed), extracts v2
	sync
	: >"$T/nginx/access.log"
	t0=$(now_ms)
	if [ "$c" = tree ]; then
		casync extract --store="$u/casync.castr" --seed="$T/$c/v1" "$u/v2.caidx" "$T/$c/casync-out" >/dev/null 2>&1
	else
		casync extract --store="$u/casync.castr" --seed="$T/$c/v1/rootfs.img" "$u/v2.caibx" "$T/$c/casync-out.img" \
			>/dev/null 2>&1
	fi
	eval "${c}_casync_ms=\$((\$(now_ms) - t0))"
	eval "${c}_casync_bytes=\$(nginx_bytes_sent)"
	if [ "$c" = tree ]; then
		diff -r "$T/$c/v2" "$T/$c/casync-out" >/dev/null || fail "$c: casync extracted something else than v2"
	else
		cmp -s "$T/$c/v2/rootfs.img" "$T/$c/casync-out.img" || fail "$c: casync extracted something else than v2"
	fi
}

publish tree
publish squashfs
nginx_start "$T/www"
measure tree
measure squashfs

# floor time (tree): curl fetches only the changed files, one connection
: >"$T/nginx/access.log"
set --
while read -r n; do
	d=$(awk -v f="$T/tree/v2/$n" '$2 == f { print $1 }' "$T/tree/added-2")
	set -- "$@" -o /dev/null "$URL/tree/kos/objects/$(echo "$d" | cut -c1-2)/$(echo "$d" | cut -c3-)"
done <"$T/tree/changed"
t0=$(now_ms)
curl -sf "$@"
floor_ms=$(($(now_ms) - t0))
floor_file_bytes=$(nginx_bytes_sent)
nginx_stop

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
row() { # LABEL BYTES MS FLOOR OSTREE_MS
	printf '%-32s %12s %9s %9s %9s\n' "$1" "$2" "$(ratio "$2" "$4")" "$3" "$(ratio "$3" "$5")"
}
table() { # CASE FLOOR TITLE
	c=$1 floor=$2
	eval "om=\$${c}_ostree_ms"
	echo
	echo "$3"
	printf '%-32s %12s %9s %9s %9s\n' "" "bytes" "vs floor" "ms" "vs ostree"
	eval "row 'kos upgrade (chunked)' \$${c}_kos_chunked_bytes \$${c}_kos_chunked_ms $floor $om"
	eval "row 'kos upgrade (whole objects)' \$${c}_kos_whole_bytes \$${c}_kos_whole_ms $floor $om"
	eval "row 'ostree pull (archive)' \$${c}_ostree_bytes \$${c}_ostree_ms $floor $om"
	eval "row 'ostree pull (static delta)' \$${c}_delta_bytes \$${c}_delta_ms $floor $om"
	eval "row 'casync extract --seed' \$${c}_casync_bytes \$${c}_casync_ms $floor $om"
}
table tree "$tree_floor" "tree: $FILES files x 128 KiB, $tree_changed changed (16 KiB each)"
row "floor: changed files, one curl" "$floor_file_bytes" "$floor_ms" "$tree_floor" "$tree_ostree_ms"
printf '%-32s %12s %9s\n' "floor: changed bytes" "$tree_floor" "1.00"
table squashfs "$squashfs_floor" \
	"squashfs: one image of $(stat -c %s "$T/squashfs/v2/rootfs.img") bytes, v2 after 16 KiB of one file changed"
printf '%-32s %12s %9s\n' "floor: bytes that differ (cmp -l)" "$squashfs_floor" "1.00"
