# SPDX-License-Identifier: Apache-2.0
# Helpers for the key store's integration tests; source after tests/lib.sh and kosd-lib.sh.
#   KEYSTORED            kos-keystored; $T/keystored.sh runs it on $T/keys and $T/root.key
#   CLIENT               keystore-test-client (agree, wrap, unwrap, stall)
#   ks_app NAME BODY     writes app NAME's script; its output goes to $T/NAME.out
#   ks_der_public TYPE HEX OUT   a raw public key as DER SubjectPublicKeyInfo
#   ks_der_private TYPE HEX OUT  a raw private key as DER PKCS#8
#   hex FILE             a file's bytes as lowercase hex on one line
KEYSTORED="$KOS_BUILD/src/keystore/kos-keystored"
CLIENT="$KOS_BUILD/tests/integration/keystore/keystore-test-client"

head -c 32 /dev/urandom >"$T/root.key"
chmod 400 "$T/root.key"
cat >"$T/keystored.sh" <<EOS
#!/bin/sh
exec "$KEYSTORED" --dir "$T/keys" --root-key "$T/root.key" "\$@"
EOS
chmod +x "$T/keystored.sh"

ks_app() {
	{
		echo '#!/bin/sh'
		echo "exec >>'$T/$1.out' 2>&1"
		echo "K='$KOS keystore' CLIENT='$CLIENT' T='$T'"
		printf '%s\n' "$2"
	} >"$T/$1.sh"
	chmod +x "$T/$1.sh"
}

hex() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}

unhex() {
	printf '%s' "$1" | sed 's/../\\x&/g' | xargs -0 printf '%b'
}

# DER prefixes (RFC 8410) of the 32-byte raw keys.
ks_der_public() {
	case $1 in
	ed25519) prefix=302a300506032b6570032100 ;;
	x25519) prefix=302a300506032b656e032100 ;;
	esac
	unhex "$prefix$2" >"$3"
}

ks_der_private() {
	case $1 in
	ed25519) prefix=302e020100300506032b657004220420 ;;
	x25519) prefix=302e020100300506032b656e04220420 ;;
	esac
	unhex "$prefix$2" >"$3"
}

# ks_field APP KEY: the value after "KEY " in the app's output (first line).
ks_field() {
	sed -n "s/^$2 //p" "$T/$1.out" | head -n 1
}
