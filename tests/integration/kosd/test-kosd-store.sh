#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kosd --store DIR runs the generation the boot decision chose and, once every app has
# been ready for the settle time, confirms the boot (as `kos boot confirm DIR` does): the pending
# generation becomes good and current. Without a boot decision, kosd refuses to start.
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
run "$KOSD" --store "$T/store" --run-dir "$RUN"
[ "$status" -eq 1 ] && grep -q "no boot decision" "$T/.err" || fail "kosd ran without a boot decision: $(cat "$T/.err")"
[ ! -e "$REC" ] || fail "an app started"
checks=$((checks + 1))

ok "$KOS" store commit "$T/store" "$T/m.dtb"
ok "$KOS" boot select "$T/store" --trust "$T/trust"
ok "$KOS" boot status "$T/store" --json

"$KOSD" --store "$T/store" --run-dir "$RUN" >"$T/kosd.log" 2>&1 &
KOSD_PID=$!
wait_until 10 count_is 1 'start one'
wait_until 10 grep -q 'kosd: boot confirmed' "$T/kosd.log"
grep -q 'every app ready for 300 ms; confirming the boot' "$T/kosd.log" || fail "no settle message"
checks=$((checks + 1))
ok "$KOS" store list "$T/store"
out_has 'good'
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
