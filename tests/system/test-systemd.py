#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""system/systemd: the example device on a Debian root whose init is systemd.

The base squashfs is a debootstrap tree (scripts/systemd-root, cached) with kosd, kos-msgd,
the apps and kosd.service enabled (examples/boot/systemd.sh); the manifest names no init.

Device 1, one boot, step by step on the console: kos-boot chooses generation 1 and kexecs;
kos-init verifies it, stacks the overlay and execs /sbin/init; systemd greets and reaches
its targets; it starts kosd.service, which is kosd --booted as a service (not PID 1),
ready once it has loaded the generation; kosd starts the apps, the probe reports the
overlay, the read-write layer and the DataFS, and kosd confirms the boot. The disk's store
says generation 1 is good afterwards.

Device 2, with device 1's components: generation 1 is good, generation 2 (1 try) has an app that never becomes ready.
kosd, a service, gives the boot back by exiting 1; kosd.service's FailureAction reboots
the machine, and kos-boot, out of tries for generation 2, boots generation 1 under systemd.

Needs root: debootstrap makes the tree the first time, and the tree has files only root
reads. Without it the test is skipped (exit 77).
"""
import os
import re
import sys
import time

import device
from device import Device, fail

SKIPPED = 77

STUCK = ('\t\tstuck {\\n\\t\\t\\tpath = "/bin/sleep";\\n\\t\\t\\targs = "3600";\\n'
         '\\t\\t\\tready = "notify";\\n\\t\\t};\\n')

SYSTEMD = '. "$KOS_SOURCE/examples/boot/systemd.sh"\n'


def kos_boot_chooses(d, generation, digest, what):
    d.expect(r"kos-boot: chose generation %d \(manifest %s\)" % (generation, digest), what=what)
    m = d.expect(r"kos-boot: kexec: (.*)", what=what)
    for want in ("console=ttyS0", "systemd.show_status=1", "kos.manifest=%s" % digest,
                 "kos.generation=%d" % generation):
        if want not in m.group(1).split():
            fail("%s: the system kernel's command line lacks %s: %s" % (what, want, m.group(1)))
    m = d.expect(r"kos-boot: (times: .*)", what=what)
    print("kos-boot %s" % m.group(1), flush=True)


def systemd_starts_kosd(d, generation, digest, apps, what):
    """From kos-init to kosd running generation (apps apps) as a service of systemd. Returns
    the console position where systemd started kosd.service: from there on systemd's own
    lines and kosd's (through the journal) come in no fixed order."""
    d.expect(r"kos-init: manifest %s generation %d: verified" % (digest, generation), what=what)
    d.expect(r"kos-init: root: overlay \(lowerdir=/run/kos/components/site:/run/kos/components/middle:"
             r"/run/kos/components/base\)", what=what)
    d.expect(r"kos-init: exec /sbin/init$", what=what)
    # systemd's status lines are coloured; unit names may be shortened to the console's width.
    d.expect(r"Welcome to .*Debian GNU/Linux", what=what)
    d.expect(r"Reached target .*basic\.target", what=what)
    d.expect(r"Starting .*kosd\.service.* - KOS node manager", what=what)
    # systemd writes its status itself, kosd's lines come through the journal (which names
    # the process): either may come first.
    start = d.pos
    running = r"kosd\[(\d+)\]: kosd: running generation %d of /run/kos/imagefs/store: %d apps, 2 message servers" \
        % (generation, apps)
    m = d.expect(running, what=what)
    if m.group(1) == "1":
        fail("%s: kosd runs as PID 1, not as systemd's service" % what)
    d.expect_since(r"Started .*kosd\.service.* - KOS node manager", start, what=what)
    return start


def digest_of(out, name):
    return device.kos("manifest", "digest", os.path.join(out, name + ".dtb"))[1].split()[0]


