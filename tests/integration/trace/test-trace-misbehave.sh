#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Misbehaving tracers harm neither kos-traced nor other apps' traces (docs/tracing.md,
# "Security"): beside a well-behaved app, one writes garbage records, heads and counters
# into its shared buffer, one publishes half a record and dies, one winds its head back
# and far forward, one tries to shrink the shared memory, one floods, one hoards channels
# and sessions. The server stays up,
# the good app's trace is whole and checks event by event, the bad ones' traces hold
# only valid records, and a flood is counted as lost.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
. "$KOS_SOURCE/tests/integration/trace/trace-lib.sh"

trace_admin_app admin
app() {
	echo "	$1 { path = \"$TAPP\"; args = \"--mode\", \"$2\", \"--status\", \"@T@/$1.status\"; msg_servers = \"core\"; restart = \"${3:-permanent}\"; };"
}
kosd_manifest "$T/m.dtb" <<DTS
apps {
$(app good loop)
$(app garbage garbage)
$(app torn torn temporary)
$(app rewind rewind)
$(app shrink truncate)
$(app flood flood)
$(app hoard hoard)
	admin { path = "@T@/admin.sh"; msg_servers = "core"; };
};
msg_servers {
	core { dir_access_control {
		kos_trace_protocol { publish = "kos-traced"; lookup = "good", "garbage", "torn", "rewind", "shrink", "flood", "hoard"; };
		kos_trace_admin_protocol { publish = "kos-traced"; lookup = "admin"; };
	}; };
};
trace_server { msg_servers = "core"; admin; };
DTS
kosd_start "$T/m.dtb" --msgd "$MSGD"

# The seal holds: the app cannot shrink the memory the server reads.
wait_until 30 test -s "$T/shrink.status"
grep -q '^refused' "$T/shrink.status" || fail "the shared memory could be shrunk: $(cat "$T/shrink.status")"
checks=$((checks + 1))

# Channels and sessions are bounded per app: 4 sessions, 8 channels.
wait_until 30 grep -q '^hoard ' "$T/hoard.status"
[ "$(cat "$T/hoard.status")" = "hoard 4 4 4" ] || fail "hoarding app: $(cat "$T/hoard.status") (want 4 sessions, 4 refused, 4 closed)"
checks=$((checks + 1))

for a in garbage torn rewind flood; do
	wait_until 30 grep -q '^\(ready\|rounds\|no session\)' "$T/$a.status"
	grep -q '^no session' "$T/$a.status" && fail "$a: $(cat "$T/$a.status")"
done
wait_until 30 app_past good 10
traced_pid() {
	KOS_RUN_DIR="$RUN" "$KOS" ps 2>/dev/null | awk '$1 == "kos-traced:trace" { print $3 }'
}
server_pid=$(traced_pid)
[ -n "$server_pid" ] || fail "kos-traced is not running: $(KOS_RUN_DIR="$RUN" "$KOS" ps 2>&1)"

for a in good garbage torn rewind flood; do
	ktrace_ok start "$a"
done
wait_until 20 test ! -e "/proc/$(ktrace list >/dev/null; awk '$1 == "torn" { print $4 }' "$T/.out")/status"
for a in garbage rewind; do
	v=$(sed -n 's/^rounds //p' "$T/$a.status")
	wait_until 30 sh -c "[ \$(sed -n 's/^rounds //p' '$T/$a.status') -gt $((${v:-0} + 64)) ]"
done
v=$(sed -n 's/^rounds //p' "$T/flood.status")
wait_until 30 sh -c "[ \$(sed -n 's/^rounds //p' '$T/flood.status') -gt $((${v:-0} + 32)) ]"
v=$(app_status good)
wait_until 30 app_past good $((v + 200))
for a in good garbage torn rewind flood; do
	ktrace_ok stop "$a"
done

# The server is the same process, and answers.
[ "$(traced_pid)" = "$server_pid" ] || fail "kos-traced was restarted ($server_pid -> $(traced_pid))"
checks=$((checks + 1))

# The good app's trace is whole.
collect_json good good
python3 "$CHECK_JSON" "$T/good.json" --apps good --names outer,inner,tick --categories work,net --min-events 600 \
	--lost 0 >"$T/.out" 2>"$T/.err" || fail "good: $(cat "$T/.err")"
echo "good: $(cat "$T/.out")"
checks=$((checks + 1))

# The half-written record of the app that died is not taken.
collect_json torn torn
python3 "$CHECK_JSON" "$T/torn.json" --max-events 1 >"$T/.out" 2>"$T/.err" || fail "torn: $(cat "$T/.err")"
grep -q '"name":"half"' "$T/torn.json" && fail "the torn record was stored"
echo "torn: $(cat "$T/.out")"
checks=$((checks + 1))

# Garbage and a wandering head: whatever was kept is valid (the converter's reader checks
# every record again), and the rest was counted as lost.
for a in garbage rewind; do
	collect_json "$a" "$a"
	python3 "$CHECK_JSON" "$T/$a.json" --apps "$a" >"$T/.out" 2>"$T/.err" || fail "$a: $(cat "$T/.err")"
	echo "$a: $(cat "$T/.out")"
	checks=$((checks + 1))
done

# A flood fills its ring: the overflow is counted, the trace is valid.
collect_json flood flood
python3 "$CHECK_JSON" "$T/flood.json" --apps flood --names flood --some-lost >"$T/.out" 2>"$T/.err" ||
	fail "flood: $(cat "$T/.err")"
echo "flood: $(cat "$T/.out")"
checks=$((checks + 1))
done_ok
