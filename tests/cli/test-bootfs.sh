#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# kos bootfs and kos simulate, on the host (no QEMU boot: tests/system does that).
#  - the initramfs is a zstd-compressed newc archive the real zstd and cpio read back: /init is the program given,
#    the keys are under etc/kos/trust, the modules asked for come with what modules.dep says
#    they need, dependencies first, and a modules.dep of just them;
#  - a module modules.dep lacks, a trust dir without keys, a missing kernel, a bad size:
#    one line each, nothing left behind;
#  - bootfs build makes a GPT disk whose partitions are the ImageFS (ext4 KOS-IMAGEFS, the
#    store at /store, read back with debugfs) and the DataFS (ext4 KOS-DATAFS);
#  - kos simulate's QEMU command: user-mode networking only with restrict=on, forwards only
#    to 127.0.0.1, no network at all without forwards; bad forwards are usage errors.
. "$KOS_SOURCE/tests/lib.sh"

# A kernel package of our own: a vmlinuz and modules with a made-up modules.dep that
# covers every module bootfs asks for, with shared and chained dependencies.
k="$T/kernel"
v=9.9.9-test
m="$k/lib/modules/$v"
mkdir -p "$k/boot" "$m/kernel/a" "$m/kernel/b"
echo kernel >"$k/boot/vmlinuz-$v"
: >"$m/modules.dep"
for mod in virtio virtio_ring virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic ext4 loop squashfs erofs \
	overlay dm-mod dm-bufio dm-verity dm-crypt ecb xts i6300esb unrelated; do
	echo "module $mod" >"$m/kernel/a/$mod.ko"
done
cat >"$m/modules.dep" <<DEP
kernel/a/virtio.ko:
kernel/a/virtio_ring.ko:
kernel/a/virtio_pci.ko: kernel/a/virtio_ring.ko kernel/a/virtio.ko
kernel/a/virtio_blk.ko: kernel/a/virtio_ring.ko kernel/a/virtio.ko
kernel/a/crc16.ko:
kernel/a/mbcache.ko:
kernel/a/jbd2.ko:
kernel/a/crc32c_generic.ko:
kernel/a/ext4.ko: kernel/a/crc16.ko kernel/a/mbcache.ko kernel/a/jbd2.ko
kernel/a/loop.ko:
kernel/a/squashfs.ko:
kernel/a/erofs.ko:
kernel/a/overlay.ko:
kernel/a/dm-bufio.ko: kernel/a/dm-mod.ko
kernel/a/dm-mod.ko:
kernel/a/dm-verity.ko: kernel/a/dm-bufio.ko kernel/a/dm-mod.ko
kernel/a/dm-crypt.ko: kernel/a/dm-mod.ko
kernel/a/ecb.ko:
kernel/a/xts.ko:
kernel/a/i6300esb.ko:
kernel/a/unrelated.ko:
DEP
mkdir -p "$T/keys" "$T/trust" "$T/empty"
ok "$KOS" key generate "$T/keys/dev"
cp "$T/keys/dev.pub" "$T/trust/"
printf '#!/bin/sh\necho init\n' >"$T/prog"

ok "$KOS" bootfs kernel --kernel "$k"
[ "$(cat "$T/.out")" = "$k/boot/vmlinuz-$v" ] || fail "bootfs kernel printed $(cat "$T/.out")"

ok "$KOS" bootfs initrd --kernel "$k" --trust "$T/trust" --init-program "$T/prog" -o "$T/initrd.img"
mkdir "$T/x"
(cd "$T/x" && zstd -dc "$T/initrd.img" | cpio -idm --quiet) || fail "zstd and cpio cannot read the initrd back"
cmp "$T/x/init" "$T/prog" || fail "/init is not the program"
[ -x "$T/x/init" ] || fail "/init is not executable"
cmp "$T/x/etc/kos/trust/dev.pub" "$T/keys/dev.pub" || fail "the trusted key is not in the initrd"
[ ! -e "$T/x/lib/modules/$v/kernel/a/unrelated.ko" ] || fail "a module nobody asked for is in the initrd"
for mod in virtio virtio_ring virtio_pci virtio_blk crc16 mbcache jbd2 ext4 loop squashfs erofs overlay \
	dm-mod dm-bufio dm-verity dm-crypt ecb xts crc32c_generic i6300esb; do
	cmp "$T/x/lib/modules/$v/kernel/a/$mod.ko" "$m/kernel/a/$mod.ko" || fail "$mod.ko is missing or differs"
