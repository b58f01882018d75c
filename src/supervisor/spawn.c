// SPDX-License-Identifier: Apache-2.0
/*
 * Process start with clone3(CLONE_INTO_CGROUP | CLONE_VFORK), or vfork() (see spawn.h).
 * Invariants: between the fork and exec the child calls only async-signal-safe system
 * calls and writes only its error report (the pipe, or child_errno after vfork); it never
 * returns, only execs or _exit()s. No fd of kosd survives into the child's program except
 * those named in SpawnParams.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/sched.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/spawn.h"
#include "util/utf8.h"

#define SPAWN_MAX_FDS 64

/* Closes every fd from first on. close_range(2) came with Linux 5.9; before it (5.4 LTS
 * devices), close one by one up to the fd limit the parent read. Async-signal-safe. */
static int spawn_close_from(int first, int limit) {
        if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
                return 0;
        if (errno != ENOSYS)
                return -1;
        for (int fd = first; fd < limit; fd++)
                (void)close(fd);
        return 0;
}

static int spawn_fd_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1U << 20))
                return 1 << 20;
        return (int)rl.rlim_cur;
}

/* Closes every fd from first on except keep_a and keep_b (-1: none; both >= first or -1). */
static int spawn_close_from_except(int first, int keep_a, int keep_b, int limit) {
        int lo = keep_a < keep_b ? keep_a : keep_b, hi = keep_a < keep_b ? keep_b : keep_a;

        if (lo < 0) /* at most one to keep */
                lo = hi, hi = -1;
        if (lo < first)
                return spawn_close_from(first, limit);
        for (int fd = first; fd < lo; fd++)
                (void)close(fd);
        if (hi < 0)
                return spawn_close_from(lo + 1, limit);
        for (int fd = lo + 1; fd < hi; fd++)
                (void)close(fd);
        return spawn_close_from(hi + 1, limit);
}

/*
 * The child, between the fork and exec: every call async-signal-safe. A failure is
 * reported through err_fd (clone3 path: its own copy of memory) or *child_errno (vfork
 * path: the parent's memory), then it exits.
 */
static _Noreturn void spawn_child(const SpawnParams *p, int fd_above, int fd_limit, const sigset_t *empty, int err_fd,
                                  volatile int *child_errno, bool join_cgroup) {
        int moved[SPAWN_MAX_FDS];
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        int exec_fd = -1, e;

        /* Its own group first: a signal to kosd's group (a ^C on its terminal) must not
         * reach the child once its mask is cleared. */
        if (setpgid(0, 0) < 0)
                goto fail;
        /* Into its cgroup before it can run anything: nothing escapes it (the clone3 path
         * was born there). */
        if (join_cgroup) {
                int procs = openat(*p->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
                if (procs < 0 || write(procs, "0", 1) != 1)
                        goto fail;
                close(procs);
        }
        /* SIG_IGN survives exec, handlers do not; kosd ignores only SIGPIPE. */
        if (sigaction(SIGPIPE, &dfl, NULL) < 0)
                goto fail;
        if (sigprocmask(SIG_SETMASK, empty, NULL) < 0)
                goto fail;
        /* The error pipe and the fd to execute above every target, so no dup2 overwrites
         * them and the close below spares them (both close at exec). */
        if (err_fd >= 0 && err_fd < fd_above) {
                err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, fd_above);
                if (err_fd < 0)
                        goto fail;
        }
        if (p->exec_fd) {
                exec_fd = fcntl(*p->exec_fd, F_DUPFD_CLOEXEC, fd_above);
                if (exec_fd < 0)
                        goto fail;
        }
        /* Move granted fds above their targets first, so no dup2 overwrites one. */
        for (size_t i = 0; i < p->n_fds; i++) {
                moved[i] = fcntl(p->fds[i], F_DUPFD_CLOEXEC, fd_above);
                if (moved[i] < 0)
                        goto fail;
        }
        if (dup2(p->devnull_fd, 0) < 0 || dup2(p->output_fd, 1) < 0 || dup2(p->output_fd, 2) < 0)
                goto fail;
        for (size_t i = 0; i < p->n_fds; i++)
                if (dup2(moved[i], 3 + (int)i) < 0)
                        goto fail;
        if (spawn_close_from_except(fd_above, err_fd, exec_fd, fd_limit) < 0)
                goto fail;
        if (chdir("/") < 0)
                goto fail;
        if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                goto fail;
        if (exec_fd >= 0)
                syscall(SYS_execveat, exec_fd, "", p->argv, p->envp, AT_EMPTY_PATH);
        else
                execve(p->path, p->argv, p->envp);
fail:
        e = errno ? errno : EIO;
        if (err_fd >= 0)
                (void)write(err_fd, &e, sizeof(e));
        else
                *child_errno = e;
        _exit(127);
}

