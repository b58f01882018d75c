#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kosd restart latency, side by side in one run:
#   - single restart: SIGKILL of an app → its new instance running main(), for kosd, runit's
#     runsv and s6's s6-supervise, against the fork+exec floor (the harness itself doing
#     waitpid + fork + exec, nothing else);
#   - kosd's chain restart: SIGKILL of ethernet → all four apps of the seed's supervision
#     node running again (three stopped by SIGTERM in reverse order, four started in order).
# runsv and s6-supervise wait a second between two starts of a service, so single restarts
# are spaced 1.1 s apart for every contender alike. Aims: kosd ≤ 1.5× floor; chain < 5 ms.
# usage: bench/kosd-restart.sh BUILD_DIR   (KOSD_BENCH_SAMPLES=N to change sample counts)
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
KOSD="$build/src/supervisor/kosd"
KOS="$build/src/cli/kos"
N=${KOSD_BENCH_SAMPLES:-15}
NCHAIN=$((N * 2))
GAP=1100
T=$(mktemp -d "${TMPDIR:-/tmp}/kosd-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

cc -O2 -static -o "$T/app" "$here/kosd-restart-app.c" 2>/dev/null || cc -O2 -o "$T/app" "$here/kosd-restart-app.c"
cc -O2 -o "$T/harness" "$here/kosd-restart-harness.c"
H="$T/harness"

measure_floor() {
	mkfifo "$T/f.floor"
	BENCH_FIFO="$T/f.floor" "$H" floor "$T/f.floor" "$N" "$GAP" "$T/app"
}

kosd_manifest() { # NAME DTS-APPS DTS-REST
	cat >"$T/$1.dts" <<EOF_DTS
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;
	apps { $2 };
	$3
	node-manager { restart-intensity = <100000>; restart-period-ms = <1000>; settle-time-ms = <100000>; };
};
EOF_DTS
	"$KOS" manifest build "$T/$1.dts" -o "$T/$1.dtb" >/dev/null
}

measure_kosd_single() {
	mkfifo "$T/f.kosd"
	kosd_manifest single "app { path = \"$T/app\"; args = \"app\"; env = \"BENCH_FIFO=$T/f.kosd\"; };" ""
	"$KOSD" --manifest "$T/single.dtb" --run-dir "$T/run-single" >"$T/kosd-single.log" 2>&1 &
	kp=$!
	pids="$pids $kp"
	"$H" single "$T/f.kosd" "$N" "$GAP"
	kill -TERM "$kp"
	wait "$kp" || true
}

measure_kosd_chain() {
	mkfifo "$T/f.chain"
	a=""
	for n in ethernet tunnel hello-phx admin; do
		a="$a $n { path = \"$T/app\"; args = \"$n\"; env = \"BENCH_FIFO=$T/f.chain\"; };"
	done
	kosd_manifest chain "$a" 'supervision { ethernet = "tunnel", "hello-phx", "admin"; tunnel = "hello-phx", "admin"; };'
	"$KOSD" --manifest "$T/chain.dtb" --run-dir "$T/run-chain" >"$T/kosd-chain.log" 2>&1 &
	kp=$!
	pids="$pids $kp"
	"$H" chain "$T/f.chain" "$NCHAIN" 100 ethernet ethernet tunnel hello-phx admin
	kill -TERM "$kp"
	wait "$kp" || true
}

measure_peer() { # NAME PROGRAM
	command -v "$2" >/dev/null 2>&1 || { echo "- - - 0"; return; }
	mkdir -p "$T/$1"
	ln -s "$T/app" "$T/$1/run"
	mkfifo "$T/f.$1"
	BENCH_FIFO="$T/f.$1" "$2" "$T/$1" >/dev/null 2>&1 &
	sp=$!
	pids="$pids $sp"
	"$H" single "$T/f.$1" "$N" "$GAP"
	# Both read runit's control letters: d = take the service down, x = exit then.
	printf dx >"$T/$1/supervise/control"
	wait "$sp" || true
}

echo "kosd restart benchmark: $N single restarts each ($GAP ms apart), $NCHAIN chain restarts"
floor=$(measure_floor)
kosd=$(measure_kosd_single)
runsv=$(measure_peer runsv runsv)
s6=$(measure_peer s6 s6-supervise)
chain=$(measure_kosd_chain)

med() { echo "$1" | cut -d' ' -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || a == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
printf '\nSIGKILL -> running again (microseconds)      median      p90      min   x floor\n'
for row in "fork+exec floor:$floor" "kosd:$kosd" "runit runsv:$runsv" "s6-supervise:$s6"; do
	name=${row%%:*}
	v=${row#*:}
	set -- $v
	printf '  %-38s %8s %8s %8s %8s\n' "$name" "$1" "$2" "$3" "$(ratio "$1" "$(med "$floor")")"
done
printf '  kosd / runsv: %s   kosd / s6-supervise: %s   (aim: kosd <= 1.5x floor)\n' \
	"$(ratio "$(med "$kosd")" "$(med "$runsv")")" "$(ratio "$(med "$kosd")" "$(med "$s6")")"
set -- $s6
[ "$1" = "-" ] || printf '  s6-supervise pauses 1 s before every restart by design; without the pause: %s us\n' \
	"$(awk -v a="$1" 'BEGIN { printf "%.1f", a - 1000000 }')"
set -- $chain
printf '\nkosd four-app chain (SIGKILL ethernet -> all four running): median %s us, p90 %s us, min %s us (aim < 5000 us)\n' \
	"$1" "$2" "$3"
