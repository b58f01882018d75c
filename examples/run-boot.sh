#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The boot's part of `make run`: builds the example device's disk (without root) and boots
# it in QEMU, showing each step of the chain from the console: kos-boot loads its modules,
# finds the ImageFS, chooses a generation and kexecs the system kernel; kos-init verifies
# the manifest again, mounts the components, the tmpfs layer and the DataFS, stacks the
# overlay root and execs kosd, which starts the apps and confirms the boot. Then the
# device is switched off (QEMU ends). The whole console is kept in $out/boot.console.
# usage: examples/run-boot.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
out=${KOS_EXAMPLE_OUT:-$build/example}/device
kos="$build/src/cli/kos"

"$examples/boot/build.sh" "$build" "$out" >/dev/null
echo "disk: $out/image/disk.img ($(du -h --apparent-size "$out/image/disk.img" | cut -f1), $(du -h "$out/image/disk.img" | cut -f1) used)"
echo "boot: $kos simulate $out/image"
echo

console="$out/boot.console"
: >"$console"
"$kos" simulate "$out/image" --timeout 600 >"$console" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
start=$(date +%s)
# The chain's own lines, as they come, until the boot is confirmed (or QEMU ends).
tail -n +1 -f --pid=$qemu "$console" | while IFS= read -r line; do
	case "$line" in
	*"Linux version"*) echo "kernel: ${line#*] }" ;;
	kos-boot:* | kos-init:*) echo "$line" ;;
	kosd:*running*|kosd:*started*|kosd:*confirm*|kosd:*probe:*) echo "$line" ;;
	esac
	case "$line" in *"boot confirmed"*) break ;; esac
done
kill $qemu 2>/dev/null || true
wait $qemu 2>/dev/null || true
grep -q "boot confirmed" "$console" || { echo "run-boot: the device did not confirm its boot; console: $console" >&2; exit 1; }
echo
echo "booted and confirmed in $(($(date +%s) - start)) s under QEMU; the device is switched off"
