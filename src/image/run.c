// SPDX-License-Identifier: Apache-2.0
/*
 * Host tools (see run.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/run.h"
#include "util/cleanup.h"
#include "util/fileio.h"

extern char **environ;

int image_run(char *const *argv, const char *input, int *statusp) {
        posix_spawn_file_actions_t actions;
        _cleanup_close_ int in_read = -1, in_write = -1;
        int pipefd[2], status, r;
        pid_t pid;

        if (input) {
                if (pipe2(pipefd, O_CLOEXEC) < 0)
                        return -errno;
                in_read = pipefd[0];
                in_write = pipefd[1];
        }
        r = posix_spawn_file_actions_init(&actions);
        if (r != 0)
                return -r;
        if (input)
                r = posix_spawn_file_actions_adddup2(&actions, in_read, STDIN_FILENO);
        else
                r = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (r != 0)
                return -r;
        if (input) {
                close(steal_fd(&in_read));
                /* A tool that exits without reading all of it gets SIGPIPE-free EPIPE here. */
                struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
                sigaction(SIGPIPE, &ignore, &old);
                (void)write_full(in_write, input, strlen(input));
                sigaction(SIGPIPE, &old, NULL);
                close(steal_fd(&in_write));
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFSIGNALED(status))
                status = 128 + WTERMSIG(status);
        else
                status = WEXITSTATUS(status);
        if (statusp)
                *statusp = status;
        /* posix_spawnp reports a missing program as exit status 127 of the child. */
        if (status == 127)
                return -ENOENT;
        return status == 0 ? 0 : -EPROTO;
}
