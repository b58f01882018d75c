/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kexec: the System Kernel and its initrd, from the store into the boot kernel's kexec
 * slot, then the jump.
 *
 * Invariant: the bytes kexec loads are the bytes that were hashed. An object is read once,
 * hashed on the way into a sealed memory file, and compared with its name before anything
 * uses it; kexec_file_load() reads that file, which nothing can change (no time-of-check to
 * time-of-use gap, whatever happens to the store meanwhile).
 */
#pragma once

#include "store/store.h"

/*
 * Copies the store object hex into a new sealed memory file, hashing it on the way.
 * Returns 0 with *fdp (read-only, offset 0, owned by the caller); STORE_E_MISSING or
 * STORE_E_CORRUPT (positive: the object is absent or does not hash to its name); or a
 * negative errno.
 */
int boot_kexec_object_open(const Store *store, const char *hex, int *fdp);

/*
 * Loads kernel_fd (and initrd_fd unless it is -1) with cmdline into the kexec slot
 * (kexec_file_load). Returns 0 or a negative errno.
 */
int boot_kexec_load(int kernel_fd, int initrd_fd, const char *cmdline);

/* Jumps into the loaded kernel (sync first). Returns only on failure, a negative errno. */
int boot_kexec_exec(void);
