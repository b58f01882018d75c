#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""system/encrypted: an encrypted component mounts through dm-crypt; with a wrong key its
generation is refused and the device falls back.

Made on the host: the device root key (in the base component, /etc/kos/keystore/root.key)
and two aes-256 keys, "disk" and "other", sealed under it on the DataFS
(/data/kos/keystore/). The site component is encrypted for "disk" with `kos image encrypt`.
Generation 1 names it with its key "disk" and is confirmed on the host, as if it had booted
well. Generation 2 (one try) has the same encrypted image and wrapped data key but names
the key "other", which opens (it is a real sealed key) but does not unwrap that data key.

Boot 1 chooses generation 2: kos-init says the key does not unwrap the data key and
reboots. Boot 2 finds generation 2 out of tries, marks it bad and boots generation 1, whose
site kos-init unlocks and mounts through dm-crypt: the probe sees the encrypted layer's
motd and site.conf over the plain layers, and kosd confirms the boot. The disk's store says
generation 1 good and current, 2 bad.
"""
import os

import device
from device import Device, fail


def test(out):
    device.shell(out, """
boot_keys
boot_keystore
boot_initrd
boot_base base
boot_middle
boot_site site encrypted-site
boot_encrypt site.erofs site disk
boot_release v2 2 base.squashfs site.erofs.enc
boot_commit v2
boot_confirm_here
cp "$OUT/site.erofs.enc" "$OUT/site-other.erofs.enc"
sed 's/encryption-key = "disk"/encryption-key = "other"/' "$OUT/site.erofs.enc.dts" >"$OUT/site-other.erofs.enc.dts"
grep -q 'encryption-key = "other"' "$OUT/site-other.erofs.enc.dts"
boot_release v3 3 base.squashfs site-other.erofs.enc
boot_commit v3 1
boot_image
""")
    # The image is not readable as an erofs file system on the host: its magic is encrypted.
    with open(os.path.join(out, "site.erofs"), "rb") as f:
        plain = f.read(2048)
    with open(os.path.join(out, "site.erofs.enc"), "rb") as f:
        encrypted = f.read(2048)
    if plain[1024:1028] != b"\xe2\xe1\xf5\xe0" or encrypted[1024:1028] == plain[1024:1028]:
        fail("site.erofs.enc still shows the erofs superblock magic")

    d = Device(out, "encrypted")
    try:
        what = "boot 1 (generation 2, wrong key)"
        d.expect(r"kos-boot: chose generation 2 ", what=what)
        d.expect(r"kos-init: manifest [0-9a-f]{64} generation 2: verified", what=what)
        d.expect(r"kos-init: root key: /etc/kos/keystore/root.key of component base", what=what)
        d.expect(r'kos-init: component site: key "other" does not unwrap the data key: does not authenticate',
                 what=what)
        what = "boot 2 (falling back to generation 1)"
        d.expect(r"kos-boot: generation 2 rejected: no tries left", what=what)
        d.expect(r"kos-boot: chose generation 1 ", what=what)
        d.expect(r"kos-init: manifest [0-9a-f]{64} generation 1: verified", what=what)
        d.expect(r"kos-init: component base: squashfs at /run/kos/components/base", what=what)
        d.expect(r"kos-init: component middle: ext4 at /run/kos/components/middle", what=what)
        d.expect(r"kos-init: root key: /etc/kos/keystore/root.key of component base", what=what)
        d.expect(r'kos-init: component site: dm-crypt /dev/dm-\d+ \(aes-xts-plain64, key "disk"\)', what=what)
        d.expect(r"kos-init: component site: erofs at /run/kos/components/site", what=what)
        d.expect(r"kos-init: root: overlay \(lowerdir=/run/kos/components/site:/run/kos/components/middle:"
                 r"/run/kos/components/base\)", what=what)
        d.expect(r"kosd: running generation 1 ", what=what)
        # The probe's lines, in its order (other apps' lines may come between them).
        for line in (r"probe: motd: encrypted-site$", r"probe: middle.conf: layer=middle$",
                     r"probe: site.conf: station=example$", r"probe: datafs: boot 1$"):
            d.expect(line, what="probe")
        d.expect(r"kosd: boot confirmed \(generation 1\)", what=what)
        if d.seen(r"kosd: running generation 2"):
            fail("generation 2 ran with a key that does not unwrap its data key")
    finally:
        d.power_cut()
    store = device.imagefs_store(out, os.path.join(out, "after"))
    states, current = device.store_list(store)
    if states != {1: "good", 2: "bad"} or current != 1:
        fail("after the wrong key the disk's store says %s, current %s" % (states, current))


device.run(test)
