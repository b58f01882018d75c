#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""system/fallback: a release that never confirms falls back by itself, across real reboots.

Generation 1 is good. Generation 2 (2 tries) adds an app that never becomes ready, so its
boot never confirms: kosd gives the boot back after the manifest's confirm-timeout-ms and
the machine reboots (QEMU resets and starts the boot kernel again). Each boot of generation
2 takes a try; when none is left, kos-boot marks it bad, says so, and boots generation 1,
which confirms. The store on the disk says so afterwards.
"""
import os

import device
from device import Device, fail

STUCK = ('\t\tstuck {\\n\\t\\t\\tpath = "/bin/sleep";\\n\\t\\t\\targs = "3600";\\n'
         '\\t\\t\\tready = "notify";\\n\\t\\t};\\n')


def test(out):
    device.shell(out, """
boot_example
boot_confirm_here
boot_release v2 2 base.squashfs site.erofs 4000 '%s'
boot_commit v2 2
boot_image
""" % STUCK)
    d = Device(out, "fallback")
    try:
        for attempt in (1, 2):
            what = "boot %d of generation 2" % attempt
            d.expect(r"kos-boot: chose generation 2 ", what=what)
            d.expect(r"kos-init: manifest [0-9a-f]{64} generation 2: verified", what=what)
            d.expect(r"kosd: running generation 2 ", what=what)
            d.expect(r"kosd: stuck: started", what=what)
            d.expect(r"kosd: boot not confirmed within 4000 ms; stopping every app and rebooting", what=what)
            if d.seen(r"boot confirmed"):
                fail("generation 2 confirmed a boot it never settled")
        d.expect(r"kos-boot: generation 2 rejected: no tries left", what="the third boot")
        d.expect(r"kos-boot: chose generation 1 ", what="the third boot")
        d.expect(r"kosd: running generation 1 ", what="the third boot")
        d.expect(r"kosd: boot confirmed \(generation 1\)", what="the third boot")
    finally:
        d.power_cut()
    store = device.imagefs_store(out, os.path.join(out, "after"))
    device.store_verify(store)
    states, current = device.store_list(store)
    if states != {1: "good", 2: "bad"} or current != 1:
        fail("after the fallback the disk's store says %s, current %s" % (states, current))


device.run(test)
