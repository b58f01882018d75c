#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos key: generation, refusal to overwrite, key ids, wrong key types.
. "$KOS_SOURCE/tests/lib.sh"

ok "$KOS" key generate dev
out_has '^dev\.pub: public key, id [0-9a-f]{64}$'
[ -f dev.key ] && [ -f dev.pub ] || fail "key files not written"
[ "$(stat -c %a dev.key)" = 600 ] || fail "private key is not mode 0600"
grep -q 'BEGIN PRIVATE KEY' dev.key || fail "private key is not PEM PKCS#8"
grep -q 'BEGIN PUBLIC KEY' dev.pub || fail "public key is not PEM SubjectPublicKeyInfo"

# The key id is the SHA-256 of the raw 32-byte key: the last 32 bytes of the DER SPKI.
expect=$(openssl pkey -pubin -in dev.pub -outform DER | tail -c 32 | sha256sum | cut -d' ' -f1)
ok "$KOS" key id dev.pub
out_is "$expect"
ok "$KOS" key id dev.key
out_is "$expect"

# Never overwrite a key.
cp dev.key dev.key.orig
fails 1 'dev.key: key exists' "$KOS" key generate dev
cmp -s dev.key dev.key.orig || fail "existing key was changed"
rm dev.pub
fails 1 'key exists' "$KOS" key generate dev
[ ! -f dev.pub ] || fail "half a key pair was written"

# Wrong types and garbage.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
openssl pkey -in rsa.key -pubout -out rsa.pub 2>/dev/null
fails 1 'rsa.pub: not an Ed25519 key' "$KOS" key id rsa.pub
echo garbage >junk.pub
fails 1 'junk.pub: not a PEM key file' "$KOS" key id junk.pub
fails 1 'missing.pub: No such file' "$KOS" key id missing.pub

# Usage errors exit 2.
fails 2 'expected a command' "$KOS" key generate
fails 2 'unknown command "frobnicate"' "$KOS" key frobnicate x
fails 2 'unknown verb' "$KOS" nonsense
fails 2 'key generate: unknown option "-x"' "$KOS" key generate -x
[ ! -e -x.key ] || fail "an option became a key name"
fails 2 'expected a command' "$KOS" key generate ""
ok "$KOS" key generate -- -x
[ -f ./-x.key ] && [ -f ./-x.pub ] || fail "-- did not end the options"
ok "$KOS" key --help
out_has 'kos key generate NAME'
ok "$KOS" help key
out_has 'kos key generate NAME'
fails 2 'help: unknown verb "nonsense"' "$KOS" help nonsense
ok "$KOS" help
out_has 'manifest'
done_ok
