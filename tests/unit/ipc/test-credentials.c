// SPDX-License-Identifier: Apache-2.0
/* Peer credentials (ipc/credentials.h): SO_PEERCRED of a connected peer, SCM_CREDENTIALS of
 * each datagram, and descriptors a sender attaches closed on receipt (invariant 2). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/credentials.h"
#include "ipc/fd.h"
#include "ipc-test.h"
#include "test.h"

TEST(peer_credentials_are_this_process) {
        int a, b;
        struct ucred cred;

        CHECK_OK(ipc_socketpair(&a, &b));
        CHECK_OK(ipc_credentials_of_peer(a, &cred));
        CHECK_EQ_INT(cred.pid, getpid());
        CHECK_EQ_INT(cred.uid, getuid());
        CHECK_EQ_INT(cred.gid, getgid());
        close(a);
        close(b);
        CHECK_EQ_INT(ipc_credentials_of_peer(a, &cred), -EBADF);
}

TEST(datagrams_are_stamped_with_their_sender) {
        int pair[2];
        char buf[4];
        struct ucred cred;

        CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) == 0);
        /* Not enabled: no stamp. */
        CHECK(send(pair[0], "one", 3, 0) == 3);
        CHECK_EQ_INT(ipc_credentials_receive(pair[1], buf, sizeof(buf), MSG_DONTWAIT, &cred), 3);
        CHECK_EQ_INT(cred.pid, 0);

        CHECK_OK(ipc_credentials_enable(pair[1]));
        CHECK(send(pair[0], "two", 3, 0) == 3);
        CHECK_EQ_INT(ipc_credentials_receive(pair[1], buf, sizeof(buf), MSG_DONTWAIT, &cred), 3);
        CHECK_EQ_INT(cred.pid, getpid());
        CHECK_EQ_INT(cred.uid, getuid());

        /* MSG_TRUNC: the real length of a longer datagram. */
        CHECK(send(pair[0], "longer", 6, 0) == 6);
        CHECK_EQ_INT(ipc_credentials_receive(pair[1], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC, &cred), 6);

        CHECK_EQ_INT(ipc_credentials_receive(pair[1], buf, sizeof(buf), MSG_DONTWAIT, &cred), -EAGAIN);
        close(pair[0]);
        close(pair[1]);
}

TEST(attached_descriptors_are_closed) {
        int pair[2];
        char buf[4];
        struct ucred cred;
        int fds[2] = { STDIN_FILENO, STDOUT_FILENO };
        struct iovec iov = { .iov_base = "fd", .iov_len = 2 };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(fds))];
        } control = { 0 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        int before;

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(fds));
        memcpy(CMSG_DATA(c), fds, sizeof(fds));
        CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) == 0);
        CHECK_OK(ipc_credentials_enable(pair[1]));
        before = ipc_test_count_fds();
        CHECK(sendmsg(pair[0], &mh, 0) == 2);
        CHECK_EQ_INT(ipc_credentials_receive(pair[1], buf, sizeof(buf), MSG_DONTWAIT, &cred), 2);
        CHECK_EQ_INT(cred.pid, getpid());
        CHECK_EQ_INT(ipc_test_count_fds(), before);
        close(pair[0]);
        close(pair[1]);
}

TEST_MAIN()
