/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File I/O helpers.
 *
 * Every file KOS writes is written whole or not at all: write_file_atomic() writes a
 * temporary file beside the target, fsyncs it, renames it over the target and fsyncs the
 * directory, so a crash at any instant leaves either the old or the new content.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Reads the whole of path into a new NUL-terminated buffer (the NUL is not counted in
 * *sizep). Fails with -EFBIG if the file is larger than max_size bytes. The caller owns
 * *bufp.
 */
int read_file_full(const char *path, size_t max_size, char **bufp, size_t *sizep);

/* Like read_file_full() on an open fd, from its current offset. */
int read_fd_full(int fd, size_t max_size, char **bufp, size_t *sizep);

/* Writes all of buf to fd, retrying short writes and EINTR. */
int write_full(int fd, const void *buf, size_t size);

/*
 * Replaces path with exactly size bytes of data, atomically and durably (see above). The
 * file gets mode. Returns 0 or a negative errno. On failure path is unchanged, except
 * when only the final fsync of the directory fails: then path holds the new data, which
 * may not survive a power cut, and that error is returned.
 */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);

/*
 * Creates path holding exactly size bytes of data, whole or not at all and durably, and
 * never replaces a file: -EEXIST if path exists, even one created at the same instant. The
 * file gets mode as the umask allows. Returns 0 or a negative errno; on failure no file
 * is left behind.
 */
int write_file_new(const char *path, const void *data, size_t size, mode_t mode);

/* fsyncs the directory that contains path, so a rename or create in it is durable. */
int fsync_parent_dir(const char *path);
