// SPDX-License-Identifier: Apache-2.0
/*
 * Store objects: adding (copy or publish from tmp/), checking, reading, listing, removing.
 *
 * Invariants: a name is checked with hex_is_sha256() before it becomes a path; an object
 * reaches objects/ only by rename() of a file in tmp/ that was hashed, matched, chmod'ed
 * read-only and fsynced; the rename is followed by an fsync of objects/ab/ (and the
 * creation of objects/ab/ by an fsync of objects/), so a published object is durable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fileio.h"
#include "util/strv.h"

/* Big enough that syscalls cost little next to hashing, small enough to stay in L2. */
#define STORE_OBJECT_CHUNK (256U * 1024U)

/* "objects/ab/cdef…" relative to the store. */
static int store_object_relpath(const char *digest, char buf[static 8 + 3 + SHA256_HEX_LEN]) {
        if (!digest || !hex_is_sha256(digest))
                return -EINVAL;
        snprintf(buf, 8 + 3 + SHA256_HEX_LEN, "objects/%.2s/%s", digest, digest + 2);
        return 0;
}

int store_object_path(const Store *store, const char *digest, char **pathp) {
        char rel[8 + 3 + SHA256_HEX_LEN];
        char *p;
        int r;

        r = store_object_relpath(digest, rel);
        if (r < 0)
                return r;
        if (asprintf(&p, "%s/%s", store_path(store), rel) < 0)
                return -ENOMEM;
        *pathp = p;
        return 0;
}

