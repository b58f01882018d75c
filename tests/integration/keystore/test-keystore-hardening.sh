#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The key store's hardening, seen from outside, with kosd, kos-keystored and the app all
# running as the unprivileged user nobody (so the checks are an app's view, not root's):
#
#   ptrace      nobody's PTRACE_ATTACH to kos-keystored is refused (EPERM); the same
#               attach to the app, also nobody's, works (the refusal is the hardening)
#   /proc       nobody reads every file of /proc/<keystored>/ it can: none holds the
#               private key or the root key, and mem, environ and maps are closed to it
#               (open for the app)
#   core dump   a core of the running key store, forced with gcore (as root), holds its
#               keys' public halves and the key names but neither private key nor root key
#               (not in a sanitizer build, where the core would hold tens of GB of shadow)
#   memory      the key store has locked memory (VmLck > 0: its keys are never swapped)
#   kernel dump the key store killed by SIGABRT with no core limit leaves no core file,
#               where an ordinary process leaves one
#
# Needs root (to become nobody, and for gcore); exits 77 (skipped) without it.
. "$KOS_SOURCE/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root"; exit 77; }
command -v gcore >/dev/null || { echo "skipped: needs gdb's gcore"; exit 77; }
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
. "$KOS_SOURCE/tests/integration/keystore/keystore-lib.sh"

