#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Tracing under the real kosd, kos-msgd and kos-traced (the manifest's trace_server node),
# with traced apps and an admin app running "kos trace" inside the system:
#   only the started app is traced; its JSON checked event by event;
#   a category filter; a collect that cannot write its file loses nothing; stop means no
#   more events; an app restarted by supervision keeps being traced; an app without access
#   to the admin protocol is refused; overwrite mode keeps the newest events; a multi-threaded app's slices nest per thread; the CTF form
#   read by babeltrace2; kostrace2json is kos trace json; an app the manifest does not let
#   trace has no session; a thread's ring is reused after it exits; a fault of the message
#   server restarts the trace server with it.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"
. "$KOS_SOURCE/tests/integration/trace/trace-lib.sh"

trace_admin_app admin
trace_admin_app outsider
kosd_manifest "$T/m.dtb" <<DTS
apps {
	alpha { path = "$TAPP"; args = "--mode", "loop", "--status", "@T@/alpha.status"; msg_servers = "core"; restart = "permanent"; };
	beta { path = "$TAPP"; args = "--mode", "loop", "--status", "@T@/beta.status"; msg_servers = "core"; };
	burst { path = "$TAPP"; args = "--mode", "burst", "--count", "10000", "--status", "@T@/burst.status"; msg_servers = "core"; };
	threads { path = "$TAPP"; args = "--mode", "threads", "--threads", "4", "--status", "@T@/threads.status"; msg_servers = "core"; };
	churn { path = "$TAPP"; args = "--mode", "churn", "--status", "@T@/churn.status"; msg_servers = "core"; };
	untraced { path = "$TAPP"; args = "--mode", "loop", "--status", "@T@/untraced.status"; msg_servers = "core"; restart = "temporary"; };
	admin { path = "@T@/admin.sh"; msg_servers = "core"; };
	outsider { path = "@T@/outsider.sh"; msg_servers = "core"; };
};
msg_servers {
	core { dir_access_control {
		kos_trace_protocol { publish = "kos-traced"; lookup = "alpha", "beta", "burst", "threads", "churn"; };
		kos_trace_admin_protocol { publish = "kos-traced"; lookup = "admin"; };
	}; };
};
trace_server { msg_servers = "core"; admin; buffer-records = <512>; };
DTS
kosd_start "$T/m.dtb" --msgd "$MSGD"

# Every traced app has its session (list shows a pid for each).
sessions_open() {
	ktrace list >/dev/null
	[ "$status" -eq 0 ] && [ "$(awk '$4 != "-"' "$T/.out" | wc -l)" -eq 5 ]
}
wait_until 30 sessions_open
grep -q '^alpha idle - [0-9]* work,net$' "$T/.out" || fail "list: $(cat "$T/.out")"
checks=$((checks + 1))

# An app the manifest does not let trace gets no session (and kos-msgd logs the denial).
wait_until 20 test -s "$T/untraced.status"
[ "$(cat "$T/untraced.status")" = "open failed 13" ] || fail "untraced: $(cat "$T/untraced.status") (want EACCES)"
grep -q 'denied: app "untraced" may not look up "kos_trace_protocol"' "$T/kosd.log" || fail "denial not logged"
checks=$((checks + 1))

# Only the started app.
wait_until 20 app_past beta 20
ktrace_ok start alpha
v=$(app_status alpha)
wait_until 20 app_past alpha $((v + 100))
ktrace_ok collect -o "$T/all1.kostrace"
run "$KOS" trace json "$T/all1.kostrace" -o "$T/all1.json"
[ "$status" -eq 0 ] || fail "json: $(cat "$T/.err")"
python3 "$CHECK_JSON" "$T/all1.json" --apps alpha --names outer,inner,tick --categories work,net \
	--min-events 300 >"$T/.out" 2>"$T/.err" || fail "only alpha traced: $(cat "$T/.err")"
echo "only alpha: $(cat "$T/.out")"
checks=$((checks + 1))

