# SPDX-License-Identifier: Apache-2.0
# Helpers for kos upgrade tests, sourced after tests/lib.sh: a real nginx serving a store
# directory over HTTP on 127.0.0.1, releases made of files, and store snapshots.

# nginx_start ROOT [RATE]: serves ROOT at a free port on 127.0.0.1, at most RATE bytes/s
# per connection (nginx limit_rate; 0 = unlimited). Sets URL and NGINX_PID. The access
# log ($T/nginx/access.log) has one line a request: STATUS BYTES_SENT "RANGE" URI
# BODY_BYTES_SENT.
# With NGINX_TLS=1 it speaks https, with a new self-signed certificate for IP 127.0.0.1
# ($T/nginx/cert.pem: the CA file a client must trust). NGINX_SERVER_EXTRA is added to
# the server block, NGINX_HTTP_EXTRA to the http block (another server, say).
nginx_start() {
	_root=$1 _rate=${2:-0}
	mkdir -p "$T/nginx"
	: >"$T/nginx/access.log"
	for _try in 1 2 3 4 5 6 7 8 9 10; do
		_port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
		_user=""
		# A small send buffer makes limit_rate pace every object, not just large ones
		# (on loopback, a default buffer takes a whole object in one write).
		_sndbuf=""
		[ "$_rate" != 0 ] && _sndbuf=" sndbuf=32k"
		_tls="" _tlsconf="" _scheme=http
		if [ "${NGINX_TLS:-0}" = 1 ]; then
			[ -f "$T/nginx/cert.pem" ] ||
				openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
					-keyout "$T/nginx/key.pem" -out "$T/nginx/cert.pem" -days 2 \
					-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null ||
				fail "cannot make a test certificate"
			_tls=" ssl"
			_tlsconf="ssl_certificate $T/nginx/cert.pem; ssl_certificate_key $T/nginx/key.pem;"
			_scheme=https
		fi
		[ "$(id -u)" -eq 0 ] && _user="user root root;"
		cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
$_user
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 64; }
http {
	log_format upgrade '\$status \$bytes_sent "\$http_range" \$request_uri \$body_bytes_sent';
	access_log $T/nginx/access.log upgrade;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	default_type application/octet-stream;
	sendfile on;
	keepalive_requests 100000;
	server {
		listen 127.0.0.1:$_port$_tls$_sndbuf;
		$_tlsconf
		root $_root;
		limit_rate $_rate;
		# What nginx_start asks to see the server up; not logged, so the log holds
		# only the requests of the test (nginx may log a request after answering it).
		location = /.started { access_log off; return 204; }
		${NGINX_SERVER_EXTRA:-}
	}
	${NGINX_HTTP_EXTRA:-}
}
CONF
		nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" &
		NGINX_PID=$!
		_i=0
		while [ $_i -lt 100 ]; do
			if ! kill -0 "$NGINX_PID" 2>/dev/null; then
				break # could not start (port taken?): try another port
			fi
			if curl -sk -o /dev/null "$_scheme://127.0.0.1:$_port/.started" 2>/dev/null; then
				URL="$_scheme://127.0.0.1:$_port"
				trap upgrade_test_cleanup EXIT
				return 0
			fi
			sleep 0.05
			_i=$((_i + 1))
		done
		kill -9 "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null || true
	done
	fail "nginx did not start: $(cat "$T/nginx/error.log" 2>/dev/null)"
}

# At exit: the server stopped, $UNMOUNT (if set) unmounted, $T removed.
upgrade_test_cleanup() {
	nginx_stop
	[ -n "${UNMOUNT:-}" ] && umount "$UNMOUNT" 2>/dev/null
	rm -rf "$T"
}

# nginx_stop: kills the server (as a crash would: SIGKILL, connections cut).
nginx_stop() {
	if [ -n "${NGINX_PID:-}" ]; then
		kill -9 "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null || true
		NGINX_PID=""
	fi
}

# nginx_bytes_sent: total bytes the server sent (headers and bodies), from its log.
nginx_bytes_sent() {
	awk '{ s += $2 } END { print s + 0 }' "$T/nginx/access.log"
}

# nginx_object_body_bytes: bytes of object files the server sent (bodies of its 200 and
# 206 answers under /objects/, without headers), from its log.
nginx_object_body_bytes() {
	awk '($1 == 200 || $1 == 206) && $4 ~ /^\/objects\// { s += $5 } END { print s + 0 }' "$T/nginx/access.log"
}

# make_files DIR COUNT SIZE: COUNT files of SIZE random bytes, DIR/f000 ...
make_files() {
	mkdir -p "$1"
	_n=0
	while [ $_n -lt "$2" ]; do
		head -c "$3" /dev/urandom >"$1/$(printf 'f%03d' $_n)"
		_n=$((_n + 1))
	done
}

