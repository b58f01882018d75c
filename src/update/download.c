// SPDX-License-Identifier: Apache-2.0
/*
 * Downloading one object into the store's tmp/, resumably, checked against its digest.
 *
 *   open tmp/upgrade.<digest>.part (create or reuse), flock it
 *     │
 *     ▼
 *   hash what it holds ──── matches digest ──────────────────────────────▶ done
 *     │ (prefix, or empty)
 *     ▼
 *   fetch from offset=size ── -ECONNABORTED, progress made, tries left ──▶ (again)
 *     │        └─ -ERANGE (the partial is as long as the object, yet wrong) ─▶ truncate, again
 *     ▼
 *   final digest ─── mismatch after a resume ──▶ truncate, again from 0 (once)
 *     │           └─ mismatch from 0 ──▶ unlink, -EBADMSG
 *     ▼
 *   fsync ──▶ done
 *
 * Invariants:
 *  1. Every byte that reaches the file is also fed to the hash, in file order.
 *  2. A file is reported complete only when its whole content hashed to the digest in
 *     this process; the file is never larger than max_size.
 *  3. Every write and fsync passes a crash point (util/fault.h).
 *  4. resumed counts only bytes of what an earlier run left that no fetch of this run
 *     received again: a source that sends the file from its start (an HTTP server
 *     ignoring the Range) resends them, and a restart from zero discards them. received
 *     counts every byte of the file the source sent, whether kept or dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/sha256.h"
#include "store/store.h"
#include "update/download.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/log.h"

#define DOWNLOAD_READ_CHUNK (128U * 1024U)
#define DOWNLOAD_WRITE_CHUNK (128U * 1024U)

typedef struct DownloadSink {
        int fd;
        const char *detail; /* for crash-point logs */
        Sha256 *hash;
        UpdateProgress *progress;
        uint64_t size;      /* bytes received: in the file or in buf */
        uint64_t max_size;
        char *buf;          /* DOWNLOAD_WRITE_CHUNK bytes not yet written */
        size_t buffered;
} DownloadSink;

/* Writes what is buffered. Writes go out in whole chunks whatever sizes the network
 * delivers, so the crash points of a download are the same on every run. */
static int download_flush(DownloadSink *d) {
        int r;

        if (d->buffered == 0)
                return 0;
        r = fault_write(d->fd, d->buf, d->buffered, d->detail);
        if (r < 0)
                return r;
        d->buffered = 0;
        return 0;
}