# The CTF form of the same trace, read by babeltrace2.
run "$KOS" trace ctf "$T/all1.kostrace" -o "$T/ctf"
[ "$status" -eq 0 ] || fail "ctf: $(cat "$T/.err")"
ctf_events=$(sed -n 's/.*: \([0-9]*\) events$/\1/p' "$T/.out")
babeltrace2 "$T/ctf" >"$T/bt.out" 2>"$T/bt.err" || fail "babeltrace2: $(cat "$T/bt.err")"
[ "$(wc -l <"$T/bt.out")" -eq "$ctf_events" ] || fail "babeltrace2 read $(wc -l <"$T/bt.out") events, not $ctf_events"
grep -q 'kos:begin: .*app = "alpha".*category = "work", name = "outer", args = "i=' "$T/bt.out" ||
	fail "babeltrace2: no outer slice: $(head -3 "$T/bt.out")"
grep -q 'kos:instant: .*name = "tick", args = "i=[0-9]* s=\\"ok\\" d=0.5"' "$T/bt.out" ||
	fail "babeltrace2: no tick with its arguments: $(grep tick "$T/bt.out" | head -2)"
echo "babeltrace2 read $ctf_events events"
checks=$((checks + 1))

# kostrace2json is kos trace json.
run "$KOS_BUILD/src/cli/kostrace2json" "$T/all1.kostrace" -o "$T/alias.json"
[ "$status" -eq 0 ] && cmp -s "$T/alias.json" "$T/all1.json" || fail "kostrace2json differs from kos trace json"
checks=$((checks + 1))

# Stop means no more events.
ktrace_ok stop alpha
ktrace_ok collect alpha -o "$T/rest.kostrace"
v=$(app_status alpha)
wait_until 20 app_past alpha $((v + 100))
collect_json alpha after-stop
python3 "$CHECK_JSON" "$T/after-stop.json" --max-events 0 >"$T/.out" 2>"$T/.err" ||
	fail "events after stop: $(cat "$T/.err")"
checks=$((checks + 1))

# A category filter.
ktrace_ok start beta --categories net
v=$(app_status beta)
wait_until 20 app_past beta $((v + 50))
ktrace_ok stop beta
# A collect into a place where no file can be written fails before the server hands the
# events over: they are all still there for the next collect.
ktrace collect beta -o "$T/no-such-dir/beta.kostrace"
[ "$status" -eq 1 ] && grep -q "^kos: trace collect: $T/no-such-dir/beta.kostrace: No such file or directory\$" "$T/.err" ||
	fail "collect into a missing directory ($status): $(cat "$T/.err")"
collect_json beta beta
python3 "$CHECK_JSON" "$T/beta.json" --apps beta --names tick --categories net --min-events 100 \
	>"$T/.out" 2>"$T/.err" || fail "beta --categories net: $(cat "$T/.err")"
echo "beta, net only: $(cat "$T/.out")"
checks=$((checks + 1))

# An app restarted by supervision keeps being traced.
ktrace_ok start alpha
ktrace list
pid1=$(awk '$1 == "alpha" { print $4 }' "$T/.out")
[ -n "$pid1" ] && [ "$pid1" != "-" ] || fail "no pid for alpha: $(cat "$T/.out")"
kill -KILL "$pid1"
new_pid() {
	ktrace list
	pid2=$(awk '$1 == "alpha" { print $4 }' "$T/.out")
	[ -n "$pid2" ] && [ "$pid2" != "-" ] && [ "$pid2" != "$pid1" ]
}
wait_until 30 new_pid
traced_again() {
	collect_json alpha restarted
	python3 "$CHECK_JSON" "$T/restarted.json" --apps alpha --require-pid "$pid2" >"$T/.out" 2>"$T/.err"
}
wait_until 30 traced_again
echo "alpha restarted ($pid1 -> $pid2): $(cat "$T/.out")"
checks=$((checks + 1))
ktrace_ok stop alpha

