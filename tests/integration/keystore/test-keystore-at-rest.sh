#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The key store's keys at rest, under the real kosd and kos-keystored:
#
#   persistence     kos-keystored killed; kosd restarts it (and the apps connected to it);
#                   the keys are the same, and so they are after kosd itself restarts
#   no key bytes    no file the key store wrote, and no log, holds an imported private key
#                   or the root key, raw or in hex
#   tampered blob   a flipped byte: refused with the sealing module's reason, the key
#                   never replaced by a new one; the other keys work on
#   swapped blob    another key's file under this key's name: refused (another name)
#   other root key  every key refused; with the right root key back, all work as before
#   generated       each generated key is logged by name, once; an imported one is not
#   deleted file    spare's key file removed: refused with a clear reason (its record says
#                   it was made), no new spare made in its place; the others work on
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
. "$KOS_SOURCE/tests/integration/keystore/keystore-lib.sh"

head -c 32 /dev/urandom >"$T/seed"
printf 'persist' >"$T/msg"
ks_app admin 'echo run
[ -e "$T/imported" ] || { $K import orbit-identity "$T/seed" && touch "$T/imported"; }
echo "pub $($K pubkey orbit-identity)"
echo "spare $($K pubkey spare)"
echo "disk $($CLIENT wrap disk p 00112233445566778899aabbccddeeff)"
echo done; exec sleep 1000'

