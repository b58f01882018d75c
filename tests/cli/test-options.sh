#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Option errors of the verbs that talk to the daemons (ps, app, msg, trace): one "kos: " line that
# names the option, nothing from getopt itself, exit 2, before any daemon is reached.
. "$KOS_SOURCE/tests/lib.sh"

# usage_fails PATTERN CMD...: exit 2 and one line on stderr, the "kos: " line, matching.
usage_fails() {
	fails 2 "$@"
	[ "$(wc -l <"$T/.err")" -eq 1 ] || fail "more than one line on stderr: $*"
}

usage_fails '^kos: ps: unknown option "--bogus"$' "$KOS" ps --bogus
usage_fails '^kos: ps: unknown option "-x"$' "$KOS" ps -x
usage_fails '^kos: ps: option "--run-dir" needs a value$' "$KOS" ps --run-dir
usage_fails '^kos: app: unknown option "--bogus"$' "$KOS" app --bogus start hello
usage_fails '^kos: app: option "--run-dir" needs a value$' "$KOS" app start hello --run-dir
usage_fails '^kos: msg lookup: unknown option "--bogus"$' "$KOS" msg lookup --bogus core/weather
usage_fails '^kos: msg lookup: option "--timeout" needs a value$' "$KOS" msg lookup core/weather --timeout
usage_fails '^kos: msg lookup: --timeout: not a number of milliseconds: "soon"$' "$KOS" msg lookup core/weather --timeout soon
usage_fails '^kos: msg call: unknown option "-q"$' "$KOS" msg call -q core/weather
# One rule for --timeout in every verb (util/number.h): no empty value taken as 0, no sign
# or space strtol() would skip.
usage_fails '^kos: msg lookup: --timeout: not a number of milliseconds: ""$' "$KOS" msg lookup core/weather --timeout ''
usage_fails '^kos: msg call: --timeout: not a number of milliseconds: "[+]5"$' "$KOS" msg call core/weather --timeout +5
usage_fails '^kos: trace list: --timeout: not a number of milliseconds: " 5"$' "$KOS" trace list --timeout ' 5'
usage_fails '^kos: trace stop: --timeout: not a number of milliseconds: "86400001"$' "$KOS" trace stop hello --timeout 86400001

# The core services' descriptor options: one line naming the option, exit 2.
service_fails() {
	_pattern=$1
	shift
	run "$@"
	[ "$status" -eq 2 ] || fail "expected exit 2 (got $status): $*"
	[ "$(wc -l <"$T/.err")" -eq 1 ] && grep -Eq -- "$_pattern" "$T/.err" ||
		fail "not one line matching /$_pattern/: $(cat "$T/.err")"
	checks=$((checks + 1))
}
service_fails '^kos-msgd: --manifest-fd: not a descriptor number: "x"$' \
	"$KOS_BUILD/src/msg/kos-msgd" --instance core --manifest-fd x
service_fails '^kos-traced: --control-fd: not a descriptor number: "3x"$' "$KOS_BUILD/src/trace/kos-traced" --control-fd 3x
service_fails '^kos-keystored: --manifest-fd: not a descriptor number: "-1"$' \
	"$KOS_BUILD/src/keystore/kos-keystored" --instance keystore --manifest-fd -1
done_ok
