#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""system/reject: kos-boot refuses what it must, on the disk image, and boots what it may.

Generation 1 (version 5) is good, so the floor is 5. Three newer pending generations sit
on the disk, each wrong in one way: generation 2 has a component with one byte flipped in
the store, generation 3 is signed only by a key the boot initramfs does not trust, and
generation 4 is an old release (version 3, below the floor) planted as a new pending
generation. One boot shows all three rejections, newest
first, each with its reason, then generation 1 boots and confirms. The rejected pending
generations keep their tries (rejection does not change their state).
"""
import os

import device
from device import Device, fail


def test(out):
    device.shell(out, """
boot_example 5
boot_confirm_here
"$KOS" key generate "$OUT/keys/evil" >/dev/null
boot_site site2 site-v2
boot_release v2 6 base.squashfs site2.erofs
boot_commit v2
# One byte of generation 2's own component, flipped where it is stored.
obj=$(boot_digest "$OUT/site2.erofs")
f="$OUT/store/objects/$(echo "$obj" | cut -c1-2)/$(echo "$obj" | cut -c3-)"
chmod u+w "$f"
printf '\\xff' | dd of="$f" bs=1 seek=1100 conv=notrunc status=none
chmod u-w "$f"
boot_release v3 7 base.squashfs site.erofs
rm "$OUT/v3.dtb.sig"
"$KOS" manifest sign "$OUT/v3.dtb" --key "$OUT/keys/evil.key"
boot_commit v3
# An old release, signed by the trusted key, planted as a new pending generation: a
# rollback attempt by someone with the disk in hand (kos store commit refuses to make it).
boot_release v4 3 base.squashfs site.erofs
# shellcheck disable=SC2046
"$KOS" store add "$OUT/store" $(cat "$OUT/v4.objects") "$OUT/v4.dtb" "$OUT/v4.dtb.sig" >/dev/null
printf 'manifest %s\nsignatures %s\nversion 3\nstate pending\ntries 3\n' \
	"$(boot_digest "$OUT/v4.dtb")" "$(boot_digest "$OUT/v4.dtb.sig")" >"$OUT/store/generations/4"
boot_image
echo "$obj"
""")
    corrupt = open(os.path.join(out, "site2.erofs"), "rb").read()
    import hashlib
    corrupt_digest = hashlib.sha256(corrupt).hexdigest()
    d = Device(out, "reject")
    try:
        d.expect(r"kos-boot: generation 4 rejected: below floor: version 3 < floor 5")
        d.expect(r"kos-boot: generation 3 rejected: bad signature")
        d.expect(r"kos-boot: generation 2 rejected: object corrupt: %s" % corrupt_digest)
        d.expect(r"kos-boot: chose generation 1 ")
        d.expect(r"kos-init: manifest [0-9a-f]{64} generation 1: verified")
        d.expect(r"probe: motd: site$")
        d.expect(r"kosd: boot confirmed \(generation 1\)")
    finally:
        d.power_cut()
    store = device.imagefs_store(out, os.path.join(out, "after"))
    states, current = device.store_list(store)
    if states != {1: "good", 2: "pending", 3: "pending", 4: "pending"} or current != 1:
        fail("after the rejections the disk's store says %s, current %s" % (states, current))
    code, text = device.kos("store", "verify", store)
    if code == 0 or corrupt_digest not in text:
        fail("kos store verify does not name the flipped object: %s" % text)


device.run(test)
