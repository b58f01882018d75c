#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Boot benchmark, under the same QEMU (TCG) in one run:

  floor   Debian's kernel booted directly with a plain initrd whose /init is busybox:
          QEMU start to that init running (no selection, no kexec, no mounts)
  kos     the full KOS chain on the example device: QEMU start to kos-init exec'ing the
          root's init (boot kernel, kos-boot, kexec, system kernel, kos-init, overlay root)
  kos-boot's own time, from its "times:" line, split into module loading, mounting, the
          decision, hashing within it, and kexec_file_load, for the example device and
          for one with 100 MiB more of components (incompressible), hashed whole and read
          through dm-verity. Every generation measured is good (confirmed), as every boot
          after a release's first is.

usage: bench/boot.py BUILD_DIR [REPEAT]
"""
import os
import re
import shutil
import subprocess
import sys
import time

BUILD = os.path.abspath(sys.argv[1])
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 else 3
SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KOS = os.path.join(BUILD, "src", "cli", "kos")
OUT = os.path.join(BUILD, "bench-boot")
TIMEOUT = 300


def sh(script):
    env = dict(os.environ, KOS=KOS, BUILD=BUILD, OUT=OUT, LIB=os.path.join(SOURCE, "examples", "boot", "lib.sh"))
    subprocess.run(["bash", "-euc", '. "$LIB"\n' + script], env=env, check=True, stdout=subprocess.DEVNULL)


def boot(cmd, until, log):
    """Seconds from QEMU's start to the first console line matching until, and the lines."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    lines, elapsed = [], None
    with open(log, "w") as f:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            f.write(line + "\n")
            lines.append(line)
            if re.search(until, line):
                elapsed = time.monotonic() - start
                break
            if time.monotonic() - start > TIMEOUT:
                break
    os.killpg(p.pid, 9)
    p.wait()
    if elapsed is None:
        sys.exit("bench boot: no line matching %r (console: %s)" % (until, log))
    return elapsed, lines


def times(lines):
    for l in lines:
        m = re.search(r"kos-boot: times: (.*)", l)
        if m:
            return m.group(1)
    return "(no times line)"


def floor_initrd(path):
    tree = os.path.join(OUT, "floor")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(os.path.join(tree, "bin"))
    shutil.copy("/bin/busybox", os.path.join(tree, "bin", "busybox"))
    with open(os.path.join(tree, "init"), "w") as f:
        f.write("#!/bin/busybox sh\n/bin/busybox echo 'final init reached'\n/bin/busybox poweroff -f\n")
    os.chmod(os.path.join(tree, "init"), 0o755)
    files = subprocess.run("cd %s && find . | cpio -o -H newc --quiet > %s" % (tree, path), shell=True, check=True)
    return files


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    sh("""
boot_example
boot_confirm_here
boot_image
mv "$OUT/image" "$OUT/example"
rm -rf "$OUT/store"
mkdir -p "$OUT/bulk.tree"
head -c $((100 * 1024 * 1024)) /dev/urandom > "$OUT/bulk.tree/data"
mksquashfs "$OUT/bulk.tree" "$OUT/bulk.squashfs" -noI -noD -noF -all-root -noappend -quiet >/dev/null
""")
    # The 100 MiB devices: the example's manifest plus a bulk component, hashed whole or
    # read through dm-verity; the generation confirmed on the host, so the boot measured
    # is a good generation's, as every boot after the first is.
    kernel = subprocess.run([KOS, "bootfs", "kernel"], check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    floor = os.path.join(OUT, "floor.cpio")
    floor_initrd(floor)
    for name, verity in (("big", ""), ("big-verity", "yes")):
        sh(r"""
rm -rf "$OUT/store"
bulk=$(boot_digest "$OUT/bulk.squashfs")
props=""
objects="$OUT/bulk.squashfs"
if [ -n "{verity}" ]; then
	boot_verity "$OUT/bulk.squashfs"
	props=$(cat "$OUT/bulk.squashfs.verity.dts")
	objects="$objects $OUT/bulk.squashfs.verity"
fi
boot_release {name} 1 base.squashfs site.erofs
sed -i "s|\t\tsite { |\t\tbulk { sha256 = \"$bulk\"; format = \"squashfs\";$props };\n\t\tsite { |" "$OUT/{name}.dts"
"$KOS" manifest build "$OUT/{name}.dts" -o "$OUT/{name}.dtb"
rm -f "$OUT/{name}.dtb.sig"
"$KOS" manifest sign "$OUT/{name}.dtb" --key "$OUT/keys/dev.key"
echo "$(cat "$OUT/{name}.objects") $objects" > "$OUT/{name}.objects"
boot_commit {name}
boot_confirm_here
boot_image
rm -rf "$OUT/{name}"
mv "$OUT/image" "$OUT/{name}"
""".replace("{name}", name).replace("{verity}", verity))
    qemu = ["qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-display", "none", "-serial", "stdio",
            "-monitor", "none", "-nic", "none", "-no-reboot", "-kernel", kernel, "-initrd", floor,
            "-append", "console=ttyS0 panic=-1 quiet"]
    floor_s, kos_s = [], []
    for i in range(REPEAT):
        floor_s.append(boot(qemu, r"final init reached", os.path.join(OUT, "floor%d.console" % i))[0])
        disk = os.path.join(OUT, "example", "disk.img")
        shutil.copy(disk, disk + ".pristine") if i == 0 else shutil.copy(disk + ".pristine", disk)
        t, lines = boot([KOS, "simulate", os.path.join(OUT, "example"), "--accel", "tcg"], r"kos-init: exec ",
                        os.path.join(OUT, "example%d.console" % i))
        kos_s.append(t)
        example_times = times(lines)
    print("QEMU start -> final init, median of %d, TCG:" % REPEAT)
    print("  floor (kernel + plain initrd)  %6.2f s   %s" % (median(floor_s), " ".join("%.2f" % x for x in floor_s)))
    print("  kos chain (kos-boot, kexec,    %6.2f s   %s" % (median(kos_s), " ".join("%.2f" % x for x in kos_s)))
    print("    kos-init, overlay root)      ratio %.2fx the floor" % (median(kos_s) / median(floor_s)))
    print("kos-boot's own time:")
    print("  example (%d MiB of objects): %s" % (
        sum(os.path.getsize(os.path.join(OUT, f)) for f in ("base.squashfs", "site.erofs", "initrd.img")) >> 20,
        example_times))
    for name, label in (("big", "hashed whole"), ("big-verity", "dm-verity")):
        t, lines = boot([KOS, "simulate", os.path.join(OUT, name), "--accel", "tcg"], r"kos-init: exec ",
                        os.path.join(OUT, name + ".console"))
        print("  +100 MiB, %-13s %s; QEMU start -> final init %.2f s" % (label + ":", times(lines), t))
    print("  (hashing 100 MiB whole is the floor of a boot-time check; dm-verity moves it to reads)")


main()
