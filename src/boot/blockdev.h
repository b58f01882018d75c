/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding a file system's block device: by ext4 label ("LABEL=KOS-IMAGEFS") or by name
 * ("/dev/vda1"), waiting for the kernel to bring devices up until a deadline.
 *
 * Invariants: 1. Every block device in /sys/class/block (whole disks and partitions) is
 * looked at, but for the boot programs' own loop and device-mapper devices; the first, in
 * name order, whose ext4 superblock carries the label wins.
 * 2. Waiting is a wait on the kernel's device events (a uevent netlink socket, opened
 * before the first look so no event between look and wait is lost), never a blind sleep;
 * it ends at the deadline.
 */
#pragma once

#include <stdint.h>

#define BOOT_BLOCKDEV_LABEL_MAX 16 /* ext4's s_volume_name */

typedef struct BootBlockdevSpec {
        char label[BOOT_BLOCKDEV_LABEL_MAX + 1]; /* "" if by name */
        char name[64];                           /* "vda1" (without /dev/); "" if by label */
} BootBlockdevSpec;

/*
 * Parses "LABEL=<label>" (1-16 bytes) or "/dev/<name>" (no further '/'). Returns 0 or
 * -EINVAL.
 */
int boot_blockdev_spec_parse(const char *text, BootBlockdevSpec *specp);

/*
 * The ext4 label of the file system on the device at path: 0 with label (NUL-terminated);
 * -EMEDIUMTYPE if it holds no ext4 file system; another negative errno if unreadable.
 */
int boot_blockdev_read_ext4_label(const char *path, char label[BOOT_BLOCKDEV_LABEL_MAX + 1]);

/*
 * Waits until the device spec names exists, or deadline_ms (CLOCK_MONOTONIC, util/clock.h)
 * passes. Returns 0 with "/dev/<name>" in dev (size bytes) and in how a short text that
 * says how it was found ("label KOS-IMAGEFS", "device"), -ETIMEDOUT, or another negative
 * errno.
 */
int boot_blockdev_wait(const BootBlockdevSpec *spec, uint64_t deadline_ms, char *dev, size_t size, char *how,
                       size_t how_size);
