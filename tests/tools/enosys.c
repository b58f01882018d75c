// SPDX-License-Identifier: Apache-2.0
/*
 * Runs a program as on an older kernel: the named system call fails with ENOSYS, through a
 * seccomp filter. Tests use it to exercise the fallbacks KOS keeps for kernels before the
 * call existed.
 *
 *   kos-test-enosys SYSCALL PROGRAM [ARGS...]
 *
 * SYSCALL: close_range (5.9), openat2 (5.6) or clone3 (5.3; CLONE_INTO_CGROUP 5.7).
 *
 * Before exec it checks that the filter holds, so a fallback can never go untested while
 * its test passes.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* These calls have the same number on every architecture (the unified syscall table). */
static const struct {
        const char *name;
        long nr;
} syscalls[] = {
        { "clone3", 435 },
        { "close_range", 436 },
        { "openat2", 437 },
};

int main(int argc, char **argv) {
        long nr = -1;

        for (size_t i = 0; argc >= 3 && i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
                if (strcmp(argv[1], syscalls[i].name) == 0)
                        nr = syscalls[i].nr;
        if (nr < 0) {
                fprintf(stderr, "usage: %s clone3|close_range|openat2 PROGRAM [ARGS...]\n", argv[0]);
                return 2;
        }

        struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
                return perror("seccomp"), 1;
        if (syscall(nr, -1, -1, 0, 0) != -1 || errno != ENOSYS)
                return fprintf(stderr, "%s is not filtered\n", argv[1]), 1;
        execv(argv[2], argv + 2);
        perror(argv[2]);
        return 127;
}
