#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark: `kos store verify` hashing 100 MiB in 800 objects, against `sha256sum` over
# the same files and against the physical floor for one core, `openssl speed -evp
# sha256` (16 KiB blocks, no I/O). Files are in the page cache (a warm-up run first);
# each figure is the best of 3. The goal: verify (one thread) >= 90% of openssl's speed.
#
# openssl speed divides by CPU (user) time, not wall time, so the comparison with it uses
# the CPU time (user + system: reading the files is part of verifying) of a one-thread
# verify; on a shared, loaded machine wall time measures the neighbours. Wall-time
# figures are printed too, and the machine's load with them.
#
# Then store-hash-read.c compares ways of reading in one process (read() with buffers of
# 16 KiB to 1 MiB, O_DIRECT, mmap with and without MAP_POPULATE, AF_ALG) against hashing
# from memory, so the cost of the copy out of the page cache is measured, not guessed.
# usage: bench/store-verify.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
kos="$build/src/cli/kos"
work=$(mktemp -d "${TMPDIR:-/tmp}/kos-bench-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT

files=800
size=$((100 * 1024 * 1024 / files))
mkdir "$work/src"
i=0
while [ $i -lt $files ]; do
	head -c $size /dev/urandom >"$work/src/f$i"
	i=$((i + 1))
done
"$kos" store init "$work/s"
"$kos" store add "$work/s" "$work/src"/f* >/dev/null
find "$work/s/objects" -type f >"$work/list"
total=$((files * size))

# best_of3 WHAT CMD...: the fastest of 3 runs, in seconds: WHAT is "wall" or "cpu"
# (user + system time of CMD and its children, from GNU time).
best_of3() {
	what=$1
	shift
	"$@" >/dev/null 2>&1 # warm-up: page cache
	best=
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >/dev/null 2>&1
		best=$(awk -v what="$what" -v best="${best:-}" '{ d = what == "wall" ? $1 : $2 + $3;
			if (best == "" || d < best) print d; else print best }' "$work/time")
	done
	echo "$best"
}

# Each measurement times 5 verifies back to back (500 MiB): CPU time comes in 10 ms ticks.
reps=5
verify_reps() { echo "for _ in 1 2 3 4 5; do '$kos' store verify '$work/s' $1 || exit 1; done"; }
sum_reps() { echo "for _ in 1 2 3 4 5; do xargs sha256sum <'$work/list' || exit 1; done"; }
c_verify1=$(best_of3 cpu sh -c "$(verify_reps '--jobs 1')")
t_verify1=$(best_of3 wall sh -c "$(verify_reps '--jobs 1')")
t_verify=$(best_of3 wall sh -c "$(verify_reps '')")
c_sum=$(best_of3 cpu sh -c "$(sum_reps)")
t_sum=$(best_of3 wall sh -c "$(sum_reps)")
# openssl speed: the 16384-byte column, in 1000s of bytes per second; by CPU time, and
# with -elapsed by wall time (like for like with the wall-time figures above).
openssl_speed() {
	openssl speed "$@" -seconds 3 -bytes 16384 -evp sha256 2>/dev/null |
		awk '/^sha256/ { v = $NF; sub(/k$/, "", v); print v }'
}
o_cpu=$(openssl_speed)
o_wall=$(openssl_speed -elapsed)

# Read strategies, side by side in one process on the same files (store-hash-read.c):
# what the read() copy out of the page cache costs, and whether mmap or another buffer
# size would avoid it.
strategies=
if cc -O2 -o "$work/store-hash-read" "$(dirname "$0")/store-hash-read.c" -lcrypto 2>"$work/cc.err"; then
	strategies=$("$work/store-hash-read" 3 $(cat "$work/list"))
fi

echo "machine: $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg) (a loaded machine lowers wall-time figures)"
awk -v total="$((total * reps))" -v c1="$c_verify1" -v t1="$t_verify1" -v tn="$t_verify" \
	-v cs="$c_sum" -v ts="$t_sum" -v oc="$o_cpu" -v ow="$o_wall" -v files="$files" 'BEGIN {
	mb = total / 1e6; oc = oc / 1000; ow = ow / 1000
	printf "store verify: 100 MiB in %d objects (page cache), 5 times per measurement\n", files
	printf "                                  per CPU second   per wall second\n"
	printf "  kos store verify --jobs 1       %8.1f MB/s     %8.1f MB/s\n", mb / c1, mb / t1
	printf "  kos store verify (all cpus)     %8s          %8.1f MB/s\n", "", mb / tn
	printf "  sha256sum (peer)                %8.1f MB/s     %8.1f MB/s\n", mb / cs, mb / ts
	printf "  openssl speed -evp sha256 (floor, one core, no I/O)\n"
	printf "                                  %8.1f MB/s     %8.1f MB/s (-elapsed)\n", oc, ow
	printf "  verify vs sha256sum: %.2fx (wall, all cpus), %.2fx (CPU, one thread)\n", ts / tn, cs / c1
	printf "  verify vs openssl single core: %.2f (wall, all cpus), %.2f (wall, one thread), %.2f (CPU, one thread); goal >= 0.90\n",
		mb / tn / ow, mb / t1 / ow, mb / c1 / oc
	printf "  goal (>= 0.90 of the floor): %s by wall time with all cpus, %s per CPU second of one thread\n",
		(mb / tn / ow >= 0.9 ? "holds" : "missed"), (mb / c1 / oc >= 0.9 ? "holds" : "missed")
}'
if [ -n "$strategies" ]; then
	echo "read strategies, one thread, same files, best of 3 alternating rounds (store-hash-read.c):"
	echo "$strategies" | awk -v oc="$o_cpu" '
	BEGIN { oc = oc / 1000; printf "  %-12s %10s %10s %14s\n", "strategy", "CPU MB/s", "wall MB/s", "CPU vs floor" }
	$2 == "n/a" { printf "  %-12s %10s %10s %14s\n", $1, "n/a", "n/a", "(unavailable)"; next }
	{ printf "  %-12s %10.1f %10.1f %14.2f\n", $1, $2, $3, $2 / oc }'
else
	echo "read strategies: not measured (no C compiler or libcrypto headers: $(head -1 "$work/cc.err"))"
fi
