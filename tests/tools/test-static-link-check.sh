#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cmake/kos-static-link.sh, the link step of every static program, on a stand-in linker:
# warnings in cmake/static-link-warnings.txt pass quietly, a new one fails the link and
# removes its output, a failed link keeps its status.
. "$KOS_SOURCE/tests/lib.sh"

CHECK="$KOS_SOURCE/cmake/kos-static-link.sh"
ALLOW="$KOS_SOURCE/cmake/static-link-warnings.txt"

# A linker that writes its output file (after -o) and says $WARN on stderr.
cat >"$T/ld.sh" <<'LD'
prev=
for a in "$@"; do [ "$prev" = "-o" ] && : >"$a"; prev=$a; done
printf '%s' "$WARN" >&2
exit "${LD_STATUS:-0}"
LD
warning() { # ARCHIVE MEMBER FUNCTION SYMBOL
	printf "/usr/bin/ld: %s(%s): in function \`%s':\n(.text+0x11): warning: Using '%s' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking\n" "$@"
}
LIBCRYPTO=/usr/lib/libcrypto.a

# Every listed warning: success, output kept, nothing repeated.
WARN="$(warning $LIBCRYPTO libcrypto-lib-dso_dlfcn.o dlfcn_globallookup dlopen)
$(warning $LIBCRYPTO libcrypto-lib-bio_addr.o BIO_lookup_ex getaddrinfo)
"
export WARN
ok sh "$CHECK" "$ALLOW" -- sh "$T/ld.sh" a.o -o "$T/prog"
err_empty
[ -f "$T/prog" ] || fail "output removed after a clean link"
checks=$((checks + 1))

# A new one (an NSS lookup the program would need the host's libraries for): fails, named.
WARN="$WARN$(warning /usr/lib/libc.a getpwnam.o getpwnam getpwnam)
"
run sh "$CHECK" "$ALLOW" -- sh "$T/ld.sh" a.o -o "$T/prog"
[ "$status" -eq 1 ] || fail "expected exit 1 for an unlisted warning (got $status)"
grep -q "^  getpwnam.o getpwnam$" "$T/.err" || fail "the new warning is not named"
[ ! -e "$T/prog" ] || fail "output kept after an unlisted warning"
checks=$((checks + 1))

# Any other linker warning is never allowed.
WARN="/usr/bin/ld: warning: something else
"
run sh "$CHECK" "$ALLOW" -- sh "$T/ld.sh" a.o -o "$T/prog"
[ "$status" -eq 1 ] || fail "expected exit 1 for another warning (got $status)"
grep -q "^  - something else$" "$T/.err" || fail "the other warning is not named"
checks=$((checks + 1))

# A failed link keeps its status.
WARN="ld: error
" LD_STATUS=3 run sh "$CHECK" "$ALLOW" -- sh "$T/ld.sh" a.o -o "$T/prog"
[ "$status" -eq 3 ] || fail "expected the linker's status 3 (got $status)"
checks=$((checks + 1))

done_ok
