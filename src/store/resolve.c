// SPDX-License-Identifier: Apache-2.0
/*
 * Resolving a path beneath a store's directory (see resolve.h).
 *
 * Invariants: no symbolic link is ever followed below the root, in either way of
 * resolving; once openat2() has failed with ENOSYS it is not tried again in this process
 * (the kernel will not grow it), so the fallback costs one extra syscall per process;
 * nothing here allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store/resolve.h"
#include "util/cleanup.h"

#define STORE_RESOLVE_FLAGS (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

static atomic_bool store_resolve_without_openat2;

static bool store_resolve_needs_mode(int flags) {
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* True if relpath is absolute or has a ".." component: such a path is never ours. */
static bool store_resolve_path_leaves(const char *relpath) {
        if (relpath[0] == '/')
                return true;
        for (const char *p = relpath; *p; p += strcspn(p, "/"), p += strspn(p, "/"))
                if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
                        return true;
        return false;
}

/* openat() of one component with O_NOFOLLOW, answering -ELOOP for a symlink as openat2() does. */
static int store_resolve_component(int dirfd, const char *name, int flags, mode_t mode) {
        struct stat st;
        int fd;

        fd = openat(dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd >= 0) {
                /* O_PATH | O_NOFOLLOW opens a symlink itself instead of failing. */
                if ((flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
                        close(fd);
                        return -ELOOP;
                }
                return fd;
        }
        /* With O_DIRECTORY (or O_PATH) a symlink fails as ENOTDIR, not ELOOP. */
        if (errno == ENOTDIR && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                return -ELOOP;
        return -errno;
}

int store_resolve_open_walk(int rootfd, const char *relpath, int flags, mode_t mode) {
        _cleanup_close_ int dirfd = -1;
        const char *p = relpath;

        if (!relpath || !*relpath)
                return -ENOENT;
        if (store_resolve_path_leaves(relpath))
                return -EXDEV;
        for (;;) {
                size_t len = strcspn(p, "/");
                char name[NAME_MAX + 1];
                int at = dirfd >= 0 ? dirfd : rootfd, next;

                if (len > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(name, p, len);
                name[len] = '\0';
                p += len;
                p += strspn(p, "/");
                if (*p == '\0')
                        return store_resolve_component(at, name, flags,
                                                       store_resolve_needs_mode(flags) ? mode : 0);
                if (strcmp(name, ".") == 0)
                        continue;
                next = store_resolve_component(at, name, O_PATH | O_DIRECTORY, 0);
                if (next < 0)
                        return next;
                if (dirfd >= 0)
                        close(dirfd);
                dirfd = next;
        }
}

int store_resolve_open(int rootfd, const char *relpath, int flags, mode_t mode) {
        /* No O_NOFOLLOW: with it a symlink at the end fails as ENOTDIR under O_DIRECTORY;
         * RESOLVE_NO_SYMLINKS refuses it as -ELOOP, the same as one in the middle. */
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .mode = store_resolve_needs_mode(flags) ? mode : 0,
                .resolve = STORE_RESOLVE_FLAGS,
        };
        long fd;

        if (!relpath || !*relpath)
                return -ENOENT;
        if (store_resolve_path_leaves(relpath))
                return -EXDEV;
        if (!atomic_load_explicit(&store_resolve_without_openat2, memory_order_relaxed)) {
                fd = syscall(SYS_openat2, rootfd, relpath, &how, sizeof(how));
                if (fd >= 0)
                        return (int)fd;
                if (errno != ENOSYS)
                        return -errno;
                atomic_store_explicit(&store_resolve_without_openat2, true, memory_order_relaxed);
        }
        return store_resolve_open_walk(rootfd, relpath, flags, mode);
}

int store_resolve_open_dir(int rootfd, const char *relpath) {
        return store_resolve_open(rootfd, relpath, O_RDONLY | O_DIRECTORY, 0);
}

int store_resolve_parent(int rootfd, const char *relpath, const char **namep) {
        const char *slash = strrchr(relpath, '/'), *name = slash ? slash + 1 : relpath;
        char dir[PATH_MAX];
        int fd;

        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return -EINVAL;
        if (!slash)
                fd = store_resolve_open_dir(rootfd, ".");
        else {
                if ((size_t)(slash - relpath) >= sizeof(dir))
                        return -ENAMETOOLONG;
                memcpy(dir, relpath, (size_t)(slash - relpath));
                dir[slash - relpath] = '\0';
                fd = store_resolve_open_dir(rootfd, *dir ? dir : "/");
        }
        if (fd < 0)
                return fd;
        *namep = name;
        return fd;
}
