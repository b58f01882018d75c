// SPDX-License-Identifier: Apache-2.0
/*
 * Upgrade source backend: a store directory on this machine (another disk, a USB stick).
 *
 * Invariant: files are resolved beneath the source's directory fd with no symlink followed
 * anywhere on the path (store/resolve.h: openat2() RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
 * or a component-by-component walk on kernels without it), and must be regular files, so
 * a source cannot hand us a device, a FIFO that blocks forever, or a link into the rest of
 * the file system (refs -> /etc or objects/ab -> /etc: nothing there is ever opened).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/resolve.h"
#include "update/source-backend.h"
#include "util/cleanup.h"

#define DIRECTORY_CHUNK (128U * 1024U)

typedef struct DirectorySource {
        int dirfd;
} DirectorySource;

static int directory_open(UpdateSource *s) {
        DirectorySource *d = calloc(1, sizeof(*d));

        if (!d)
                return -ENOMEM;
        d->dirfd = open(s->location, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->dirfd < 0) {
                int r = -errno;

                free(d);
                return update_source_fail(s, r, "%s: %s", s->location, strerror(-r));
        }
        s->backend_data = d;
        return 0;
}

static void directory_close(UpdateSource *s) {
        DirectorySource *d = s->backend_data;

        if (!d)
                return;
        if (d->dirfd >= 0)
                close(d->dirfd);
        free(d);
        s->backend_data = NULL;
}

static int directory_fetch(UpdateSource *s, const char *path, uint64_t offset, uint64_t max_size,
                           UpdateSink sink, void *userdata) {
        DirectorySource *d = s->backend_data;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        uint64_t pos = offset;

        fd = store_resolve_open(d->dirfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0) {
                int r = fd;

                if (r == -ENOENT)
                        return update_source_fail(s, r, "%s/%s: not found", s->location, path);
                if (r == -ELOOP)
                        return update_source_fail(s, -EPROTO, "%s/%s: a symbolic link (the file or a directory on its path)",
                                                  s->location, path);
                return update_source_fail(s, r == -ENOTDIR ? -ENOENT : -ECONNABORTED, "%s/%s: %s",
                                          s->location, path, strerror(-r));
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return update_source_fail(s, -EPROTO, "%s/%s: not a regular file", s->location, path);
        if ((uint64_t)st.st_size > max_size)
                return update_source_fail(s, -EFBIG, "%s/%s: larger than %llu bytes", s->location,
                                          path, (unsigned long long)max_size);
        if (offset > 0 && offset >= (uint64_t)st.st_size)
                return update_source_fail(s, -ERANGE, "%s/%s: offset %llu past the end", s->location,
                                          path, (unsigned long long)offset);

        buf = malloc(DIRECTORY_CHUNK);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = pread(fd, buf, DIRECTORY_CHUNK, (off_t)pos);
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        return update_source_fail(s, -ECONNABORTED, "%s/%s: read failed: %s",
                                                  s->location, path, strerror(-r));
                }
                if (n == 0)
                        break;
                /* The file may grow while we read it; the bound holds all the same. */
                if ((uint64_t)n > max_size - pos)
                        return update_source_fail(s, -EFBIG, "%s/%s: larger than %llu bytes",
                                                  s->location, path, (unsigned long long)max_size);
                pos += (uint64_t)n;
                s->bytes_received += (uint64_t)n;
                s->fetched.received += (uint64_t)n;
                r = sink(buf, (size_t)n, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int directory_fetch_ranges(UpdateSource *s, const char *path, const UpdateRange *ranges, size_t n,
                                  uint64_t max_size, UpdateRangeSink sink, void *userdata) {
        DirectorySource *d = s->backend_data;
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;

        fd = store_resolve_open(d->dirfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd == -ENOENT || fd == -ENOTDIR)
                return update_source_fail(s, -ENOENT, "%s/%s: not found", s->location, path);
        if (fd == -ELOOP)
                return update_source_fail(s, -EPROTO, "%s/%s: a symbolic link (the file or a directory on its path)",
                                          s->location, path);
        if (fd < 0)
                return update_source_fail(s, -ECONNABORTED, "%s/%s: %s", s->location, path, strerror(-fd));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return update_source_fail(s, -EPROTO, "%s/%s: not a regular file", s->location, path);
        if ((uint64_t)st.st_size > max_size)
                return update_source_fail(s, -EFBIG, "%s/%s: larger than %llu bytes", s->location, path,
                                          (unsigned long long)max_size);
        buf = malloc(DIRECTORY_CHUNK);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                uint64_t pos = ranges[i].first;

                /* A range past the end gets what there is: the caller finds the rest missing. */
                while (pos <= ranges[i].last) {
                        uint64_t want = ranges[i].last - pos + 1;
                        ssize_t got = pread(fd, buf, want < DIRECTORY_CHUNK ? (size_t)want : DIRECTORY_CHUNK, (off_t)pos);
                        int r;

                        if (got < 0) {
                                if (errno == EINTR)
                                        continue;
                                r = -errno;
                                return update_source_fail(s, -ECONNABORTED, "%s/%s: read failed: %s", s->location,
                                                          path, strerror(-r));
                        }
                        if (got == 0)
                                break;
                        s->bytes_received += (uint64_t)got;
                        s->fetched.received += (uint64_t)got;
                        r = sink(pos, buf, (size_t)got, userdata);
                        if (r < 0)
                                return r;
                        pos += (uint64_t)got;
                }
        }
        return 0;
}

const UpdateSourceBackend update_source_directory_backend = {
        .kind = "directory",
        .open = directory_open,
        .close = directory_close,
        .fetch = directory_fetch,
        .fetch_ranges = directory_fetch_ranges,
};
