// SPDX-License-Identifier: Apache-2.0
/*
 * Message-server handover, kosd's side (see msgserver.h).
 * Invariant: every fd this file creates is either handed over (sent, or returned to the
 * caller) or closed before returning; a failed handover leaks nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "supervisor/msgserver.h"
#include "util/cleanup.h"

int msg_server_control_pair(int *kosd_fdp, int *msgd_fdp) {
        int pair[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        /* Only kosd's end is non-blocking: a stuck kos-msgd must never stall kosd. */
        {
                _cleanup_close_ int a = pair[0], b = pair[1];
                int flags = fcntl(a, F_GETFL);
                if (flags < 0 || fcntl(a, F_SETFL, flags | O_NONBLOCK) < 0)
                        return -errno;
                *kosd_fdp = steal_fd(&a);
                *msgd_fdp = steal_fd(&b);
        }
        return 0;
}

int msg_server_connect_app(int control_fd, const char *app, int *app_fdp) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = { 0 };
        struct iovec iov = { .iov_base = (void *)app, .iov_len = strlen(app) };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *cm;
        int pair[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        _cleanup_close_ int app_end = pair[0], server_end = pair[1];

        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &server_end, sizeof(int));
        if (sendmsg(control_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                return -errno;
        *app_fdp = steal_fd(&app_end);
        return 0;
}

int msg_server_env_entry(char *const *instances, char **entryp) {
        size_t size = sizeof(MSG_SERVER_ENV "=");
        char *entry, *p;

        for (size_t i = 0; instances[i]; i++)
                size += strlen(instances[i]) + 16;
        entry = malloc(size);
        if (!entry)
                return -ENOMEM;
        p = entry + sprintf(entry, "%s=", MSG_SERVER_ENV);
        for (size_t i = 0; instances[i]; i++)
                p += sprintf(p, "%s%s=%zu", i ? "," : "", instances[i], 3 + i);
        *entryp = entry;
        return 0;
}
