// SPDX-License-Identifier: Apache-2.0
/* NOTIFY_SOCKET messages: READY=1 and STATUS= are understood, everything else ignored;
 * only senders in the expected process group count; passed fds are closed. */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor/notify.h"
#include "test.h"
#include "util/cleanup.h"

TEST(ready_and_status) {
        NotifyMessage m;
        const char msg[] = "STATUS=warming up\nREADY=1\nMAINPID=7";

        notify_message_parse(msg, strlen(msg), &m);
        CHECK(m.ready);
        CHECK(m.has_status);
        CHECK_EQ_STR(m.status, "warming up");
}

TEST(not_ready) {
        NotifyMessage m;
        const char *cases[] = { "READY=0", "READY=11", "XREADY=1", "READY", "ready=1", "" };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                notify_message_parse(cases[i], strlen(cases[i]), &m);
                CHECK(!m.ready);
        }
        /* A NUL inside does not end the message early, nor make it ready. */
        notify_message_parse("READY=\0001", 8, &m);
        CHECK(!m.ready);
}

TEST(status_is_cut_and_cleaned) {
        char msg[600] = "STATUS=";
        NotifyMessage m;

        memset(msg + 7, 'x', 500);
        msg[10] = '\t';
        notify_message_parse(msg, 507, &m);
        CHECK_EQ_INT(strlen(m.status), NOTIFY_STATUS_MAX - 1);
        CHECK(m.status[3] == '?');
}

TEST(socket_roundtrip) {
        char path[] = "/tmp/kos-notify-test.XXXXXX";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        NotifyMessage m = { 0 };
        int fd, c;

        CHECK(mkdtemp(path) != NULL);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", path);
        CHECK_OK(notify_socket_open(sa.sun_path, &fd));
        CHECK_EQ_INT(notify_socket_drain(fd, getpid(), &m), 0);
        c = socket(AF_UNIX, SOCK_DGRAM, 0);
        CHECK(sendto(c, "STATUS=a", 8, 0, (struct sockaddr *)&sa, sizeof(sa)) == 8);
        CHECK(sendto(c, "READY=1", 7, 0, (struct sockaddr *)&sa, sizeof(sa)) == 7);
        CHECK_EQ_INT(notify_socket_drain(fd, getpid(), &m), 2);
        CHECK(m.ready);
        CHECK_EQ_STR(m.status, "a");
        close(c);
        close(fd);
        unlink(sa.sun_path);
        rmdir(path);
}

static int open_socket(char *dir, struct sockaddr_un *sa, int *fdp) {
        CHECK(mkdtemp(dir) != NULL);
        snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/s", dir);
        return notify_socket_open(sa->sun_path, fdp);
}

TEST(sender_outside_the_group_is_ignored) {
        char dir[] = "/tmp/kos-notify-test.XXXXXX";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        NotifyMessage m = { 0 };
        int fd, c;

        CHECK_OK(open_socket(dir, &sa, &fd));
        c = socket(AF_UNIX, SOCK_DGRAM, 0);
        CHECK(sendto(c, "READY=1\nSTATUS=lie", 19, 0, (struct sockaddr *)&sa, sizeof(sa)) == 19);
        /* Process group 1 is init's; this test is not in it. */
        CHECK(getpgid(0) != 1);
        CHECK_EQ_INT(notify_socket_drain(fd, 1, &m), 1);
        CHECK(!m.ready);
        CHECK(!m.has_status);
        CHECK_EQ_INT(m.rejected, 1);
        CHECK_EQ_INT(m.rejected_pid, getpid());
        /* pgid 0 discards everything. */
        CHECK(sendto(c, "READY=1", 7, 0, (struct sockaddr *)&sa, sizeof(sa)) == 7);
        m = (NotifyMessage){ 0 };
        CHECK_EQ_INT(notify_socket_drain(fd, 0, &m), 1);
        CHECK(!m.ready);
        /* The sender's own group counts. */
        CHECK(sendto(c, "READY=1", 7, 0, (struct sockaddr *)&sa, sizeof(sa)) == 7);
        m = (NotifyMessage){ 0 };
        CHECK_EQ_INT(notify_socket_drain(fd, getpgid(0), &m), 1);
        CHECK(m.ready);
        CHECK_EQ_INT(m.rejected, 0);
        close(c);
        close(fd);
        unlink(sa.sun_path);
        rmdir(dir);
}

TEST(passed_fds_are_closed) {
        char dir[] = "/tmp/kos-notify-test.XXXXXX";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = { 0 };
        struct iovec iov = { .iov_base = "BARRIER=1", .iov_len = 9 };
        struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        NotifyMessage m = { 0 };
        int fd, c, pipefd[2];
        char byte;

        CHECK_OK(open_socket(dir, &sa, &fd));
        CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &pipefd[1], sizeof(int));
        c = socket(AF_UNIX, SOCK_DGRAM, 0);
        CHECK(sendmsg(c, &mh, 0) == 9);
        close(pipefd[1]);
        CHECK_EQ_INT(notify_socket_drain(fd, getpgid(0), &m), 1);
        /* The receiver's copy of the write end is gone: the barrier is released. */
        CHECK(read(pipefd[0], &byte, 1) == 0);
        close(pipefd[0]);
        close(c);
        close(fd);
        unlink(sa.sun_path);
        rmdir(dir);
}

TEST_MAIN()
