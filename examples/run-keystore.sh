#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The key store demo: kosd runs the example system with kos-keystored (a root key made now,
# keys sealed in the output directory). admin signs with orbit-identity, which the key
# store generates on first need; the signature is verified with the public key, by kos and
# by openssl. tunnel gives out its vpn public key and is refused admin's key; the key store
# logs the refusal by name. No private key leaves the key store.
# usage: examples/run-keystore.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
kos="$build/src/cli/kos"
out="${KOS_EXAMPLE_OUT:-$build/example}/keystore"
rm -rf "$out"
mkdir -p "$out"
sed -e "s|@APPS@|$examples/apps|g" -e "s|@KOS@|$kos|g" "$examples/system/manifest.dts.in" >"$out/manifest.dts"
"$kos" manifest build "$out/manifest.dts" -o "$out/manifest.dtb"
. "$examples/keystore/setup.sh"
keystore_setup "$build" "$out"

"$build/src/supervisor/kosd" --manifest "$out/manifest.dtb" --run-dir "$out/run" \
	--keystored "$out/kos-keystored" >"$out/kosd.log" 2>&1 &
kosd=$!
trap 'kill -TERM $kosd 2>/dev/null || true' EXIT
i=0
until grep -q '^kosd: admin: admin: signed' "$out/kosd.log" && grep -q '^kosd: tunnel: kos: keystore' "$out/kosd.log"; do
	i=$((i + 1))
	[ $i -le 200 ] || { cat "$out/kosd.log"; echo "run-keystore: the apps did not use their keys" >&2; exit 1; }
	sleep 0.05
done
KOS_RUN_DIR="$out/run" "$kos" ps
echo
echo "-- what the apps said:"
for app in admin tunnel; do
	grep -e "^kosd: $app: $app: " -e "^kosd: $app: kos: " "$out/kosd.log" | grep -v ': up (pid' | sed 's/^kosd: [a-z-]*: //'
done
echo
echo "-- admin's signature, checked with its public key:"
pub=$(sed -n 's/^kosd: admin: admin: orbit-identity public key //p' "$out/kosd.log")
sig=$(sed -n 's/^kosd: admin: admin: signed "admin checks in": //p' "$out/kosd.log")
printf 'admin checks in' >"$out/checkin"
printf '$ kos keystore verify %.16s... %.16s... checkin\n' "$pub" "$sig"
"$kos" keystore verify "$pub" "$sig" "$out/checkin"
printf '302a300506032b6570032100%s' "$pub" | sed 's/../\\x&/g' | xargs -0 printf '%b' >"$out/admin-pub.der"
printf '%s' "$sig" | sed 's/../\\x&/g' | xargs -0 printf '%b' >"$out/admin.sig"
openssl pkeyutl -verify -pubin -inkey "$out/admin-pub.der" -keyform DER -rawin -in "$out/checkin" \
	-sigfile "$out/admin.sig" | sed 's/^/openssl: /'
printf 'admin checks iN' >"$out/forged"
"$kos" keystore verify "$pub" "$sig" "$out/forged" 2>&1 | sed 's/^/a changed message: /' || true
echo
echo "-- what kos-keystored logged:"
grep 'kos-keystored: ' "$out/kosd.log" | sed 's/^kosd: kos-keystored:keystore: //'
echo
echo "-- the keys at rest, sealed under the root key (no private byte in the clear):"
ls -l "$out/keys" | tail -n +2 | awk '{ print $1, $5, $NF }'
kill -TERM $kosd
wait $kosd || true
trap - EXIT
grep -q 'denied: app "tunnel" may not use key "orbit-identity"' "$out/kosd.log"
