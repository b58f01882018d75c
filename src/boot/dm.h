/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device-mapper devices by ioctls, for the read-only targets the boot sets up over
 * components (dm-verity, dm-crypt): no dmsetup or cryptsetup on the device.
 *
 * Invariants: 1. A device is created, loaded with one read-only target and resumed, or
 * removed again: none is left half set up. 2. A table marked secret (a dm-crypt key in its
 * parameters) is passed with DM_SECURE_DATA_FLAG, so the kernel wipes its copy of the
 * ioctl buffer, and ours is wiped before it is freed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "major:minor" of the block device behind fd (a loop device), as tables name devices. */
int boot_dm_device_name(int fd, char name[32]);

/*
 * Creates the device-mapper device name with one read-only target of target_type over
 * sectors 512-byte sectors, with params, and resumes it. Returns 0 with "/dev/dm-N" in dev
 * (size bytes), or a negative errno (the device removed again).
 */
int boot_dm_create(const char *name, const char *target_type, uint64_t sectors, const char *params, bool secret,
                   char *dev, size_t size);
