# SPDX-License-Identifier: Apache-2.0
# Helpers for the message-server integration tests; source after tests/lib.sh.
#   MSGD, LAUNCH          kos-msgd and msg-launch (kosd's handover without kosd)
#   msg_manifest OUT.dtb  builds a manifest from DTS on stdin (@T@ replaced by $T)
MSGD="$KOS_BUILD/src/msg/kos-msgd"
LAUNCH="$KOS_BUILD/tests/integration/msg/msg-launch"
# Apps find kos and the C test client on PATH.
PATH="$KOS_BUILD/src/cli:$KOS_BUILD/tests/integration/msg:$PATH"
export PATH

msg_manifest() {
	sed -e "s|@T@|$T|g" >"$T/m.dts"
	"$KOS" manifest build "$T/m.dts" -o "$1" >"$T/.out" 2>"$T/.err" || fail "manifest does not build"
}