def boot_confirms(out):
    device.shell(out, SYSTEMD + """
boot_keys
boot_initrd
boot_systemd_base base
boot_middle
boot_site site site
boot_systemd_release v1 1 base.squashfs site.erofs
boot_commit v1
boot_image
""")
    print("base.squashfs: %d bytes" % os.path.getsize(os.path.join(out, "base.squashfs")), flush=True)
    digest = digest_of(out, "v1")
    d = Device(out, "boot")
    begin = time.monotonic()
    try:
        d.expect(r"kos-boot: modules: \d+ loaded in \d+ ms")
        kos_boot_chooses(d, 1, digest, "boot")
        start = systemd_starts_kosd(d, 1, digest, 5, "boot")
        for app in ("probe", "ethernet", "tunnel", "hello-phx", "admin"):
            d.expect(r"kosd: %s: started \(pid \d+\)" % re.escape(app), what=app)
        d.expect_since(r"Reached target .*multi-user\.target", start, what="systemd")
        for line in (r"probe: motd: site$", r"probe: rw layer: clean$", r"probe: datafs: boot 1$"):
            d.expect_since(line, start, what="probe")
        d.expect(r"kosd: boot confirmed \(generation 1\)")
        print("boot confirmed %.1f s after QEMU started" % (time.monotonic() - begin), flush=True)
    finally:
        d.power_cut()
    store = device.imagefs_store(out, os.path.join(out, "after-boot"))
    device.store_verify(store)
    states, current = device.store_list(store)
    if states != {1: "good"} or current != 1:
        fail("after a confirmed boot the disk's store says %s, current %s" % (states, current))


def failure_reboots(out):
    """On boot_confirms' components, a new store."""
    device.shell(out, SYSTEMD + """
rm -rf "$OUT/store" "$OUT/image"
boot_commit v1
boot_confirm_here
boot_systemd_release v2 2 base.squashfs site.erofs 4000 '%s'
boot_commit v2 1
boot_image
""" % STUCK)
    d = Device(out, "failure")
    try:
        d.expect(r"kos-boot: modules: \d+ loaded in \d+ ms", what="generation 2")
        kos_boot_chooses(d, 2, digest_of(out, "v2"), "generation 2")
        systemd_starts_kosd(d, 2, digest_of(out, "v2"), 6, "generation 2")
        d.expect(r"kosd: stuck: started", what="generation 2")
        start = d.pos
        d.expect(r"kosd: boot not confirmed within 4000 ms; stopping every app$", what="generation 2")
        d.expect(r"kosd: every app stopped; exiting with status 1$", what="generation 2")
        # kosd exits 1, kosd.service fails: systemd stops the rest and reboots the machine.
        d.expect_since(r"Reached target .*reboot\.target", start, what="kosd.service's FailureAction")
        d.expect(r"reboot: Restarting system", what="kosd.service's FailureAction")
        if d.seen(r"boot confirmed"):
            fail("generation 2 confirmed a boot it never settled")
        d.expect(r"kos-boot: modules: \d+ loaded in \d+ ms", what="the second boot")
        d.expect(r"kos-boot: generation 2 rejected: no tries left", what="the second boot")
        kos_boot_chooses(d, 1, digest_of(out, "v1"), "the second boot")
        systemd_starts_kosd(d, 1, digest_of(out, "v1"), 5, "the second boot")
        d.expect(r"kosd: boot confirmed \(generation 1\)", what="the second boot")
    finally:
        d.power_cut()
    states, current = device.store_list(device.imagefs_store(out, os.path.join(out, "after-failure")))
    if states != {1: "good", 2: "bad"} or current != 1:
        fail("after the fallback the disk's store says %s, current %s" % (states, current))


def test(out):
    if os.geteuid() != 0:
        print("skipped: the Debian tree needs root (debootstrap; files only root reads)", flush=True)
        sys.exit(SKIPPED)
    boot_confirms(out)
    failure_reboots(out)


device.run(test)