static int download_sink(const void *data, size_t size, void *userdata) {
        DownloadSink *d = userdata;
        const char *p = data;
        int r;

        if (size > d->max_size - d->size)
                return -EFBIG;
        r = sha256_update(d->hash, data, size);
        if (r < 0)
                return r;
        d->size += size;
        if (d->progress)
                update_progress_bytes(d->progress, size);
        while (size > 0) {
                size_t n = DOWNLOAD_WRITE_CHUNK - d->buffered;

                if (n > size)
                        n = size;
                memcpy(d->buf + d->buffered, p, n);
                d->buffered += n;
                p += n;
                size -= n;
                if (d->buffered == DOWNLOAD_WRITE_CHUNK) {
                        r = download_flush(d);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int update_download_path(const Store *store, const char *digest, char **pathp) {
        _cleanup_free_ char *tmp = NULL;
        char *path;
        int r;

        if (!hex_is_sha256(digest))
                return -EINVAL;
        r = store_tmp_path(store, &tmp);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/" UPDATE_DOWNLOAD_PREFIX "%s" UPDATE_DOWNLOAD_SUFFIX, tmp, digest) < 0)
                return -ENOMEM;
        *pathp = path;
        return 0;
}

int update_download_open(const Store *store, const char *digest, char **pathp, int *tmpfdp, int *fdp) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int tmpfd = -1, fd = -1;
        int r;

        r = update_download_path(store, digest, &path);
        if (r < 0)
                return r;
        /* Relative to tmp/ opened beneath the store: a symlink for tmp/ is refused (-ELOOP). */
        tmpfd = store_tmp_open_dir(store);
        if (tmpfd < 0)
                return tmpfd;
        fd = fault_openat_create(tmpfd, strrchr(path, '/') + 1, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return fd;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        *pathp = steal_ptr(&path);
        *tmpfdp = steal_fd(&tmpfd);
        *fdp = steal_fd(&fd);
        return 0;
}

/* Hashes the first size bytes of fd into hash. */
static int hash_prefix(int fd, uint64_t size, Sha256 *hash) {
        _cleanup_free_ char *buf = malloc(DOWNLOAD_READ_CHUNK);
        uint64_t pos = 0;

        if (!buf)
                return -ENOMEM;
        while (pos < size) {
                size_t want = size - pos < DOWNLOAD_READ_CHUNK ? (size_t)(size - pos) : DOWNLOAD_READ_CHUNK;
                ssize_t n = pread(fd, buf, want, (off_t)pos);
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO; /* shrank under us */
                r = sha256_update(hash, buf, (size_t)n);
                if (r < 0)
                        return r;
                pos += (uint64_t)n;
        }
        return 0;
}

/* True if the first size bytes of fd hash to expected. */
static int prefix_matches(int fd, uint64_t size, const Sha256Digest *expected) {
        _cleanup_(sha256_freep) Sha256 *hash = sha256_new();
        Sha256Digest got;
        int r;

        if (!hash)
                return -ENOMEM;
        r = hash_prefix(fd, size, hash);
        if (r < 0)
                return r;
        r = sha256_final(hash, &got);
        if (r < 0)
                return r;
        return sha256_equal(&got, expected);
}

static int truncate_to_zero(int fd) {
        if (ftruncate(fd, 0) < 0)
                return -errno;
        return 0;
}

static int file_size(int fd, uint64_t *sizep) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EPROTO;
        *sizep = (uint64_t)st.st_size;
        return 0;
}

int update_download_object(const Store *store, UpdateSource *source, const char *digest, uint64_t max_size,
                           UpdateProgress *progress, UpdateDownload *downloadp) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int tmpfd = -1, fd = -1;
        const char *name;
        char source_path[STORE_OBJECT_RELATIVE_PATH_SIZE];
        Sha256Digest expected;
        uint64_t size = 0, received = 0;
        uint64_t prefix, prefix_sent = 0; /* what an earlier run left; what of it was sent again */
        _cleanup_free_ char *buf = malloc(DOWNLOAD_WRITE_CHUNK);
        bool restarted = false;
        unsigned attempts = 0;
        int r, flushed;

        if (!buf)
                return -ENOMEM;
        r = sha256_from_hex(digest, &expected);
        if (r < 0)
                return r;
        r = store_object_relative_path(digest, source_path);
        if (r < 0)
                return r;
        r = update_download_open(store, digest, &path, &tmpfd, &fd);
        if (r < 0)
                return r;
        name = strrchr(path, '/') + 1;
        r = file_size(fd, &size);
        if (r < 0)
                return r;
        if (size > max_size) {
                r = truncate_to_zero(fd);
                if (r < 0)
                        return r;
                size = 0;
        }
        prefix = size;

        for (;;) {
                _cleanup_(sha256_freep) Sha256 *hash = sha256_new();
                DownloadSink sink;
                UpdateSourceFetched fetched;
                Sha256Digest got;
                uint64_t offset;

                if (!hash)
                        return -ENOMEM;
                if (size > 0) {
                        /* What an earlier try left may already be the whole object. */
                        r = prefix_matches(fd, size, &expected);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                break;
                        r = hash_prefix(fd, size, hash);
                        if (r < 0)
                                return r;
                }
                if (lseek(fd, (off_t)size, SEEK_SET) < 0)
                        return -errno;
                if (progress)
                        progress->object_bytes = size;

                offset = size;
                sink = (DownloadSink){
                        .fd = fd,
                        .detail = path,
                        .hash = hash,
                        .progress = progress,
                        .size = size,
                        .max_size = max_size,
                        .buf = buf,
                };
                attempts++;
                r = update_source_fetch(source, source_path, offset, max_size, download_sink, &sink);
                fetched = update_source_last_fetched(source);
                received += fetched.received;
                /* A source sends from the offset asked for (at or past the prefix) or from
                 * the file's start, so what it sent of the prefix is [0, end) (invariant 4). */
                if (fetched.start < prefix) {
                        uint64_t end = fetched.received < prefix - fetched.start
                                               ? fetched.start + fetched.received
                                               : prefix;

                        if (end > prefix_sent)
                                prefix_sent = end;
                }
                /* Keep what arrived, also from a broken transfer: a resume starts there. */
                flushed = download_flush(&sink);
                if (flushed < 0)
                        return flushed;
                size = sink.size;
                if (r == -ERANGE && offset > 0) {
                        /* The partial is as long as the object but not it: start over. */
                        r = truncate_to_zero(fd);
                        if (r < 0)
                                return r;
                        size = 0;
                        prefix = prefix_sent = 0;
                        if (restarted)
                                return -EBADMSG;
                        restarted = true;
                        continue;
                }
                if (r == -ECONNABORTED && size > offset && attempts < UPDATE_DOWNLOAD_ATTEMPTS) {
                        log_debug("%s: resuming at byte %llu", source_path, (unsigned long long)size);
                        sleep(attempts);
                        continue;
                }
                if (r < 0)
                        return r;

                r = sha256_final(hash, &got);
                if (r < 0)
                        return r;
                if (sha256_equal(&got, &expected))
                        break;
                if (offset > 0 && !restarted) {
                        /* A resumed prefix may be what was wrong: try once from zero. */
                        r = truncate_to_zero(fd);
                        if (r < 0)
                                return r;
                        size = 0;
                        prefix = prefix_sent = 0;
                        restarted = true;
                        continue;
                }
                (void)unlinkat(tmpfd, name, 0);
                return -EBADMSG;
        }

        r = fault_fsync(fd, path);
        if (r < 0)
                return r;
        *downloadp = (UpdateDownload){
                .path = steal_ptr(&path),
                .size = size,
                .resumed = prefix - prefix_sent,
                .received = received,
        };
        return 0;
}

void update_download_done(UpdateDownload *d) {
        free(d->path);
        *d = (UpdateDownload){};
}
