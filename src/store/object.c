// SPDX-License-Identifier: Apache-2.0
/*
 * Store objects: adding (copy or publish from tmp/), checking, reading, listing, removing.
 *
 * Invariants: a name is checked with hex_is_sha256() before it becomes a path; an object
 * reaches objects/ only by rename() of a file in tmp/ that was hashed, matched, chmod'ed
 * read-only and fsynced; the rename is followed by an fsync of objects/ab/ (and the
 * creation of objects/ab/ by an fsync of objects/), so a published object is durable.
 * Every object path is resolved beneath the store with no symlink followed (resolve.h),
 * and the rename goes from a tmp/ fd to an objects/ab/ fd opened that way, so a symlink
 * planted for objects/ab/ (or tmp/) is an object that cannot be read, never a way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/dir.h"
#include "store/resolve.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fileio.h"
#include "util/strv.h"

/* Big enough that syscalls cost little next to hashing, small enough to stay in L2. */
#define STORE_OBJECT_CHUNK (256U * 1024U)

int store_object_relative_path(const char *digest, char buf[static STORE_OBJECT_RELATIVE_PATH_SIZE]) {
        if (!digest || !hex_is_sha256(digest))
                return -EINVAL;
        snprintf(buf, STORE_OBJECT_RELATIVE_PATH_SIZE, "objects/%.2s/%s", digest, digest + 2);
        return 0;
}

int store_object_path_join(const char *store_dir, const char *digest, char **pathp) {
        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];
        char *p;
        int r;

        r = store_object_relative_path(digest, rel);
        if (r < 0)
                return r;
        if (asprintf(&p, "%s/%s", store_dir, rel) < 0)
                return -ENOMEM;
        *pathp = p;
        return 0;
}

int store_object_path(const Store *store, const char *digest, char **pathp) {
        return store_object_path_join(store_path(store), digest, pathp);
}

