#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Ed25519 signatures of 64 bytes, one client, request to checked reply, side by side in
# one run: the KOS key store (kos_keystore_sign() from an app under the real kosd and
# kos-keystored), ssh-agent driven over its own socket protocol by the same C client (one
# connection, no process per signature), and OpenSSL's in-process sign as the floor.
# p50 and p99 latency, signatures per second, and the ratios. Every signature is verified.
# usage: bench/keystore.sh BUILD_DIR [CALLS]
set -eu
build=$(cd "$1" && pwd)
calls=${2:-20000}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kos-bench-keystore.XXXXXX")
agent_pid= kosd_pid=
cleanup() {
	[ -n "$kosd_pid" ] && kill "$kosd_pid" 2>/dev/null && wait "$kosd_pid" 2>/dev/null
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The bench program links the build's client library; match the build's sanitizer flags.
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
flags="-O2"
grep -q '^KOS_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && flags="$flags -fsanitize=address,undefined"
"${cc:-cc}" $flags -D_GNU_SOURCE -I"$src/include" -I"$src/src" -o "$work/keystore-bench" \
	"$src/bench/keystore-bench.c" "$build/src/keystore/libkos-keystore.a" "$build/src/ipc/libkos-ipc.a" \
	"$build/src/util/libkos-util.a" -lcrypto

# ssh-agent with one Ed25519 key, on its own socket.
ssh-keygen -q -t ed25519 -N '' -f "$work/id" >/dev/null
ssh-agent -D -a "$work/agent.sock" >/dev/null 2>&1 &
agent_pid=$!
i=0
until [ -S "$work/agent.sock" ] || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done
SSH_AUTH_SOCK="$work/agent.sock" ssh-add -q "$work/id" 2>/dev/null

# The key store under kosd, its keys in the work directory.
head -c 32 /dev/urandom >"$work/root.key"
chmod 400 "$work/root.key"
cat >"$work/keystored.sh" <<EOS
#!/bin/sh
exec "$build/src/keystore/kos-keystored" --dir "$work/keys" --root-key "$work/root.key" "\$@"
EOS
chmod +x "$work/keystored.sh"
cat >"$work/m.dts" <<DTS
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;
	apps { bench { path = "$work/keystore-bench"; args = "bench-key", "$work/agent.sock", "$calls", "$work/out"; }; };
	key_store { bench-key { type = "ed25519"; apps = "bench"; }; };
};
DTS
"$build/src/cli/kos" manifest build "$work/m.dts" -o "$work/m.dtb" >/dev/null
"$build/src/supervisor/kosd" --manifest "$work/m.dtb" --run-dir "$work/run" --keystored "$work/keystored.sh" \
	>"$work/kosd.log" 2>&1 &
kosd_pid=$!
i=0
until grep -q -e '^verified' -e '^error' "$work/out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 2400 ] || { echo "keystore bench: no result within 120 s" >&2; cat "$work/kosd.log" >&2; exit 1; }
	sleep 0.05
done
if grep -q '^error' "$work/out"; then
	cat "$work/out" "$work/kosd.log" >&2
	exit 1
fi
awk -v calls="$calls" '
	$1 == "kos" || $1 == "agent" || $1 == "openssl" { p50[$1] = $2; p99[$1] = $3; rate[$1] = $4 }
	$1 == "verified" { verified = $2 }
	END {
		printf "Ed25519 sign of 64 bytes, %d calls each, one client (all %d signatures verified)\n", calls, verified
		printf "  %-28s %9s %9s %10s\n", "", "p50 us", "p99 us", "signs/s"
		printf "  %-28s %9.1f %9.1f %10.0f\n", "kos key store RPC", p50["kos"], p99["kos"], rate["kos"]
		printf "  %-28s %9.1f %9.1f %10.0f\n", "ssh-agent RPC (C client)", p50["agent"], p99["agent"], rate["agent"]
		printf "  %-28s %9.1f %9.1f %10.0f\n", "OpenSSL in process (floor)", p50["openssl"], p99["openssl"], rate["openssl"]
		printf "  ssh-agent / kos at p50: %.1fx; kos / floor at p50: %.1fx\n", p50["agent"] / p50["kos"], p50["kos"] / p50["openssl"]
	}' "$work/out"
