// SPDX-License-Identifier: Apache-2.0
/* The handover (ipc/handover.h): kosd's half, the service's half and the app's environment
 * talking to each other; malformed control messages; no descriptor leaks (invariants 1-4). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/fd.h"
#include "ipc/frame.h"
#include "ipc/handover.h"
#include "ipc-test.h"
#include "util/cleanup.h"
#include "test.h"

TEST(pair_kosd_end_is_nonblocking_both_cloexec) {
        int kosd, service;
        CHECK_OK(ipc_handover_pair(&kosd, &service));
        CHECK(fcntl(kosd, F_GETFL) & O_NONBLOCK);
        CHECK(!(fcntl(service, F_GETFL) & O_NONBLOCK));
        CHECK(ipc_test_fd_is_cloexec(kosd) && ipc_test_fd_is_cloexec(service));
        CHECK(ipc_fd_is_seqpacket(kosd) && ipc_fd_is_seqpacket(service));
        close(kosd);
        close(service);
}

TEST(send_and_receive_connect_app_and_service) {
        int kosd, service, app_fd = -1, service_fd = -1;
        char app[IPC_HANDOVER_NAME_MAX + 2];
        int before = ipc_test_count_fds();

        CHECK_OK(ipc_handover_pair(&kosd, &service));
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &service_fd), -EAGAIN);
        CHECK_OK(ipc_handover_send(kosd, "hello-phx", &app_fd));
        CHECK(ipc_test_fd_is_cloexec(app_fd));
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &service_fd), 1);
        CHECK_EQ_STR(app, "hello-phx");
        CHECK(ipc_test_fd_is_cloexec(service_fd));
        CHECK(ipc_fd_is_seqpacket(service_fd));

        /* The two ends are one connection. */
        CHECK(send(app_fd, "ping", 4, 0) == 4);
        char buf[8];
        CHECK(recv(service_fd, buf, sizeof(buf), 0) == 4 && memcmp(buf, "ping", 4) == 0);

        close(app_fd);
        close(service_fd);
        /* kosd hangs up: the service sees 0. */
        close(kosd);
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &service_fd), 0);
        close(service);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
}

TEST(send_refuses_empty_and_long_names) {
        int kosd, service, app_fd = -1;
        char name[IPC_HANDOVER_NAME_MAX + 2];
        int before = ipc_test_count_fds();

        CHECK_OK(ipc_handover_pair(&kosd, &service));
        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        CHECK_EQ_INT(ipc_handover_send(kosd, name, &app_fd), -EINVAL);
        CHECK_EQ_INT(ipc_handover_send(kosd, "", &app_fd), -EINVAL);
        CHECK_EQ_INT(app_fd, -1);
        close(kosd);
        close(service);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
}

TEST(send_to_a_full_control_connection_fails_without_leaking) {
        int kosd, service, app_fd = -1, r;
        int before = ipc_test_count_fds();
        int sent = 0;

        CHECK_OK(ipc_handover_pair(&kosd, &service));
        /* Nobody reads: kosd's end never blocks (invariant 4). */
        while ((r = ipc_handover_send(kosd, "app", &app_fd)) == 0) {
                close(app_fd);
                sent++;
                CHECK(sent < 100000);
        }
        CHECK_EQ_INT(r, -EAGAIN);
        close(kosd);
        /* The service's pending ends are closed by the kernel with the socket. */
        close(service);
        CHECK_EQ_INT(ipc_test_count_fds(), before);
}

/* Sends data with fds (n of them) as one message, as a misbehaving kosd might. */
static void t_send_raw(int sock, const void *data, size_t size, const int *fds, size_t n) {
        struct iovec iov = { .iov_base = (void *)data, .iov_len = size };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(4 * sizeof(int))];
        } control = { 0 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (n > 0) {
                mh.msg_control = control.buf;
                mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n * sizeof(int));
                memcpy(CMSG_DATA(c), fds, n * sizeof(int));
        }
        CHECK(sendmsg(sock, &mh, 0) == (ssize_t)size);
}

