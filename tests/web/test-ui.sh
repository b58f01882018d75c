#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Orbit's web UI in Debian's chromium (test-ui.mjs), on the backend given as $1 (sqlite
# or postgresql: a real PostgreSQL server this test starts, tests/orbit/lib-orbit.sh).
# Screenshots of every page go to $SHOTS (the test's build directory).
. "$KOS_SOURCE/tests/orbit/lib-orbit.sh"

here="$KOS_SOURCE/tests/web"
[ -x /usr/bin/chromium ] || fail "Debian's chromium is not installed (scripts/install-deps installs it)"
[ -f "$here/node_modules/playwright-core/package.json" ] ||
	fail "playwright-core is not installed in tests/web (scripts/install-deps runs npm ci there)"
command -v node >/dev/null || fail "node is not installed (scripts/install-deps)"
orbit_db
mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png
DB="$DB" node "$here/test-ui.mjs" || fail "the browser test failed (screenshots so far in $SHOTS)"
echo "ok: $(ls "$SHOTS"/*.png | wc -l) screenshots in $SHOTS"
