// SPDX-License-Identifier: Apache-2.0
/*
 * The store handle: creating, opening and locking a store, and the one primitive every
 * state change goes through, store_replace_file().
 *
 * Invariants: the marker is the last thing store_init() writes, so a directory with a
 * valid marker has every subdirectory; all paths are resolved beneath the store's
 * directory fd with no symlink followed (resolve.h), and every rename, unlink and create
 * is made relative to a directory fd opened that way, so nothing the store writes can
 * land outside it; a store whose objects/, generations/, refs/ or tmp/ is not a real
 * directory is refused at open; temporary files live in tmp/ and are named "store.*" so
 * gc knows them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/dir.h"
#include "store/state-file.h"
#include "store/resolve.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fileio.h"
#include "util/hex.h"
#include "util/strv.h"

struct Store {
        char *path; /* owned */
        int dirfd;
        int lockfd; /* -1 unless opened with STORE_OPEN_WRITE or STORE_OPEN_CONSISTENT */
};

static const char *const store_subdirs[] = { "objects", "generations", "refs", "tmp" };

#define STORE_MARKER_TEXT STORE_MARKER " 1\n"

/* Creates store.<prefix>.<random> exclusively in tmpfd (the store's tmp/); *namep is its name. */
static int store_tmp_create_at(int tmpfd, const char *prefix, int *fdp, char **namep) {
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                uint8_t rnd[8];
                char hex[2 * sizeof(rnd) + 1];
                _cleanup_free_ char *name = NULL;
                int fd;

                if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        return -EIO;
                hex_encode(hex, rnd, sizeof(rnd));
                if (asprintf(&name, "store.%s.%s", prefix, hex) < 0)
                        return -ENOMEM;
                fd = fault_openat_create(tmpfd, name, O_RDWR | O_EXCL | O_NOFOLLOW, 0600);
                if (fd == -EEXIST)
                        continue;
                if (fd < 0)
                        return fd;
                *fdp = fd;
                *namep = steal_ptr(&name);
                return 0;
        }
        return -EEXIST;
}

/*
 * Writes data to a new file in tmp/, fsyncs it, renames it to relpath, fsyncs relpath's
 * directory. Both directories are opened beneath dirfd, and the rename is made between
 * those fds, so a symlink planted for tmp/ or refs/ can never carry the write elsewhere.
 */
static int store_replace_at(int dirfd, const char *relpath, const void *data, size_t size,
                            mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int tmpfd = -1, targetfd = -1, fd = -1;
        const char *target;
        int r;

        tmpfd = store_resolve_open_dir(dirfd, "tmp");
        if (tmpfd < 0)
                return tmpfd;
        targetfd = store_resolve_parent(dirfd, relpath, &target);
        if (targetfd < 0)
                return targetfd;
        r = store_tmp_create_at(tmpfd, "replace", &fd, &tmp);
        if (r < 0)
                return r;
        r = fault_write(fd, data, size, relpath);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0)
                r = fault_fsync(fd, relpath);
        if (r >= 0)
                r = fault_renameat(tmpfd, tmp, targetfd, target);
        if (r < 0) {
                (void)unlinkat(tmpfd, tmp, 0);
                return r;
        }
        return fault_fsync_dir(targetfd, relpath);
}

int store_replace_file(Store *store, const char *relpath, const void *data, size_t size) {
        return store_replace_at(store->dirfd, relpath, data, size, 0644);
}

int store_remove_file(Store *store, const char *relpath) {
        _cleanup_close_ int parentfd = -1;
        const char *name;
        int r;

        parentfd = store_resolve_parent(store->dirfd, relpath, &name);
        if (parentfd == -ENOENT)
                return 0;
        if (parentfd < 0)
                return parentfd;
        r = fault_unlinkat(parentfd, name, 0);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return fault_fsync_dir(parentfd, relpath);
}

int store_tmp_open_dir(const Store *store) {
        return store_resolve_open_dir(store->dirfd, "tmp");
}

int store_tmp_create(Store *store, const char *prefix, int *fdp, char **pathp) {
        _cleanup_free_ char *name = NULL, *path = NULL;
        _cleanup_close_ int tmpfd = -1, fd = -1;
        int r;

        if (!prefix || strchr(prefix, '/'))
                return -EINVAL;
        tmpfd = store_tmp_open_dir(store);
        if (tmpfd < 0)
                return tmpfd;
        r = store_tmp_create_at(tmpfd, prefix, &fd, &name);
        if (r < 0)
                return r;
        if (asprintf(&path, "%s/tmp/%s", store->path, name) < 0) {
                (void)unlinkat(tmpfd, name, 0);
                return -ENOMEM;
        }
        *fdp = steal_fd(&fd);
        *pathp = steal_ptr(&path);
        return 0;
}

int store_tmp_path(const Store *store, char **pathp) {
        char *p;

        if (asprintf(&p, "%s/tmp", store->path) < 0)
                return -ENOMEM;
        *pathp = p;
        return 0;
}

int store_read_file_at(int dirfd, const char *relpath, size_t max_size, char **textp, size_t *sizep) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        /* O_NONBLOCK: a FIFO planted here must fail the S_ISREG check, not hang the open. */
        fd = store_resolve_open(dirfd, relpath, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd == -ELOOP ? -EBADMSG : fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        r = read_fd_full(fd, max_size, textp, sizep);
        return r == -EFBIG ? -EBADMSG : r;
}

