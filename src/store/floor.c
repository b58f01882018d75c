// SPDX-License-Identifier: Apache-2.0
/*
 * The version floor, in <store>/floor.
 *
 * Invariant: store_floor_raise() never lowers it, and replaces the file atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/parse.h"
#include "store/store.h"
#include "util/cleanup.h"

int store_floor_get(const Store *store, uint32_t *floorp) {
        _cleanup_close_ int fd = openat(store_dirfd(store), "floor", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[16];
        unsigned v;
        ssize_t n;

        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *floorp = 0;
                return 0;
        }
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        if (n < 2 || buf[n - 1] != '\n')
                return -EBADMSG;
        buf[n - 1] = '\0';
        if (store_parse_unsigned(buf, 0, UINT32_MAX, &v) < 0)
                return -EBADMSG;
        *floorp = v;
        return 0;
}

int store_floor_raise(Store *store, uint32_t version) {
        uint32_t current;
        char buf[16];
        int r;

        r = store_floor_get(store, &current);
        if (r < 0)
                return r;
        if (version <= current)
                return 0;
        snprintf(buf, sizeof(buf), "%u\n", (unsigned)version);
        return store_replace_file(store, "floor", buf, strlen(buf));
}