# make_release STORE VERSION FILES_DIR [KEY]: a manifest whose apps are the files of
# FILES_DIR as store images, signed with KEY (default $T/keys/dev.key), its objects added
# to STORE and committed there (refs/latest). Sets MANIFEST to its digest.
make_release() {
	_store=$1 _version=$2 _files=$3 _key=${4:-$T/keys/dev.key}
	[ -d "$_store" ] || "$KOS" store init "$_store" >/dev/null || fail "store init $_store"
	"$KOS" store add "$_store" "$_files"/* >"$T/.added" || fail "store add $_files"
	{
		echo '/dts-v1/;'
		echo '/ {'
		echo '	compatible = "kos,manifest-v1";'
		echo "	version = <$_version>;"
		echo "	description = \"test release $_version\";"
		echo '	apps {'
		while read -r _digest _file; do
			echo "		$(basename "$_file") { image = \"$_digest\"; };"
		done <"$T/.added"
		echo '	};'
		echo '};'
	} >"$T/release-$_version.dts"
	"$KOS" manifest build "$T/release-$_version.dts" -o "$T/release-$_version.dtb" >/dev/null ||
		fail "manifest build"
	rm -f "$T/release-$_version.dtb.sig"
	"$KOS" manifest sign "$T/release-$_version.dtb" --key "$_key" >/dev/null || fail "manifest sign"
	"$KOS" store commit "$_store" "$T/release-$_version.dtb" --sig "$T/release-$_version.dtb.sig" >/dev/null ||
		fail "store commit"
	MANIFEST=$("$KOS" manifest digest "$T/release-$_version.dtb")
}

# keys: $T/keys (trusted: dev.pub) and $T/other (an untrusted key pair).
make_keys() {
	mkdir -p "$T/keys" "$T/other"
	"$KOS" key generate "$T/keys/dev" >/dev/null || fail "key generate"
	"$KOS" key generate "$T/other/evil" >/dev/null || fail "key generate"
}

# snapshot DIR: a digest of everything in a store but tmp/: objects, generations, refs,
# floor. Two equal snapshots mean nothing changed.
snapshot() {
	(cd "$1" && find . -path ./tmp -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum) | sha256sum
}

# transferred: the byte count the last kos upgrade printed.
transferred() {
	sed -n 's/^transferred \([0-9]*\) bytes.*/\1/p' "$T/.out"
}

# figures: reads the summary the last kos upgrade printed into TRANSFERRED, FETCHED,
# FETCHED_BYTES, SAVED, CACHED, OBJECTS, CACHED_BYTES, RESUMED and REUSED (bytes copied
# from chunks here; 0 when nothing was chunked), and checks that they agree: every object
# of the release fetched or already here, saved = already here + resumed + reused, and the
# object bytes fetched part of what was transferred.
figures() {
	_line=$(sed -n 's/^transferred \([0-9]*\) bytes; fetched \([0-9]*\) objects (\([0-9]*\) bytes)$/\1 \2 \3/p' "$T/.out")
	[ -n "$_line" ] || fail "no 'transferred' line: $(cat "$T/.out")"
	set -- $_line
	TRANSFERRED=$1 FETCHED=$2 FETCHED_BYTES=$3
	_line=$(sed -n 's/^saved \([0-9]*\) bytes: \([0-9]*\) of \([0-9]*\) objects already here (\([0-9]*\) bytes), \([0-9]*\) bytes resumed\(, \([0-9]*\) bytes reused from chunks here\)\{0,1\}$/\1 \2 \3 \4 \5 \7/p' "$T/.out")
	[ -n "$_line" ] || fail "no 'saved' line: $(cat "$T/.out")"
	set -- $_line
	SAVED=$1 CACHED=$2 OBJECTS=$3 CACHED_BYTES=$4 RESUMED=$5 REUSED=${6:-0}
	[ $((FETCHED + CACHED)) -eq "$OBJECTS" ] ||
		fail "fetched $FETCHED + already here $CACHED objects is not the release's $OBJECTS: $(cat "$T/.out")"
	[ $((CACHED_BYTES + RESUMED + REUSED)) -eq "$SAVED" ] ||
		fail "saved $SAVED bytes is not already here $CACHED_BYTES + resumed $RESUMED + reused $REUSED: $(cat "$T/.out")"
	[ "$FETCHED_BYTES" -le "$TRANSFERRED" ] ||
		fail "fetched $FETCHED_BYTES object bytes, more than the $TRANSFERRED transferred: $(cat "$T/.out")"
	checks=$((checks + 3))
}

# booted_generation DIR: the generation kos boot select picks (a pending one takes a try;
# either counts one unconfirmed boot until kos boot confirm).
booted_generation() {
	"$KOS" boot select "$1" --trust "$T/keys" 2>/dev/null | sed -n 's/^generation \([0-9]*\) .*/\1/p'
}

# would_boot DIR: the generation kos boot select would pick, decided on a copy of DIR, so
# DIR stays byte for byte as it was (a choice counts a boot; a pending one takes a try).
would_boot() {
	rm -rf "$T/would-boot"
	cp -a "$1" "$T/would-boot"
	booted_generation "$T/would-boot"
}

# object_bytes DIGEST...: total size of those objects in the source store $SRC.
object_bytes() {
	_sum=0
	for _d in "$@"; do
		_sum=$((_sum + $(stat -c %s "$SRC/objects/$(echo "$_d" | cut -c1-2)/$(echo "$_d" | cut -c3-)")))
	done
	echo $_sum
}