bool store_object_exists(const Store *store, const char *digest) {
        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (store_object_relative_path(digest, rel) < 0)
                return false;
        fd = store_resolve_open(store_dirfd(store), rel, O_PATH, 0);
        return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int store_object_open(const Store *store, const char *digest, Sha256Digest *wantp, int *fdp) {
        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        r = store_object_relative_path(digest, rel);
        if (r < 0)
                return r;
        r = sha256_from_hex(digest, wantp);
        if (r < 0)
                return r;
        fd = store_resolve_open(store_dirfd(store), rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0) {
                if (fd == -ENOENT)
                        return STORE_E_MISSING;
                return fd == -ELOOP ? STORE_E_CORRUPT : fd;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return STORE_E_CORRUPT;
        r = fault_read_check(rel);
        if (r < 0)
                return r;
        *fdp = steal_fd(&fd);
        return 0;
}

/* store_object_open() and the hash of what it opened: *sizep (if not NULL) its size, and
 * STORE_OK with *fdp (at its end), or STORE_E_CORRUPT if it does not hash to its name. */
static int store_object_open_hashed(const Store *store, const char *digest, int *fdp, uint64_t *sizep) {
        _cleanup_close_ int fd = -1;
        Sha256Digest want, got;
        uint64_t size;
        int r;

        r = store_object_open(store, digest, &want, &fd);
        if (r != 0)
                return r;
        r = sha256_fd(fd, &got, &size);
        if (r < 0)
                return r;
        if (sizep)
                *sizep = size;
        if (!sha256_equal(&want, &got))
                return STORE_E_CORRUPT;
        *fdp = steal_fd(&fd);
        return STORE_OK;
}

int store_object_open_verified(const Store *store, const char *digest, int *fdp) {
        _cleanup_close_ int fd = -1;
        int r = store_object_open_hashed(store, digest, &fd, NULL);

        if (r != 0)
                return r;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        *fdp = steal_fd(&fd);
        return 0;
}

int store_object_verify(const Store *store, const char *digest, uint64_t *sizep) {
        _cleanup_close_ int fd = -1;

        return store_object_open_hashed(store, digest, &fd, sizep);
}

/*
 * Moves a hashed, complete file, tmpfd/tmp_name (tmpfd: the store's tmp/), into objects/
 * under its digest. Removes the tmp file if the object already exists.
 */
static int store_object_install(Store *store, int fd, int tmpfd, const char *tmp_name,
                                const Sha256Digest *digest) {
        char hex[SHA256_HEX_LEN + 1], dir[STORE_OBJECT_RELATIVE_PATH_SIZE];
        _cleanup_close_ int objfd = -1, subfd = -1;
        char *fanout, *name;
        int r;

        sha256_to_hex(digest, hex);
        r = store_object_relative_path(hex, dir);
        if (r < 0)
                return r;
        /* "objects/ab/cdef…" becomes dir "objects/ab", its fan-out "ab" and the name "cdef…". */
        name = strrchr(dir, '/');
        *name++ = '\0';
        fanout = strchr(dir, '/') + 1;

        /*
         * Already present and intact: the copy is garbage. A present but corrupt object is
         * replaced by the copy in hand (the rename below), so adding or upgrading again
         * repairs it instead of keeping the damage forever.
         */
        r = store_object_verify(store, hex, NULL);
        if (r < 0)
                return r;
        if (r == STORE_OK) {
                r = fault_unlinkat(tmpfd, tmp_name, 0);
                return r == -ENOENT ? 0 : r;
        }

        if (fchmod(fd, 0444) < 0)
                return -errno;
        r = fault_fsync(fd, tmp_name);
        if (r < 0)
                return r;

        objfd = store_resolve_open_dir(store_dirfd(store), "objects");
        if (objfd < 0)
                return objfd;
        r = fault_mkdirat(objfd, fanout, 0755);
        if (r == 0) {
                r = fault_fsync_dir(objfd, "objects");
                if (r < 0)
                        return r;
        } else if (r != -EEXIST)
                return r;

        /* -ELOOP here if objects/ab is a symlink: the object is not published through it. */
        subfd = store_resolve_open_dir(objfd, fanout);
        if (subfd < 0)
                return subfd;
        r = fault_renameat(tmpfd, tmp_name, subfd, name);
        if (r < 0)
                return r;
        return fault_fsync_dir(subfd, dir);
}

static int store_parse_expected(const char *expected, Sha256Digest *wantp) {
        if (!expected)
                return 0;
        if (!hex_is_sha256(expected))
                return -EINVAL;
        return sha256_from_hex(expected, wantp);
}

/*
 * The tail of every way in: hashes the complete file in tmp/ from its start (the bytes
 * that will be published, not the bytes that were meant to be written), checks them
 * against expected if not NULL (-EBADMSG), and installs the file under its digest.
 */
static int store_object_hash_install(Store *store, int fd, int tmpfd, const char *tmp_name,
                                     const char *expected, Sha256Digest *digestp) {
        Sha256Digest want, got;
        int r;

        r = store_parse_expected(expected, &want);
        if (r < 0)
                return r;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        r = sha256_fd(fd, &got, NULL);
        if (r < 0)
                return r;
        if (expected && !sha256_equal(&want, &got))
                return -EBADMSG;
        r = store_object_install(store, fd, tmpfd, tmp_name, &got);
        if (r < 0)
                return r;
        if (digestp)
                *digestp = got;
        return 0;
}

/* Copies everything readable from fd (a file, a pipe) to out. */
static int store_object_copy(int fd, int out, const char *out_path) {
        _cleanup_free_ uint8_t *buf = malloc(STORE_OBJECT_CHUNK);
        int r;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf, STORE_OBJECT_CHUNK);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                r = fault_write(out, buf, (size_t)n, out_path);
                if (r < 0)
                        return r;
        }
}