head -c 32 /dev/urandom >"$T/seed"
ks_app admin '$K import orbit-identity "$T/seed"; echo "import status $?"
echo "pub $($K pubkey orbit-identity)"
echo "sig $(printf x | $K sign orbit-identity)"
echo done; exec sleep 1000'
kosd_manifest "$T/m.dtb" <<'DTS'
apps { admin { path = "@T@/admin.sh"; }; };
key_store { orbit-identity { type = "ed25519"; apps = "admin"; origin = "import"; operations = "sign", "public-key", "import"; }; };
DTS
chown -R nobody:nogroup "$T"
AS_NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all"
$AS_NOBODY "$KOSD" --manifest "$T/m.dtb" --run-dir "$RUN" --keystored "$T/keystored.sh" >"$T/kosd.log" 2>&1 &
KOSD_PID=$!
wait_until 30 grep -q '^done$' "$T/admin.out"
grep -qx 'import status 0' "$T/admin.out" || fail "admin: $(cat "$T/admin.out")"
pub=$(ks_field admin pub)
[ ${#pub} -eq 64 ] || fail "admin: $(cat "$T/admin.out")"
ok "$KOS" ps
ks=$(awk '$1 == "kos-keystored:keystore" { print $3 }' "$T/.out")
app=$(awk '$1 == "admin" { print $3 }' "$T/.out")
[ -n "$ks" ] && [ -n "$app" ] || fail "no pids in kos ps"
[ "$(awk '/^Uid:/ { print $2 }' /proc/"$ks"/status)" = 65534 ] || fail "kos-keystored does not run as nobody"

# ptrace and /proc, as nobody.
$AS_NOBODY /usr/bin/python3 - "$ks" "$app" "$T/seed" "$T/root.key" <<'PY' >"$T/probe.out" 2>&1 || fail "probe: $(cat "$T/probe.out")"
import ctypes, errno, os, sys
ks, app = int(sys.argv[1]), int(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_ATTACH, PTRACE_DETACH = 16, 17

def attach(pid):
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0:
        os.waitpid(pid, 0x40000000)  # __WALL
        libc.ptrace(PTRACE_DETACH, pid, None, None)
        return 0
    return ctypes.get_errno()

e = attach(ks)
assert e == errno.EPERM, f"attach to kos-keystored: errno {e}, want EPERM"
e = attach(app)
assert e == 0, f"attach to the app: errno {e} (the probe cannot ptrace at all)"
print("ptrace: key store refused, app allowed")

secrets = [open(p, "rb").read() for p in sys.argv[3:5]]
needles = [s for k in secrets for s in (k, k.hex().encode(), k[:16], k[16:])]
def readable(pid):
    found, closed, n = [], [], 0
    base = f"/proc/{pid}"
    dirs = [base] + [f"{base}/task/{t}" for t in os.listdir(f"{base}/task")]
    for d in dirs:
        for name in os.listdir(d):
            p = f"{d}/{name}"
            if name in ("pagemap", "clear_refs") or not os.path.isfile(p):
                continue
            try:
                with open(p, "rb") as f:
                    data = f.read(1 << 24)
            except OSError:
                closed.append(name)
                continue
            n += 1
            for s in needles:
                assert s not in data, f"{p} holds key bytes"
    return n, set(closed)
n, closed = readable(ks)
for name in ("mem", "environ", "maps", "auxv"):
    assert name in closed, f"/proc/{ks}/{name} is open to nobody"
m, app_closed = readable(app)
assert "maps" not in app_closed and "environ" not in app_closed, "the app's /proc is closed too: no control"
print(f"/proc: {n} files read, none holds key bytes; mem, environ, maps closed")
PY
grep -q '^ptrace: key store refused, app allowed$' "$T/probe.out" || fail "ptrace: $(cat "$T/probe.out")"
grep -q '^/proc: [0-9]* files read, none holds key bytes' "$T/probe.out" || fail "/proc: $(cat "$T/probe.out")"
checks=$((checks + 2))

# Locked memory.
lck=$(awk '/^VmLck:/ { print $2 }' /proc/"$ks"/status)
[ "${lck:-0}" -gt 0 ] || fail "kos-keystored locks no memory (VmLck $lck kB)"

# The kernel's core dump: a key store killed by SIGABRT, with no core size limit set for it,
# leaves no core file (it is not dumpable and sets its own limit to 0); an ordinary process
# killed the same way in the same conditions does leave one, or the check cannot be made
# on this machine (core_pattern sends cores elsewhere) and the test says so. That key store
# runs as this test's user, so it gets a key directory of its own (another user's is refused).
mkdir -p "$T/dump-ks" "$T/dump-control"
python3 - "$KEYSTORED" "$T/m.dtb" "$T/keys-root" "$T/root.key" "$T/dump-ks" "$T/dump-control" <<'PY' >"$T/dump.out" 2>&1 ||
import os, resource, signal, socket, subprocess, sys
keystored, dtb, keys, root, ks_dir, control_dir = sys.argv[1:]
def unlimited():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
def cores(d):
    return [f for f in os.listdir(d) if f.startswith("core")]
q = subprocess.Popen(["sleep", "100"], cwd=control_dir, preexec_fn=unlimited)
os.kill(q.pid, signal.SIGABRT)
q.wait()
if not cores(control_dir):
    print("kernel core dump: not checked (this machine's core_pattern puts cores elsewhere)")
    sys.exit(0)
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
p = subprocess.Popen([keystored, "--instance", "keystore", "--manifest", dtb, "--dir", keys, "--root-key", root,
                      "--control-fd", str(theirs.fileno())], pass_fds=[theirs.fileno()], cwd=ks_dir,
                     preexec_fn=unlimited, stderr=subprocess.PIPE, text=True)
line = p.stderr.readline()
assert "serving" in line, f"the key store did not start: {line!r}"
os.kill(p.pid, signal.SIGABRT)
p.wait()
assert p.returncode == -signal.SIGABRT, f"exit {p.returncode}"
assert not cores(ks_dir), f"the key store left a core file: {cores(ks_dir)}"
print("kernel core dump: none from the key store (an ordinary process left one)")
PY
	fail "kernel core dump: $(cat "$T/dump.out")"
cat "$T/dump.out"
grep -q '^kernel core dump: ' "$T/dump.out" || fail "kernel core dump: $(cat "$T/dump.out")"
checks=$((checks + 1))

# A forced core dump of the running key store.
if [ "${KOS_SANITIZE:-}" = ON ]; then
	echo "core dump: not checked in a sanitizer build (its shadow memory makes a core of tens of GB)"
	kill -TERM "$KOSD_PID"
	kosd_wait_exit
	[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
	done_ok
fi
gcore -o "$T/core" "$ks" >"$T/gcore.out" 2>&1 || fail "gcore: $(cat "$T/gcore.out")"
[ -s "$T/core.$ks" ] || fail "gcore wrote no core"
python3 - "$T/core.$ks" "$T/seed" "$T/root.key" "$pub" <<'PY' || fail "core dump"
import sys
core = open(sys.argv[1], "rb").read()
pub = bytes.fromhex(sys.argv[4])
assert pub in core and b"orbit-identity" in core, "the core does not hold the key store's memory"
for p in sys.argv[2:4]:
    k = open(p, "rb").read()
    for s in (k, k[:16], k[16:]):
        assert s not in core, f"the core holds bytes of {p}"
print(f"core: {len(core)} bytes, public key present, no private key or root key bytes")
PY
checks=$((checks + 2))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
