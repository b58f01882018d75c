// SPDX-License-Identifier: Apache-2.0
/*
 * switch_root (see switchroot.h for the invariants).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/switchroot.h"
#include "util/cleanup.h"

static const char *const switch_root_moves[] = { "/dev", "/proc", "/sys", "/run" };

int boot_switch_root_delete(int dirfd, unsigned long long dev) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *e;
        int fd, ret = 0;

        fd = dup(dirfd);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((e = readdir(d))) {
                struct stat st;
                int r = 0;

                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
                        continue; /* a mount point (invariant 2), or gone */
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                        r = sub < 0 ? -errno : boot_switch_root_delete(sub, dev);
                        if (r >= 0 && unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0)
                                r = -errno;
                } else if (unlinkat(dirfd, e->d_name, 0) < 0)
                        r = -errno;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

static int switch_root_move(const char *newroot, const char *what) {
        char target[4096];

        snprintf(target, sizeof(target), "%s%s", newroot, what);
        if (mkdir(target, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mount(what, target, NULL, MS_MOVE, NULL) < 0)
                return -errno;
        return 0;
}

int boot_switch_root(const char *newroot) {
        _cleanup_close_ int rootfd = -1;
        struct stat st;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(switch_root_moves); i++) {
                r = switch_root_move(newroot, switch_root_moves[i]);
                if (r < 0)
                        return r;
        }
        rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || fstat(rootfd, &st) < 0)
                return -errno;
        if (chdir(newroot) < 0)
                return -errno;
        /* Freeing memory is best effort: a file that cannot be deleted costs only memory. */
        (void)boot_switch_root_delete(rootfd, st.st_dev);
        if (mount(newroot, "/", NULL, MS_MOVE, NULL) < 0)
                return -errno;
        if (chroot(".") < 0 || chdir("/") < 0)
                return -errno;
        return 0;
}
