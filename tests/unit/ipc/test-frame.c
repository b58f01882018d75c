// SPDX-License-Identifier: Apache-2.0
/* Framing (ipc/frame.h): whole frames with at most one fd; truncation, extra fds and foreign
 * control messages refused with every received fd closed (invariant 2); a gone peer reads
 * as -ECONNRESET (invariant 3). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/credentials.h"
#include "ipc/fd.h"
#include "ipc/frame.h"
#include "ipc-test.h"
#include "test.h"

TEST(frame_with_and_without_fd) {
        int a, b, fd = -2;
        char buf[8192];
        static char big[6000];
        struct iovec iov[2] = { { .iov_base = "head", .iov_len = 4 }, { .iov_base = "-tail", .iov_len = 5 } };
        int before;

        CHECK_OK(ipc_socketpair(&a, &b));
        CHECK(ipc_test_fd_is_cloexec(a) && ipc_fd_is_seqpacket(b));
        before = ipc_test_count_fds();

        /* Small, copied into one send(). */
        CHECK_OK(ipc_frame_send(a, iov, 2, -1, 0));
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), 9);
        CHECK(memcmp(buf, "head-tail", 9) == 0);
        CHECK_EQ_INT(fd, -1);

        /* Larger than a copy, and with an fd. */
        memset(big, 'x', sizeof(big));
        iov[1] = (struct iovec){ .iov_base = big, .iov_len = sizeof(big) };
        CHECK_OK(ipc_frame_send(a, iov, 2, -1, 0));
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), 4 + sizeof(big));
        CHECK_OK(ipc_frame_send(a, iov, 1, STDIN_FILENO, 0));
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), 4);
        CHECK(fd >= 0 && ipc_test_fd_is_cloexec(fd));
        close(fd);

        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), MSG_DONTWAIT, &fd), -EAGAIN);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
        close(a);
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), 0);
        CHECK_EQ_INT(fd, -1);
        close(b);
}

TEST(truncated_frame_is_refused_and_its_fd_closed) {
        int a, b, fd = -2;
        char buf[4];
        struct iovec iov = { .iov_base = "too long", .iov_len = 8 };
        int before;

        CHECK_OK(ipc_socketpair(&a, &b));
        before = ipc_test_count_fds();
        CHECK_OK(ipc_frame_send(a, &iov, 1, STDIN_FILENO, 0));
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), -EBADMSG);
        CHECK_EQ_INT(fd, -2);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
        close(a);
        close(b);
}

TEST(more_than_one_fd_is_refused_and_all_closed) {
        int a, b, fd = -2;
        char buf[16];
        int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
        struct iovec iov = { .iov_base = "x", .iov_len = 1 };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(3 * sizeof(int))];
        } control = { 0 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        int before;

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(fds));
        memcpy(CMSG_DATA(c), fds, sizeof(fds));
        CHECK_OK(ipc_socketpair(&a, &b));
        before = ipc_test_count_fds();
        CHECK(sendmsg(a, &mh, 0) == 1);
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), -EBADMSG);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
        close(a);
        close(b);
}

TEST(credentials_on_a_framed_socket_are_refused) {
        int a, b, fd = -2;
        char buf[16];
        struct iovec iov = { .iov_base = "x", .iov_len = 1 };

        CHECK_OK(ipc_socketpair(&a, &b));
        /* A frame socket carries SCM_RIGHTS only; a stamped frame is not one of ours. */
        CHECK_OK(ipc_credentials_enable(b));
        CHECK_OK(ipc_frame_send(a, &iov, 1, -1, 0));
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), -EBADMSG);
        close(a);
        close(b);
}

/*
 * On SOCK_SEQPACKET a zero-length message and the peer's end both make recvmsg() return 0.
 * A zero-length message is a malformed frame (every frame has a header); only the end is 0.
 */
TEST(zero_length_frame_is_malformed_not_the_end) {
        int a, b, fd = -2;
        char buf[16];
        int before;

        CHECK_OK(ipc_socketpair(&a, &b));
        before = ipc_test_count_fds();
        CHECK(send(a, "", 0, 0) == 0);
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), -EBADMSG);
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), MSG_DONTWAIT, &fd), -EAGAIN);
        /* With a descriptor: malformed too, and the descriptor closed (invariant 2). */
        struct iovec iov = { .iov_base = "", .iov_len = 0 };
        CHECK_OK(ipc_frame_send(a, &iov, 1, STDIN_FILENO, 0));
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), -EBADMSG);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
        /* The connection still works, and its real end still reads as the end. */
        iov = (struct iovec){ .iov_base = "x", .iov_len = 1 };
        CHECK_OK(ipc_frame_send(a, &iov, 1, -1, 0));
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), 1);
        close(a);
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), 0);
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), MSG_DONTWAIT, &fd), 0);
        CHECK_EQ_INT(fd, -1);
        close(b);

        /* A half-close (shutdown(SHUT_WR)) is the end as well. */
        CHECK_OK(ipc_socketpair(&a, &b));
        CHECK(shutdown(a, SHUT_WR) == 0);
        CHECK_EQ_INT(ipc_frame_receive(b, buf, sizeof(buf), 0, &fd), 0);
        close(a);
        close(b);
}

TEST(gone_peer_reads_as_connection_reset) {
        int a, b;
        struct iovec iov = { .iov_base = "x", .iov_len = 1 };

        CHECK_OK(ipc_socketpair(&a, &b));
        close(b);
        CHECK_EQ_INT(ipc_frame_send(a, &iov, 1, -1, MSG_DONTWAIT), -ECONNRESET);
        CHECK_EQ_INT(ipc_frame_send(a, &iov, 1, STDIN_FILENO, MSG_DONTWAIT), -ECONNRESET);
        close(a);
}

TEST_MAIN()
