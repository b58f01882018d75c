#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The key store's grant matrix under the real kosd and kos-keystored, with real apps (shell
# scripts using the kos keystore verbs, and a C client on libkos-keystore.so):
#
#   key (type)              apps     operations
#   orbit-identity ed25519  admin    sign, public-key (default)
#   disk           aes-256  admin    wrap, unwrap (default)
#   factory        ed25519  admin    sign, public-key, import
#   vpn            x25519   tunnel   agree, public-key (default)
#   wrap-only      aes-256  tunnel   wrap
#   greedy-key     ed25519  greedy
#
#   granted sign          admin signs with orbit-identity; openssl verifies it with the key
#                         store's public key; a context-bound one verifies for admin's
#                         context only
#   refused sign          tunnel signs with orbit-identity: denied, logged by name
#   unknown key           admin signs with "nokey": denied (no such key), logged
#   wrong type            admin signs with disk (aes-256), tunnel with vpn (x25519)
#   operation not granted admin imports into orbit-identity; tunnel unwraps with wrap-only
#   no connection         loner, granted nothing, has no connection: denied at once
#   import                admin imports factory once; its public key is the seed's; again: exists
#   agree                 tunnel's X25519 secret equals what openssl derives from the other side
#   wrap/unwrap           round trip; another purpose is refused; too small a buffer is
#                         EMSGSIZE and the connection serves on
#   stalling client       greedy sends without reading replies; it loses its connection,
#                         admin is served all the same
#   log flood             noisy is refused 30 times in a row; the key store logs 20 of them
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
. "$KOS_SOURCE/tests/integration/keystore/keystore-lib.sh"

head -c 32 /dev/urandom >"$T/factory.seed"
head -c 32 /dev/urandom >"$T/peer.seed"
printf 'hello orbit' >"$T/msg"
DATA_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
ks_der_private x25519 "$(hex "$T/peer.seed")" "$T/peer.der"
openssl pkey -inform DER -in "$T/peer.der" -pubout -outform DER -out "$T/peer-pub.der" 2>/dev/null ||
	fail "openssl cannot read an X25519 key"
PEER_PUB=$(hex "$T/peer-pub.der" | tail -c 64)

ks_app admin '$K list; echo "list status $?"
echo "pub $($K pubkey orbit-identity)"
echo "sig $($K sign orbit-identity "$T/msg")"
echo "csig $($K sign orbit-identity "$T/msg" --context)"
$K sign disk "$T/msg"; echo "wrong-type status $?"
$K sign nokey "$T/msg"; echo "unknown status $?"
$K import orbit-identity "$T/factory.seed"; echo "import-denied status $?"
$K pubkey factory; echo "not-imported status $?"
$K import factory "$T/factory.seed"; echo "import status $?"
$K import factory "$T/factory.seed"; echo "import-again status $?"
echo "fpub $($K pubkey factory)"
w=$($CLIENT wrap disk component:site '"$DATA_KEY"'); echo "wrapped $w"
echo "unwrapped $($CLIENT unwrap disk component:site "$w")"
$CLIENT unwrap disk component:other "$w"; echo "other-purpose status $?"
echo "unwrap-short $($CLIENT unwrap-short disk component:site "$w")"
until [ -e "$T/greedy.done" ]; do sleep 0.05; done
echo "after-stall $($K sign orbit-identity "$T/msg")"
echo done; exec sleep 1000'
ks_app tunnel '$K sign orbit-identity "$T/msg"; echo "denied status $?"
$K sign vpn "$T/msg"; echo "wrong-type status $?"
echo "vpub $($K pubkey vpn)"
echo "shared $($CLIENT agree vpn '"$PEER_PUB"')"
w=$($CLIENT wrap wrap-only p '"$DATA_KEY"'); echo "wrapped $w"
$CLIENT unwrap wrap-only p "$w"; echo "unwrap-denied status $?"
echo done; exec sleep 1000'
ks_app loner '$K sign orbit-identity "$T/msg"; echo "status $?"
$K list; echo "status $?"
echo done; exec sleep 1000'
ks_app greedy '$CLIENT stall greedy-key 5000; touch "$T/greedy.done"; echo done; exec sleep 1000'
ks_app noisy 'i=0; while [ $i -lt 30 ]; do $K pubkey orbit-identity 2>/dev/null; i=$((i + 1)); done
echo "pub $($K pubkey noisy-key)"; echo done; exec sleep 1000'