/*
 * clone3 with CLONE_INTO_CGROUP (Linux 5.7): the child is born in its cgroup. Joining one
 * later, by writing cgroup.procs, takes the cgroup core's write lock, whose RCU grace
 * period costs milliseconds on every start. CLONE_VFORK keeps the parent waiting until
 * exec, as vfork() does; without CLONE_VM the child has its own memory, so errors come
 * back through a pipe. Returns the pid, 0 in the child, or -1 with errno (ENOSYS, E2BIG,
 * EINVAL: the kernel lacks it).
 */
static pid_t spawn_clone_into_cgroup(int cgroup_fd) {
        struct clone_args args = {
                .flags = CLONE_VFORK | CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)cgroup_fd,
        };

        return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

int spawn_process(const SpawnParams *p, pid_t *pidp) {
        volatile int child_errno = 0;
        const int fd_above = 3 + (int)p->n_fds;
        /* Read in the parent (getrlimit is not async-signal-safe); volatile, as the child
         * of vfork() shares this frame and may find a register the parent reloaded. */
        volatile int fd_limit = spawn_fd_limit();
        sigset_t empty;
        pid_t pid;

        if (p->n_fds > SPAWN_MAX_FDS)
                return -E2BIG;
        sigemptyset(&empty);

        if (p->cgroup_fd) {
                int err[2], e = 0;
                ssize_t n;

                if (pipe2(err, O_CLOEXEC) < 0)
                        return -errno;
                pid = spawn_clone_into_cgroup(*p->cgroup_fd);
                if (pid == 0)
                        spawn_child(p, fd_above, fd_limit, &empty, err[1], NULL, false);
                close(err[1]);
                if (pid > 0) {
                        /* The write end closed at exec: nothing to read means it runs. */
                        do
                                n = read(err[0], &e, sizeof(e));
                        while (n < 0 && errno == EINTR);
                        close(err[0]);
                        if (n == (ssize_t)sizeof(e)) {
                                (void)waitpid(pid, NULL, 0);
                                return -e;
                        }
                        *pidp = pid;
                        return 0;
                }
                e = errno;
                close(err[0]);
                if (e != ENOSYS && e != E2BIG && e != EINVAL)
                        return -e;
                /* An older kernel: vfork, and the child joins its cgroup itself. */
        }

        pid = vfork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                spawn_child(p, fd_above, fd_limit, &empty, -1, &child_errno, p->cgroup_fd != NULL);

        if (child_errno != 0) {
                int r = -child_errno;
                (void)waitpid(pid, NULL, 0);
                return r;
        }
        *pidp = pid;
        return 0;
}

const char *spawn_describe_error(const char *path, int error, char *buf, size_t size) {
        char head[256]; /* the kernel reads no more of a "#!" line (BINPRM_BUF_SIZE) */
        ssize_t n;
        int fd;

        if (error != ENOENT)
                return strerror(error);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return strerror(error); /* the file itself is missing */
        do
                n = read(fd, head, sizeof(head) - 1);
        while (n < 0 && errno == EINTR);
        close(fd);
        if (n < 0)
                return strerror(error);
        head[n] = '\0';

        if (n >= 4 && memcmp(head, "\177ELF", 4) == 0) {
                snprintf(buf, size, "the program exists, but its ELF interpreter (dynamic loader) is missing");
                return buf;
        }
        if (n < 2 || head[0] != '#' || head[1] != '!')
                return strerror(error);

        char *interpreter = head + 2 + strspn(head + 2, " \t");
        size_t len = strcspn(interpreter, " \t\n");
        bool carriage_return = len > 0 && interpreter[len - 1] == '\r';
        interpreter[len - carriage_return] = '\0';
        if (!utf8_is_printable(interpreter) || interpreter[0] == '\0') {
                snprintf(buf, size, "the interpreter its \"#!\" line names is missing");
                return buf;
        }
        if (carriage_return) {
                snprintf(buf, size, "its interpreter \"%s\\r\" is missing (the \"#!\" line ends in a DOS carriage return)",
                         interpreter);
                return buf;
        }
        if (access(interpreter, F_OK) < 0 && errno == ENOENT)
                snprintf(buf, size, "its interpreter %s is missing", interpreter);
        else
                snprintf(buf, size, "its interpreter %s exists but cannot be started (what it needs is missing)",
                         interpreter);
        return buf;
}