TEST(receive_rejects_malformed_messages_and_closes_their_fds) {
        int kosd, service, fd = -1;
        int pair[2];
        char app[16];
        int before;

        CHECK_OK(ipc_handover_pair(&kosd, &service));
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
        before = ipc_test_count_fds();

        /* No descriptor. */
        t_send_raw(kosd, "app", 3, NULL, 0);
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &fd), -EBADMSG);
        /* Two descriptors. */
        t_send_raw(kosd, "app", 3, (int[]){ pair[0], pair[1] }, 2);
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &fd), -EBADMSG);
        /* A NUL inside the name. */
        t_send_raw(kosd, "a\0b", 3, &pair[0], 1);
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &fd), -EBADMSG);
        /* Longer than the service's buffer (app_size - 1 bytes fit). */
        t_send_raw(kosd, "0123456789abcdef", 16, &pair[0], 1);
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &fd), -EBADMSG);
        CHECK_EQ_INT(fd, -1);
        CHECK_EQ_INT(ipc_test_count_fds(), before);

        /* The longest that fits, and one trailing NUL: both fine; the connection goes on. */
        t_send_raw(kosd, "0123456789abcde", 15, &pair[0], 1);
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &fd), 1);
        CHECK_EQ_STR(app, "0123456789abcde");
        close(fd);
        t_send_raw(kosd, "core\0", 5, &pair[0], 1);
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &fd), 1);
        CHECK_EQ_STR(app, "core");
        close(fd);
        CHECK_EQ_INT(ipc_test_count_fds(), before);

        close(pair[0]);
        close(pair[1]);
        close(kosd);
        close(service);
}

TEST(env_entry_names_fds_from_the_first) {
        char *services[] = { "core", "secure", NULL };
        char *none[] = { NULL };
        char *entry = NULL;

        CHECK_OK(ipc_handover_env_entry(services, &entry));
        CHECK_EQ_STR(entry, "KOS_MSG_SERVERS=core=3,secure=4");
        free(entry);
        CHECK_OK(ipc_handover_env_entry(none, &entry));
        CHECK_EQ_STR(entry, "KOS_MSG_SERVERS=");
        free(entry);
}

TEST(env_parse_reads_what_kosd_hands_over) {
        int kosd, service, a = -1, b = -1;
        char app[IPC_HANDOVER_NAME_MAX + 2];
        int sa, sb;
        char value[64];
        IpcHandoverLink links[4];
        size_t n = 99;

        CHECK_OK(ipc_handover_pair(&kosd, &service));
        CHECK_OK(ipc_handover_send(kosd, "admin", &a));
        CHECK_OK(ipc_handover_send(kosd, "admin", &b));
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &sa), 1);
        CHECK_EQ_INT(ipc_handover_receive(service, app, sizeof(app), &sb), 1);
        /* The app inherits its ends without close-on-exec, as after an exec. */
        CHECK(fcntl(a, F_SETFD, 0) == 0 && fcntl(b, F_SETFD, 0) == 0);

        snprintf(value, sizeof(value), "core=%d,secure=%d", a, b);
        CHECK_OK(ipc_handover_env_parse(value, links, ELEMENTSOF(links), &n, NULL));
        CHECK_EQ_INT(n, 2);
        CHECK_EQ_STR(links[0].name, "core");
        CHECK_EQ_INT(links[0].fd, a);
        CHECK_EQ_STR(links[1].name, "secure");
        CHECK_EQ_INT(links[1].fd, b);
        CHECK(ipc_test_fd_is_cloexec(a) && ipc_test_fd_is_cloexec(b));

        /* Each link reaches the service's end kosd sent. */
        CHECK(send(links[1].fd, "x", 1, 0) == 1);
        char c;
        CHECK(recv(sb, &c, 1, MSG_DONTWAIT) == 1 && c == 'x');

        CHECK_OK(ipc_handover_env_parse("", links, ELEMENTSOF(links), &n, NULL));
        CHECK_EQ_INT(n, 0);

        /* Too many entries for the caller's table. */
        snprintf(value, sizeof(value), "core=%d,secure=%d", a, b);
        CHECK_EQ_INT(ipc_handover_env_parse(value, links, 1, &n, NULL), -EINVAL);

        close(a);
        close(b);
        close(sa);
        close(sb);
        close(kosd);
        close(service);
}

TEST(env_parse_rejects_malformed_values_and_wrong_fds) {
        static const char *const bad[] = {
                "core",         "=3",          "core=",       "core=3x",     "core=12345678",
                "co re=3",      "=4,core=3",   "a\nb=3",      "core=-3",     "core==3",
        };
        IpcHandoverLink links[4];
        size_t n = 99;
        int pipefd[2];
        char value[64];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (ipc_handover_env_parse(bad[i], links, ELEMENTSOF(links), &n, NULL) != -EINVAL)
                        TEST_FAIL("accepted \"%s\"", bad[i]);
        CHECK_EQ_INT(n, 99);

        /* A closed fd, and an open fd that is no SOCK_SEQPACKET socket. */
        CHECK_EQ_INT(ipc_handover_env_parse("core=999", links, ELEMENTSOF(links), &n, NULL), -EBADF);
        CHECK(pipe(pipefd) == 0);
        snprintf(value, sizeof(value), "core=%d", pipefd[0]);
        CHECK_EQ_INT(ipc_handover_env_parse(value, links, ELEMENTSOF(links), &n, NULL), -EBADF);
        CHECK_EQ_INT(n, 99);
        close(pipefd[0]);
        close(pipefd[1]);
}

