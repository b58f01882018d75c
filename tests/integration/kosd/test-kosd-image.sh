#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# An app that is a store image (image = "<sha256>") runs from a sealed copy whose bytes
# were hashed on the way in: it starts under kosd --store; replacing the object file while
# kosd runs changes nothing for its restarts; a kosd started on the replaced object refuses
# to start anything.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

mkdir "$T/trust"
ok "$KOS" key generate "$T/trust/dev"
ok "$KOS" store init "$T/store"
ok "$KOS" store add "$T/store" "$APP"
digest=$(cut -d' ' -f1 "$T/.out")
kosd_manifest "$T/m.dtb" <<EOF_DTS
	apps { one { image = "$digest"; args = "--name", "one", "--record", "@REC@"; }; };
	node-manager { settle-time-ms = <100000>; };
EOF_DTS
ok "$KOS" manifest sign "$T/m.dtb" --key "$T/trust/dev.key"
ok "$KOS" store commit "$T/store" "$T/m.dtb"
ok "$KOS" boot select "$T/store" --trust "$T/trust"

"$KOSD" --store "$T/store" --trust "$T/trust" --run-dir "$RUN" >"$T/kosd.log" 2>&1 &
KOSD_PID=$!
wait_until 10 count_is 1 'start one'
pid=$(pid_of one)
case "$(readlink "/proc/$pid/exe")" in
"/memfd:kos-image"*) ;;
*) fail "one runs $(readlink "/proc/$pid/exe"), not its sealed copy" ;;
esac
checks=$((checks + 1))

# The object replaced under a running kosd: its restart runs the verified bytes.
object="$T/store/objects/$(echo "$digest" | cut -c1-2)/$(echo "$digest" | cut -c3-)"
chmod u+w "$object"
cp /bin/true "$object"
kill -KILL "$pid"
wait_until 10 count_is 2 'start one'
checks=$((checks + 1))
kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"

# A kosd started on the replaced object runs nothing.
run "$KOSD" --store "$T/store" --trust "$T/trust" --run-dir "$RUN"
[ "$status" -eq 1 ] && grep -q "app one: store image $digest does not hash to its name" "$T/.err" ||
	fail "replaced image: $status $(cat "$T/.err")"
[ "$(count_events 'start one')" -eq 2 ] || fail "one started from a replaced image"
checks=$((checks + 1))
done_ok