int store_read_file(const Store *store, const char *relpath, size_t max_size, char **textp, size_t *sizep) {
        return store_read_file_at(store->dirfd, relpath, max_size, textp, sizep);
}

/* 0 if the marker is ours, -EMEDIUMTYPE if absent or not a marker, -EPROTONOSUPPORT. */
static int store_check_marker(int dirfd) {
        _cleanup_free_ char *text = NULL;
        const char *prefix = STORE_MARKER " ";
        unsigned version;
        size_t size;
        int r;

        r = store_read_file_at(dirfd, STORE_MARKER, 64, &text, &size);
        if (r == -ENOENT || r == -EBADMSG)
                return -EMEDIUMTYPE;
        if (r < 0)
                return r;
        if (size > 0 && text[size - 1] == '\n')
                text[--size] = '\0';
        if (strncmp(text, prefix, strlen(prefix)) != 0 || strlen(text) != size ||
            store_state_file_parse_unsigned(text + strlen(prefix), 0, UINT32_MAX, &version) < 0)
                return -EMEDIUMTYPE;
        if (version != STORE_FORMAT_VERSION)
                return -EPROTONOSUPPORT;
        return 0;
}

/*
 * Each of objects/, generations/, refs/, tmp/ that exists must be a directory, not a
 * symlink to one (-ELOOP) nor anything else (-ENOTDIR): every command refuses such a store
 * before it reads or writes anything through it.
 */
static int store_check_subdirs(int dirfd) {
        for (size_t i = 0; i < ELEMENTSOF(store_subdirs); i++) {
                _cleanup_close_ int fd = store_resolve_open_dir(dirfd, store_subdirs[i]);

                if (fd < 0 && fd != -ENOENT)
                        return fd;
        }
        return 0;
}

static bool store_is_foreign_entry(const struct dirent *de) {
        for (size_t i = 0; i < ELEMENTSOF(store_subdirs); i++)
                if (strcmp(de->d_name, store_subdirs[i]) == 0)
                        return false;
        return true;
}

int store_init(const char *path) {
        _cleanup_close_ int dirfd = -1;
        bool is_store;
        int r;

        r = fault_mkdirat(AT_FDCWD, path, 0755);
        if (r < 0 && r != -EEXIST)
                return r;
        if (r == 0) {
                r = fsync_parent_dir(path);
                if (r < 0)
                        return r;
        }
        dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;

        r = store_check_marker(dirfd);
        if (r < 0 && r != -EMEDIUMTYPE)
                return r;
        is_store = r == 0;
        if (!is_store) {
                /* Not a store yet: only an empty directory or a crashed init may become one. */
                _cleanup_strv_free_ char **foreign = NULL;

                r = store_dir_list_at(dirfd, ".", store_is_foreign_entry, &foreign);
                if (r < 0)
                        return r;
                if (foreign[0])
                        return -ENOTEMPTY;
        }

        for (size_t i = 0; i < ELEMENTSOF(store_subdirs); i++) {
                r = fault_mkdirat(dirfd, store_subdirs[i], 0755);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        r = store_check_subdirs(dirfd);
        if (r < 0)
                return r;
        if (!is_store) {
                r = fault_fsync_dir(dirfd, path);
                if (r < 0)
                        return r;
                return store_replace_at(dirfd, STORE_MARKER, STORE_MARKER_TEXT,
                                        strlen(STORE_MARKER_TEXT), 0444);
        }
        return 0;
}

int store_open(Store **storep, const char *path, StoreOpenFlags flags) {
        _cleanup_(store_closep) Store *store = NULL;
        int r;

        store = calloc(1, sizeof(*store));
        if (!store)
                return -ENOMEM;
        store->dirfd = store->lockfd = -1;
        store->path = strdup(path);
        if (!store->path)
                return -ENOMEM;
        store->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (store->dirfd < 0)
                return errno == ENOTDIR ? -EMEDIUMTYPE : -errno;
        r = store_check_marker(store->dirfd);
        if (r < 0)
                return r;
        r = store_check_subdirs(store->dirfd);
        if (r < 0)
                return r;
        if (flags & (STORE_OPEN_WRITE | STORE_OPEN_CONSISTENT)) {
                int op = flags & STORE_OPEN_WRITE ? LOCK_EX : LOCK_SH;

                store->lockfd = openat(store->dirfd, STORE_MARKER, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (store->lockfd < 0)
                        return -errno;
                while (flock(store->lockfd, op) < 0)
                        if (errno != EINTR)
                                return -errno;
        }
        *storep = steal_ptr(&store);
        return 0;
}

Store *store_close(Store *store) {
        if (!store)
                return NULL;
        if (store->lockfd >= 0)
                close(store->lockfd);
        if (store->dirfd >= 0)
                close(store->dirfd);
        free(store->path);
        free(store);
        return NULL;
}

const char *store_path(const Store *store) {
        return store->path;
}

int store_dirfd(const Store *store) {
        return store->dirfd;
}

const char *store_strerror(int r) {
        if (r == -ELOOP || r == -ENOTDIR)
                return "objects/, generations/, refs/ or tmp/ is a symbolic link or not a directory; refusing it";
        return strerror(-r);
}
