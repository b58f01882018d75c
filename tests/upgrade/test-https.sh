#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos upgrade over https (nginx with a self-signed certificate for 127.0.0.1): the server
# is refused unless its certificate is trusted (--ca), also when the name does not match,
# and a redirect from https to plain http is refused (the very same store served); with
# --ca the upgrade completes and resumes like over http.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/upgrade/lib-upgrade.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/deps/update.list)"

make_keys
SRC=$T/src
make_files "$T/v1" 5 30000
make_release "$SRC" 1 "$T/v1"
PLAIN_PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
NGINX_HTTP_EXTRA="server { listen 127.0.0.1:$PLAIN_PORT; root $SRC; }"
NGINX_SERVER_EXTRA="rewrite ^/down/(.*)\$ http://127.0.0.1:$PLAIN_PORT/\$1 redirect;"
NGINX_TLS=1 nginx_start "$SRC"
ok "$KOS" store init "$T/dev"
before=$(snapshot "$T/dev")

fails 1 "TLS" "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys"
localhost_url=$(echo "$URL" | sed 's/127\.0\.0\.1/localhost/')
fails 1 "TLS" "$KOS" upgrade "$T/dev" --from "$localhost_url" --trust "$T/keys" --ca "$T/nginx/cert.pem"
fails 1 "--ca $T/nope.pem: No such file" "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys" --ca "$T/nope.pem"
curl -sf -o /dev/null "http://127.0.0.1:$PLAIN_PORT/refs/latest" || fail "the plain http server does not serve the store"
fails 1 "refusing a redirect away from https" "$KOS" upgrade "$T/dev" --from "$URL/down" --trust "$T/keys" --ca "$T/nginx/cert.pem"
[ "$(snapshot "$T/dev")" = "$before" ] || fail "a refused https upgrade changed the store"

ok "$KOS" upgrade "$T/dev" --from "$URL" --trust "$T/keys" --ca "$T/nginx/cert.pem"
out_has "^generation 1 pending"
ok "$KOS" store verify "$T/dev"
done_ok
