// SPDX-License-Identifier: Apache-2.0
/*
 * Runs a program as on a kernel before Linux 5.9: close_range(2) fails with ENOSYS (a
 * seccomp filter). It also leaves fd 9 open without close-on-exec, as a careless parent
 * of kosd would, so a test can check that an app still gets no fd but those granted.
 *
 *   kosd-test-no-close-range PROGRAM [ARGS...]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_close_range
#define __NR_close_range 436
#endif

int main(int argc, char **argv) {
        struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };
        int fd;

        if (argc < 2) {
                fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
                return 2;
        }
        fd = open("/dev/null", O_RDONLY);
        if (fd < 0 || dup2(fd, 9) < 0)
                return perror("fd 9"), 1;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                return perror("seccomp"), 1;
        execv(argv[1], argv + 1);
        perror(argv[1]);
        return 127;
}
