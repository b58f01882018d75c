// SPDX-License-Identifier: Apache-2.0
/*
 * File I/O helpers.
 *
 * Invariant: write_file_atomic() never leaves a partly written target. Its temporary file
 * is created with O_EXCL under a random name in the target's directory (same file system,
 * so the rename is atomic), so two writers of one path (threads, processes, a pid reused
 * after a crash) never share or remove each other's temporary file; ours is removed on
 * every failure path.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fileio.h"

int read_fd_full(int fd, size_t max_size, char **bufp, size_t *sizep) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        for (;;) {
                if (allocated - size < 2) {
                        size_t n = allocated ? allocated * 2 : 4096;
                        char *p;

                        if (n > max_size + 2)
                                n = max_size + 2;
                        if (n <= allocated)
                                return -EFBIG;
                        p = realloc(buf, n);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = n;
                }

                ssize_t r = read(fd, buf + size, allocated - size - 1);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        break;
                size += (size_t)r;
                if (size > max_size)
                        return -EFBIG;
        }

        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[size] = '\0';
        *bufp = steal_ptr(&buf);
        *sizep = size;
        return 0;
}

int read_file_full(const char *path, size_t max_size, char **bufp, size_t *sizep) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -errno;
        return read_fd_full(fd, max_size, bufp, sizep);
}

int write_full(int fd, const void *buf, size_t size) {
        const char *p = buf;

        while (size > 0) {
                ssize_t r = write(fd, p, size);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return -EIO; /* no progress: do not spin */
                p += r;
                size -= (size_t)r;
        }
        return 0;
}

int fsync_parent_dir(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -1;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fault_fsync_dir(fd, path);
}

/* 64 random bits for a temporary name; unpredictable where getrandom() works. */
static uint64_t temporary_name_bits(void) {
        static _Atomic uint64_t counter;
        uint64_t bits;
        struct timespec ts;

        if (getrandom(&bits, sizeof(bits), GRND_NONBLOCK) == (ssize_t)sizeof(bits))
                return bits;
        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec ^ ++counter;
}

/*
 * Writes data to a new temporary file beside path (random name, O_EXCL, mode as umask
 * allows, or exactly mode with exact_mode) and fsyncs it. *tmpp names it; the caller
 * publishes or removes it.
 */
static int write_temporary(const char *path, const void *data, size_t size, mode_t mode, bool exact_mode,
                           char **tmpp) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EEXIST;
        int r;

        for (unsigned attempt = 0; fd == -EEXIST && attempt < 16; attempt++) {
                free(tmp);
                if (asprintf(&tmp, "%s.tmp.%016llx", path, (unsigned long long)temporary_name_bits()) < 0) {
                        tmp = NULL;
                        return -ENOMEM;
                }
                fd = fault_openat_create(AT_FDCWD, tmp, O_WRONLY | O_EXCL | O_NOFOLLOW, mode);
        }
        if (fd < 0)
                return fd;

        r = fault_write(fd, data, size, path);
        if (r >= 0 && exact_mode && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0)
                r = fault_fsync(fd, path);
        if (r >= 0 && close(steal_fd(&fd)) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlink(tmp);
                return r;
        }
        *tmpp = steal_ptr(&tmp);
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        int r;

        r = write_temporary(path, data, size, mode, true, &tmp);
        if (r < 0)
                return r;
        r = fault_renameat(AT_FDCWD, tmp, AT_FDCWD, path);
        if (r < 0) {
                (void)unlink(tmp);
                return r;
        }
        return fsync_parent_dir(path);
}

int write_file_new(const char *path, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        int r;

        r = write_temporary(path, data, size, mode, false, &tmp);
        if (r < 0)
                return r;
        /* link() publishes the complete file, and fails rather than replace one. */
        fault_point("link", path);
        r = link(tmp, path) < 0 ? -errno : 0;
        (void)unlink(tmp);
        if (r < 0)
                return r;
        return fsync_parent_dir(path);
}
