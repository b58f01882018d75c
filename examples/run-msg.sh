#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The message-server demo: kosd starts two kos-msgd instances and three apps from
# examples/msg/manifest.dts.in. A display looks up "weather" and calls the weather station
# over a direct channel; an intruder's lookup is denied, and kos-msgd logs the denial.
# usage: examples/run-msg.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
kos="$build/src/cli/kos"
out="${KOS_EXAMPLE_OUT:-$build/example}/msg"
rm -rf "$out"
mkdir -p "$out"

sed -e "s|@MSG@|$examples/msg|g" -e "s|@KOS@|$kos|g" -e "s|@OUT@|$out|g" \
	"$examples/msg/manifest.dts.in" >"$out/manifest.dts"
"$kos" manifest build "$out/manifest.dts" -o "$out/manifest.dtb"

"$build/src/supervisor/kosd" --manifest "$out/manifest.dtb" --run-dir "$out/run" \
	--msgd "$build/src/msg/kos-msgd" >"$out/kosd.log" 2>&1 &
kosd=$!
trap 'kill -TERM $kosd 2>/dev/null || true' EXIT
i=0
until [ "$(grep -c -e '^kosd: display: weather is' -e '^kosd: intruder: kos: ' "$out/kosd.log")" -ge 4 ] || [ $i -gt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
KOS_RUN_DIR="$out/run" "$kos" ps || true
echo
echo "-- what the apps said:"
grep -e '^kosd: display: weather' -e '^kosd: intruder: kos:' "$out/kosd.log" | sed 's/^kosd: //' || true
echo
echo "-- what kos-msgd logged:"
grep -e 'publishes' -e 'looked up' -e 'denied:' "$out/kosd.log" | sed 's/^kosd: kos-msgd:[a-z]*: //' || true
kill -TERM $kosd
wait $kosd || true
trap - EXIT
grep -q '^kosd: display: weather is sunny' "$out/kosd.log" && grep -q 'denied: app "intruder"' "$out/kosd.log"
