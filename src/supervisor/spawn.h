/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting a unit's process.
 *
 * The child gets: its own process group; stdin from /dev/null; stdout and stderr on
 * output_fd; the granted fds as 3, 4, ...; no other fd; an empty signal mask and default
 * signal dispositions (kosd resets inherited ones at start and ignores only SIGPIPE, which
 * the child resets); "/" as working directory; PR_SET_NO_NEW_PRIVS if asked. It is
 * created with vfork(), so the parent resumes only once exec succeeded or failed, and an
 * exec failure (a missing program, say) is reported to the caller as its errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct SpawnParams {
        const char *path;
        char *const *argv;
        char *const *envp;
        int devnull_fd;  /* becomes fd 0 */
        int output_fd;   /* becomes fds 1 and 2 */
        const int *fds;  /* become 3, 4, ... in this order */
        size_t n_fds;
        bool no_new_privs;
        /* If set: the cgroup directory the child runs in from its first instruction
         * (clone3 CLONE_INTO_CGROUP), or, on kernels before 5.7, joins right after setpgid
         * (cgroup.h invariant 1); a failure fails the start. */
        const int *cgroup_fd;
        /* If set: execute this fd (execveat AT_EMPTY_PATH), not path; path stays argv[0]'s
         * and the name in messages. */
        const int *exec_fd;
} SpawnParams;

/*
 * Starts the program. Returns 0 and *pidp once it runs the new program. If the child
 * failed before or at exec, it has been reaped and the errno it met is returned negated.
 */
int spawn_process(const SpawnParams *params, pid_t *pidp);

/*
 * Explains error, the errno spawn_process() met for path, as the end of a "cannot execute
 * PATH: ..." line. execve() says ENOENT both for a missing file and for a file whose "#!"
 * interpreter (or ELF loader) is missing; for a file that exists, this names what is
 * missing instead ("its interpreter /no/such/sh is missing"). Otherwise strerror(error).
 * Writes into buf (size bytes) when it needs to; the result lives as long as buf.
 */
const char *spawn_describe_error(const char *path, int error, char *buf, size_t size);
