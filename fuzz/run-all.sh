#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every fuzz target for SECONDS each, growing a scratch corpus seeded from
# fuzz/corpus/NAME. New crashes are left as crash-* files in the current directory.
# usage: fuzz/run-all.sh BUILD_DIR SECONDS [NAME...]
set -eu
build=$1 seconds=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
names=${*:-$(ls "$src/corpus")}
for name in $names; do
	work="$build/fuzz-corpus/$name"
	mkdir -p "$work"
	echo "== fuzz-$name for ${seconds}s"
	"$build/fuzz/fuzz-$name" -max_total_time="$seconds" -print_final_stats=1 \
		"$work" "$src/corpus/$name"
done