# An app the manifest does not let look up the admin protocol is refused.
ktrace_as outsider start beta
[ "$status" -eq 1 ] || fail "outsider's start: status $status"
grep -q '^kos: trace start: kos_trace_admin_protocol: denied' "$T/.err" || fail "outsider: $(cat "$T/.err")"
grep -q 'denied: app "outsider" may not look up "kos_trace_admin_protocol"' "$T/kosd.log" ||
	fail "the denial is not logged"
checks=$((checks + 1))

# Overwrite mode keeps the newest events: 10000 from one thread into a ring of 512 (the
# manifest's buffer-records).
ktrace_ok start burst --mode overwrite
wait_until 20 grep -q '^done' "$T/burst.status"
collect_json burst burst
python3 "$CHECK_JSON" "$T/burst.json" --apps burst --names n --burst 10000 --min-events 513 --max-events 513 \
	--lost 9488 >"$T/.out" 2>"$T/.err" || fail "overwrite: $(cat "$T/.err")"
echo "overwrite: $(tr '\n' ' ' <"$T/.out")"
checks=$((checks + 1))

# A multi-threaded app's slices nest per thread.
ktrace_ok start threads
four_threads() {
	collect_json threads threads
	python3 "$CHECK_JSON" "$T/threads.json" --apps threads --threads-min 4 --categories work \
		--names t1-outer,t1-inner,t2-outer,t2-inner,t3-outer,t3-inner,t4-outer,t4-inner \
		--min-events 40 >"$T/.out" 2>"$T/.err"
}
wait_until 30 four_threads
echo "threads: $(cat "$T/.out")"
checks=$((checks + 1))

# A thread's ring is freed when it exits: an app that runs one short thread after another
# has many more threads traced than it has rings (16).
ktrace_ok start churn
: >"$T/churn.tids"
many_threads() {
	collect_json churn churn
	python3 "$CHECK_JSON" "$T/churn.json" --apps churn --names job --print-tids >>"$T/churn.tids" 2>"$T/.err" ||
		fail "churn: $(cat "$T/.err")"
	[ "$(sort -u "$T/churn.tids" | wc -l)" -ge 40 ]
}
wait_until 60 many_threads
echo "churn: $(sort -u "$T/churn.tids" | wc -l) threads traced through 16 rings"
checks=$((checks + 1))
ktrace_ok stop churn

# The trace server is a client of kos-msgd:core: when that faults, both restart, and the
# apps on core with them; tracing works again on the new servers.
unit_pid() {
	KOS_RUN_DIR="$RUN" "$KOS" ps 2>/dev/null | awk -v u="$1" '$1 == u && $2 == "running" { print $3 }'
}
msgd_pid=$(unit_pid kos-msgd:core) traced_pid=$(unit_pid kos-traced:trace)
[ -n "$msgd_pid" ] && [ -n "$traced_pid" ] || fail "kos ps: $(KOS_RUN_DIR="$RUN" "$KOS" ps 2>&1)"
kill -KILL "$msgd_pid"
rm -f "$T/beta.status" # the restarted beta counts from 0 in a new one
restarted() {
	p=$(unit_pid kos-traced:trace)
	[ -n "$p" ] && [ "$p" != "$traced_pid" ] && [ -n "$(unit_pid admin)" ]
}
wait_until 30 restarted
wait_until 30 sessions_open
ktrace_ok start beta
wait_until 20 test -s "$T/beta.status"
v=$(app_status beta)
wait_until 20 app_past beta $((v + 20))
collect_json beta after-restart
python3 "$CHECK_JSON" "$T/after-restart.json" --apps beta --min-events 20 >"$T/.out" 2>"$T/.err" ||
	fail "after the message server's restart: $(cat "$T/.err")"
echo "after kos-msgd:core and kos-traced restarted: $(cat "$T/.out")"
checks=$((checks + 1))

grep -q 'kos-traced' "$T/kosd.log" || fail "kos-traced never logged"
done_ok
