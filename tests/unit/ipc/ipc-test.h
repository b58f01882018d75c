/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the IPC layer's unit tests: counting open descriptors for leak checks. */
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>

/* Number of descriptors open in this process (the directory's own is not counted). */
static inline int ipc_test_count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        if (!d)
                return -1;
        while (readdir(d))
                n++;
        closedir(d);
        return n - 3; /* ".", ".." and the directory's own fd */
}

static inline bool ipc_test_fd_is_cloexec(int fd) {
        int flags = fcntl(fd, F_GETFD);
        return flags >= 0 && (flags & FD_CLOEXEC);
}
