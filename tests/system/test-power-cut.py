#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""system/power-cut: the plug pulled during the boot decision and during the confirmation.

Generation 1 is good; generation 2 is pending with 3 tries. The device is booted again and
again, and each time QEMU is killed (SIGKILL: no flush, no unmount) at a random moment:
in odd rounds while kos-boot decides (from the moment it has found the ImageFS, through
taking a try and writing refs/booted), in even rounds while kosd confirms (from the moment
every app is ready, through marking the generation good and raising the floor). Every boot
after a cut must choose a generation and verify it; a last boot, left alone, must confirm.
Then the disk's ImageFS must check clean, every object must hash to its name, and the
store's states must be ones the boot decision can reach. KOS_SYSTEM_SEED repeats a run.
"""
import os
import random
import time

import device
from device import Device, fail

ROUNDS = int(os.environ.get("KOS_POWER_CUT_ROUNDS", "6"))


def test(out):
    seed = int(os.environ.get("KOS_SYSTEM_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    print("seed %d (KOS_SYSTEM_SEED=%d repeats this run)" % (seed, seed), flush=True)
    device.shell(out, """
boot_example
boot_confirm_here
boot_site site2 site-v2
boot_release v2 2 base.squashfs site2.erofs
boot_commit v2 3
boot_image
""")
    for round in range(1, ROUNDS + 1):
        d = Device(out, "round%d" % round)
        try:
            if round % 2 == 1:
                d.expect(r"kos-boot: imagefs: ", what="round %d" % round)
                delay = rng.uniform(0, 1.5)
                where = "during the boot decision"
            else:
                d.expect(r"kos-boot: chose generation [12] ", what="round %d" % round)
                d.expect(r"kos-init: manifest [0-9a-f]{64} generation [12]: verified", what="round %d" % round)
                d.expect(r"kosd: every app ready for \d+ ms", what="round %d" % round)
                delay = rng.uniform(0, 0.25)
                where = "during the confirmation"
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                d._read(deadline - time.monotonic())
        finally:
            d.power_cut()
        chosen = d.seen(r"kos-boot: chose generation")
        print("round %d: cut %s, %.2f s in; %s" % (round, where, delay,
              chosen[-1].strip() if chosen else "before the choice"), flush=True)
    d = Device(out, "last")
    try:
        m = d.expect(r"kos-boot: chose generation ([12]) ", what="the boot after the cuts")
        number = int(m.group(1))
        d.expect(r"kos-init: manifest [0-9a-f]{64} generation %d: verified" % number)
        d.expect(r"probe: motd: %s$" % ("site-v2" if number == 2 else "site"))
        d.expect(r"kosd: boot confirmed \(generation %d\)" % number)
    finally:
        d.power_cut()
    store = device.imagefs_store(out, os.path.join(out, "after"))
    device.store_verify(store)
    states, current = device.store_list(store)
    print("after %d cuts: %s, current %s" % (ROUNDS, states, current), flush=True)
    if states.get(1) != "good" or current != number or states.get(number) != "good":
        fail("after the cuts the disk's store says %s, current %s; generation %d confirmed last"
             % (states, current, number))
    if states.get(2) not in ("good", "pending", "bad"):
        fail("generation 2 is in no state the boot decision makes: %s" % states)


device.run(test)