TEST(sealed_manifest_reads_back_and_cannot_change) {
        static const char dtb[] = "not really a dtb, but bytes all the same";
        _cleanup_free_ char *back = NULL;
        size_t size = 0;
        int fd, plain;

        CHECK_OK(ipc_handover_seal(dtb, sizeof(dtb), &fd));
        CHECK_OK(ipc_handover_read_sealed(fd, 4096, &back, &size));
        CHECK_EQ_INT(size, sizeof(dtb));
        CHECK(memcmp(back, dtb, size) == 0);
        /* Nobody can change it: not write, not grow, not shrink, not unseal. */
        CHECK(pwrite(fd, "X", 1, 0) < 0 && errno == EPERM);
        CHECK(ftruncate(fd, 1) < 0 && errno == EPERM);
        CHECK(ftruncate(fd, 10000) < 0 && errno == EPERM);
        CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0 && errno == EPERM);
        /* Reads never move a shared offset: a second read gives the same. */
        free(back);
        back = NULL;
        CHECK_OK(ipc_handover_read_sealed(fd, 4096, &back, &size));
        CHECK_EQ_INT(size, sizeof(dtb));
        CHECK_EQ_INT(ipc_handover_read_sealed(fd, 8, &back, &size), -EFBIG);
        close(fd);

        /* An fd whose bytes could change under the reader is refused. */
        plain = memfd_create("plain", MFD_CLOEXEC);
        CHECK(plain >= 0);
        CHECK(write(plain, dtb, sizeof(dtb)) == (ssize_t)sizeof(dtb));
        CHECK_EQ_INT(ipc_handover_read_sealed(plain, 4096, &back, &size), -EPERM);
        close(plain);
}

/* Each refusal says which entry is wrong and why, in one printable line. */
TEST(env_parse_says_why_a_value_is_malformed) {
        IpcHandoverLink links[2];
        IpcHandoverEnvError err;
        size_t n = 99;
        int pipefd[2], a, b;
        char value[64];

#define CHECK_WHY(v, code, why)                                                           \
        do {                                                                              \
                CHECK_EQ_INT(ipc_handover_env_parse(v, links, ELEMENTSOF(links), &n, &err), code); \
                CHECK_EQ_STR(err.message, why);                                           \
        } while (0)

        CHECK_WHY("garbage", -EINVAL, "entry 1 \"garbage\": expected NAME=FD");
        CHECK_WHY("core=notanumber", -EINVAL, "entry 1 \"core=notanumber\": FD is not a number");
        CHECK_WHY("core=", -EINVAL, "entry 1 \"core=\": FD is not a number");
        CHECK_WHY("core=12345678", -EINVAL, "entry 1 \"core=12345678\": FD is not a number");
        CHECK_WHY("co re=3", -EINVAL, "entry 1 \"co re=3\": invalid server name");
        CHECK_WHY("a\nb=3", -EINVAL, "entry 1: invalid server name");
        CHECK_WHY("core=999", -EBADF, "entry 1 \"core=999\": descriptor 999 is not open");
        CHECK(pipe(pipefd) == 0);
        snprintf(value, sizeof(value), "core=%d", pipefd[0]);
        CHECK_EQ_INT(ipc_handover_env_parse(value, links, ELEMENTSOF(links), &n, &err), -EBADF);
        CHECK(strstr(err.message, "is not a message server connection (not a SOCK_SEQPACKET socket)"));
        close(pipefd[0]);
        close(pipefd[1]);

        CHECK_OK(ipc_socketpair(&a, &b));
        snprintf(value, sizeof(value), "core=%d,core=%d", a, b);
        CHECK_EQ_INT(ipc_handover_env_parse(value, links, ELEMENTSOF(links), &n, &err), -EINVAL);
        CHECK(strstr(err.message, "entry 2 ") && strstr(err.message, ": server \"core\" named twice"));
        snprintf(value, sizeof(value), "x=%d,y=%d,z=%d", a, b, a);
        CHECK_WHY(value, -EINVAL, "more than 2 entries");
        CHECK_EQ_INT(n, 99);
        close(a);
        close(b);
#undef CHECK_WHY
}

TEST_MAIN()
