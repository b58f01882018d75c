// SPDX-License-Identifier: Apache-2.0
/*
 * Component images (see component.h for the invariant).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "boot/component.h"
#include "boot/loop.h"
#include "crypto/sha256.h"
#include "store/object.h"
#include "util/cleanup.h"

int boot_component_open(const Store *store, const ManifestComponent *c, int *fdp) {
        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];
        _cleanup_close_ int fd = -1;
        Sha256Digest want, got;
        uint64_t size;
        int r;

        r = sha256_from_hex(c->sha256, &want);
        if (r < 0)
                return r;
        r = store_object_relative_path(c->sha256, rel);
        if (r < 0)
                return r;
        fd = openat(store_dirfd(store), rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? STORE_E_MISSING : -errno;
        r = sha256_fd(fd, &got, &size);
        if (r < 0)
                return r;
        if (!sha256_equal(&want, &got))
                return STORE_E_CORRUPT;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        *fdp = steal_fd(&fd);
        return 0;
}

int boot_component_mount(const ManifestComponent *c, int fd, const char *target, char *dev, size_t size) {
        _cleanup_close_ int loop = -1;
        int r;

        r = boot_loop_attach(fd, &loop, dev, size);
        if (r < 0)
                return r;
        /* The loop device lives while loop is open (LO_FLAGS_AUTOCLEAR): mount first. */
        if (mount(dev, target, c->format, MS_RDONLY, NULL) < 0)
                return -errno;
        return 0;
}
