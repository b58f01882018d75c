#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos manifest sign/verify: good signatures, several signers, and every way verification
# must fail: tampered DTB, untrusted key, bad signature, garbage or missing signature file,
# keys of the wrong type.
. "$KOS_SOURCE/tests/lib.sh"

sed "s|@APPS@|/usr/lib/kos|g" "$KOS_SOURCE/examples/system/manifest.dts.in" >m.dts
ok "$KOS" manifest build m.dts -o m.dtb
mkdir trusted other
ok "$KOS" key generate trusted/release
ok "$KOS" key generate other/stranger
release_id=$("$KOS" key id trusted/release.pub)

# No signature yet.
fails 1 'm\.dtb\.sig: No such file' "$KOS" manifest verify m.dtb --trust trusted

# Signed by a key the verifier does not trust.
ok "$KOS" manifest sign m.dtb --key other/stranger.key
[ "$(wc -l <m.dtb.sig)" -eq 1 ] || fail "one signature expected"
fails 1 'm\.dtb\.sig: no signature by a trusted key' "$KOS" manifest verify m.dtb --trust trusted

# A second signer appends a line; verification now holds and names the key.
ok "$KOS" manifest sign m.dtb --key trusted/release.key
err_empty
[ "$(wc -l <m.dtb.sig)" -eq 2 ] || fail "two signatures expected"
grep -Eq "^ed25519 $release_id [0-9a-f]{128}$" m.dtb.sig || fail "signature line format"
ok "$KOS" manifest verify m.dtb --trust trusted
out_has "signed by trusted key $release_id"
# Signing again with the same key replaces its line.
ok "$KOS" manifest sign m.dtb --key trusted/release.key
[ "$(wc -l <m.dtb.sig)" -eq 2 ] || fail "re-signing added a line"
# A private key others can read still signs, with a warning, as ssh warns.
cp trusted/release.key loose.key
chmod 644 loose.key
ok "$KOS" manifest sign m.dtb --key loose.key -o loose.sig
grep -q '^kos: warning: loose\.key is readable or writable by others (mode 0644); chmod 600 it$' "$T/.err" ||
	fail "no warning for a world-readable private key"
# A single .pub file works as the trust set too.
ok "$KOS" manifest verify m.dtb --trust trusted/release.pub

# Tampered DTB: change the description's bytes in place (still a valid manifest).
cp m.dtb t.dtb
cp m.dtb.sig t.dtb.sig
sed -i 's/weather station 1\.0/weather station 6.6/' t.dtb
ok "$KOS" manifest check t.dtb
fails 1 't\.dtb\.sig: bad signature' "$KOS" manifest verify t.dtb --trust trusted

# A signature line whose bytes were altered.
sed "s/^\(ed25519 $release_id \)\(.\)/\1$(grep "$release_id" m.dtb.sig | cut -c74 | tr 0-9a-f 1-9a-f0)/" m.dtb.sig >flip.sig
cmp -s flip.sig m.dtb.sig && fail "signature was not altered"
fails 1 'flip\.sig: bad signature' "$KOS" manifest verify m.dtb --trust trusted --sig flip.sig

# Two lines by the same key make the file malformed, whichever comes first: a forged second
# line can neither spoil nor replace a good one.
grep "$release_id" m.dtb.sig >good.line
grep "$release_id" flip.sig >bad.line
cat good.line bad.line >dup1.sig
cat bad.line good.line >dup2.sig
fails 1 "^kos: dup1\\.sig:2: a second signature by key $release_id; a signature file holds one line per key\$" \
	"$KOS" manifest verify m.dtb --trust trusted --sig dup1.sig
fails 1 "^kos: dup2\\.sig:2: a second signature by key $release_id" "$KOS" manifest verify m.dtb --trust trusted --sig dup2.sig
cat good.line good.line >dup3.sig
fails 1 "^kos: dup3\\.sig:2: a second signature by key $release_id" "$KOS" manifest verify m.dtb --trust trusted --sig dup3.sig
# Signing repairs nothing silently either: the file is refused, not rewritten.
fails 1 "^kos: dup1\\.sig:2: a second signature by key $release_id" "$KOS" manifest sign m.dtb --key trusted/release.key -o dup1.sig

