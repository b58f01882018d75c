// SPDX-License-Identifier: Apache-2.0
/*
 * Crash-point injection (see fault.h).
 *
 * Invariants: the environment is read once, on the first point (of any thread: store
 * verify passes read points from several); a point never allocates
 * or changes errno; the crash is an _exit() before the operation, so the state on disk is
 * exactly what the preceding operations left (the page cache survives, as it would not in
 * a real power cut: docs/store.md explains why the fsync ordering covers that case).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fault.h"
#include "util/fileio.h"

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static int fault_log_fd = -1;
static unsigned long fault_crash_at;
static unsigned long fault_count;
static const char *fault_read_eio; /* KOS_FAULT_READ_EIO, or NULL */

static void fault_init(void) {
        const char *e;

        e = getenv("KOS_FAULT_CRASH_AT");
        if (e && *e) {
                char *end;
                unsigned long n = strtoul(e, &end, 10);
                if (*end == '\0')
                        fault_crash_at = n;
        }
        e = getenv("KOS_FAULT_READ_EIO");
        if (e && *e)
                fault_read_eio = e;
        e = getenv("KOS_FAULT_LOG");
        if (e && *e)
                fault_log_fd = open(e, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

void fault_point(const char *op, const char *detail) {
        int saved = errno;

        (void)pthread_once(&fault_once, fault_init);
        if (fault_log_fd < 0 && fault_crash_at == 0)
                return;

        fault_count++;
        if (fault_log_fd >= 0) {
                char line[512];
                int n = snprintf(line, sizeof(line), "%lu %s %s\n", fault_count, op,
                                 detail ? detail : "-");
                if (n > 0)
                        (void)!write(fault_log_fd, line,
                                     (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        }
        if (fault_count == fault_crash_at)
                _exit(FAULT_EXIT_CODE);
        errno = saved;
}

int fault_write(int fd, const void *buf, size_t size, const char *detail) {
        fault_point("write", detail);
        return write_full(fd, buf, size);
}

int fault_fsync(int fd, const char *detail) {
        fault_point("fsync", detail);
        return fsync(fd) < 0 ? -errno : 0;
}

int fault_fsync_dir(int dirfd, const char *detail) {
        fault_point("fsync-dir", detail);
        return fsync(dirfd) < 0 ? -errno : 0;
}

int fault_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
        fault_point("rename", newpath);
        return renameat(olddirfd, oldpath, newdirfd, newpath) < 0 ? -errno : 0;
}

int fault_unlinkat(int dirfd, const char *path, int flags) {
        fault_point("unlink", path);
        return unlinkat(dirfd, path, flags) < 0 ? -errno : 0;
}

int fault_mkdirat(int dirfd, const char *path, mode_t mode) {
        fault_point("mkdir", path);
        return mkdirat(dirfd, path, mode) < 0 ? -errno : 0;
}

int fault_openat_create(int dirfd, const char *path, int flags, mode_t mode) {
        int fd;

        fault_point("create", path);
        fd = openat(dirfd, path, flags | O_CREAT | O_CLOEXEC, mode);
        return fd < 0 ? -errno : fd;
}

int fault_read_check(const char *path) {
        (void)pthread_once(&fault_once, fault_init);
        if (!fault_read_eio || !path || !strstr(path, fault_read_eio))
                return 0;
        return -EIO;
}
