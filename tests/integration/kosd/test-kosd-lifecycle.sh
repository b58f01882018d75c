#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Readiness by notify (our test app and systemd-notify itself), aux_device_setup_script
# (success starts the app, failure does not), SIGKILL after stop-timeout-ms, output
# capture (control characters escaped, long lines logged whole in pieces), and the
# control socket refusing non-root users.
. "$KOS_SOURCE/tests/lib.sh"
. "$KOS_SOURCE/tests/integration/kosd/kosd-lib.sh"

cat >"$T/setup-ok.sh" <<EOF_SH
#!/bin/sh
echo "setup \$1 \$KOS_APP" >>"$REC"
echo "clock configured"
EOF_SH
printf '#!/bin/sh\necho "no such device" >&2\nexit 1\n' >"$T/setup-fail.sh"
chmod +x "$T/setup-ok.sh" "$T/setup-fail.sh"

kosd_manifest "$T/m.dtb" <<'EOF_DTS'
	apps {
		slow { @APP:slow@, "--notify-after", "300";
		       ready = "notify"; };
		after-slow { @APP:after-slow@; };
		sd { path = "/bin/sh"; ready = "notify";
		     args = "-c", "echo start sd >>@REC@; /usr/bin/systemd-notify --ready --status=up; echo ready-sent sd >>@REC@; exec /bin/sleep 1000"; };
		after-sd { @APP:after-sd@; };
		eth { @APP:eth@;
		      aux_device_setup_script = "@T@/setup-ok.sh"; };
		broken { @APP:broken@; restart = "temporary";
		         aux_device_setup_script = "@T@/setup-fail.sh"; };
		stubborn { @APP:stubborn@, "--ignore-term"; };
		noisy { path = "/bin/sh";
		        args = "-c", "printf 'a\\033[31mred\\rkosd: fake\\r\\n'; head -c 5000 /dev/zero | tr '\\000' x; echo; exec sleep 1000"; };
	};
	node-manager { stop-timeout-ms = <300>; settle-time-ms = <100>; };
EOF_DTS
kosd_start "$T/m.dtb"
wait_until 10 count_is 1 'start stubborn'
wait_until 5 grep -q 'every app ready for 100 ms' "$T/kosd.log"

# after-slow starts only once slow said READY=1 (from its own records); after-sd only once
# systemd-notify's READY=1 reached kosd (from kosd's log: the shell cannot record that).
events start ready ready-sent setup >"$T/order"
awk '$2 == "slow" && $1 == "ready" { r = NR } $2 == "after-slow" { a = NR } END { exit !(r && a > r) }' "$T/order" ||
	fail "after-slow started before slow was ready: $(cat "$T/order")"
awk '/kosd: sd: ready$/ { r = NR } /kosd: after-sd: started/ { a = NR } END { exit !(r && a > r) }' "$T/kosd.log" ||
	fail "after-sd started before systemd-notify said READY=1"
checks=$((checks + 2))
ok "$KOS" ps
out_has '^sd +running +[0-9]+ +0 .* up$'
out_has '^slow +running .* serving$'

# App output cannot forge log lines or colour the console, and a 5000-byte line is all there.
wait_until 5 grep -q '^kosd: noisy: x' "$T/kosd.log"
grep -qxF 'kosd: noisy: a\x1b[31mred\x0dkosd: fake' "$T/kosd.log" || fail "control characters not escaped: $(grep noisy "$T/kosd.log")"
wait_until 5 sh -c "[ \$(grep '^kosd: noisy: x' '$T/kosd.log' | tr -cd x | wc -c) -eq 5000 ]"
checks=$((checks + 1))

# The setup script ran before eth, with the app's name; its output is logged under eth.
awk '$1 == "setup" { s = NR } $1 == "start" && $2 == "eth" { a = NR } END { exit !(s && a > s) }' "$T/order" ||
	fail "setup script did not run before eth"
grep -qx 'setup eth eth' "$REC" || fail "setup script arguments"
grep -q 'kosd: eth: clock configured' "$T/kosd.log" || fail "setup output not logged"
# A failing setup script: clear error, app not started (temporary: not retried).
grep -q "kosd: broken: aux_device_setup_script $T/setup-fail.sh exited with status 1; not starting the app" \
	"$T/kosd.log" || fail "setup failure not reported"
grep -q 'kosd: broken: no such device' "$T/kosd.log" || fail "setup stderr not logged"
[ "$(count_events 'start broken')" -eq 0 ] || fail "broken started despite its setup failing"
checks=$((checks + 5))
ok "$KOS" ps
out_has '^broken +stopped '

# An app that ignores SIGTERM is killed after stop-timeout-ms.
ok "$KOS" app stop stubborn
wait_until 5 grep -q 'kosd: stubborn: stopped (killed by signal SIGKILL)' "$T/kosd.log"
grep -q 'stubborn: did not stop within 300 ms; sending SIGKILL' "$T/kosd.log" || fail "no timeout message"
[ "$(count_events 'stop stubborn')" -eq 1 ] || fail "stubborn did not see SIGTERM"
checks=$((checks + 2))

# Only root may use the control socket.
chmod 755 "$T"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$KOS" ps
[ "$status" -eq 1 ] && grep -q 'permission denied' "$T/.err" || fail "non-root got an answer: $(cat "$T/.out" "$T/.err")"
checks=$((checks + 1))
ls -l "$RUN/kosd.sock" | grep -q '^srw-------' || fail "control socket is not mode 0600"
checks=$((checks + 1))

kill -TERM "$KOSD_PID"
kosd_wait_exit
[ "$kosd_status" -eq 0 ] || fail "kosd exited $kosd_status"
done_ok
