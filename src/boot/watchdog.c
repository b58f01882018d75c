// SPDX-License-Identifier: Apache-2.0
/*
 * The hardware watchdog (see watchdog.h for the invariants).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/watchdog.h>

#include "boot/watchdog.h"

int boot_watchdog_set_timeout(int fd, unsigned timeout_s) {
        int t = (int)timeout_s;

        if (timeout_s == 0 || timeout_s > 65535)
                return -EINVAL;
        if (ioctl(fd, WDIOC_SETTIMEOUT, &t) < 0)
                return -errno;
        return 0;
}

int boot_watchdog_keepalive(int fd) {
        ssize_t n;

        do
                n = write(fd, "k", 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == 1 ? 0 : -EIO;
}

int boot_watchdog_open(const char *path, unsigned timeout_s, bool *timeout_setp) {
        bool timeout_set = false;
        int fd, r;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = boot_watchdog_set_timeout(fd, timeout_s);
        if (r == 0)
                timeout_set = true;
        else if (r != -ENOTTY && r != -EOPNOTSUPP && r != -EINVAL) {
                (void)boot_watchdog_stop(fd);
                return r;
        }
        r = boot_watchdog_keepalive(fd);
        if (r < 0) {
                boot_watchdog_release(fd);
                return r;
        }
        if (timeout_setp)
                *timeout_setp = timeout_set;
        return fd;
}

void boot_watchdog_release(int fd) {
        if (fd < 0)
                return;
        (void)boot_watchdog_keepalive(fd);
        (void)close(fd);
}

int boot_watchdog_stop(int fd) {
        ssize_t n;
        int r = 0;

        do
                n = write(fd, "V", 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}
