#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the example device's boot disk: keys, the system initrd, a base squashfs and a
# site erofs, release 1 signed and committed to a store, and `kos bootfs build` of it.
# Nothing needs root. usage: examples/boot/build.sh BUILD_DIR OUT_DIR
set -eu
BUILD=$(cd "${1:?usage: build.sh BUILD_DIR OUT_DIR}" && pwd)
OUT=${2:?usage: build.sh BUILD_DIR OUT_DIR}
KOS="$BUILD/src/cli/kos"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
. "$(dirname "$0")/lib.sh"

rm -rf "$OUT/store" "$OUT/image"
boot_example
boot_image
echo "$OUT/image"
