#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The tracing demo: kosd runs kos-msgd, the trace server and two traced apps (hello-phx
# serves the weather, admin calls it). A console app starts tracing hello-phx, lets it run,
# collects the events and stops; the trace is converted to Chrome/Perfetto JSON.
# usage: examples/run-trace.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
kos="$build/src/cli/kos"
out="${KOS_EXAMPLE_OUT:-$build/example}/trace"
rm -rf "$out"
mkdir -p "$out"

cat >"$out/console" <<SCRIPT
#!/bin/sh
# Tracing one app for a while, from inside the system.
exec >"$out/console.log" 2>&1
until "$kos" trace list >"$out/list.before" && grep -q '^hello-phx idle - [0-9]' "$out/list.before"; do sleep 0.1; done
"$kos" trace start hello-phx
"$kos" trace list
sleep 1
"$kos" trace collect hello-phx -o "$out/hello-phx.kostrace"
"$kos" trace stop hello-phx
echo done
SCRIPT
chmod +x "$out/console"
sed -e "s|@TRACE@|$build/examples/trace|g" -e "s|@OUT@|$out|g" "$examples/trace/manifest.dts.in" >"$out/manifest.dts"
"$kos" manifest build "$out/manifest.dts" -o "$out/manifest.dtb"

"$build/src/supervisor/kosd" --manifest "$out/manifest.dtb" --run-dir "$out/run" \
	--msgd "$build/src/msg/kos-msgd" >"$out/kosd.log" 2>&1 &
kosd=$!
trap 'kill -TERM $kosd 2>/dev/null || true' EXIT
i=0
until grep -q '^done$' "$out/console.log" 2>/dev/null || [ $i -gt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "-- the console app ran kos trace start, list, collect and stop:"
cat "$out/console.log"
echo
echo "-- what kos-traced logged:"
grep -e 'kos-traced: ' -e '"kos-traced" publishes' "$out/kosd.log" | sed -e 's/^kosd: kos-traced:[a-z]*: //' \
	-e 's/^kosd: kos-msgd:[a-z]*: //' || true
kill -TERM $kosd
wait $kosd || true
trap - EXIT
grep -q '^done$' "$out/console.log"
echo
"$kos" trace json "$out/hello-phx.kostrace" -o "$out/hello-phx.json"
events=$(grep -c '"ph":"[BEiC]"' "$out/hello-phx.json")
echo "trace: $out/hello-phx.json holds $events events (open it in https://ui.perfetto.dev)"
[ "$events" -gt 0 ]
