// SPDX-License-Identifier: Apache-2.0
/*
 * Loop devices (see loop.h for the invariant).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "boot/loop.h"
#include "util/cleanup.h"

/* How often a free device may be taken by someone else between GET_FREE and CONFIGURE. */
#define LOOP_ATTEMPTS 16

/* Configures /dev/loopN; -EBUSY if another user took it first. */
static int loop_configure(int n, int backing_fd, int *loopfdp, char *dev, size_t size) {
        struct loop_config config = {
                .fd = (unsigned)backing_fd,
                .info = { .lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR },
        };
        char path[32];
        int fd;

        snprintf(path, sizeof(path), "/dev/loop%d", n);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (ioctl(fd, LOOP_CONFIGURE, &config) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        snprintf(dev, size, "%s", path);
        *loopfdp = fd;
        return 0;
}

int boot_loop_attach(int backing_fd, int *loopfdp, char *dev, size_t size) {
        _cleanup_close_ int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        int r = -EBUSY;

        if (control < 0)
                return -errno;
        for (int attempt = 0; attempt < LOOP_ATTEMPTS && r == -EBUSY; attempt++) {
                int n = ioctl(control, LOOP_CTL_GET_FREE);

                if (n < 0)
                        return -errno;
                r = loop_configure(n, backing_fd, loopfdp, dev, size);
        }
        return r;
}
