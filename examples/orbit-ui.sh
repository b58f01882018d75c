#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# An example Orbit to look at in a browser (make orbit): orbit on 127.0.0.1 with the
# example organisation (weather-co: an owner and a user), a project with two deployments,
# the example system uploaded as a release with kos release upload and attached to
# production, a device (the test device client) that moved to it and confirmed its boot,
# and a second device that never checked in. Prints the UI's URL and the sign-ins, then
# serves until interrupted.
# usage: examples/orbit-ui.sh BUILD_DIR   (ORBIT_PORT: the port, default 8080)
set -eu
build=$(cd "${1:-build}" && pwd)
source=$(cd "$(dirname "$0")/.." && pwd)
kos="$build/src/cli/kos"
orbit="$build/src/orbit/orbit"
device="$build/tests/orbit/orbit-device"
port=${ORBIT_PORT:-8080}
out=$(mktemp -d "${TMPDIR:-/tmp}/kos-orbit-example.XXXXXX")
orbit_pid=""
cleanup() {
	[ -n "$orbit_pid" ] && kill "$orbit_pid" 2>/dev/null && wait "$orbit_pid" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

[ -x "$device" ] || { echo "orbit-ui: build first (make build)" >&2; exit 1; }
"$orbit" --db "sqlite:$out/orbit.db" --store "$out/store" --port "$port" --port-file "$out/port" 2>"$out/orbit.log" &
orbit_pid=$!
while [ ! -s "$out/port" ]; do
	kill -0 "$orbit_pid" 2>/dev/null || {
		cat "$out/orbit.log" >&2
		echo "orbit-ui: cannot listen on 127.0.0.1:$port; try ORBIT_PORT=8081 make orbit" >&2
		exit 1
	}
	sleep 0.05
done
url="http://127.0.0.1:$(cat "$out/port")"
db="sqlite:$out/orbit.db"

echo 'owner-password' | "$orbit" admin --db "$db" create-user owner@example.com >/dev/null
echo 'viewer-password' | "$orbit" admin --db "$db" create-user viewer@example.com >/dev/null
"$orbit" admin --db "$db" create-org weather-co --owner owner@example.com >/dev/null
echo 'owner-password' | "$kos" orbit --orbit "$url" login owner@example.com >"$out/token"
o() { "$kos" orbit --orbit "$url" --token-file "$out/token" "$@" >/dev/null; }
curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$out/token")" -H 'Content-Type: application/json' \
	-d '{"email":"viewer@example.com","role":"user"}' "$url/api/v1/orgs/1/members"

"$kos" key generate "$out/release" >/dev/null
"$kos" key generate "$out/device" >/dev/null
"$kos" key generate "$out/device-2" >/dev/null
o create-project weather
o create-deployment 1 production
o create-deployment 1 development
o trust 1 "$out/release.pub"
o register 1 station-1 "$out/device.pub"
o register 2 station-2 "$out/device-2.pub"

# the example system with a site image, as tests/orbit/demo.sh uploads it
head -c 262144 /dev/urandom >"$out/site.erofs"
sed -e "s|@APPS@|$source/examples/apps|g" \
    -e "s|description = \"weather station 1.0\";|description = \"weather station 1.0 from Orbit\";\\
	components { site { sha256 = \"$(sha256sum "$out/site.erofs" | cut -c1-64)\"; format = \"erofs\"; }; };|" \
    "$source/examples/system/manifest.dts.in" >"$out/manifest.dts"
"$kos" manifest build "$out/manifest.dts" -o "$out/manifest.dtb" >/dev/null
"$kos" manifest sign "$out/manifest.dtb" --key "$out/release.key" >/dev/null
KOS_ORBIT_TOKEN=$(cat "$out/token") "$kos" release upload --orbit "$url" --project 1 "$out/manifest.dtb" "$out/site.erofs" >/dev/null

# station-1 is told of the attach, upgrades from Orbit with kos upgrade and confirms
dev() { "$device" --url "$url" --key "$out/device.key" "$@"; }
dev POST /api/v1/device/checkin '{}' >/dev/null
o attach 1 1
dev POST /api/v1/device/checkin '{}' >"$out/checkin"
field() { sed -n 2p "$out/checkin" | python3 -c "import json, sys; print(json.load(sys.stdin)['target']['$1'])"; }
report() { dev POST /api/v1/device/progress "{\"release\":1,\"state\":\"$1\"}" >/dev/null; }
"$kos" store init "$out/device-store" >/dev/null
mkdir -p "$out/trust" && cp "$out/release.pub" "$out/trust/"
report downloading
"$kos" upgrade "$out/device-store" --from "$(field source)" --trust "$out/trust" --ref "$(field ref)" >/dev/null
report installed
"$kos" boot select "$out/device-store" --trust "$out/trust" >/dev/null
report booted
"$kos" boot confirm "$out/device-store" >/dev/null
report confirmed
digest=$("$kos" manifest digest "$out/manifest.dtb")
# The generations its store holds, as a device reports them (no kosd runs here: no app states).
generations=$("$kos" store list "$out/device-store" --json | python3 -c '
import json, sys
print(json.dumps([{"generation": g["generation"], "manifest": g["manifest"], "state": g["state"]}
                  for g in json.load(sys.stdin)["generations"]]))')
dev POST /api/v1/device/checkin "{\"manifest\":\"$digest\",\"generations\":$generations}" >/dev/null
dev POST /api/v1/device/manifest "{\"dtb\":\"$(base64 -w0 "$out/manifest.dtb")\"}" >/dev/null

cat <<EOT

Orbit's web UI: $url/
  owner: owner@example.com  password: owner-password
  user:  viewer@example.com password: viewer-password  (sees everything, changes nothing)
weather-co has the project weather; release 1 is attached to production, where station-1
confirmed it; station-2 in development never checked in. Ctrl-C stops Orbit.
EOT
wait "$orbit_pid"