bool store_object_exists(const Store *store, const char *digest) {
        char rel[8 + 3 + SHA256_HEX_LEN];
        struct stat st;

        if (store_object_relpath(digest, rel) < 0)
                return false;
        return fstatat(store_dirfd(store), rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static int store_object_open_rel(const Store *store, const char *rel) {
        int fd = openat(store_dirfd(store), rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

        if (fd < 0)
                return errno == ENOENT ? -ENOENT : -errno;
        return fd;
}

int store_object_verify(const Store *store, const char *digest, uint64_t *sizep) {
        char rel[8 + 3 + SHA256_HEX_LEN];
        _cleanup_close_ int fd = -1;
        Sha256Digest want, got;
        uint64_t size;
        int r;

        r = store_object_relpath(digest, rel);
        if (r < 0)
                return r;
        r = sha256_from_hex(digest, &want);
        if (r < 0)
                return r;
        fd = store_object_open_rel(store, rel);
        if (fd == -ENOENT)
                return STORE_E_MISSING;
        if (fd < 0)
                return fd;
        r = sha256_fd(fd, &got, &size);
        if (r < 0)
                return r;
        if (sizep)
                *sizep = size;
        return sha256_equal(&want, &got) ? STORE_OK : STORE_E_CORRUPT;
}

/*
 * Moves a hashed, complete file from tmp/ into objects/ under its digest. tmp_path is
 * absolute or relative to the cwd. Removes the tmp file if the object already exists.
 */
static int store_object_install(Store *store, int fd, const char *tmp_path, const Sha256Digest *digest) {
        char hex[SHA256_HEX_LEN + 1], rel[8 + 3 + SHA256_HEX_LEN], dir[12];
        int dirfd = store_dirfd(store);
        _cleanup_close_ int subfd = -1;
        struct stat st;
        int r;

        sha256_to_hex(digest, hex);
        (void)store_object_relpath(hex, rel);
        snprintf(dir, sizeof(dir), "objects/%.2s", hex);

        if (fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
                /* Already present (and immutable): the copy is garbage. */
                r = fault_unlinkat(AT_FDCWD, tmp_path, 0);
                return r == -ENOENT ? 0 : r;
        }

        if (fchmod(fd, 0444) < 0)
                return -errno;
        r = fault_fsync(fd, tmp_path);
        if (r < 0)
                return r;

        r = fault_mkdirat(dirfd, dir, 0755);
        if (r == 0) {
                _cleanup_close_ int objfd = openat(dirfd, "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (objfd < 0)
                        return -errno;
                r = fault_fsync_dir(objfd, "objects");
                if (r < 0)
                        return r;
        } else if (r != -EEXIST)
                return r;

        r = fault_renameat(AT_FDCWD, tmp_path, dirfd, rel);
        if (r < 0)
                return r;
        subfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (subfd < 0)
                return -errno;
        return fault_fsync_dir(subfd, dir);
}

static int store_parse_expected(const char *expected, Sha256Digest *wantp) {
        if (!expected)
                return 0;
        if (!hex_is_sha256(expected))
                return -EINVAL;
        return sha256_from_hex(expected, wantp);
}

int store_object_add_fd(Store *store, int fd, const char *expected, Sha256Digest *digestp) {
        _cleanup_(sha256_freep) Sha256 *ctx = sha256_new();
        _cleanup_free_ uint8_t *buf = malloc(STORE_OBJECT_CHUNK);
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int out = -1;
        Sha256Digest want, got;
        int r;

        r = store_parse_expected(expected, &want);
        if (r < 0)
                return r;
        if (!ctx || !buf)
                return -ENOMEM;
        r = store_tmp_create(store, "add", &out, &tmp);
        if (r < 0)
                return r;

        for (;;) {
                ssize_t n = read(fd, buf, STORE_OBJECT_CHUNK);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                if (n == 0)
                        break;
                r = sha256_update(ctx, buf, (size_t)n);
                if (r < 0)
                        goto fail;
                r = fault_write(out, buf, (size_t)n, tmp);
                if (r < 0)
                        goto fail;
        }
        r = sha256_final(ctx, &got);
        if (r < 0)
                goto fail;
        if (expected && !sha256_equal(&want, &got)) {
                r = -EBADMSG;
                goto fail;
        }
        r = store_object_install(store, out, tmp, &got);
        if (r < 0)
                goto fail;
        if (digestp)
                *digestp = got;
        return 0;

fail:
        (void)unlink(tmp);
        return r;
}

int store_object_add_file(Store *store, const char *path, const char *expected, Sha256Digest *digestp) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        return store_object_add_fd(store, fd, expected, digestp);
}

int store_object_publish(Store *store, const char *tmp_path, const char *expected, Sha256Digest *digestp) {
        _cleanup_free_ char *copy = NULL;
        _cleanup_close_ int fd = -1, tmpfd = -1;
        struct stat st, dst;
        Sha256Digest want, got;
        const char *slash;
        int r;

        r = store_parse_expected(expected, &want);
        if (r < 0)
                return r;

        /* tmp_path must be a regular file directly inside <store>/tmp: compare inodes. */
        slash = strrchr(tmp_path, '/');
        if (!slash || slash[1] == '\0')
                return -EINVAL;
        copy = strndup(tmp_path, (size_t)(slash - tmp_path));
        if (!copy)
                return -ENOMEM;
        tmpfd = openat(store_dirfd(store), "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmpfd < 0)
                return -errno;
        if (fstat(tmpfd, &st) < 0 || stat(*copy ? copy : "/", &dst) < 0)
                return -errno;
        if (st.st_dev != dst.st_dev || st.st_ino != dst.st_ino)
                return -EXDEV;

        fd = open(tmp_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        r = sha256_fd(fd, &got, NULL);
        if (r < 0)
                return r;
        if (expected && !sha256_equal(&want, &got))
                return -EBADMSG;
        r = store_object_install(store, fd, tmp_path, &got);
        if (r < 0)
                return r;
        if (digestp)
                *digestp = got;
        return 0;
}

int store_object_read(const Store *store, const char *digest, size_t max_size, char **bufp, size_t *sizep) {
        char rel[8 + 3 + SHA256_HEX_LEN];
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        Sha256Digest want, got;
        size_t size;
        int r;

        r = store_object_relpath(digest, rel);
        if (r < 0)
                return r;
        r = sha256_from_hex(digest, &want);
        if (r < 0)
                return r;
        fd = store_object_open_rel(store, rel);
        if (fd == -ENOENT)
                return STORE_E_MISSING;
        if (fd < 0)
                return fd;
        r = read_fd_full(fd, max_size, &buf, &size);
        if (r == -EFBIG)
                return STORE_E_CORRUPT; /* no valid object of this name is that large */
        if (r < 0)
                return r;
        r = sha256_buffer(buf, size, &got);
        if (r < 0)
                return r;
        if (!sha256_equal(&want, &got))
                return STORE_E_CORRUPT;
        *bufp = steal_ptr(&buf);
        *sizep = size;
        return 0;
}

static bool store_is_hex(const char *s, size_t len) {
        if (strlen(s) != len)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static int store_strcmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_object_list(const Store *store, char ***digestsp) {
        _cleanup_strv_free_ char **list = NULL;
        _cleanup_close_ int objfd = -1;
        DIR *top;
        struct dirent *de;
        int r = 0;

        objfd = openat(store_dirfd(store), "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (objfd < 0)
                return -errno;
        top = fdopendir(objfd);
        if (!top)
                return -errno;
        steal_fd(&objfd);
        while ((de = readdir(top))) {
                int subfd;
                DIR *sub;
                struct dirent *se;

                if (!store_is_hex(de->d_name, 2))
                        continue;
                subfd = openat(dirfd(top), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (subfd < 0)
                        continue;
                sub = fdopendir(subfd);
                if (!sub) {
                        close(subfd);
                        continue;
                }
                while ((se = readdir(sub))) {
                        char *hex;

                        if (!store_is_hex(se->d_name, SHA256_HEX_LEN - 2))
                                continue;
                        if (asprintf(&hex, "%s%s", de->d_name, se->d_name) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        r = strv_push(&list, hex);
                        if (r < 0)
                                break;
                }
                closedir(sub);
                if (r < 0)
                        break;
        }
        closedir(top);
        if (r < 0)
                return r;
        if (!list) {
                list = calloc(1, sizeof(char *));
                if (!list)
                        return -ENOMEM;
        }
        qsort(list, strv_length(list), sizeof(char *), store_strcmp);
        *digestsp = steal_ptr(&list);
        return 0;
}

int store_object_remove(Store *store, const char *digest) {
        char rel[8 + 3 + SHA256_HEX_LEN];
        int r;

        r = store_object_relpath(digest, rel);
        if (r < 0)
                return r;
        return store_remove_file(store, rel);
}
