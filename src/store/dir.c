// SPDX-License-Identifier: Apache-2.0
/*
 * Listing a directory of the store (see dir.h).
 *
 * Invariant: the directory is resolved beneath the store's fd with no symlink followed
 * (resolve.h), so a symlink planted in place of objects/, objects/ab/, refs/ or
 * generations/ is never listed through (-ELOOP).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "store/dir.h"
#include "store/resolve.h"
#include "util/cleanup.h"
#include "util/strv.h"

static int store_dir_strcmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_dir_list_at(int dirfd, const char *relpath, StoreDirFilter keep, char ***namesp) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        size_t n = 0, allocated = 16;
        struct dirent *de;
        int fd, r;

        fd = store_resolve_open_dir(dirfd, relpath);
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        /* Grown geometrically here (strv_push() would make a large objects/ab/ quadratic). */
        names = calloc(allocated, sizeof(char *));
        if (!names)
                return -ENOMEM;
        for (;;) {
                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (keep && !keep(de))
                        continue;
                if (n + 1 == allocated) {
                        char **p = reallocarray(names, allocated * 2, sizeof(char *));
                        if (!p)
                                return -ENOMEM;
                        names = p;
                        allocated *= 2;
                }
                names[n] = strdup(de->d_name);
                if (!names[n])
                        return -ENOMEM;
                names[++n] = NULL;
        }
        qsort(names, n, sizeof(char *), store_dir_strcmp);
        *namesp = steal_ptr(&names);
        return 0;
}
