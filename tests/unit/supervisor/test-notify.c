// SPDX-License-Identifier: Apache-2.0
/* NOTIFY_SOCKET messages: READY=1 and STATUS= are understood, everything else ignored. */
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
        CHECK_EQ_INT(notify_socket_drain(fd, &m), 0);
        c = socket(AF_UNIX, SOCK_DGRAM, 0);
        CHECK(sendto(c, "STATUS=a", 8, 0, (struct sockaddr *)&sa, sizeof(sa)) == 8);
        CHECK(sendto(c, "READY=1", 7, 0, (struct sockaddr *)&sa, sizeof(sa)) == 7);
        CHECK_EQ_INT(notify_socket_drain(fd, &m), 2);
        CHECK(m.ready);
        CHECK_EQ_STR(m.status, "a");
        close(c);
        close(fd);
        unlink(sa.sun_path);
        rmdir(path);
}

TEST_MAIN()
