#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""system/boot: the example device boots twice, for real, under QEMU.

Boot 1, step by step on the console: kos-boot loads its modules, finds the ImageFS,
chooses generation 1 and kexecs the system kernel with a command line naming the manifest;
kos-init verifies it again, mounts base (squashfs, through dm-verity), middle (ext4) and
site (erofs) in manifest order, the tmpfs layer and the DataFS, stacks the overlay with
site on top and execs kosd as PID 1; kosd starts the apps and confirms the boot. The probe
app shows the command line the system kernel got, site's /etc/kos/motd winning over
middle's and base's while middle's own file shows through, a clean read-write layer and
the DataFS's first boot; it leaves a file in the read-write layer. The device has a root key,
so kosd runs the key store (kos-keystored, static, from base) before the apps, and the
probe gets the public half of its key, which the key store made on this first boot and
sealed on the DataFS.

Boot 2 names the store's fault hooks on the boot loader's command line (which the kernel
hands PID 1 as its environment, and kos-boot and kos-init discard): the same generation,
now good, boots as is; the probe finds the read-write file gone and the DataFS counting
its second boot, and the key store hands the probe the same key, read back from its sealed
file. Afterwards the store on the disk image says generation 1 is good and current.
"""
import os
import re

import device
from device import Device, fail


def boot_and_check(out, name, number, boot_count, append=None):
    dtb = os.path.join(out, "v1.dtb")
    digest = device.kos("manifest", "digest", dtb)[1].split()[0]
    d = Device(out, name, ["--append", append] if append else [])
    try:
        d.expect(r"kos-boot: modules: \d+ loaded in \d+ ms")
        d.expect(r"kos-boot: imagefs: /dev/vda1 ")
        d.expect(r"kos-boot: chose generation 1 \(manifest %s\)" % digest)
        m = d.expect(r"kos-boot: kexec: (.*)")
        cmdline = m.group(1)
        for want in ("console=ttyS0", "panic=-1", "kos.manifest=%s" % digest, "kos.generation=1"):
            if want not in cmdline.split():
                fail("the system kernel's command line lacks %s: %s" % (want, cmdline))
        d.expect(r"kos-boot: times: modules \d+ ms, mount \d+ ms, decision \d+ ms \(hashing \d+ ms\), "
                 r"kexec load \d+ ms, total \d+ ms")
        # The watchdog is armed for the root's init, and kosd (PID 1) keeps it alive.
        d.expect(r"kos-init: watchdog: armed, 60 s; the root's init keeps it alive")
        d.expect(r"kos-init: manifest %s generation 1: verified" % digest)
        d.expect(r"kos-init: component base: dm-verity /dev/dm-\d+ \(root hash [0-9a-f]{64}\)")
        d.expect(r"kos-init: component base: squashfs at /run/kos/components/base")
        d.expect(r"kos-init: component middle: ext4 at /run/kos/components/middle")
        d.expect(r"kos-init: component site: erofs at /run/kos/components/site")
        d.expect(r"kos-init: rw layer: tmpfs at /run/kos/rw")
        d.expect(r"kos-init: datafs: /dev/vda2 at /data")
        d.expect(r"kos-init: root: overlay \(lowerdir=/run/kos/components/site:/run/kos/components/middle:"
                 r"/run/kos/components/base\)")
        d.expect(r"kos-init: exec /usr/sbin/kosd --booted")
        d.expect(r"kosd: watchdog: /dev/watchdog, 60 s, kept alive every 20000 ms")
        d.expect(r"kosd: running generation 1 of /run/kos/imagefs/store: 5 apps, 2 message servers")
        for app in ("probe", "ethernet", "tunnel", "hello-phx", "admin"):
            d.expect(r"kosd: %s: started \(pid \d+\)" % re.escape(app), what=app)
        # The probe's lines come in its order, interleaved with the others' starts. The
        # system kernel got exactly the command line kos-boot gave it.
        start = 0
        m = d.expect(r"probe: cmdline: (.*)$", what="probe")
        if m.group(1).strip() != cmdline.strip():
            fail("the system kernel's command line is %r, kos-boot gave %r" % (m.group(1), cmdline))
        for line in (r"probe: motd: site$", r"probe: middle.conf: layer=middle$", r"probe: rw layer: clean$",
                     r"probe: datafs: boot %d$" % boot_count):
            if not d.seen(line, start):
                d.expect(line, what="probe")
        m = d.expect(r"probe: keystore: probe-key (.*)$", what="probe")
        key = m.group(1).strip()
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            fail("the key store gave the probe no public key: %r" % key)
        d.expect(r"kosd: boot confirmed \(generation %d\)" % number)
        return key
    finally:
        d.power_cut()


def test(out):
    device.shell(out, """
boot_keystore
boot_example
boot_image
""")
    key1 = boot_and_check(out, "boot1", 1, 1)
    # The boot loader's command line reaches PID 1 as environment variables for its unknown
    # words: the store's fault hooks, were they read, would fail every object read and
    # crash at the first write. kos-boot and kos-init replace that environment, so the
    # boot goes on as if they were not there.
    key2 = boot_and_check(out, "boot2", 1, 2, "KOS_FAULT_READ_EIO=objects/ KOS_FAULT_CRASH_AT=1")
    # The key store's key survived the power cut and the reboot: sealed on the DataFS.
    if key2 != key1:
        fail("the probe's key changed across a reboot: %s, then %s" % (key1, key2))
    store = device.imagefs_store(out, os.path.join(out, "after"))
    device.store_verify(store)
    states, current = device.store_list(store)
    if states != {1: "good"} or current != 1:
        fail("after two confirmed boots the disk's store says %s, current %s" % (states, current))


device.run(test)
