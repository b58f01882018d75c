#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The main job (make run): builds the example system and shows it working.
#   1. a throw-away developer key;
#   2. the example manifest compiled, validated, signed and verified;
#   3. its apps, supervision and protocol connections;
#   then each part's demo (examples/run-*.sh) in turn.
# usage: examples/run.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
kos="$build/src/cli/kos"
out="$build/example"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$out"
mkdir -p "$out/keys"
sed -e "s|@APPS@|$examples/apps|g" -e "s|@KOS@|$kos|g" "$examples/system/manifest.dts.in" >"$out/manifest.dts"

step "a throw-away developer key"
"$kos" key generate "$out/keys/developer"

step "build, sign and verify the example manifest"
"$kos" manifest build "$out/manifest.dts" -o "$out/manifest.dtb"
"$kos" manifest sign "$out/manifest.dtb" --key "$out/keys/developer.key"
"$kos" manifest verify "$out/manifest.dtb" --trust "$out/keys"
echo "manifest digest: $("$kos" manifest digest "$out/manifest.dtb")"

step "the example system"
"$kos" manifest show "$out/manifest.dtb"
"$kos" manifest graph "$out/manifest.dtb" -o "$out/manifest.dot"
if command -v dot >/dev/null; then
	dot -Tsvg "$out/manifest.dot" -o "$out/manifest.svg"
	echo "graph: $out/manifest.svg"
fi

export KOS_EXAMPLE_OUT="$out" KOS_EXAMPLES="$examples"
for part in store upgrade kosd msg keystore trace boot orbit; do
	if [ -x "$examples/run-$part.sh" ]; then
		step "$part"
		"$examples/run-$part.sh" "$build"
	fi
done