kosd_manifest "$T/m.dtb" <<'DTS'
apps { admin { path = "@T@/admin.sh"; }; };
key_store {
	orbit-identity { type = "ed25519"; apps = "admin"; origin = "import"; operations = "sign", "public-key", "import"; };
	spare { type = "ed25519"; apps = "admin"; };
	disk { type = "aes-256"; apps = "admin"; };
};
DTS
runs() { [ -f "$T/admin.out" ] && [ "$(grep -c '^done$' "$T/admin.out")" -ge "$1" ]; }
# run_kosd N: starts kosd and waits for admin's Nth run to end.
run_kosd() {
	kosd_start "$T/m.dtb" --keystored "$T/keystored.sh"
	wait_until 30 runs "$1"
}
stop_kosd() {
	kill -TERM "$KOSD_PID"
	kosd_wait_exit
	[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
	cat "$T/kosd.log" >>"$T/all.log"
}
# nth_field FIELD N: the value of the Nth "FIELD ..." line of admin's output.
nth_field() {
	sed -n "s/^$1 //p" "$T/admin.out" | sed -n "$2p"
}

run_kosd 1
pub=$(nth_field pub 1) spare=$(nth_field spare 1)
[ ${#pub} -eq 64 ] && [ ${#spare} -eq 64 ] || fail "admin: $(cat "$T/admin.out")"
ks_der_private ed25519 "$(hex "$T/seed")" "$T/seed.der"
openssl pkey -inform DER -in "$T/seed.der" -pubout -outform DER -out "$T/seed-pub.der" 2>/dev/null
[ "$pub" = "$(hex "$T/seed-pub.der" | tail -c 64)" ] || fail "the imported key is not the one in use"
[ -n "$(nth_field disk 1)" ] || fail "disk: $(cat "$T/admin.out")"
for k in orbit-identity spare disk; do
	[ -f "$T/keys/$k.sealed" ] || fail "no key file for $k"
done
for k in spare disk; do
	[ "$(grep -c "kos-keystored: key \"$k\": generated (.*) on first use by app \"admin\"" "$T/kosd.log")" -eq 1 ] ||
		fail "generation of $k not logged once: $(cat "$T/kosd.log")"
done
! grep -q 'key "orbit-identity": generated' "$T/kosd.log" || fail "the imported key was generated"
[ "$(stat -c %a "$T/keys")" = 700 ] && [ "$(stat -c %a "$T/keys/spare.sealed")" = 600 ] || fail "key file modes"

# Persistence across a restart of the key store: kosd restarts it and admin with it.
ok "$KOS" ps
out_has '^kos-keystored:keystore +running '
kill -KILL "$(awk '$1 == "kos-keystored:keystore" { print $3 }' "$T/.out")"
wait_until 30 runs 2
[ "$(nth_field pub 2)" = "$pub" ] && [ "$(nth_field spare 2)" = "$spare" ] || fail "keys changed: $(cat "$T/admin.out")"
stop_kosd

# ... and across a restart of kosd and everything.
run_kosd 3
[ "$(nth_field pub 3)" = "$pub" ] && [ "$(nth_field spare 3)" = "$spare" ] || fail "keys changed: $(cat "$T/admin.out")"
stop_kosd
checks=$((checks + 8))

# No file the key store wrote, and no log, holds the private key or the root key.
cp "$T/keys/orbit-identity.sealed" "$T/orbit.good"
cp "$T/keys/disk.sealed" "$T/disk.good"
python3 - "$T/seed" "$T/root.key" "$T/keys" "$T/all.log" "$T/admin.out" <<'PY' || fail "key bytes found"
import os, sys
secrets = [open(p, "rb").read() for p in sys.argv[1:3]]
needles = [s for k in secrets for s in (k, k.hex().encode(), k.hex().upper().encode(), k[:16], k[16:])]
files = []
for p in sys.argv[3:]:
    files += [os.path.join(p, f) for f in os.listdir(p)] if os.path.isdir(p) else [p]
for f in files:
    data = open(f, "rb").read()
    for n in needles:
        if n in data:
            sys.exit(f"{f}: holds key bytes")
print(f"{len(files)} files checked")
PY
checks=$((checks + 1))

# A tampered blob (one bit of the ciphertext) and a swapped one (spare's file as disk's).
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-20]^=1; open(p,"wb").write(b)' \
	"$T/keys/orbit-identity.sealed"
cp "$T/keys/spare.sealed" "$T/keys/disk.sealed"
cp "$T/keys/orbit-identity.sealed" "$T/orbit.tampered"
run_kosd 4
grep -q "^kos: keystore pubkey \"orbit-identity\": key \"orbit-identity\": $T/keys/orbit-identity.sealed: sealed key refused: does not authenticate (altered, or sealed under another key)\$" "$T/admin.out" ||
	fail "tampered blob: $(cat "$T/admin.out")"
grep -q "^disk error: EKEYREJECTED: key \"disk\": $T/keys/disk.sealed: sealed key refused: sealed for another key name\$" "$T/admin.out" ||
	fail "swapped blob: $(cat "$T/admin.out")"
[ "$(nth_field spare 4)" = "$spare" ] || fail "spare stopped working"
cmp -s "$T/keys/orbit-identity.sealed" "$T/orbit.tampered" || fail "the refused key file was replaced"
grep -q 'kos-keystored: key "orbit-identity": .*sealed key refused: does not authenticate' "$T/kosd.log" ||
	fail "refusal not logged"
stop_kosd
checks=$((checks + 5))

# Another root key: every key refused. The right one back: all as before.
cp "$T/orbit.good" "$T/keys/orbit-identity.sealed"
cp "$T/disk.good" "$T/keys/disk.sealed"
mv "$T/root.key" "$T/root.good"
head -c 32 /dev/urandom >"$T/root.key"
chmod 400 "$T/root.key"
run_kosd 5
[ "$(grep -c 'sealed key refused: does not authenticate' "$T/admin.out")" -ge 3 ] ||
	fail "other root key: $(cat "$T/admin.out")"
stop_kosd
rm -f "$T/root.key"
mv "$T/root.good" "$T/root.key"
run_kosd 6
[ "$(nth_field pub 6)" = "$pub" ] && [ "$(nth_field spare 6)" = "$spare" ] || fail "keys after restore: $(cat "$T/admin.out")"
stop_kosd
checks=$((checks + 2))

# A deleted key file: refused, never silently made anew.
rm "$T/keys/spare.sealed"
run_kosd 7
grep -q "^kos: keystore pubkey \"spare\": key \"spare\": $T/keys/spare.sealed: the key file is gone, but the key was made before (its record spare.created is there): refused, no new key is made in its place\$" "$T/admin.out" ||
	fail "deleted key file: $(cat "$T/admin.out")"
[ ! -e "$T/keys/spare.sealed" ] || fail "a new spare was made"
[ "$(nth_field pub 7)" = "$pub" ] || fail "orbit-identity stopped working"
! grep -q 'key "spare": generated' "$T/kosd.log" || fail "spare generated again"
stop_kosd
checks=$((checks + 4))
done_ok
