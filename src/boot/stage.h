/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The first steps kos-boot and kos-init share: the command line, the device deadline,
 * the modules, and the ext4 file systems found by label or name.
 *
 * Invariant: the console lines these steps print are the same in both programs, but for
 * their prefix (the program's name).
 */
#pragma once

#include <stdint.h>

#include "boot/blockdev.h"
#include "boot/cmdline.h"

#define BOOT_STAGE_TIMEOUT_DEFAULT 10 /* seconds: kos.timeout */
#define BOOT_STAGE_IMAGEFS_DEFAULT "LABEL=KOS-IMAGEFS"
#define BOOT_STAGE_DATAFS_DEFAULT "LABEL=KOS-DATAFS"

/* Reads and parses /proc/cmdline. Returns 0 with *cmdlinep (owned), or a negative errno. */
int boot_stage_cmdline(BootCmdline **cmdlinep);

/*
 * The seconds kos.timeout gives (BOOT_STAGE_TIMEOUT_DEFAULT if absent; a malformed value
 * is warned about and the default used).
 */
unsigned boot_stage_timeout(const BootCmdline *c);

/*
 * Loads every module of /lib/modules/<running kernel>/modules.dep, and prints "modules: N
 * loaded in M ms". A modules.dep that cannot be used is a warning, not an error: what the
 * boot needs may be built in, and a missing device says so later. Returns the time taken
 * in ms.
 */
uint64_t boot_stage_modules(void);

/*
 * Waits for the ext4 file system spec names until deadline_ms and mounts it read-write at
 * target with flags. dev gets the device's path, how how it was found ("label X"). Returns 0,
 * -ETIMEDOUT if it did not appear, or another negative errno.
 */
int boot_stage_mount_ext4(const BootBlockdevSpec *spec, uint64_t deadline_ms, const char *target,
                          unsigned long flags, char dev[64], char how[64]);
