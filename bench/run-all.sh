#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every benchmark (bench/*.sh) against the given build directory.
# usage: bench/run-all.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/*.sh; do
	[ "$b" = "$here/run-all.sh" ] && continue
	echo "== $(basename "$b" .sh)"
	sh "$b" "$build"
done
