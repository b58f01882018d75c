#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Orbit's part of `make run`: orbit on 127.0.0.1, the example system uploaded with
# kos release upload, and a device told of the attach, moving to the release until it
# confirms (tests/orbit/demo.sh, which the test orbit/demo runs too).
# usage: examples/run-orbit.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/../tests/orbit/demo.sh" "${1:-build}" "$here/.."