kosd_manifest "$T/m.dtb" <<'DTS'
apps {
	admin { path = "@T@/admin.sh"; };
	tunnel { path = "@T@/tunnel.sh"; };
	loner { path = "@T@/loner.sh"; };
	greedy { path = "@T@/greedy.sh"; };
	noisy { path = "@T@/noisy.sh"; };
};
key_store {
	orbit-identity { type = "ed25519"; apps = "admin"; };
	disk { type = "aes-256"; apps = "admin"; };
	factory { type = "ed25519"; apps = "admin"; origin = "import"; operations = "sign", "public-key", "import"; };
	vpn { type = "x25519"; apps = "tunnel"; };
	wrap-only { type = "aes-256"; apps = "tunnel"; operations = "wrap"; };
	greedy-key { type = "ed25519"; apps = "greedy"; };
	noisy-key { type = "ed25519"; apps = "noisy"; };
};
DTS
kosd_start "$T/m.dtb" --keystored "$T/keystored.sh"
for a in admin tunnel loner greedy noisy; do
	wait_until 30 grep -q '^done$' "$T/$a.out"
done

# Granted sign, checked by openssl with the public key the key store gives out.
grep -qx 'list status 0' "$T/admin.out" || fail "admin's list: $(cat "$T/admin.out")"
grep -qx 'orbit-identity ed25519 sign,public-key' "$T/admin.out" || fail "list: $(cat "$T/admin.out")"
grep -q '^vpn ' "$T/admin.out" && fail "admin's list shows tunnel's key"
pub=$(ks_field admin pub) sig=$(ks_field admin sig) csig=$(ks_field admin csig)
[ ${#pub} -eq 64 ] && [ ${#sig} -eq 128 ] && [ ${#csig} -eq 128 ] || fail "admin: $(cat "$T/admin.out")"
ks_der_public ed25519 "$pub" "$T/pub.der"
unhex "$sig" >"$T/sig.bin"
ok openssl pkeyutl -verify -pubin -inkey "$T/pub.der" -keyform DER -rawin -in "$T/msg" -sigfile "$T/sig.bin"
ok "$KOS" keystore verify "$pub" "$sig" "$T/msg"
out_is "signature valid"
# The context-bound signature holds for admin's context, and for nothing else.
ok "$KOS" keystore verify "$pub" "$csig" "$T/msg" --context admin/orbit-identity
fails 1 'does not verify' "$KOS" keystore verify "$pub" "$csig" "$T/msg"
fails 1 'does not verify' "$KOS" keystore verify "$pub" "$csig" "$T/msg" --context tunnel/orbit-identity
fails 1 'does not verify' "$KOS" keystore verify "$pub" "$sig" "$T/msg" --context admin/orbit-identity
printf 'hello orbiT' >"$T/msg2"
fails 1 'does not verify' "$KOS" keystore verify "$pub" "$sig" "$T/msg2"
grep -qx "after-stall $sig" "$T/admin.out" || fail "admin was not served after the stalling client"

# Refusals: each says denied, and the key store logs it by name.
grep -q '^kos: keystore sign "orbit-identity": denied: app "tunnel" may not use key "orbit-identity"$' "$T/tunnel.out" ||
	fail "tunnel's sign: $(cat "$T/tunnel.out")"
grep -qx 'denied status 1' "$T/tunnel.out" || fail "tunnel's refused sign did not fail"
grep -q '^kos: keystore sign "nokey": denied: app "admin" may not sign with key "nokey": the manifest has no such key$' \
	"$T/admin.out" || fail "unknown key: $(cat "$T/admin.out")"
grep -q '^kos: keystore sign "disk": denied: app "admin" may not sign with key "disk": an aes-256 key has no such operation$' \
	"$T/admin.out" || fail "wrong type: $(cat "$T/admin.out")"
grep -q '^kos: keystore sign "vpn": denied: app "tunnel" may not sign with key "vpn": an x25519 key has no such operation$' \
	"$T/tunnel.out" || fail "wrong type (x25519): $(cat "$T/tunnel.out")"
grep -q '^kos: keystore import "orbit-identity": denied: app "admin" may not import with key "orbit-identity"$' \
	"$T/admin.out" || fail "import not granted: $(cat "$T/admin.out")"
grep -q '^error: EACCES: denied: app "tunnel" may not unwrap with key "wrap-only"$' "$T/tunnel.out" ||
	fail "unwrap not granted: $(cat "$T/tunnel.out")"
for s in wrong-type unknown import-denied; do
	grep -qx "$s status 1" "$T/admin.out" || fail "admin's $s did not fail"
done
[ "$(grep -c '^kos: keystore sign "orbit-identity": denied: no connection to the key store' "$T/loner.out")" -eq 1 ] ||
	fail "loner: $(cat "$T/loner.out")"
grep -q '^kos: keystore list "-": denied: no connection to the key store' "$T/loner.out" || fail "loner's list"
[ "$(grep -c '^status 1$' "$T/loner.out")" -eq 2 ] || fail "loner's requests did not fail"
for line in 'denied: app "tunnel" may not use key "orbit-identity"' \
	'denied: app "admin" may not sign with key "nokey": the manifest has no such key' \
	'denied: app "admin" may not sign with key "disk": an aes-256 key has no such operation' \
	'denied: app "admin" may not import with key "orbit-identity"' \
	'denied: app "tunnel" may not unwrap with key "wrap-only"'; do
	grep -qF "kos-keystored: $line" "$T/kosd.log" || fail "not logged: $line"
done
checks=$((checks + 16))

# An import key is not generated by its first use: refused until imported.
grep -qx 'not-imported status 1' "$T/admin.out" || fail "use before import: $(cat "$T/admin.out")"
grep -q '^kos: keystore pubkey "factory": key "factory": not imported yet (origin "import": the key store never generates it)$' \
	"$T/admin.out" || fail "use before import: $(cat "$T/admin.out")"
# Import once: the public key is the seed's; a second import is refused.
grep -qx 'import status 0' "$T/admin.out" || fail "import: $(cat "$T/admin.out")"
grep -q '^kos: keystore import "factory": import: key "factory" exists; a key is imported once$' "$T/admin.out" ||
	fail "second import: $(cat "$T/admin.out")"
ks_der_private ed25519 "$(hex "$T/factory.seed")" "$T/factory.der"
openssl pkey -inform DER -in "$T/factory.der" -pubout -outform DER -out "$T/factory-pub.der" 2>/dev/null
[ "$(ks_field admin fpub)" = "$(hex "$T/factory-pub.der" | tail -c 64)" ] || fail "imported key's public key differs"

# X25519: the key store's side of the agreement equals openssl's side.
vpub=$(ks_field tunnel vpub)
ks_der_public x25519 "$vpub" "$T/vpub.der"
openssl pkeyutl -derive -inkey "$T/peer.der" -keyform DER -peerkey "$T/vpub.der" -peerform DER -out "$T/shared.bin" ||
	fail "openssl derive"
[ "$(ks_field tunnel shared)" = "$(hex "$T/shared.bin")" ] || fail "shared secrets differ: $(cat "$T/tunnel.out")"

# Wrap and unwrap round trip; another purpose does not open it.
[ "$(ks_field admin unwrapped)" = "$DATA_KEY" ] || fail "unwrap: $(cat "$T/admin.out")"
grep -q '^error: EKEYREJECTED: unwrap with key "disk": ' "$T/admin.out" || fail "other purpose: $(cat "$T/admin.out")"
# A buffer too small for the data key is the caller's error; the connection serves on.
[ "$(ks_field admin unwrap-short)" = "EMSGSIZE $DATA_KEY" ] || fail "unwrap into 16 bytes: $(cat "$T/admin.out")"
[ -n "$(ks_field tunnel wrapped)" ] || fail "wrap-only cannot wrap: $(cat "$T/tunnel.out")"

# The stalling client lost its connection; the key store said why.
grep -q '^sent [0-9]* of 5000: connection closed$' "$T/greedy.out" || fail "greedy: $(cat "$T/greedy.out")"
grep -q 'kos-keystored: app "greedy": does not read its replies' "$T/kosd.log" || fail "stall not logged"
# A flood of refusals: served (its 31st request still answered), logged at most 20 times.
[ ${#pub} -eq 64 ] && [ "$(ks_field noisy pub | wc -c)" -eq 65 ] || fail "noisy: $(cat "$T/noisy.out")"
[ "$(grep -c 'kos-keystored: denied: app "noisy" may not use key "orbit-identity"' "$T/kosd.log")" -eq 20 ] ||
	fail "noisy's refusals logged $(grep -c 'app "noisy"' "$T/kosd.log") times, not 20"
checks=$((checks + 10))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
