#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Orbit, SQLite and PostgreSQL side by side in one run: check-ins per second with p50/p99
# latency (wrk, 64 connections, signed requests), and how many long-polling check-ins the
# server holds and how long from an attach to the last of them being told.
# Aim (docs): >= 5,000 check-ins/s with p99 < 5 ms (SQLite), >= 10,000 long polls told
# within 1 s. Peers poll: hawkBit every 5 minutes by default, Mender every 30.
# usage: bench/orbit.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for backend in sqlite postgresql; do
	sh "$here/orbit-one.sh" "$1" "$backend"
done
