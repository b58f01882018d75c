#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The library apps link, as installed: include/kos/keystore.h, libkos-keystore.so exporting
# only kos_keystore_* (nothing of KOS's internals), and a kos-keystore.pc that compiles and
# links an app. The app, with no key store connection, is told so (-ENXIO); given a
# connection whose far end is gone, it is told that (-ECONNRESET).
. "$KOS_SOURCE/tests/lib.sh"

ok cmake --install "$KOS_BUILD" --prefix "$T/prefix" --component Unspecified
lib=$(find "$T/prefix" -name 'libkos-keystore.so.0' | head -1)
[ -n "$lib" ] || fail "libkos-keystore.so.0 not installed"
[ -f "$T/prefix/include/kos/keystore.h" ] || fail "kos/keystore.h not installed"
[ -x "$T/prefix/bin/kos-keystored" ] || fail "kos-keystored not installed"
pc=$(find "$T/prefix" -name kos-keystore.pc | head -1)
[ -n "$pc" ] || fail "kos-keystore.pc not installed"

nm -D --defined-only "$lib" | awk '!($2 == "A" && $3 ~ /^KOS_KEYSTORE_[0-9]+$/) { print $3 }' | sed 's/@.*//' >exports
grep -v '^kos_keystore_' exports >stray && fail "exports beyond kos_keystore_*: $(tr '\n' ' ' <stray)"
for f in kos_keystore_sign kos_keystore_public_key kos_keystore_agree kos_keystore_wrap kos_keystore_unwrap \
	kos_keystore_import kos_keystore_list kos_keystore_error kos_keystore_context_message; do
	grep -qx "$f" exports || fail "$f not exported"
done
checks=$((checks + 2))

cat >app.c <<'C'
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <kos/keystore.h>

int main(int argc, char **argv) {
	uint8_t sig[KOS_KEYSTORE_SIGNATURE_SIZE];
	int pair[2];
	char spec[32];

	if (argc > 1) {
		/* A connection as kosd hands it over, whose far end is gone. */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) < 0)
			return 2;
		close(pair[1]);
		snprintf(spec, sizeof(spec), "keystore=%d", pair[0]);
		setenv(KOS_KEYSTORE_ENV, spec, 1);
	}
	int r = kos_keystore_sign("orbit-identity", 0, "x", 1, sig);
	printf("%s\n", r == -ENXIO ? "ENXIO" : r == -ECONNRESET ? "ECONNRESET" : "other");
	return 0;
}
C
export PKG_CONFIG_PATH="$(dirname "$pc")"
# shellcheck disable=SC2086
ok ${KOS_CC:-cc} ${KOS_SANITIZE_FLAGS:-} app.c -o app $(pkg-config --cflags --libs kos-keystore)
ok env -u KOS_KEYSTORE LD_LIBRARY_PATH="$(dirname "$lib")" ./app
out_is "ENXIO"
ok env LD_LIBRARY_PATH="$(dirname "$lib")" ./app gone
out_is "ECONNRESET"
done_ok
