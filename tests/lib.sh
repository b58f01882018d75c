# SPDX-License-Identifier: Apache-2.0
# Shared helpers for shell tests. Source it; then call the checks below. A failed check
# prints what it ran and what it saw, and exits 1. Each test runs in its own temporary
# directory ($T), removed at exit.
set -u

: "${KOS_BUILD:?KOS_BUILD must name the build directory}"
: "${KOS_SOURCE:?KOS_SOURCE must name the source tree}"
KOS="$KOS_BUILD/src/cli/kos"
T=$(mktemp -d "${TMPDIR:-/tmp}/kos-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
checks=0

fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/.out" ] && { echo "--- stdout:" >&2; cat "$T/.out" >&2; }
	[ -f "$T/.err" ] && { echo "--- stderr:" >&2; cat "$T/.err" >&2; }
	exit 1
}

# run CMD...: runs CMD, keeping its status in $status, output in $T/.out and $T/.err.
run() {
	"$@" >"$T/.out" 2>"$T/.err"
	status=$?
}

# ok CMD...: CMD must exit 0.
ok() {
	run "$@"
	[ "$status" -eq 0 ] || fail "expected success (got $status): $*"
	checks=$((checks + 1))
}

# fails CODE PATTERN CMD...: CMD must exit CODE and print exactly one line on stderr
# beginning with "kos: ", and that line must match the extended regex PATTERN.
fails() {
	code=$1 pattern=$2
	shift 2
	run "$@"
	[ "$status" -eq "$code" ] || fail "expected exit $code (got $status): $*"
	kos_lines=$(grep -c '^kos: ' "$T/.err")
	[ "$kos_lines" -eq 1 ] || fail "expected exactly one 'kos: ' error line (got $kos_lines): $*"
	grep '^kos: ' "$T/.err" | grep -Eq -- "$pattern" || fail "the 'kos: ' line does not match /$pattern/: $*"
	checks=$((checks + 1))
}

# out_has PATTERN: the last command's stdout matches the extended regex PATTERN.
out_has() {
	grep -Eq -- "$1" "$T/.out" || fail "stdout does not match /$1/"
	checks=$((checks + 1))
}

# out_is TEXT: the last command's stdout is exactly TEXT (plus a final newline).
out_is() {
	[ "$(cat "$T/.out")" = "$1" ] || fail "stdout is not \"$1\""
	checks=$((checks + 1))
}

# err_empty: the last command printed nothing on stderr.
err_empty() {
	[ ! -s "$T/.err" ] || fail "stderr is not empty"
	checks=$((checks + 1))
}

# done_ok: ends the test, reporting how many checks held.
done_ok() {
	echo "$checks checks passed"
	exit 0
}
