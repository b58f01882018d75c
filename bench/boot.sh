#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The boot benchmark (bench/boot.py): the KOS chain against a kernel booted directly.
# usage: bench/boot.sh BUILD_DIR
exec python3 "$(dirname "$0")/boot.py" "$@"
