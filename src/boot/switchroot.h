/* SPDX-License-Identifier: Apache-2.0 */
/*
 * switch_root: from the initramfs into the assembled root.
 *
 * Invariants: 1. /dev, /proc, /sys and /run move into the new root with everything mounted
 * below them. 2. Before the switch the initramfs's files are deleted, to give back their
 * memory: only files on the initramfs's own device; no mount point is crossed, so nothing
 * of the new root, the store or the moved file systems is touched. 3. The new root
 * becomes "/" by MS_MOVE and chroot (the initramfs cannot be pivoted away).
 */
#pragma once

/*
 * Deletes everything below dirfd that lies on the device dev, never descending into a
 * mount point (a directory on another device). Returns 0, or the first negative errno
 * (after trying everything else).
 */
int boot_switch_root_delete(int dirfd, unsigned long long dev);

/* Switches into newroot (an absolute path, a mount point). Returns 0 or a negative errno. */
int boot_switch_root(const char *newroot);
