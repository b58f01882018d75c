#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Message round trips, side by side in one run: a KOS direct channel (set up by a real
# kos-msgd lookup between two apps), a raw SOCK_SEQPACKET socketpair (the floor), and a
# D-Bus method call through dbus-daemon. Payloads of 64 B and 4 KiB; p50 and p99 latency
# and calls per second of one client/server pair; ratios against the floor and the peer.
# Two sections: every process pinned to one CPU (ping-pong without cross-CPU wake-ups, the
# steadiest figure on a small machine), then placed freely by the scheduler. The floor and
# the KOS channel are measured by the same client in alternating rounds (see msg-bench.c).
# usage: bench/msg.sh BUILD_DIR [CALLS]
set -eu
build=$(cd "$1" && pwd)
calls=${2:-100000}
dbus_calls=$((calls / 5))
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kos-bench-msg.XXXXXX")
dbus_pid=
cleanup() {
	[ -n "$dbus_pid" ] && kill "$dbus_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The bench program links the build's client library; match the build's sanitizer flags.
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
flags="-O2"
grep -q '^KOS_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && flags="$flags -fsanitize=address,undefined"
"${cc:-cc}" $flags -D_GNU_SOURCE -I"$src/include" -I"$src/src" $(pkg-config --cflags dbus-1) \
	-o "$work/msg-bench" "$src/bench/msg-bench.c" \
	"$build/src/msg/libkos-msg.a" "$build/src/ipc/libkos-ipc.a" "$build/src/util/libkos-util.a" \
	$(pkg-config --libs dbus-1)
export PATH="$work:$PATH"

cat >"$work/m.dts" <<'DTS'
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;
	apps {
		server { path = "/bin/true"; msg_servers = "core"; };
		client { path = "/bin/true"; msg_servers = "core"; };
	};
	msg_servers { core { dir_access_control { bench { publish = "server"; lookup = "client"; }; }; }; };
};
DTS
"$build/src/cli/kos" manifest build "$work/m.dts" -o "$work/m.dtb" >/dev/null

# section LABEL [CMD...]: every transport, each process started under CMD (e.g. taskset).
section() {
	label=$1
	shift
	dbus_pid= serve_pid=
	rm -f "$work/bus"
	"$@" dbus-daemon --session --nofork --address="unix:path=$work/bus" >/dev/null 2>&1 &
	dbus_pid=$!
	i=0
	until [ -S "$work/bus" ] || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done
	addr="unix:path=$work/bus"
	: >"$work/dbus-ready"
	"$@" msg-bench dbus-serve "$addr" >"$work/dbus-ready" &
	serve_pid=$!
	i=0
	until grep -q ready "$work/dbus-ready" 2>/dev/null || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done

	: >"$work/results"
	for size in 64 4096; do
		"$@" "$build/tests/integration/msg/msg-launch" --msgd "$build/src/msg/kos-msgd" \
			--manifest "$work/m.dtb" >>"$work/results" 2>"$work/launch.log" <<SCRIPT
start server exec msg-bench kos-serve bench
run client msg-bench kos bench $size $calls
SCRIPT
		"$@" msg-bench dbus "$addr" "$size" "$dbus_calls" >>"$work/results"
	done
	kill "$serve_pid" "$dbus_pid" 2>/dev/null || true
	wait "$serve_pid" "$dbus_pid" 2>/dev/null || true
	dbus_pid=

	grep -Ev '^client: exit' "$work/results" >"$work/table"
	grep -q '^client: exit 0$' "$work/results" || { cat "$work/launch.log" >&2; echo "kos client failed" >&2; exit 1; }
	echo
	echo "== $label: msg round trips ($calls calls each; dbus $dbus_calls), one client/server pair"
	awk '
	{ t[$1" "$2] = $0; p50[$1" "$2] = $3; p99[$1" "$2] = $4; cps[$1" "$2] = $5 }
	END {
		printf "%-12s %6s %10s %10s %12s\n", "transport", "bytes", "p50 us", "p99 us", "calls/s"
		split("socketpair kos-channel dbus-daemon", names, " ")
		for (s = 64; s <= 4096; s *= 64)
			for (n = 1; n <= 3; n++) {
				k = names[n] " " s
				printf "%-12s %6d %10.2f %10.2f %12.0f\n", names[n], s, p50[k], p99[k], cps[k]
			}
		print ""
		for (s = 64; s <= 4096; s *= 64) {
			k = "kos-channel " s; f = "socketpair " s; d = "dbus-daemon " s
			printf "%4d B  kos-channel/socketpair: p50 %.2fx  p99 %.2fx  calls/s %.0f%% of the floor\n", \
				s, p50[k] / p50[f], p99[k] / p99[f], 100 * cps[k] / cps[f]
			printf "%4d B  dbus-daemon/kos-channel: p50 %.1fx  p99 %.1fx  kos does %.1fx the calls/s\n", \
				s, p50[d] / p50[k], p99[d] / p99[k], cps[k] / cps[d]
		}
		k = "kos-channel 64"; f = "socketpair 64"
		printf "\naim: p50 within 1.2x of socketpair (64 B): %s; >= 100000 calls/s (64 B): %s\n", \
			(p50[k] <= 1.2 * p50[f]) ? "yes" : "NO", (cps[k] >= 100000) ? "yes" : "NO"
	}' "$work/table"
}

section "client and server on one CPU (taskset -c 0)" taskset -c 0
section "client and server placed by the scheduler (each pair may land on one CPU or two: compare with care)"

