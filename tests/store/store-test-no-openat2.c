// SPDX-License-Identifier: Apache-2.0
/*
 * Runs a program as on a kernel before Linux 5.6: openat2(2) fails with ENOSYS (a seccomp
 * filter), so the store resolves its paths with the component-by-component fallback.
 *
 *   store-test-no-openat2 PROGRAM [ARGS...]
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_openat2
#define __NR_openat2 437
#endif

int main(int argc, char **argv) {
        struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

        if (argc < 2) {
                fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
                return 2;
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                return perror("seccomp"), 1;
        /* The filter must hold, or the fallback would go untested while the test passes. */
        if (syscall(__NR_openat2, -1, "", NULL, 0) != -1 || errno != ENOSYS)
                return fprintf(stderr, "openat2 is not filtered\n"), 1;
        execv(argv[1], argv + 1);
        perror(argv[1]);
        return 127;
}
