/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A writer of "newc" cpio archives, the format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * Entries are written in the order they are added; a parent directory that was not added
 * is added (0755) before its first entry, since the kernel creates entries in archive
 * order. Every entry has uid 0, gid 0 and mtime 0, so the same inputs give the same bytes.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "util/cleanup.h"

typedef struct Cpio Cpio;

/* Starts an archive written to fd (which stays the caller's). */
int cpio_new(Cpio **cpiop, int fd);
Cpio *cpio_free(Cpio *c);

/* name is relative ("init", "lib/modules/x.ko"); no ".." component, no leading '/'. */
int cpio_add_dir(Cpio *c, const char *name, mode_t mode);
int cpio_add_data(Cpio *c, const char *name, mode_t mode, const void *data, size_t size);
/* The regular file at path, read whole. */
int cpio_add_file(Cpio *c, const char *name, mode_t mode, const char *path);
int cpio_add_symlink(Cpio *c, const char *name, const char *target);
int cpio_add_chardev(Cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor);

/* Writes the trailer and pads the archive to 512 bytes. */
int cpio_finish(Cpio *c);

DEFINE_CLEANUP_FUNC(Cpio, cpio_free)
