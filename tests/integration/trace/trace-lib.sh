# SPDX-License-Identifier: Apache-2.0
# Helpers for the tracing tests; source after tests/lib.sh and kosd-lib.sh.
#   TAPP                  the traced test app
#   trace_admin_app       writes $T/admin.sh: an app that runs each "kos trace" command the
#                         test drops into $T/cmd/N, output in $T/res/N.out, status in $T/res/N
#   ktrace ARGS...            runs "kos trace ARGS" inside the admin app; status in $status,
#                         output in $T/.out and $T/.err
#   app_status NAME       the first word of NAME's status file
MSGD="$KOS_BUILD/src/msg/kos-msgd"
TAPP="$KOS_BUILD/tests/integration/trace/trace-test-app"
CHECK_JSON="$KOS_SOURCE/tests/integration/trace/check-trace-json.py"
mkdir -p "$T/cmd" "$T/res"
trace_n=0

trace_admin_app() {
	cat >"$T/$1.sh" <<SCRIPT
#!/bin/sh
# The next command's number survives a restart of this app.
n=\$(cat "$T/res/$1.next" 2>/dev/null || echo 1)
while :; do
	if [ -f "$T/cmd/$1.\$n" ]; then
		eval "set -- \$(cat "$T/cmd/$1.\$n")"
		"$KOS" trace "\$@" >"$T/res/$1.\$n.out" 2>"$T/res/$1.\$n.err"
		echo \$? >"$T/res/$1.\$n.tmp" && mv "$T/res/$1.\$n.tmp" "$T/res/$1.\$n"
		n=\$((n + 1))
		echo \$n >"$T/res/$1.next"
	else
		sleep 0.02
	fi
done
SCRIPT
	chmod +x "$T/$1.sh"
}

# ktrace_as APP ARGS...: "kos trace ARGS" run by the admin-like app APP.
ktrace_as() {
	who=$1
	shift
	trace_n=$((trace_n + 1))
	eval "n_$who=\$((\${n_$who:-0} + 1))"
	eval "k=\$n_$who"
	printf '%s\n' "$*" >"$T/cmd/$who.$k.tmp" && mv "$T/cmd/$who.$k.tmp" "$T/cmd/$who.$k"
	wait_until 30 test -f "$T/res/$who.$k"
	status=$(cat "$T/res/$who.$k")
	cp "$T/res/$who.$k.out" "$T/.out"
	cp "$T/res/$who.$k.err" "$T/.err"
}

ktrace() {
	ktrace_as admin "$@"
}

# ktrace_ok ARGS...: kos trace ARGS must succeed.
ktrace_ok() {
	ktrace "$@"
	[ "$status" -eq 0 ] || fail "kos trace $* failed ($status): $(cat "$T/.err")"
	checks=$((checks + 1))
}

app_status() {
	[ -f "$T/$1.status" ] && cut -d' ' -f1 "$T/$1.status"
}

# app_past NAME N: NAME's loop has done more than N iterations.
app_past() {
	v=$(app_status "$1")
	[ -n "$v" ] && [ "$v" -gt "$2" ]
}

# collect_json APP OUT: collects APP's events into OUT.kostrace and converts to OUT.json.
collect_json() {
	ktrace_ok collect "$1" -o "$T/$2.kostrace"
	run "$KOS" trace json "$T/$2.kostrace" -o "$T/$2.json"
	[ "$status" -eq 0 ] || fail "kos trace json $2: $(cat "$T/.err")"
}