int store_object_add_fd(Store *store, int fd, const char *expected, Sha256Digest *digestp) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int out = -1, tmpfd = -1;
        const char *name;
        Sha256Digest want;
        int r;

        r = store_parse_expected(expected, &want);
        if (r < 0)
                return r;
        tmpfd = store_tmp_open_dir(store);
        if (tmpfd < 0)
                return tmpfd;
        r = store_tmp_create(store, "add", &out, &tmp);
        if (r < 0)
                return r;
        name = strrchr(tmp, '/') + 1; /* store_tmp_create() names it <store>/tmp/NAME */
        r = store_object_copy(fd, out, tmp);
        if (r >= 0)
                r = store_object_hash_install(store, out, tmpfd, name, expected, digestp);
        if (r < 0)
                (void)unlinkat(tmpfd, name, 0);
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
        Sha256Digest want;
        const char *slash;
        int r;

        r = store_parse_expected(expected, &want);
        if (r < 0)
                return r;

        /*
         * tmp_path must be a regular file directly inside <store>/tmp: compare inodes, then
         * work on its name relative to tmp/ opened beneath the store, never on the path.
         */
        slash = strrchr(tmp_path, '/');
        if (!slash || slash[1] == '\0' || strcmp(slash + 1, "..") == 0 || strcmp(slash + 1, ".") == 0)
                return -EINVAL;
        copy = strndup(tmp_path, (size_t)(slash - tmp_path));
        if (!copy)
                return -ENOMEM;
        tmpfd = store_tmp_open_dir(store);
        if (tmpfd < 0)
                return tmpfd;
        if (fstat(tmpfd, &st) < 0 || stat(*copy ? copy : "/", &dst) < 0)
                return -errno;
        if (st.st_dev != dst.st_dev || st.st_ino != dst.st_ino)
                return -EXDEV;

        fd = openat(tmpfd, slash + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        return store_object_hash_install(store, fd, tmpfd, slash + 1, expected, digestp);
}

int store_object_read(const Store *store, const char *digest, size_t max_size, char **bufp, size_t *sizep) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        Sha256Digest want, got;
        size_t size;
        int r;

        r = store_object_open(store, digest, &want, &fd);
        if (r != 0)
                return r;
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

/* objects/ab: two hex digits, a directory (or a file system that does not say). */
static bool store_object_is_fanout_dir(const struct dirent *de) {
        return store_is_hex(de->d_name, 2) && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN);
}

/* objects/ab/cdef…: the other 62 hex digits, whatever the file type (verify judges it). */
static bool store_object_is_name(const struct dirent *de) {
        return store_is_hex(de->d_name, SHA256_HEX_LEN - 2);
}

int store_object_list(const Store *store, char ***digestsp) {
        _cleanup_strv_free_ char **fanout = NULL, **list = NULL;
        size_t n = 0;
        int r;

        r = store_dir_list_at(store_dirfd(store), "objects", store_object_is_fanout_dir, &fanout);
        if (r < 0)
                return r;
        for (char **f = fanout; *f; f++) {
                _cleanup_strv_free_ char **names = NULL;
                char rel[16], **p;
                size_t k;

                snprintf(rel, sizeof(rel), "objects/%s", *f);
                r = store_dir_list_at(store_dirfd(store), rel, store_object_is_name, &names);
                if (r == -ENOTDIR || r == -ELOOP)
                        continue; /* not an object directory: never looked into */
                if (r < 0)
                        return r;
                k = strv_length(names);
                p = reallocarray(list, n + k + 1, sizeof(char *));
                if (!p)
                        return -ENOMEM;
                list = p;
                list[n] = NULL;
                for (char **name = names; *name; name++) {
                        char *digest;

                        if (asprintf(&digest, "%s%s", *f, *name) < 0)
                                return -ENOMEM;
                        list[n++] = digest;
                        list[n] = NULL;
                }
        }
        if (!list) {
                list = calloc(1, sizeof(char *));
                if (!list)
                        return -ENOMEM;
        }
        /* Sorted: the fan-out directories and the names within each come sorted. */
        *digestsp = steal_ptr(&list);
        return 0;
}

int store_object_remove(Store *store, const char *digest) {
        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];
        int r;

        r = store_object_relative_path(digest, rel);
        if (r < 0)
                return r;
        return store_remove_file(store, rel);
}
