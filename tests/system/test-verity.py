#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""system/verity: a component read through dm-verity is checked as it is read.

Generation 1 is good. Generation 2 (one try) has its own base component, read through
dm-verity, with one byte of its first block flipped where it is stored. kos-boot hashes a
verity component's hash tree, not the image (docs/boot.md, "dm-verity"), so it chooses
generation 2; kos-init's mount reads the flipped block, dm-verity refuses it, kos-init
says so and reboots. The next decision finds generation 2 out of tries, marks it bad and
boots generation 1, which confirms.
"""
import os

import device
from device import Device, fail


def test(out):
    device.shell(out, """
boot_example
boot_confirm_here
boot_base base2 base-v2
boot_release v2 2 base2.squashfs site.erofs
boot_commit v2 1
obj=$(boot_digest "$OUT/base2.squashfs")
f="$OUT/store/objects/$(echo "$obj" | cut -c1-2)/$(echo "$obj" | cut -c3-)"
chmod u+w "$f"
printf '\\x5a' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
chmod u-w "$f"
boot_image
""")
    d = Device(out, "verity")
    try:
        d.expect(r"kos-boot: chose generation 2 ", what="the first boot")
        d.expect(r"kos-init: manifest [0-9a-f]{64} generation 2: verified", what="the first boot")
        d.expect(r"device-mapper: verity: .*data block 0 is corrupted", what="the first boot")
        d.expect(r"kos-init: component base: cannot mount squashfs with dm-verity: Input/output error",
                 what="the first boot")
        d.expect(r"kos-boot: generation 2 rejected: no tries left", what="the second boot")
        d.expect(r"kos-boot: chose generation 1 ", what="the second boot")
        d.expect(r"kosd: boot confirmed \(generation 1\)", what="the second boot")
        if d.seen(r"kosd: running generation 2"):
            fail("generation 2 ran with a corrupt component")
    finally:
        d.power_cut()
    store = device.imagefs_store(out, os.path.join(out, "after"))
    states, current = device.store_list(store)
    if states != {1: "good", 2: "bad"} or current != 1:
        fail("after the corrupt verity component the disk's store says %s, current %s" % (states, current))


device.run(test)
