#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The hardware tier under the real kosd and kos-keystored, with a software TPM (swtpm): the
# device root key is sealed by the TPM at manufacturing (tpm2-tools, under the storage key
# at 0x81000001) and its clear copy destroyed; the key store has the TPM unseal it at every
# start.
#
#   works        an app's key is made, used, and the same after the key store restarts
#                (the root key unsealed again); no key file holds the root key
#   another TPM  the same sealed root key on another TPM does not load: the key store says
#                so in one line and serves nothing
# Needs swtpm and tpm2-tools; exits 77 (skipped) without them.
. "$KOS_SOURCE/tests/lib.sh"
for tool in swtpm tpm2_create tpm2_createprimary tpm2_evictcontrol tpm2_flushcontext; do
	command -v $tool >/dev/null || { echo "skipped: needs $tool"; exit 77; }
done
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
. "$KOS_SOURCE/tests/integration/keystore/keystore-lib.sh"
trap 'tpm_stop; kosd_cleanup' EXIT

# Two free ports in a row: the swtpm TCTI finds the control channel at the next port.
free_ports() {
	python3 -c '
import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p, p + 1)
    break'
}
tpm_up() { TPM2TOOLS_TCTI="$TCTI" tpm2_flushcontext -t >/dev/null 2>&1; }
# tpm_start NAME: a fresh software TPM with its storage key at 0x81000001.
tpm_start() {
	set -- "$1" $(free_ports)
	p1=$2 p2=$3
	mkdir -p "$T/$1"
	swtpm socket --tpm2 --tpmstate dir="$T/$1" --server type=tcp,port="$p1",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port="$p2",bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
		--daemon --pid file="$T/swtpm.pid" || fail "swtpm does not start"
	TCTI="swtpm:host=127.0.0.1,port=$p1"
	wait_until 10 tpm_up
	export TPM2TOOLS_TCTI="$TCTI"
	tpm2_createprimary -Q -C o -c "$T/primary.ctx" && tpm2_evictcontrol -Q -C o -c "$T/primary.ctx" 0x81000001 &&
		tpm2_flushcontext -t || fail "cannot make the TPM's storage key"
}
tpm_stop() {
	[ -s "$T/swtpm.pid" ] && kill "$(cat "$T/swtpm.pid")" 2>/dev/null
	rm -f "$T/swtpm.pid"
}

# Manufacturing: the root key sealed by the TPM, its clear copy kept only to search for it.
tpm_start tpm1
rm -f "$T/root.key"
head -c 32 /dev/urandom >"$T/root.clear"
tpm2_create -Q -C 0x81000001 -i "$T/root.clear" -u "$T/tpm-root.pub" -r "$T/tpm-root.priv" && tpm2_flushcontext -t ||
	fail "tpm2_create"
cat >"$T/keystored.sh" <<EOS
#!/bin/sh
exec "$KEYSTORED" --dir "$T/keys" --tpm-root-key "$T/tpm-root" --tpm-tcti "\$(cat "$T/tcti")" "\$@"
EOS
echo "$TCTI" >"$T/tcti"

ks_app admin 'echo "pub $($K pubkey orbit-identity)"
echo "sig $(printf hello | $K sign orbit-identity)"
echo done; exec sleep 1000'
kosd_manifest "$T/m.dtb" <<'DTS'
apps { admin { path = "@T@/admin.sh"; }; };
key_store { orbit-identity { type = "ed25519"; apps = "admin"; }; };
DTS
runs() { [ -f "$T/admin.out" ] && [ "$(grep -c '^done$' "$T/admin.out")" -ge "$1" ]; }
kosd_start "$T/m.dtb" --keystored "$T/keystored.sh"
wait_until 30 runs 1
pub=$(sed -n 's/^pub //p' "$T/admin.out" | head -n 1)
sig=$(sed -n 's/^sig //p' "$T/admin.out" | head -n 1)
[ ${#pub} -eq 64 ] && [ ${#sig} -eq 128 ] || fail "admin: $(cat "$T/admin.out") $(cat "$T/kosd.log")"
printf hello >"$T/msg"
ok "$KOS" keystore verify "$pub" "$sig" "$T/msg"
grep -q 'kos-keystored: serving 1 key from .* (root key sealed by the TPM)' "$T/kosd.log" || fail "not the TPM tier"

# A restart of the key store unseals the root key again; the key is the same.
ok "$KOS" ps
kill -KILL "$(awk '$1 == "kos-keystored:keystore" { print $3 }' "$T/.out")"
wait_until 30 runs 2
[ "$(sed -n 's/^pub //p' "$T/admin.out" | sed -n 2p)" = "$pub" ] || fail "key changed: $(cat "$T/admin.out")"
python3 - "$T/root.clear" "$T/keys" "$T/kosd.log" <<'PY' || fail "root key bytes found"
import os, sys
k = open(sys.argv[1], "rb").read()
files = [os.path.join(sys.argv[2], f) for f in os.listdir(sys.argv[2])] + [sys.argv[3]]
for f in files:
    data = open(f, "rb").read()
    assert all(s not in data for s in (k, k.hex().encode(), k[:16], k[16:])), f
PY
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
checks=$((checks + 4))

# Another TPM: the sealed root key does not load there.
tpm_stop
tpm_start tpm2
echo "$TCTI" >"$T/tcti"
kosd_start "$T/m.dtb" --keystored "$T/keystored.sh"
wait_until 30 grep -q 'kos-keystored: root key .*/tpm-root: TPM: the sealed root key does not load (another TPM?)' \
	"$T/kosd.log"
grep -q '^pub [0-9a-f]' "$T/admin.out" && [ "$(grep -c '^pub [0-9a-f]' "$T/admin.out")" -gt 2 ] &&
	fail "a key was served without the root key"
checks=$((checks + 1))
done_ok
