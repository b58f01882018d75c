# SPDX-License-Identifier: Apache-2.0
# The example system's key store, made at run time; source it.
#   keystore_setup BUILD DIR   a device root key (DIR/root.key, 32 random bytes, mode 0400)
#                              and DIR/kos-keystored, which runs the build's key store
#                              with its keys sealed in DIR/keys: give it to kosd --keystored
keystore_setup() {
	mkdir -p "$2"
	if [ ! -f "$2/root.key" ]; then
		head -c 32 /dev/urandom >"$2/root.key"
		chmod 400 "$2/root.key"
	fi
	cat >"$2/kos-keystored" <<EOS
#!/bin/sh
exec "$1/src/keystore/kos-keystored" --dir "$2/keys" --root-key "$2/root.key" "\$@"
EOS
	chmod +x "$2/kos-keystored"
}
