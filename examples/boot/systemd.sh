# SPDX-License-Identifier: Apache-2.0
# The example device with a Debian root whose init is systemd: systemd starts kosd as a
# service (kosd.service) and kosd starts the apps and confirms the boot. Sourced after
# examples/boot/lib.sh, with the same variables ($KOS, $BUILD, $OUT).
#
#   boot_systemd_base NAME [MOTD]    $OUT/NAME.squashfs: the cached Debian root
#                                    (scripts/systemd-root), kosd, kos-msgd, the apps
#   boot_systemd_release NAME VERSION BASE SITE [CONFIRM_MS] [EXTRA_APPS_DTS]
#                                    boot_release with manifest-systemd.dts.in
#
# The Debian tree is made once, as root (debootstrap), and reused; reading it needs root
# too (/etc/shadow and friends are private).

boot_systemd_source=$(cd "$(dirname "${BASH_SOURCE:-$0}")/../.." 2>/dev/null && pwd)

# boot_systemd_base NAME [MOTD]: the root's bottom layer, as boot_base makes it, on Debian.
boot_systemd_base() {
	root=$("$boot_systemd_source/scripts/systemd-root") || boot_die "scripts/systemd-root"
	d="$OUT/$1.tree"
	rm -rf "$d"
	cp -a "$root" "$d" || boot_die "copy of $root"
	mkdir -p "$d/usr/lib/kos/apps" "$d/etc/kos/trust" "$d/data"
	cp "$BUILD/src/supervisor/kosd-static" "$d/usr/sbin/kosd"
	cp "$BUILD/src/msg/kos-msgd-static" "$d/usr/sbin/kos-msgd"
	cp "$boot_systemd_source"/examples/apps/* "$boot_systemd_source/examples/boot/probe" "$d/usr/lib/kos/apps/"
	cp "$OUT"/trust/*.pub "$d/etc/kos/trust/"
	echo "${2:-base}" >"$d/etc/kos/motd"
	# Enabled as systemctl enable would.
	cp "$boot_systemd_source/src/supervisor/kosd.service" "$d/usr/lib/systemd/system/kosd.service"
	ln -s /usr/lib/systemd/system/kosd.service "$d/etc/systemd/system/multi-user.target.wants/kosd.service"
	# kos-init armed the hardware watchdog: systemd keeps it alive from here on (and kosd
	# keeps systemd's service watchdog alive: kosd.service, WatchdogSec).
	mkdir -p "$d/etc/systemd/system.conf.d"
	printf '[Manager]\nRuntimeWatchdogSec=30s\nRebootWatchdogSec=2min\n' >"$d/etc/systemd/system.conf.d/kos-watchdog.conf"
	# No login on the console: the device is run by kosd. (The serial getty would also wait
	# for a device unit that, without udev, never comes.)
	ln -s /dev/null "$d/etc/systemd/system/getty.target"
	# Every device makes its own machine ID at boot (into the read-write layer); an empty
	# file is not a first boot.
	rm -f "$d/etc/machine-id"
	: >"$d/etc/machine-id"
	# Documentation and translations nobody reads on a device. (mksquashfs warns that
	# squashfs keeps no POSIX ACLs, which systemd set on /var/log/journal: said in the log.)
	mksquashfs "$d" "$OUT/$1.squashfs" -noappend -quiet -mkfs-time 0 -all-time 0 -wildcards \
		-e usr/share/doc usr/share/man usr/share/info usr/share/locale >"$OUT/$1.mksquashfs.log" 2>&1 ||
		boot_die "mksquashfs $1: $(tail -n 5 "$OUT/$1.mksquashfs.log")"
	boot_verity "$OUT/$1.squashfs"
}

# boot_systemd_release NAME VERSION BASE SITE [CONFIRM_MS] [EXTRA_APPS_DTS]
boot_systemd_release() {
	BOOT_MANIFEST_TEMPLATE="$boot_systemd_source/examples/boot/manifest-systemd.dts.in" boot_release "$@"
}
