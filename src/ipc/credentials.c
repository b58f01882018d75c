// SPDX-License-Identifier: Apache-2.0
/*
 * Peer credentials on local sockets (see credentials.h for the invariants).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ipc/credentials.h"
#include "ipc/fd.h"

int ipc_credentials_of_peer(int fd, struct ucred *credp) {
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        *credp = cred;
        return 0;
}

int ipc_credentials_enable(int fd) {
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) < 0)
                return -errno;
        return 0;
}

ssize_t ipc_credentials_receive(int fd, void *buf, size_t size, int flags, struct ucred *credp) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(8 * sizeof(int))];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        struct ucred cred = { 0 };
        ssize_t n;

        do
                n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        ipc_message_close_fds(&mh);
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
                        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        *credp = cred;
        return n;
}
