#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos keystore's bad input, without a key store: usage errors exit 2, every failure is one
# "kos: " line, and verify checks signatures anywhere (here, one made by openssl).
. "$KOS_SOURCE/tests/lib.sh"
unset KOS_KEYSTORE

fails 2 'usage: kos keystore pubkey KEY' "$KOS" keystore pubkey
fails 2 'usage: kos keystore sign KEY' "$KOS" keystore sign a b c
fails 2 'keystore: unknown verb "steal"' "$KOS" keystore steal orbit-identity
fails 2 'keystore sign: unknown option' "$KOS" keystore sign k --contxt
fails 2 'PUBKEY is not 64 hex digits' "$KOS" keystore verify abcd "$(printf '%0128d' 0)"
fails 2 'SIGNATURE is not 128 hex digits' "$KOS" keystore verify "$(printf '%064d' 0)" zz
fails 2 'expected APP/KEY' "$KOS" keystore verify "$(printf '%064d' 0)" "$(printf '%0128d' 0)" --context admin

# No connection: refused at once, and said so.
printf 'hello' >msg
fails 1 'keystore sign "orbit-identity": denied: no connection to the key store' \
	"$KOS" keystore sign orbit-identity msg
fails 1 'keystore list "-": denied: no connection' "$KOS" keystore list
KOS_KEYSTORE=keystore=notanfd fails 1 'KOS_KEYSTORE is malformed' "$KOS" keystore pubkey k

# import reads the key file before it asks: a bad one is named.
fails 1 'keystore import: missing: No such file or directory' "$KOS" keystore import k missing
printf 'short' >short.key
fails 1 'keystore import: short.key: not a private key \(32 bytes, or 64 hex digits\)' \
	"$KOS" keystore import k short.key

# verify, with a key and signature openssl made.
openssl genpkey -algorithm ed25519 -outform DER -out key.der 2>/dev/null
openssl pkey -inform DER -in key.der -pubout -outform DER -out pub.der
openssl pkeyutl -sign -inkey key.der -keyform DER -rawin -in msg -out sig.bin
pub=$(od -An -v -tx1 pub.der | tr -d ' \n' | tail -c 64)
sig=$(od -An -v -tx1 sig.bin | tr -d ' \n')
ok "$KOS" keystore verify "$pub" "$sig" msg
out_is "signature valid"
ok "$KOS" keystore verify "$pub" "$sig" - <msg
printf 'hellO' >other
fails 1 'the signature does not verify with that public key$' "$KOS" keystore verify "$pub" "$sig" other
done_ok
