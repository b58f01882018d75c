#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# scripts/install-deps: does nothing when every package is installed; without root and
# without sudo it says what is missing and how to install it, in one line, and exits 1.
. "$KOS_SOURCE/tests/lib.sh"

mkdir -p deps-ok/deps deps-missing/deps
cp "$KOS_SOURCE/scripts/install-deps" "$KOS_SOURCE/scripts/fetch-kernel" deps-ok/
cp "$KOS_SOURCE/scripts/install-deps" "$KOS_SOURCE/scripts/fetch-kernel" deps-missing/
echo "dpkg  # always installed on Debian" >deps-ok/deps/base.list
echo "kos-no-such-package-for-tests" >deps-missing/deps/x.list

ok sh deps-ok/install-deps
[ ! -s "$T/.out" ] && [ ! -s "$T/.err" ] || fail "install-deps printed something with nothing to do"
checks=$((checks + 1))

# As an unprivileged user where sudo is not installed (only checkable as root).
if [ "$(id -u)" -eq 0 ] && ! command -v sudo >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
	chmod -R a+rx "$T"
	run setpriv --reuid=65534 --regid=65534 --clear-groups sh deps-missing/install-deps
	[ "$status" -eq 1 ] || fail "expected exit 1 without root and sudo (got $status)"
	grep -q "missing: kos-no-such-package-for-tests; run 'scripts/install-deps' as root" "$T/.err" ||
		fail "no clear message without root and sudo"
	checks=$((checks + 1))
fi
done_ok