done
# Its modules.dep: exactly the included modules' lines, each after the lines of what it needs.
cut -d: -f1 "$T/x/lib/modules/$v/modules.dep" >"$T/order"
[ "$(wc -l <"$T/order")" -eq 20 ] || fail "the initrd's modules.dep has $(wc -l <"$T/order") lines, want 20"
pos() { grep -n "^kernel/a/$1.ko$" "$T/order" | cut -d: -f1; }
for pair in ext4:jbd2 ext4:crc16 virtio_blk:virtio dm-verity:dm-bufio dm-bufio:dm-mod dm-verity:dm-mod dm-crypt:dm-mod; do
	a=${pair%%:*} b=${pair##*:}
	[ "$(pos "$b")" -lt "$(pos "$a")" ] || fail "$b does not come before $a in the initrd's modules.dep"
done
grep -q "^kernel/a/ext4.ko: kernel/a/crc16.ko kernel/a/mbcache.ko kernel/a/jbd2.ko$" "$T/x/lib/modules/$v/modules.dep" ||
	fail "ext4's line is not the kernel's own"
[ -c "$T/x/dev/console" ] || [ "$(id -u)" -ne 0 ] || fail "no /dev/console in the initrd"
# The same inputs give the same bytes.
ok "$KOS" bootfs initrd --kernel "$k" --trust "$T/trust" --init-program "$T/prog" -o "$T/initrd2.img"
cmp -s "$T/initrd.img" "$T/initrd2.img" || fail "two builds of the same initrd differ"

# Refusals: one line, no output file.
fails 1 "no module squashfs" sh -c "sed -i '/squashfs/d' '$m/modules.dep' &&
	'$KOS' bootfs initrd --kernel '$k' --trust '$T/trust' --init-program '$T/prog' -o '$T/bad.img'"
[ ! -e "$T/bad.img" ] && [ ! -e "$T/bad.img.tmp" ] || fail "a refused initrd left a file"
echo "kernel/a/squashfs.ko:" >>"$m/modules.dep"
fails 1 "no \\*\\.pub key" "$KOS" bootfs initrd --kernel "$k" --trust "$T/empty" --init-program "$T/prog" -o "$T/bad.img"
[ ! -e "$T/bad.img" ] && [ ! -e "$T/bad.img.tmp" ] || fail "a refused initrd left a file"
fails 1 "no kernel" "$KOS" bootfs initrd --kernel "$T/nowhere" --trust "$T/trust" --init-program "$T/prog" -o "$T/bad.img"
fails 2 "is not a size" "$KOS" bootfs build --store "$T/s" --trust "$T/trust" -o "$T/o" --datafs-size 12Q
fails 2 "expected --store DIR --trust KEYDIR -o OUT" "$KOS" bootfs build --trust "$T/trust" -o "$T/o"
fails 2 "unknown verb" "$KOS" bootfs frobnicate

# A disk: GPT, two ext4 file systems found by label, the store inside the first.
ok "$KOS" store init "$T/store"
echo object >"$T/obj"
ok "$KOS" store add "$T/store" "$T/obj"
mkdir -p "$T/data/kos/keystore"
echo sealed >"$T/data/kos/keystore/disk.sealed"
chmod 600 "$T/data/kos/keystore/disk.sealed"
ok "$KOS" bootfs build --kernel "$k" --store "$T/store" --trust "$T/trust" --boot-program "$T/prog" -o "$T/out" \
	--imagefs-size 8M --datafs-size 4M --data "$T/data"
for f in vmlinuz initramfs.img disk.img; do [ -s "$T/out/$f" ] || fail "bootfs build made no $f"; done
cmp "$T/out/vmlinuz" "$k/boot/vmlinuz-$v" || fail "OUT/vmlinuz is not the kernel"
# kos-boot reads only the ImageFS: its initramfs has the ext4 and virtio modules, no other.
mkdir "$T/bx"
(cd "$T/bx" && zstd -dc "$T/out/initramfs.img" | cpio -idm --quiet) || fail "zstd and cpio cannot read the boot initramfs back"
cmp "$T/bx/init" "$T/prog" || fail "the boot initramfs's /init is not the boot program"
for mod in virtio_blk virtio_pci ext4 jbd2 crc32c_generic; do
	[ -f "$T/bx/lib/modules/$v/kernel/a/$mod.ko" ] || fail "the boot initramfs lacks $mod.ko"
done
for mod in squashfs erofs overlay loop dm-verity; do
	[ ! -e "$T/bx/lib/modules/$v/kernel/a/$mod.ko" ] || fail "the boot initramfs carries $mod.ko, which kos-boot never loads"
done
run sfdisk --dump "$T/out/disk.img"
grep -q "^label: gpt" "$T/.out" || fail "disk.img has no GPT"
[ "$(grep -c 'type=0FC63DAF' "$T/.out")" -eq 2 ] || fail "disk.img has not two Linux partitions"
part() { # part N FILE: partition N of disk.img into FILE
	start=$(sfdisk --json "$T/out/disk.img" | python3 -c "import json,sys; p=json.load(sys.stdin)['partitiontable']['partitions'][$1-1]; print(p['start'], p['size'])")
	dd if="$T/out/disk.img" of="$2" bs=512 skip="${start% *}" count="${start#* }" status=none
}
part 1 "$T/p1"
part 2 "$T/p2"
[ "$(e2label "$T/p1")" = KOS-IMAGEFS ] || fail "partition 1 is labelled $(e2label "$T/p1")"
[ "$(e2label "$T/p2")" = KOS-DATAFS ] || fail "partition 2 is labelled $(e2label "$T/p2")"
e2fsck -fn "$T/p1" >/dev/null 2>&1 || fail "the ImageFS does not check clean"
h=$(sha256sum "$T/obj" | cut -c1-64)
debugfs -R "cat /store/objects/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)" "$T/p1" 2>/dev/null >"$T/back"
cmp "$T/back" "$T/obj" || fail "the store's object is not on the ImageFS"
# --data: the DataFS starts with the directory's files, modes kept.
e2fsck -fn "$T/p2" >/dev/null 2>&1 || fail "the DataFS does not check clean"
debugfs -R "cat /kos/keystore/disk.sealed" "$T/p2" 2>/dev/null >"$T/back"
cmp "$T/back" "$T/data/kos/keystore/disk.sealed" || fail "the --data file is not on the DataFS"
debugfs -R "stat /kos/keystore/disk.sealed" "$T/p2" 2>/dev/null | grep -q "Mode:  0600" ||
	fail "the --data file lost its mode on the DataFS"
fails 2 "bootfs initrd: --store, --data and sizes belong to 'bootfs build'" \
	"$KOS" bootfs initrd --trust "$T/trust" -o "$T/bad.img" --data "$T/data"

# kos simulate: what QEMU is told.
ok "$KOS" simulate "$T/out" --print --accel tcg
grep -q -- "-nic none" "$T/.out" || fail "without forwards the guest has a network: $(cat "$T/.out")"
grep -q -- "-device i6300esb -action watchdog=reset" "$T/.out" || fail "the simulated device has no watchdog that resets it: $(cat "$T/.out")"
grep -q -- "-accel tcg" "$T/.out" || fail "--accel tcg not passed on"
ok "$KOS" simulate "$T/out" --print --accel tcg --forward 8080:80 --guest-forward 9000:8000
grep -q "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:8080-:80,guestfwd=tcp:10.0.2.2:9000-tcp:127.0.0.1:8000" "$T/.out" ||
	fail "forwards are not user-mode, restricted, to 127.0.0.1 only: $(cat "$T/.out")"
fails 2 "want HOSTPORT:GUESTPORT" "$KOS" simulate "$T/out" --print --forward 8080
fails 2 "want GUESTPORT:HOSTPORT" "$KOS" simulate "$T/out" --print --guest-forward 1:99999
fails 2 "at least 256" "$KOS" simulate "$T/out" --print --memory 64
fails 2 "expected one IMAGE" "$KOS" simulate

# kos simulate ended by a signal takes its machine with it: a stand-in QEMU (found on PATH
# first) that records its pid and runs on is gone once kos simulate has been killed.
mkdir -p "$T/bin"
cat >"$T/bin/qemu-system-x86_64" <<EOF2
#!/bin/sh
echo \$\$ >"$T/qemu.pid"
exec sleep 1000
EOF2
chmod +x "$T/bin/qemu-system-x86_64"
PATH="$T/bin:$PATH" "$KOS" simulate "$T/out" --accel tcg >/dev/null 2>&1 &
sim=$!
# gone PID: true once the process is no more, waiting up to 10 s (0.05 s steps).
gone() {
	_n=0
	while kill -0 "$1" 2>/dev/null; do
		_n=$((_n + 1))
		[ "$_n" -le 200 ] || return 1
		sleep 0.05
	done
}
_n=0
until [ -s "$T/qemu.pid" ]; do
	_n=$((_n + 1))
	[ "$_n" -le 200 ] || fail "the stand-in QEMU did not start"
	sleep 0.05
done
qemu=$(cat "$T/qemu.pid")
kill -TERM "$sim"
wait "$sim" 2>/dev/null || true
gone "$qemu" || { kill -KILL "$qemu"; fail "QEMU runs on after kos simulate was killed"; }
checks=$((checks + 1))
echo "ok ($checks checks)"
