#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""system/watchdog: a good generation that hangs after the kexec is reset by the watchdog,
and after its unconfirmed boots the device falls back by itself; the test never cuts the
power until it is over.

Generation 1 is good. Generation 2 (the same release counter, so the floor keeps
generation 1 bootable) is good and current too, as if it had booted well once, but its
root's init is a program that blocks forever, so nothing keeps the watchdog alive: kos-init
armed it with generation 2's watchdog-timeout-ms (8 s), and QEMU's i6300esb resets the
machine. Each boot counts one unconfirmed boot; after unconfirmed-boots (2) kos-boot passes
generation 2 over, says why, and boots generation 1, whose kosd keeps the watchdog alive
and confirms. The disk's store says so afterwards.
"""
import json
import os

import device
from device import Device, fail


def test(out):
    device.shell(out, r"""
boot_example
boot_confirm_here
boot_release v2 1 base.squashfs site.erofs
sed -i -e 's|init = "/usr/sbin/kosd", "--booted";|init = "/bin/sleep", "100000";|' \
	-e 's|settle-time-ms = <2000>;|settle-time-ms = <2000>; watchdog-timeout-ms = <8000>; unconfirmed-boots = <2>;|' \
	"$OUT/v2.dts"
grep -q 'init = "/bin/sleep"' "$OUT/v2.dts" && grep -q 'unconfirmed-boots = <2>' "$OUT/v2.dts"
"$KOS" manifest build "$OUT/v2.dts" -o "$OUT/v2.dtb"
"$KOS" manifest sign "$OUT/v2.dtb" --key "$OUT/keys/dev.key"
boot_commit v2
boot_confirm_here
boot_image
""")
    d = Device(out, "watchdog")
    try:
        for attempt in (1, 2):
            what = "hung boot %d of generation 2" % attempt
            d.expect(r"kos-boot: chose generation 2 ", what=what)
            d.expect(r"kos-init: watchdog: armed, 8 s; the root's init keeps it alive", what=what)
            d.expect(r"kos-init: exec /bin/sleep 100000", what=what)
            if d.seen(r"kosd: "):
                fail("kosd ran in generation 2, whose init never starts it")
        d.expect(r"kos-boot: generation 2 rejected: unconfirmed boots: 2 boots in a row not confirmed",
                 what="the boot after the watchdog's resets")
        d.expect(r"kos-boot: chose generation 1 ", what="the fallback")
        d.expect(r"kos-init: watchdog: armed, 60 s", what="the fallback")
        d.expect(r"kosd: watchdog: /dev/watchdog, 60 s, kept alive every 20000 ms", what="the fallback")
        d.expect(r"kosd: boot confirmed \(generation 1\)", what="the fallback")
        resets = len(d.seen(r"kos-boot: chose generation"))
        if resets != 3:
            fail("expected 3 boots (two reset by the watchdog, one fallback), saw %d" % resets)
    finally:
        d.power_cut()
    store = device.imagefs_store(out, os.path.join(out, "after"))
    device.store_verify(store)
    code, text = device.kos("store", "list", store, "--json")
    if code != 0:
        fail("kos store list: %s" % text)
    j = json.loads(text)
    gens = {g["generation"]: (g["state"], g["unconfirmed_boots"]) for g in j["generations"]}
    if gens != {1: ("good", 0), 2: ("good", 2)} or j["current"] != 1:
        fail("after the fallback the disk's store says %s, current %s" % (gens, j["current"]))


device.run(test)
