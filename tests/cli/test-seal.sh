#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos seal: root keys, sealing a key at manufacturing, showing and checking sealed keys, and
# each refusal with its reason. The sealed bytes are also opened with Python's AES-GCM from
# docs/sealing.md's format, so the format is what the document says.
. "$KOS_SOURCE/tests/lib.sh"

ok "$KOS" seal generate root.key
out_is "root.key: 32-byte key (keep it secret)"
[ "$(stat -c %a root.key)" = 400 ] || fail "root key is not mode 0400"
[ "$(stat -c %s root.key)" = 32 ] || fail "root key is not 32 bytes"
fails 1 'root.key: exists; refusing to overwrite it' "$KOS" seal generate root.key
ok "$KOS" seal generate other-root.key
ok "$KOS" seal generate disk.key

ok "$KOS" seal create --root-key root.key --name disk --type aes-256 disk.key -o disk.sealed
err_empty
ok "$KOS" seal show disk.sealed
out_is 'disk.sealed: key "disk", aes-256, use wrap,unwrap'
ok "$KOS" seal check --root-key root.key disk.sealed
out_is 'disk.sealed: key "disk", aes-256, use wrap,unwrap'
fails 1 'disk.sealed: exists; refusing to overwrite it' \
	"$KOS" seal create --root-key root.key --name disk --type aes-256 disk.key -o disk.sealed

# The format, read by another implementation: header fields, AD = header, secret = key.
python3 - <<'PY' || fail "disk.sealed does not open as docs/sealing.md describes"
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
b = open("disk.sealed", "rb").read()
root = open("root.key", "rb").read()
assert b[:8] == b"kos-seal" and b[8] == 1 and b[9] == 3 and b[10] == 0x0c and b[11] == 4
assert int.from_bytes(b[12:14], "big") == 32 and b[14:18] == b"disk"
header = b[:18 + 12]
assert AESGCM(root).decrypt(b[18:30], b[30:], header) == open("disk.key", "rb").read()
PY
checks=$((checks + 1))

# Renamed, other type, other root key, flipped byte, truncated: each refused with its reason.
cp disk.sealed vpn.sealed
fails 1 'vpn.sealed: key "vpn": sealed for another key name' "$KOS" seal check --root-key root.key vpn.sealed
fails 1 'key "disk": sealed for another key type' "$KOS" seal check --root-key root.key --type ed25519 disk.sealed
fails 1 'key "disk": does not authenticate' "$KOS" seal check --root-key other-root.key disk.sealed
python3 -c "
b = bytearray(open('disk.sealed', 'rb').read()); b[40] ^= 1; open('flipped.sealed', 'wb').write(b)
b = bytearray(open('disk.sealed', 'rb').read()); b[14:18] = b'dusk'; open('dusk.sealed', 'wb').write(b)
open('short.sealed', 'wb').write(open('disk.sealed', 'rb').read()[:40])"
fails 1 'key "disk": does not authenticate' "$KOS" seal check --root-key root.key --name disk flipped.sealed
fails 1 'key "dusk": does not authenticate' "$KOS" seal check --root-key root.key dusk.sealed
fails 1 'key "disk": truncated' "$KOS" seal check --root-key root.key --name disk short.sealed
fails 1 'short.sealed: truncated' "$KOS" seal show short.sealed
echo garbage >junk.sealed
fails 1 'junk.sealed: not a sealed key or wrapped data key \(bad magic\)' "$KOS" seal show junk.sealed

# Ed25519: the PEM private key of kos key generate, or 32 raw bytes.
"$KOS" key generate id >/dev/null || fail "key generate"
ok "$KOS" seal create --root-key root.key --name orbit-identity --type ed25519 id.key -o orbit-identity.sealed
ok "$KOS" seal check --root-key root.key --type ed25519 orbit-identity.sealed
out_is 'orbit-identity.sealed: key "orbit-identity", ed25519, use sign'
python3 - <<'PY' || fail "the sealed Ed25519 secret is not the PEM key's seed"
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization
b = open("orbit-identity.sealed", "rb").read()
n = b[11]
secret = AESGCM(open("root.key", "rb").read()).decrypt(b[14 + n:26 + n], b[26 + n:], b[:26 + n])
key = serialization.load_pem_private_key(open("id.key", "rb").read(), None)
assert secret == key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                   serialization.NoEncryption())
PY
checks=$((checks + 1))
ok "$KOS" seal create --root-key root.key --name wrap-only --type aes-256 --use unwrap disk.key -o wrap-only.sealed
ok "$KOS" seal show wrap-only.sealed
out_is 'wrap-only.sealed: key "wrap-only", aes-256, use unwrap'

# Root key and key files: size, mode, kind.
cp root.key loose.key && chmod 644 loose.key
fails 1 'loose.key: root key file is accessible by group or others' \
	"$KOS" seal check --root-key loose.key disk.sealed
head -c 31 /dev/urandom >short.key && chmod 400 short.key
fails 1 'short.key: root key file is not 32 bytes' "$KOS" seal check --root-key short.key disk.sealed
fails 1 '\.: root key is not a regular file' "$KOS" seal check --root-key . disk.sealed
fails 1 'short.key: a key file of this type holds 32 bytes' \
	"$KOS" seal create --root-key root.key --name k --type aes-256 short.key -o k.sealed
cp disk.key loose-disk.key && chmod 640 loose-disk.key
fails 1 'loose-disk.key: key file is accessible by group or others' \
	"$KOS" seal create --root-key root.key --name k --type aes-256 loose-disk.key -o k.sealed
[ ! -e k.sealed ] || fail "a refused seal wrote its output"

# Usage errors.
fails 2 'not a use of an aes-256 key' "$KOS" seal create --root-key root.key --name k --type aes-256 --use sign disk.key -o k.sealed
fails 2 '--type "rsa": expected ed25519, x25519 or aes-256' "$KOS" seal create --root-key root.key --name k --type rsa disk.key -o k.sealed
fails 2 '--name "../k": use 1-63' "$KOS" seal create --root-key root.key --name ../k --type aes-256 disk.key -o k.sealed
fails 2 'name the key with --name' "$KOS" seal check --root-key root.key junk
fails 2 'seal: unknown command "open"' "$KOS" seal open x
fails 2 'seal create: unknown option "--colour"' "$KOS" seal create --colour
done_ok
