#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Upgrade benchmark: kos upgrade against ostree pull, over the same nginx on 127.0.0.1.
#
# The tree: FILES files of 128 KiB of random bytes (default 800: 100 MiB). v2 rewrites
# 16 KiB in every tenth file. Each side first gets v1, then is timed pulling v2:
#
#   kos     each file is one store object, named by a v1/v2 manifest as an app image
#           (apps { fNNN { image = "<sha256>"; }; }), signed; the source store is served
#           as a directory tree; the device store gets v2 with kos upgrade.
#   ostree  each version is a commit of the same tree (branches v1, v2) in an archive-mode
#           repo served as a directory tree; the client (bare-user) runs ostree pull.
#   ostree+delta  the same, with a static delta v1 -> v2 generated beforehand (ostree's
#           answer to small changes in large files; kos has no deltas).
#   floor   bytes: the 16 KiB rewritten in each changed file; time: one curl fetching
#           just the changed files over one keep-alive connection.
#
# Bytes are what nginx sent (headers included), from its access log, the same measure
# for every side. Prints each figure and the ratios to kos.
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
for tool in nginx ostree curl; do
	command -v $tool >/dev/null || fail "$tool is not installed (scripts/deps/update.list)"
done
# nginx_start, nginx_stop, nginx_bytes_sent
. "$here/../tests/upgrade/lib-upgrade.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

echo "making a tree of $FILES files x 128 KiB, and v2 rewriting 16 KiB in every tenth"
mkdir -p "$T/v1" "$T/keys"
i=0
while [ $i -lt "$FILES" ]; do
	head -c 131072 /dev/urandom >"$T/v1/$(printf 'f%04d' $i)"
	i=$((i + 1))
done
cp -a "$T/v1" "$T/v2"
changed=0 changed_bytes=0
i=0
while [ $i -lt "$FILES" ]; do
	f="$T/v2/$(printf 'f%04d' $i)"
	head -c 16384 /dev/urandom | dd of="$f" bs=4096 seek=$((i % 28)) conv=notrunc 2>/dev/null
	changed=$((changed + 1))
	changed_bytes=$((changed_bytes + 16384))
	echo "$(basename "$f")" >>"$T/changed"
	i=$((i + 10))
done

# --- kos: a source store with both releases
"$KOS" key generate "$T/keys/dev" >/dev/null
mkdir -p "$T/www"
"$KOS" store init "$T/www/kos" >/dev/null
for v in 1 2; do
	"$KOS" store add "$T/www/kos" "$T/v$v"/* >"$T/added-$v"
	{
		echo "/dts-v1/; / { compatible = \"kos,manifest-v1\"; version = <$v>; apps {"
		while read -r digest file; do
			echo "$(basename "$file") { image = \"$digest\"; };"
		done <"$T/added-$v"
		echo "}; };"
	} >"$T/v$v.dts"
	"$KOS" manifest build "$T/v$v.dts" -o "$T/v$v.dtb" >/dev/null
	"$KOS" manifest sign "$T/v$v.dtb" --key "$T/keys/dev.key" >/dev/null
	"$KOS" store commit "$T/www/kos" "$T/v$v.dtb" --sig "$T/v$v.dtb.sig" --ref "v$v" >/dev/null
done

# --- ostree: an archive repo with both versions, and a copy with a static delta
ostree --repo="$T/www/ostree" init --mode=archive
for v in 1 2; do
	ostree --repo="$T/www/ostree" commit -b "v$v" --tree=dir="$T/v$v" --no-xattrs >/dev/null
done
cp -a "$T/www/ostree" "$T/www/ostree-delta"
ostree --repo="$T/www/ostree-delta" static-delta generate --from=v1 --to=v2 >/dev/null 2>&1
ostree --repo="$T/www/ostree-delta" summary -u >/dev/null

nginx_start "$T/www"

# kos: v1 (untimed), then v2
"$KOS" store init "$T/dev" >/dev/null
"$KOS" upgrade "$T/dev" --from "$URL/kos" --trust "$T/keys" --ref v1 >/dev/null
: >"$T/nginx/access.log"
t0=$(now_ms)
"$KOS" upgrade "$T/dev" --from "$URL/kos" --trust "$T/keys" --ref v2 >"$T/kos.out"
kos_ms=$(($(now_ms) - t0))
kos_bytes=$(nginx_bytes_sent)
kos_counted=$(sed -n 's/^transferred \([0-9]*\) bytes.*/\1/p' "$T/kos.out")
"$KOS" store verify "$T/dev" >/dev/null || fail "kos store verify failed after the upgrade"

# ostree pull: v1 (untimed), then v2; with and without the static delta
ostree_pull() { # NAME REPO_DIR
	ostree --repo="$T/client-$1" init --mode=bare-user
	ostree --repo="$T/client-$1" remote add --no-gpg-verify origin "$URL/$2"
	ostree --repo="$T/client-$1" pull origin v1 >/dev/null
	: >"$T/nginx/access.log"
	t0=$(now_ms)
	ostree --repo="$T/client-$1" pull origin v2 >/dev/null
	eval "${1}_ms=\$((\$(now_ms) - t0))"
	eval "${1}_bytes=\$(nginx_bytes_sent)"
	ostree --repo="$T/client-$1" fsck >/dev/null 2>&1 || fail "ostree fsck failed after the pull"
}
ostree_pull ostree ostree
ostree_pull delta ostree-delta

# floor: curl fetches only the changed files, one connection
: >"$T/nginx/access.log"
set --
while read -r name; do
	d=$(awk -v n="$T/v2/$name" '$2 == n { print $1 }' "$T/added-2")
	set -- "$@" -o /dev/null "$URL/kos/objects/$(echo "$d" | cut -c1-2)/$(echo "$d" | cut -c3-)"
done <"$T/changed"
t0=$(now_ms)
curl -sf "$@"
floor_ms=$(($(now_ms) - t0))
floor_file_bytes=$(nginx_bytes_sent)
nginx_stop

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "upgrade v1 -> v2: $FILES files, $changed changed (16 KiB each)"
printf '%-34s %14s %10s %10s %10s\n' "" "bytes" "vs kos" "ms" "vs kos"
printf '%-34s %14s %10s %10s %10s\n' "kos upgrade (HTTP)" "$kos_bytes" "1.00" "$kos_ms" "1.00"
printf '%-34s %14s %10s %10s %10s\n' "ostree pull (archive, no delta)" "$ostree_bytes" \
	"$(ratio "$ostree_bytes" "$kos_bytes")" "$ostree_ms" "$(ratio "$ostree_ms" "$kos_ms")"
printf '%-34s %14s %10s %10s %10s\n' "ostree pull (static delta)" "$delta_bytes" \
	"$(ratio "$delta_bytes" "$kos_bytes")" "$delta_ms" "$(ratio "$delta_ms" "$kos_ms")"
printf '%-34s %14s %10s %10s %10s\n' "floor: changed files, one curl" "$floor_file_bytes" \
	"$(ratio "$floor_file_bytes" "$kos_bytes")" "$floor_ms" "$(ratio "$floor_ms" "$kos_ms")"
printf '%-34s %14s %10s\n' "floor: changed bytes" "$changed_bytes" "$(ratio "$changed_bytes" "$kos_bytes")"
echo "kos counted $kos_counted bytes received; nginx logged $kos_bytes sent"
