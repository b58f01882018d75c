// SPDX-License-Identifier: Apache-2.0
/*
 * Framing on local sockets: one SOCK_SEQPACKET message, at most one descriptor (see
 * frame.h for the invariants).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/fd.h"
#include "ipc/frame.h"

/* What a send() or sendmsg() of a whole frame returned, as 0 or a negative errno (invariant 3). */
static int ipc_send_result(ssize_t n) {
        if (n >= 0)
                return 0;
        if (errno == EPIPE || errno == ENOTCONN)
                return -ECONNRESET;
        return -errno;
}

int ipc_frame_send(int sock, const struct iovec *iov, size_t n_iov, int fd, int flags) {
        size_t total = 0;
        ssize_t n;

        for (size_t i = 0; i < n_iov; i++)
                total += iov[i].iov_len;
        /* A plain send() of a contiguous copy is measurably cheaper than a multi-part
         * sendmsg() (bench/msg.sh: ~0.4 us a round trip), and copying 4 KiB costs less. */
        if (fd < 0 && total <= IPC_FRAME_COPY_MAX) {
                uint8_t frame[IPC_FRAME_COPY_MAX];
                size_t off = 0;
                for (size_t i = 0; i < n_iov; i++) {
                        if (iov[i].iov_len > 0)
                                memcpy(frame + off, iov[i].iov_base, iov[i].iov_len);
                        off += iov[i].iov_len;
                }
                do
                        n = send(sock, frame, total, flags | MSG_NOSIGNAL);
                while (n < 0 && errno == EINTR);
                return ipc_send_result(n);
        }

        union {
                struct cmsghdr align;
                char buf[IPC_FD_CONTROL_SIZE];
        } control;
        struct msghdr mh = {
                .msg_iov = (struct iovec *)iov,
                .msg_iovlen = n_iov,
        };
        if (fd >= 0)
                ipc_message_attach_fd(&mh, control.buf, fd);
        do
                n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return ipc_send_result(n);
}

/*
 * After recvmsg() returned 0: true if that was the peer's end rather than a zero-length
 * message, which SOCK_SEQPACKET delivers with the same return value. The end sets
 * RCV_SHUTDOWN for good, and poll() reports it as POLLRDHUP; a zero-length message leaves
 * it unset while the peer lives. A zero-length message whose sender has hung up since
 * reads as the end: the peer is gone either way.
 */
static bool ipc_peer_has_ended(int sock) {
        struct pollfd pfd = { .fd = sock, .events = POLLRDHUP };
        int r;

        do
                r = poll(&pfd, 1, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return true; /* cannot tell; the connection is of no more use either way */
        return (pfd.revents & (POLLRDHUP | POLLHUP)) != 0;
}

ssize_t ipc_frame_receive(int sock, void *buf, size_t size, int flags, int *fdp) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        unsigned n_fds = 0;
        int fd = -1;
        bool bad = false;
        ssize_t n;

        do
                n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EPIPE ? -ECONNRESET : -errno;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
                        bad = true;
                        continue;
                }
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                if (n_fds == 0 && count > 0)
                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
                n_fds += (unsigned)count;
        }
        if (n_fds > 1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
                bad = true;
        /* The end carries no control message, so a zero-length message with one is a frame. */
        if (n == 0 && (bad || n_fds > 0 || !ipc_peer_has_ended(sock)))
                bad = true;
        if (bad) {
                ipc_message_close_fds(&mh); /* invariant 2 */
                return -EBADMSG;
        }
        if (n == 0) {
                *fdp = -1;
                return 0;
        }
        *fdp = fd;
        return n;
}
