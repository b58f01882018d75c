#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kosd --store DIR --trust KEYDIR runs the generation the boot decision chose and, once
# every app has been ready for the settle time, confirms the boot (as `kos boot confirm DIR`
# does): the pending generation becomes good and current. Without a boot decision, kosd
# refuses to start; so it does when the chosen manifest's bytes no longer hash to the
# generation's digest (replaced after `kos boot select`, even by a validly signed one) or
# no trusted key signed it, and it never confirms such a boot.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
/dts-v1/;
/ {
	compatible = "kos,manifest-v1";
	version = <3>;
	apps {
		one { @APP:one@; };
	};
	node-manager { settle-time-ms = <300>; };
};
EOF_DTS
mkdir "$T/trust"
ok "$KOS" key generate "$T/trust/dev"
ok "$KOS" manifest sign "$T/m.dtb" --key "$T/trust/dev.key"
ok "$KOS" store init "$T/store"

# No generation chosen yet: refused, nothing started.
run "$KOSD" --store "$T/store" --trust "$T/trust" --run-dir "$RUN"
[ "$status" -eq 1 ] && grep -q "no boot decision" "$T/.err" || fail "kosd ran without a boot decision: $(cat "$T/.err")"
[ ! -e "$REC" ] || fail "an app started"
checks=$((checks + 1))

ok "$KOS" store commit "$T/store" "$T/m.dtb"
ok "$KOS" boot select "$T/store" --trust "$T/trust"
ok "$KOS" boot status "$T/store" --json

# --store without --trust is a usage error: nothing runs unverified.
run "$KOSD" --store "$T/store" --run-dir "$RUN"
[ "$status" -eq 2 ] && grep -q -- '--store and --trust go together' "$T/.err" || fail "no --trust: $status $(cat "$T/.err")"
[ ! -e "$REC" ] || fail "an app started"
checks=$((checks + 1))

# Keys that did not sign it: refused, nothing started, nothing confirmed.
mkdir "$T/other"
ok "$KOS" key generate "$T/other/stranger"
rm "$T/other/stranger.key"
run "$KOSD" --store "$T/store" --trust "$T/other" --run-dir "$RUN"
[ "$status" -eq 1 ] && grep -q 'generation 1 may not run: .*signature.*nothing confirmed' "$T/.err" ||
	fail "untrusted: $status $(cat "$T/.err")"
[ ! -e "$REC" ] || fail "an app started"
checks=$((checks + 1))

# The manifest object replaced after the boot decision: by a manifest nobody signed, and by
# one a trusted key did sign. Either way its bytes are not the generation's: refused.
digest=$("$KOS" manifest digest "$T/m.dtb")
object="$T/store/objects/$(echo "$digest" | cut -c1-2)/$(echo "$digest" | cut -c3-)"
cp "$object" "$T/object.good"
sed 's/version = <3>/version = <4>/' "$T/m.dts" >"$T/m4.dts"
ok "$KOS" manifest build "$T/m4.dts" -o "$T/m4.dtb"
for replacement in unsigned signed; do
	[ "$replacement" = signed ] && ok "$KOS" manifest sign "$T/m4.dtb" --key "$T/trust/dev.key"
	chmod u+w "$object" 2>/dev/null
	cp "$T/m4.dtb" "$object"
	run "$KOSD" --store "$T/store" --trust "$T/trust" --run-dir "$RUN"
	[ "$status" -eq 1 ] && grep -q 'generation 1 may not run: .*corrupt' "$T/.err" ||
		fail "replaced by a $replacement manifest: $status $(cat "$T/.err")"
	[ ! -e "$REC" ] || fail "an app started from a $replacement replacement"
	checks=$((checks + 1))
done
cp "$T/object.good" "$object"
ok "$KOS" store list "$T/store"
out_has 'pending'

# The confirmation waits for the store's lock (an upgrade may hold it) in a child of kosd;
# kosd killed meanwhile: the child dies with it and confirms nothing, and it holds nothing
# of kosd's (control socket, run directory lock), so a new kosd starts at once.
flock --no-fork -x "$T/store/kos-store" "$APP" --name locker --record "$T/locker.rec" &
locker=$!
wait_until 10 grep -q '^start locker' "$T/locker.rec"
"$KOSD" --store "$T/store" --trust "$T/trust" --run-dir "$RUN" >"$T/kosd-killed.log" 2>&1 &
KOSD_PID=$!
wait_until 10 grep -q 'confirming the boot' "$T/kosd-killed.log"
kill -KILL "$KOSD_PID"
wait "$KOSD_PID" 2>/dev/null
KOSD_PID=
child_gone() { ! pgrep -f -- "--store $T/store --trust" >/dev/null; }
wait_until 10 child_gone
kill -TERM "$locker"
wait "$locker" 2>/dev/null
ok "$KOS" store list "$T/store"
out_has 'pending'
checks=$((checks + 1))

"$KOSD" --store "$T/store" --trust "$T/trust" --run-dir "$RUN" >"$T/kosd.log" 2>&1 &
KOSD_PID=$!
wait_until 10 count_is 2 'start one'
wait_until 10 grep -q 'kosd: boot confirmed' "$T/kosd.log"
grep -q 'every app ready for 300 ms; confirming the boot' "$T/kosd.log" || fail "no settle message"
checks=$((checks + 1))
ok "$KOS" store list "$T/store"
out_has 'good'
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
