#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kosd's part of `make run`: runs the example system under kosd, kills ethernet and shows
# the chain restart (tunnel, hello-phx and admin go down in reverse order and come back in
# order), then stops everything with SIGTERM.
# usage: examples/run-kosd.sh BUILD_DIR   (uses $KOS_EXAMPLE_OUT/manifest.dtb if run.sh built it)
set -eu
build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
kos="$build/src/cli/kos"
kosd="$build/src/supervisor/kosd"
out=${KOS_EXAMPLE_OUT:-$build/example}
run="$out/kosd-run"
log="$out/kosd.log"
mkdir -p "$out"
if [ ! -f "$out/manifest.dtb" ]; then
	sed -e "s|@APPS@|$examples/apps|g" -e "s|@KOS@|$kos|g" "$examples/system/manifest.dts.in" >"$out/manifest.dts"
	"$kos" manifest build "$out/manifest.dts" -o "$out/manifest.dtb"
fi

# The key store's root key and sealed keys live in the output directory.
. "$examples/keystore/setup.sh"
keystore_setup "$build" "$out/keystore"
"$kosd" --manifest "$out/manifest.dtb" --run-dir "$run" --keystored "$out/keystore/kos-keystored" >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT

# wait_running N: until kos ps shows N apps running (10 s at most).
wait_running() {
	i=0
	while [ "$("$kos" ps --run-dir "$run" 2>/dev/null | grep -c ' running ')" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { cat "$log"; echo "run-kosd: apps did not come up" >&2; exit 1; }
		sleep 0.05
	done
}
# wait_restarted: until the log, past the kill, shows the chain's four apps started again.
wait_restarted() {
	i=0
	while [ "$(tail -n +$((lines + 1)) "$log" | grep -c ': started (pid')" -lt 4 ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { cat "$log"; echo "run-kosd: the chain did not restart" >&2; exit 1; }
		sleep 0.05
	done
}
wait_running 4
echo "kosd (pid $pid) runs the example system:"
"$kos" ps --run-dir "$run"

victim=$("$kos" ps --run-dir "$run" | awk '$1 == "ethernet" { print $3 }')
echo
echo "kill -KILL ethernet (pid $victim): ethernet and everything that depends on it restarts"
lines=$(wc -l <"$log")
kill -KILL "$victim"
wait_restarted
wait_running 4
tail -n +$((lines + 1)) "$log" | grep -v ': up (pid'
echo
"$kos" ps --run-dir "$run"

echo
echo "SIGTERM to kosd: every app stops in reverse order"
lines=$(wc -l <"$log")
kill -TERM "$pid"
wait "$pid" && status=0 || status=$?
trap - EXIT
tail -n +$((lines + 1)) "$log"
echo "kosd exited with status $status"
