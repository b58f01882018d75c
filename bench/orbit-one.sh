#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# One backend's Orbit figures (bench/orbit.sh runs both): check-ins per second and
# latency with wrk (64 connections, pre-signed requests), and long polls held and told.
# usage: orbit-one.sh BUILD_DIR sqlite|postgresql   (ORBIT_BENCH_THREADS: orbit --threads, default 16)
set -u
if [ $# -lt 2 ]; then
	# bench/run-all.sh runs every bench/*.sh with the build directory alone: this one is
	# orbit.sh's, run there once per backend
	echo "(bench/orbit.sh runs this for each backend)"
	exit 0
fi
KOS_BUILD=$(cd "$1" && pwd)
KOS_SOURCE=$(cd "$(dirname "$0")/.." && pwd)
export KOS_BUILD KOS_SOURCE
set -- "$2"
. "$KOS_SOURCE/tests/orbit/lib-orbit.sh"
LONGPOLLS=${ORBIT_BENCH_LONGPOLLS:-10000}
SECONDS_RUN=${ORBIT_BENCH_SECONDS:-5}
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || true

orbit_db
ORBIT_ARGS="--threads ${ORBIT_BENCH_THREADS:-16}"
orbit_start
echo 'bench-password' | admin create-user bench@example.com >/dev/null
admin create-org bench --owner bench@example.com >/dev/null
TOKEN=$(admin create-token bench@example.com)
api() { curl -sf -H "Authorization: Bearer $TOKEN" "$@"; }
api "$URL/api/v1/orgs/1/projects" -d '{"name":"bench"}' >/dev/null
api "$URL/api/v1/orgs/1/projects/1/deployments" -d '{"name":"fleet"}' >/dev/null
"$KOS" key generate "$T/device" >/dev/null
python3 -c 'import json,sys; print(json.dumps({"name":"d1","public_key":open(sys.argv[1]).read(),"deployment":1}))' \
	"$T/device.pub" >"$T/device.json"
api "$URL/api/v1/orgs/1/devices" -d @"$T/device.json" >/dev/null || fail "device registration"

# check-ins: enough signed requests for the run at 40,000/s
"$DEVICE" --key "$T/device.key" --presign $((SECONDS_RUN * 40000)) POST /api/v1/device/checkin '{"wait":0}' \
	>"$T/presigned" || fail "presign"
# CPU time spent per check-in (orbit, and the PostgreSQL server's processes): unlike the
# rate, it does not depend on what else the machine runs meanwhile
cpu_ticks() {
	for pid in "$@"; do awk '{ print $14 + $15 }' "/proc/$pid/stat"; done | awk '{ s += $1 } END { print s + 0 }'
}
pg_pids=""
[ "$BACKEND" = postgresql ] && pg_pids=$(pgrep -P "$(head -n 1 "$PG_DIR/data/postmaster.pid")" | tr '\n' ' ')
orbit_cpu0=$(cpu_ticks "$ORBIT_PID")
pg_cpu0=$(cpu_ticks $pg_pids)
ORBIT_PRESIGNED="$T/presigned" ORBIT_THREADS=2 wrk -t2 -c64 -d"${SECONDS_RUN}s" --latency \
	-s "$KOS_SOURCE/bench/orbit-checkin.lua" "$URL" >"$T/wrk.out" 2>&1 || fail "wrk: $(cat "$T/wrk.out")"
orbit_cpu=$(($(cpu_ticks "$ORBIT_PID") - orbit_cpu0))
pg_cpu=$(($(cpu_ticks $pg_pids) - pg_cpu0))
rps=$(sed -n 's/^Requests\/sec: *//p' "$T/wrk.out")
requests=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$T/wrk.out")
p50=$(awk '$1 == "50%" { print $2 }' "$T/wrk.out")
p99=$(awk '$1 == "99%" { print $2 }' "$T/wrk.out")
bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/wrk.out")
cpu=$(awk -v o="$orbit_cpu" -v p="$pg_cpu" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
	'BEGIN { printf "orbit %.0f us", o / hz / n * 1e6; if (p > 0) printf " + PostgreSQL %.0f us", p / hz / n * 1e6 }')
echo "$BACKEND: check-ins ${rps}/s, p50 $p50, p99 $p99, 64 connections, non-2xx ${bad:-0}; CPU per check-in: $cpu"

# long polls: a release to attach (one small app), then N waiting check-ins
head -c 1000 /dev/urandom >"$T/app"
printf '/dts-v1/;\n/ {\n\tcompatible = "kos,manifest-v1";\n\tversion = <1>;\n\tapps { app { image = "%s"; }; };\n};\n' \
	"$(sha256sum "$T/app" | cut -d' ' -f1)" >"$T/r.dts"
"$KOS" manifest build "$T/r.dts" -o "$T/r.dtb" >/dev/null
"$KOS" manifest sign "$T/r.dtb" --key "$T/device.key" >/dev/null
python3 -c 'import json,sys; print(json.dumps({"public_key":open(sys.argv[1]).read()}))' "$T/device.pub" >"$T/key.json"
api "$URL/api/v1/orgs/1/projects/1/keys" -d @"$T/key.json" >/dev/null
KOS_ORBIT_TOKEN=$TOKEN "$KOS" release upload --orbit "$URL" --project 1 "$T/r.dtb" "$T/app" >/dev/null ||
	fail "release upload"
"$DEVICE" --key "$T/device.key" --presign "$LONGPOLLS" POST /api/v1/device/checkin '{"wait":60}' >"$T/polls"
printf '%s: ' "$BACKEND"
python3 "$KOS_SOURCE/bench/orbit-longpoll.py" "$URL" "$T/polls" "$TOKEN" 1 1 1 "$LONGPOLLS"
orbit_stop
