// SPDX-License-Identifier: Apache-2.0
/*
 * A stand-in for kos-msgd in kosd's handover test: what kosd starts for each msg_servers
 * instance (`--instance NAME --manifest-fd 4`, control connection on fd 3, the manifest on
 * fd 4). For each message on fd 3 it records "conn INSTANCE APP TYPE" (TYPE: seqpacket, or
 * what was wrong) to DIR/msgd.log, DIR being the directory this program lies in (and at
 * start "run INSTANCE N", N = 1 if any fd besides 0-4 was open, and "manifest INSTANCE
 * SEALS", SEALS = sealed if fd 4 is sealed against writing, growing and shrinking), and
 * sends "hello APP from INSTANCE" on the received connection. It exits when kosd closes
 * the control connection.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
        const char *instance = "?";
        char dir[4096], path[4200];
        int log_fd, extra_fd = fcntl(5, F_GETFD) >= 0; /* before we open anything */
        int seals = fcntl(4, F_GET_SEALS);
        ssize_t n;

        for (int i = 1; i + 1 < argc; i++)
                if (strcmp(argv[i], "--instance") == 0)
                        instance = argv[++i];
        n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
        dir[n > 0 ? n : 0] = '\0';
        snprintf(path, sizeof(path), "%s/msgd.log", dirname(dir));
        log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        dprintf(log_fd, "run %s %d\n", instance, extra_fd);
        dprintf(log_fd, "manifest %s %s\n", instance,
                seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)) ==
                                      (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK) ? "sealed" : "unsealed");

        for (;;) {
                char app[256], line[512], ctl[CMSG_SPACE(sizeof(int))];
                struct iovec iov = { app, sizeof(app) - 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                                     .msg_controllen = sizeof(ctl) };
                struct cmsghdr *cm;
                int fd = -1, type = 0;
                socklen_t tl = sizeof(type);
                ssize_t n = recvmsg(3, &mh, MSG_CMSG_CLOEXEC);

                if (n <= 0)
                        return 0;
                app[n] = '\0';
                cm = CMSG_FIRSTHDR(&mh);
                if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                        memcpy(&fd, CMSG_DATA(cm), sizeof(int));
                if (fd < 0) {
                        dprintf(log_fd, "conn %s %s no-fd\n", instance, app);
                        continue;
                }
                getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
                dprintf(log_fd, "conn %s %s %s\n", instance, app, type == SOCK_SEQPACKET ? "seqpacket" : "other");
                snprintf(line, sizeof(line), "hello %s from %s", app, instance);
                (void)send(fd, line, strlen(line), MSG_NOSIGNAL);
                close(fd);
        }
}
