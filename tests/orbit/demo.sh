#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Orbit demo (meant for make run as examples/run-orbit.sh; CTest runs it too):
#   1. orbit starts on 127.0.0.1 with an SQLite database; its first owner is made with
#      orbit admin;
#   2. the owner signs in and makes a project, a deployment, trusts the release key and
#      enrols a device (the test device client's key);
#   3. the example system, with a site image, is uploaded with kos release upload;
#   4. the device long-polls; the owner attaches the release; the device is told at once,
#      upgrades from Orbit with kos upgrade, and reports until confirmed; kos orbit status
#      shows it.
# usage: demo.sh BUILD_DIR [SOURCE_DIR]
set -eu
build=$(cd "${1:-build}" && pwd)
source=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
kos="$build/src/cli/kos"
orbit="$build/src/orbit/orbit"
device="$build/tests/orbit/orbit-device"
out=$(mktemp -d "${TMPDIR:-/tmp}/kos-orbit-demo.XXXXXX")
orbit_pid=""
cleanup() {
	[ -n "$orbit_pid" ] && kill "$orbit_pid" 2>/dev/null && wait "$orbit_pid" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT

say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*" | sed "s|$out/||g; s|$build/src/[a-z]*/||g; s|$build/tests/orbit/||g"; "$@"; }

say "orbit on 127.0.0.1, SQLite, its first owner"
"$orbit" --db "sqlite:$out/orbit.db" --store "$out/orbit-store" --port-file "$out/port" 2>"$out/orbit.log" &
orbit_pid=$!
while [ ! -s "$out/port" ]; do
	kill -0 "$orbit_pid" 2>/dev/null || { cat "$out/orbit.log" >&2; exit 1; }
	sleep 0.02
done
url="http://127.0.0.1:$(cat "$out/port")"
echo "orbit serves $url"
echo 'owner-password' | show "$orbit" admin --db "sqlite:$out/orbit.db" create-user owner@example.com
show "$orbit" admin --db "sqlite:$out/orbit.db" create-org weather-co --owner owner@example.com
echo 'owner-password' | "$kos" orbit --orbit "$url" login owner@example.com >"$out/token"
o() { show "$kos" orbit --orbit "$url" --token-file "$out/token" "$@"; }

say "a project, a deployment, the release key, a device"
"$kos" key generate "$out/release" >/dev/null
"$kos" key generate "$out/device" >/dev/null
o create-project weather
o create-deployment 1 production
o trust 1 "$out/release.pub"
o register 1 station-1 "$out/device.pub"

say "the example system with a site image, uploaded with kos release upload"
head -c 262144 /dev/urandom >"$out/site.erofs"
sed -e "s|@APPS@|$source/examples/apps|g" \
    -e "s|description = \"weather station 1.0\";|description = \"weather station 1.0 from Orbit\";\\
	components { site { sha256 = \"$(sha256sum "$out/site.erofs" | cut -c1-64)\"; format = \"erofs\"; }; };|" \
    "$source/examples/system/manifest.dts.in" >"$out/manifest.dts"
"$kos" manifest build "$out/manifest.dts" -o "$out/manifest.dtb" >/dev/null
"$kos" manifest sign "$out/manifest.dtb" --key "$out/release.key" >/dev/null
KOS_ORBIT_TOKEN=$(cat "$out/token") show "$kos" release upload --orbit "$url" --project 1 "$out/manifest.dtb" "$out/site.erofs"

say "the device long-polls; the owner attaches the release"
"$device" --url "$url" --key "$out/device.key" POST /api/v1/device/checkin '{"wait":30}' >"$out/checkin" &
poll=$!
until "$kos" orbit --orbit "$url" --token-file "$out/token" devices | grep -q '"last_seen":[1-9]'; do
	sleep 0.02
done
o attach 1 1
wait "$poll"
answer=$(sed -n 2p "$out/checkin")
echo "the device was told: $(echo "$answer" | sed 's|device-[0-9]*:[^@]*@|device-…:…@|')"
field() { echo "$answer" | python3 -c "import json, sys; print(json.load(sys.stdin)['target']['$1'])"; }

say "the device upgrades from Orbit with kos upgrade, reporting its progress"
report() { "$device" --url "$url" --key "$out/device.key" POST /api/v1/device/progress "{\"release\":1,\"state\":\"$1\"}" >/dev/null; echo "reported $1"; }
"$kos" store init "$out/device-store" >/dev/null
mkdir -p "$out/trust" && cp "$out/release.pub" "$out/trust/"
report downloading
printf '$ kos upgrade device-store --from %s --trust trust --ref %s\n' "$(field source | sed 's|device-[0-9]*:[^@]*@|device-…:…@|')" "$(field ref)"
"$kos" upgrade "$out/device-store" --from "$(field source)" --trust "$out/trust" --ref "$(field ref)"
report installed
"$kos" boot select "$out/device-store" --trust "$out/trust"
report booted
"$kos" boot confirm "$out/device-store" >/dev/null
report confirmed
o status 1