# Garbage signature files fail with the line.
printf 'ed25519 %s %s\nthis is not a signature\n' "$release_id" "$(head -c 64 /dev/zero | od -v -An -tx1 | tr -d ' \n')" >garbage.sig
fails 1 'garbage\.sig:2: malformed signature line' "$KOS" manifest verify m.dtb --trust trusted --sig garbage.sig
head -c 3000 /dev/urandom >random.sig
fails 1 'random\.sig:[0-9]+: malformed signature line' "$KOS" manifest verify m.dtb --trust trusted --sig random.sig
: >empty.sig
fails 1 'empty\.sig: no signature$' "$KOS" manifest verify m.dtb --trust trusted --sig empty.sig
head -c 70000 /dev/zero | tr '\0' '\n' >huge.sig
fails 1 'huge\.sig: larger than the limit' "$KOS" manifest verify m.dtb --trust trusted --sig huge.sig

# Keys of the wrong type: signing with RSA, trusting an RSA public key.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
mkdir rsa
openssl pkey -in rsa.key -pubout -out rsa/rsa.pub 2>/dev/null
fails 1 'rsa\.key: not an Ed25519 key' "$KOS" manifest sign m.dtb --key rsa.key
fails 1 'rsa/rsa\.pub: not an Ed25519 key' "$KOS" manifest verify m.dtb --trust rsa
fails 1 'trusted/release\.pub: not a PEM key file' "$KOS" manifest sign m.dtb --key trusted/release.pub
# A key of another algorithm next to a good one is skipped with one warning naming it;
# verification still rests on the good key. With no usable key left it stays an error.
mkdir mixed
cp trusted/release.pub mixed/
cp rsa/rsa.pub mixed/rsa.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout -out mixed/ec.pub 2>/dev/null
openssl genpkey -algorithm X25519 2>/dev/null | openssl pkey -pubout -out mixed/x25519.pub 2>/dev/null
[ -s mixed/ec.pub ] && [ -s mixed/x25519.pub ] || fail "openssl made no EC or X25519 key"
ok "$KOS" manifest verify m.dtb --trust mixed
out_has "signed by trusted key $release_id"
for k in rsa ec x25519; do
	grep -qx "kos: warning: mixed/$k\.pub: not an Ed25519 key; skipped" "$T/.err" || fail "no warning for $k.pub"
done
[ "$(wc -l <"$T/.err")" -eq 3 ] || fail "expected three warnings"
ok "$KOS" manifest verify m.dtb --trust mixed/release.pub
mkdir empty
fails 1 'empty: no trusted keys' "$KOS" manifest verify m.dtb --trust empty

# Odd things named *.pub in a trust directory are named as such; a FIFO does not hang.
mkdir odd odd/dir.pub
fails 1 '^kos: odd/dir\.pub: Is a directory$' "$KOS" manifest verify m.dtb --trust odd
rmdir odd/dir.pub
mkfifo odd/fifo.pub
fails 1 '^kos: odd/fifo\.pub: not a regular file$' timeout 10 "$KOS" manifest verify m.dtb --trust odd
rm odd/fifo.pub
ln -s missing.pub odd/dangling.pub
fails 1 '^kos: odd/dangling\.pub: No such file or directory$' "$KOS" manifest verify m.dtb --trust odd

# An encrypted private key is refused, never prompted for.
openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:secret -out encrypted.key 2>/dev/null
fails 1 '^kos: encrypted\.key: encrypted private key' timeout 10 "$KOS" manifest sign m.dtb --key encrypted.key </dev/null

# Signatures are over DTB bytes; DTS is refused. A failed sign writes nothing.
fails 1 'm\.dts: not a DTB' "$KOS" manifest sign m.dts --key trusted/release.key
[ ! -e m.dts.sig ] || fail "sign wrote a signature for DTS"
fails 2 '--key K\.key is required' "$KOS" manifest sign m.dtb
fails 2 '--trust DIR is required' "$KOS" manifest verify m.dtb
done_ok
