# SPDX-License-Identifier: Apache-2.0
"""A KOS device under QEMU, for the system tests: builds the example device's disk with
examples/boot/lib.sh, boots it with `kos simulate`, and follows its serial console line by
line. Every line goes to a transcript file (a test artefact) as it arrives.

expect() waits for a line matching a pattern, with a deadline, and returns the match: a
wait on the console itself, never a sleep. Patterns are checked in the order the test gives
them, so a transcript is checked step by step.

The console interleaves writers that do not wait for each other: the kernel, systemd's
status lines, and the journal forwarding a service's output (kosd.service) some time after
it was written. Order holds within one writer only, so a line of one writer is looked for
with expect_since() from a position both writers had passed, never after a line of another.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

BUILD = os.environ["KOS_BUILD"]
SOURCE = os.environ["KOS_SOURCE"]
KOS = os.path.join(BUILD, "src", "cli", "kos")
LIB = os.path.join(SOURCE, "examples", "boot", "lib.sh")

# One boot takes about 11 s under TCG on an idle machine; a loaded one (a parallel test
# build) can take several times that.
BOOT_TIMEOUT = float(os.environ.get("KOS_SYSTEM_BOOT_TIMEOUT", "180"))


# The devices booted so far; a failure shows the end of the last one's console.
_devices = []


class Failure(Exception):
    pass


def fail(message):
    raise Failure(message)


def shell(out, script):
    """Runs script (bash) with examples/boot/lib.sh sourced, $OUT = out."""
    env = dict(os.environ, KOS=KOS, BUILD=BUILD, OUT=out)
    r = subprocess.run(["bash", "-euc", ". \"$LIB\"\n" + script], env=dict(env, LIB=LIB),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        fail("build step failed:\n%s\n%s" % (script, r.stdout))
    return r.stdout


class Device:
    def __init__(self, out, name, args=()):
        self.out = out
        self.transcript_path = os.path.join(out, name + ".console")
        self.transcript = open(self.transcript_path, "w")
        self.lines = []
        self.pos = 0
        self.buffer = b""
        cmd = [KOS, "simulate", os.path.join(out, "image"), "--accel", "tcg"] + list(args)
        _devices.append(self)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        print("booting: %s (console: %s)" % (" ".join(cmd), self.transcript_path), flush=True)

    def _read(self, timeout):
        """Reads what the console has within timeout; False at its end."""
        ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, timeout))
        if not ready:
            return True
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            return False
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            text = line.decode("utf-8", "replace").rstrip("\r")
            self.lines.append(text)
            self.transcript.write(text + "\n")
        self.transcript.flush()
        return True

    def _wait(self, pattern, start, timeout, what):
        """(index, match) of the first line at or after index start matching pattern,
        reading the console until it comes or timeout passes."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        while True:
            while i < len(self.lines):
                m = regex.search(self.lines[i])
                if m:
                    return i, m
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                fail("%s: no console line matching %r within %.0f s (console: %s)"
                     % (what or "boot", pattern, timeout, self.transcript_path))
            if not self._read(min(left, 1.0)):
                fail("%s: the console ended (QEMU exited %s) before a line matching %r (console: %s)"
                     % (what or "boot", self.proc.wait(), pattern, self.transcript_path))

    def expect(self, pattern, timeout=BOOT_TIMEOUT, what=None):
        """The first line from the current position on that matches pattern; the position
        moves past it."""
        i, m = self._wait(pattern, self.pos, timeout, what)
        self.pos = i + 1
        return m

    def expect_since(self, pattern, start, timeout=BOOT_TIMEOUT, what=None):
        """The first line at or after index start that matches pattern, waiting for it; the
        current position stays where it is (for a line of another writer, see above)."""
        return self._wait(pattern, start, timeout, what)[1]

    def index(self, pattern, start=0):
        """The index of the first line since start that matches pattern, or None."""
        regex = re.compile(pattern)
        for i in range(start, len(self.lines)):
            if regex.search(self.lines[i]):
                return i
        return None

    def seen(self, pattern, start=0):
        """Lines since start that match pattern."""
        regex = re.compile(pattern)
        return [l for l in self.lines[start:] if regex.search(l)]

    def power_cut(self):
        """Pulls the plug: QEMU (and kos simulate) killed, nothing flushed."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        while self._read(0):
            if self.proc.stdout.closed:
                break
            ready, _, _ = select.select([self.proc.stdout], [], [], 0)
            if not ready:
                break
        self.transcript.close()

    def wait_exit(self, timeout=BOOT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while self._read(min(1.0, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() > deadline:
                self.power_cut()
                fail("QEMU did not exit within %.0f s (console: %s)" % (timeout, self.transcript_path))
        code = self.proc.wait()
        self.transcript.close()
        return code


def imagefs_store(out, dest):
    """Copies the store out of the disk image's ImageFS (partition 1) into dest, without
    mounting: debugfs reads the ext4 image."""
    disk = os.path.join(out, "image", "disk.img")
    part = os.path.join(out, "imagefs.part")
    table = subprocess.run(["sfdisk", "--json", disk], check=True, stdout=subprocess.PIPE, text=True).stdout
    import json
    p = json.loads(table)["partitiontable"]["partitions"][0]
    with open(disk, "rb") as src, open(part, "wb") as dst:
        src.seek(p["start"] * 512)
        left = p["size"] * 512
        while left > 0:
            chunk = src.read(min(left, 1 << 20))
            if not chunk:
                break
            dst.write(chunk)
            left -= len(chunk)
    # A power cut leaves the journal to replay, as the kernel would at the next mount.
    subprocess.run(["e2fsck", "-E", "journal_only", "-y", part], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    r = subprocess.run(["e2fsck", "-fn", part], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        fail("the ImageFS does not check clean after the boots:\n" + r.stdout)
    os.makedirs(dest, exist_ok=True)
    subprocess.run(["debugfs", "-R", "rdump /store %s" % dest, part], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.unlink(part)
    return os.path.join(dest, "store")


def kos(*args):
    r = subprocess.run([KOS] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def store_list(store):
    """{generation: state} and the current generation, from kos store list --json."""
    import json
    code, text = kos("store", "list", store, "--json")
    if code != 0:
        fail("kos store list %s: %s" % (store, text))
    j = json.loads(text)
    return {g["generation"]: g["state"] for g in j["generations"]}, j.get("current")


def store_verify(store):
    code, text = kos("store", "verify", store)
    if code != 0:
        fail("kos store verify of the disk's store: %s" % text)


def run(test):
    """Runs test(out) in a fresh directory; prints the failure and exits 1 on Failure."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    out = os.path.join(BUILD, "tests", "system", name)
    subprocess.run(["rm", "-rf", out], check=True)
    os.makedirs(out)
    try:
        test(out)
    except Failure as e:
        if _devices:
            d = _devices[-1]
            print("the last lines of %s:" % d.transcript_path)
            for line in d.lines[-40:]:
                print("  | " + line)
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)
    print("ok", flush=True)
