#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The library apps link, as installed: include/kos/msg.h, libkos-msg.so exporting only
# kos_msg_* (nothing of KOS's internals), and a kos-msg.pc that compiles and links an app,
# which then reads its instances from KOS_MSG_SERVERS as kosd hands them over.
. "$KOS_SOURCE/tests/lib.sh"

ok cmake --install "$KOS_BUILD" --prefix "$T/prefix" --component Unspecified
lib=$(find "$T/prefix" -name 'libkos-msg.so.0' | head -1)
[ -n "$lib" ] || fail "libkos-msg.so.0 not installed"
[ -f "$T/prefix/include/kos/msg.h" ] || fail "kos/msg.h not installed"
pc=$(find "$T/prefix" -name kos-msg.pc | head -1)
[ -n "$pc" ] || fail "kos-msg.pc not installed"

# Every defined dynamic symbol, of any kind (functions, data), but the version node.
nm -D --defined-only "$lib" | awk '!($2 == "A" && $3 ~ /^KOS_MSG_[0-9]+$/) { print $3 }' | sed 's/@.*//' >exports
[ -s exports ] || fail "no exported functions"
grep -v '^kos_msg_' exports >stray && fail "exports beyond kos_msg_*: $(tr '\n' ' ' <stray)"
for f in kos_msg_set_active_server_id kos_msg_lookup kos_msg_call kos_msg_publish kos_msg_serve; do
	grep -qx "$f" exports || fail "$f not exported"
done
checks=$((checks + 2))

cat >app.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <kos/msg.h>

int main(void) {
	int core[2], secure[2];
	char spec[64];
	unsigned n;

	/* What kosd does before exec: one connection per instance, named in the env. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, core) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, secure) < 0)
		return 2;
	snprintf(spec, sizeof(spec), "core=%d,secure=%d", core[0], secure[0]);
	setenv("KOS_MSG_SERVERS", spec, 1);
	n = kos_msg_server_count();
	for (unsigned i = 0; i < n; i++)
		printf("%u %s\n", i, kos_msg_server_name(i));
	return kos_msg_set_active_server_id(n) == 0; /* an id past the last is refused */
}
C
export PKG_CONFIG_PATH="$(dirname "$pc")"
# shellcheck disable=SC2086
ok ${KOS_CC:-cc} ${KOS_SANITIZE_FLAGS:-} app.c -o app $(pkg-config --cflags --libs kos-msg)
ok env LD_LIBRARY_PATH="$(dirname "$lib")" ./app
out_is "0 core
1 secure"
done_ok
