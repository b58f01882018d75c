#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# kos-static-link.sh ALLOWLIST -- LINK-COMMAND...: runs the link of a static program
# (cmake/KosStatic.cmake) and fails it if the linker warns about anything ALLOWLIST does
# not list. glibc's linker warnings name the functions a static program can only use with
# the host's shared libraries at run time (dlopen, getaddrinfo, getpwnam...); each one we
# accept is listed, with the archive member that pulls it in, and explained in
# docs/development.md ("Static programs"). A new one fails the build, and the output file
# is removed so the next build links again. Listed warnings are not printed.
#
# ALLOWLIST lines: "MEMBER SYMBOL" (e.g. "libcrypto-lib-dso_dlfcn.o dlopen"); '#' starts a
# comment. Any other linker warning is reported as "- warning text" and never allowed.
set -u
allow=$1
shift
[ "${1:-}" = "--" ] && shift

log=$(mktemp) || exit 1
seen=$(mktemp) || exit 1
allowed=$(mktemp) || exit 1
trap 'rm -f "$log" "$seen" "$allowed"' EXIT

"$@" 2>"$log"
rc=$?
if [ $rc -ne 0 ]; then
	cat "$log" >&2
	exit $rc
fi

# ld: "ARCHIVE(MEMBER): in function `f':" then "(.text+0x..): warning: Using 'SYMBOL' in
# statically linked applications requires at runtime the shared libraries ...".
awk '
	/: in function / { member = $0; sub(/\): in function .*/, "", member); sub(/.*\(/, "", member); next }
	/warning: Using '\''[^'\'']*'\'' in statically linked/ {
		s = $0; sub(/.*Using '\''/, "", s); sub(/'\''.*/, "", s); print member, s; next
	}
	/warning:/ { w = $0; sub(/.*warning: /, "", w); print "-", w }
' "$log" | sort -u >"$seen"
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/[[:space:]][[:space:]]*/ /g' -e 's/ $//' "$allow" | sort -u >"$allowed"

new=$(comm -23 "$seen" "$allowed")
if [ -z "$new" ]; then
	# Known and explained: not repeated on every build. Anything else the linker said is.
	awk '
		/: in function / { held = $0; next }
		/in statically linked applications requires at runtime/ { held = ""; next }
		{ if (held != "") print held; held = ""; print }
		END { if (held != "") print held }
	' "$log" >&2
	exit 0
fi
cat "$log" >&2
	echo "kos-static-link: linker warnings not listed in $allow (see docs/development.md, \"Static programs\"):" >&2
	echo "$new" | sed 's/^/  /' >&2
	# The output file is what follows -o in the link command.
	out=
	prev=
	for a in "$@"; do
		[ "$prev" = "-o" ] && out=$a
		prev=$a
	done
	[ -n "$out" ] && rm -f "$out"
	exit 1
fi
exit 0
