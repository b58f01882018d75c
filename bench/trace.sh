#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The cost of one trace event, side by side in one run, with one and four threads:
#   KOS enabled     an instant with one integer argument, traced by a real kos-traced
#                   (under kosd, overwrite mode so every event is written)
#   KOS disabled    the same macro on a category nobody traces
#   LTTng-UST       a tracepoint with one integer field, a session running (overwrite channel)
#   floor           clock_gettime(CLOCK_MONOTONIC) + a 128-byte store into a per-thread ring
# Figures are CPU nanoseconds per event (thread CPU clocks summed, so four threads on a
# smaller machine stay comparable), and system calls per event counted by strace -c -f
# over a whole run of the KOS and LTTng programs (start-up included). Ratios against the
# floor and against LTTng-UST.
# usage: bench/trace.sh BUILD_DIR [EVENTS]
set -eu
build=$(cd "$1" && pwd)
events=${2:-5000000}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kos-bench-trace.XXXXXX")
kosd_pid=
lttng_started=
sessiond_pid=
cleanup() {
	[ -n "$kosd_pid" ] && kill "$kosd_pid" 2>/dev/null
	[ -n "$lttng_started" ] && LTTNG_HOME="$work" lttng destroy -a >/dev/null 2>&1
	for p in $sessiond_pid; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

for tool in lttng lttng-sessiond strace; do
	command -v $tool >/dev/null || { echo "trace bench: $tool is missing (scripts/install-deps)"; exit 1; }
done

cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
flags="-O2"
grep -q '^KOS_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && flags="$flags -fsanitize=address,undefined"
"${cc:-cc}" $flags -D_GNU_SOURCE -I"$src/include" -I"$src/src" -o "$work/trace-bench" "$src/bench/trace-bench.c" \
	"$build/src/trace/libkos-trace.a" "$build/src/msg/libkos-msg.a" "$build/src/ipc/libkos-ipc.a" \
	"$build/src/util/libkos-util.a" -lpthread
cp "$src/bench/trace-bench-tp.h" "$work/"
"${cc:-cc}" $flags -D_GNU_SOURCE -DBENCH_LTTNG -I"$work" -o "$work/trace-bench-lttng" "$src/bench/trace-bench.c" \
	"$src/bench/trace-bench-tp.c" -llttng-ust -ldl -lpthread

# KOS: kosd runs kos-msgd, kos-traced, the bench apps and an admin app that starts tracing.
for t in 1 4; do
	printf '#!/bin/sh\nexec "%s" kos %s %s >"%s" 2>&1\n' "$work/trace-bench" $t "$events" "$work/kos.$t" >"$work/bench$t"
done
printf '#!/bin/sh\nexec strace -f -c -o "%s" "%s" kos 1 %s >"%s" 2>&1\n' "$work/kos.strace" "$work/trace-bench" \
	"$events" "$work/kos.s" >"$work/benchs"
cat >"$work/admin" <<SCRIPT
#!/bin/sh
for a in bench1 bench4 benchs; do
	until "$build/src/cli/kos" trace start \$a --categories on --mode overwrite 2>/dev/null; do sleep 0.05; done
done
SCRIPT
chmod +x "$work/bench1" "$work/bench4" "$work/benchs" "$work/admin"
cat >"$work/m.dts" <<DTS
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <1>;
	apps {
		bench1 { path = "$work/bench1"; msg_servers = "core"; restart = "temporary"; };
		bench4 { path = "$work/bench4"; msg_servers = "core"; restart = "temporary"; };
		benchs { path = "$work/benchs"; msg_servers = "core"; restart = "temporary"; };
		admin { path = "$work/admin"; msg_servers = "core"; restart = "temporary"; };
	};
	msg_servers { core { dir_access_control {
		kos_trace_protocol { publish = "kos-traced"; lookup = "bench1", "bench4", "benchs"; };
		kos_trace_admin_protocol { publish = "kos-traced"; lookup = "admin"; };
	}; }; };
	trace_server { msg_servers = "core"; admin; };
};
DTS
"$build/src/cli/kos" manifest build "$work/m.dts" -o "$work/m.dtb" >/dev/null
"$build/src/supervisor/kosd" --manifest "$work/m.dtb" --run-dir "$work/run" --msgd "$build/src/msg/kos-msgd" \
	>"$work/kosd.log" 2>&1 &
kosd_pid=$!
i=0
until grep -q '^kos-disabled' "$work/kos.1" 2>/dev/null && grep -q '^kos-disabled' "$work/kos.4" 2>/dev/null &&
	[ -s "$work/kos.strace" ]; do
	i=$((i + 1))
	[ $i -lt 6000 ] || { echo "trace bench: KOS runs did not finish"; cat "$work/kosd.log"; exit 1; }
	sleep 0.05
done
kill "$kosd_pid"
wait "$kosd_pid" 2>/dev/null || true
kosd_pid=

# LTTng-UST: a session daemon (started here, and stopped at the end, unless one runs), an
# overwrite channel.
export LTTNG_HOME="$work"
before=$(pgrep -x lttng-sessiond || true)
lttng create kos-bench --output="$work/lttng-out" >/dev/null # starts a session daemon if none runs
lttng_started=1
# The session daemons this run started (lttng create's), stopped at the end.
for p in $(pgrep -x lttng-sessiond || true); do
	echo "$before" | grep -qx "$p" || sessiond_pid="$sessiond_pid $p"
done
lttng enable-channel -u --overwrite bench >/dev/null
lttng enable-event -u -c bench 'kos_bench:*' >/dev/null
lttng start >/dev/null
"$work/trace-bench-lttng" 1 "$events" >"$work/lttng.1"
"$work/trace-bench-lttng" 4 "$events" >"$work/lttng.4"
strace -f -c -o "$work/lttng.strace" "$work/trace-bench-lttng" 1 "$events" >/dev/null
lttng stop >/dev/null
lttng destroy >/dev/null
lttng_started=
"$work/trace-bench" floor 1 "$events" >"$work/floor.1"
"$work/trace-bench" floor 4 "$events" >"$work/floor.4"

fig() { awk -v k="$2" '$1 == k { print $3 }' "$work/$1"; }
# The calls column of strace -c's total line (the errors column may be empty).
calls() { awk '$NF == "total" { print $4 }' "$work/$1"; }
echo "cost per event, CPU ns (each thread emits $events events):"
printf '  %-8s %12s %12s %12s %12s %14s %14s\n' threads kos-enabled kos-disabled lttng-ust floor kos/lttng kos/floor
for t in 1 4; do
	e=$(fig kos.$t kos-enabled) d=$(fig kos.$t kos-disabled) l=$(fig lttng.$t lttng) f=$(fig floor.$t floor)
	printf '  %-8s %12s %12s %12s %12s %14s %14s\n' $t "$e" "$d" "$l" "$f" \
		"$(awk -v a="$e" -v b="$l" 'BEGIN { printf "%.2f", a / b }')" \
		"$(awk -v a="$e" -v b="$f" 'BEGIN { printf "%.2f", a / b }')"
done
kc=$(calls kos.strace) lc=$(calls lttng.strace)
n=$((events + events / 10))
echo "system calls in a whole run on one thread of $n enabled events (strace -c -f, start-up included):"
printf '  kos %s (%s per event), lttng-ust %s (%s per event)\n' "$kc" \
	"$(awk -v a="$kc" -v n="$n" 'BEGIN { printf "%.6f", a / n }')" "$lc" \
	"$(awk -v a="$lc" -v n="$n" 'BEGIN { printf "%.6f", a / n }')"
