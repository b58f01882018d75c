// SPDX-License-Identifier: Apache-2.0
/* kosd's control requests and ps rows: exactly the documented forms; control_call()'s results. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor/control-protocol.h"
#include "test.h"
#include "util/cleanup.h"

static int parse(const char *s, ControlRequest *r) {
        return control_request_parse(s, strlen(s), r);
}

TEST(requests) {
        ControlRequest r;
        char buf[CONTROL_REQUEST_MAX];

        CHECK_OK(parse("ps", &r));
        CHECK_EQ_INT(r.verb, CONTROL_PS);
        CHECK_OK(parse("restart hello-phx", &r));
        CHECK_EQ_INT(r.verb, CONTROL_RESTART);
        CHECK_EQ_STR(r.name, "hello-phx");
        CHECK_OK(parse("stop kos-msgd:core", &r));
        CHECK_EQ_INT(r.verb, CONTROL_STOP);
        CHECK_EQ_INT(control_request_format(&r, buf, sizeof(buf)), 18);
        CHECK_EQ_STR(buf, "stop kos-msgd:core");
}

TEST(bad_requests) {
        ControlRequest r;
        const char *bad[] = { "", "p", "ps ", "psx", "start", "start ", "start  a", "start a b",
                              "restart\ta", "stop a\n", "kill a", "START a" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK_EQ_INT(parse(bad[i], &r), -EBADMSG);
        CHECK_EQ_INT(control_request_parse("stop a\0b", 8, &r), -EBADMSG);
        char longname[300] = "stop ";
        memset(longname + 5, 'a', 200);
        CHECK_EQ_INT(parse(longname, &r), -EBADMSG);
}

TEST(ps_rows) {
        char line[] = "tunnel\trunning\t42\t3\t1500\tserving";
        char bad[] = "tunnel\trunning\tx\t3\t1500\t";
        char short_line[] = "tunnel\trunning";
        ControlPsRow row;

        CHECK_OK(control_ps_parse_line(line, &row));
        CHECK_EQ_STR(row.name, "tunnel");
        CHECK_EQ_STR(row.state, "running");
        CHECK_EQ_INT(row.pid, 42);
        CHECK_EQ_INT(row.restarts, 3);
        CHECK_EQ_INT(row.uptime_ms, 1500);
        CHECK_EQ_STR(row.status, "serving");
        CHECK_EQ_INT(control_ps_parse_line(bad, &row), -EBADMSG);
        CHECK_EQ_INT(control_ps_parse_line(short_line, &row), -EBADMSG);
}

/* A one-shot kosd stand-in: accepts one connection, reads the request, sends reply. */
typedef struct FakeKosd {
        int listen_fd;
        const char *reply;
        char request[CONTROL_REQUEST_MAX + 1];
} FakeKosd;

static void *fake_kosd_serve(void *userdata) {
        FakeKosd *k = userdata;
        int fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        ssize_t n;

        CHECK(fd >= 0);
        n = recv(fd, k->request, CONTROL_REQUEST_MAX, 0);
        CHECK(n > 0);
        k->request[n] = '\0';
        CHECK(send(fd, k->reply, strlen(k->reply), MSG_NOSIGNAL) == (ssize_t)strlen(k->reply));
        close(fd);
        return NULL;
}

/* Runs control_call() against a fake kosd in a new run directory that answers reply. */
static int call_fake_kosd(const char *reply, const ControlRequest *req, char **bodyp, char *requestp) {
        char dir[] = "/tmp/kos-test-control.XXXXXX";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        FakeKosd k = { .reply = reply };
        pthread_t thread;
        int r;

        CHECK(mkdtemp(dir));
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, CONTROL_SOCKET_NAME);
        k.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        CHECK(k.listen_fd >= 0);
        CHECK(bind(k.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
        CHECK(listen(k.listen_fd, 1) == 0);
        CHECK(pthread_create(&thread, NULL, fake_kosd_serve, &k) == 0);
        r = control_call(dir, req, bodyp);
        CHECK(pthread_join(thread, NULL) == 0);
        strcpy(requestp, k.request);
        close(k.listen_fd);
        unlink(sa.sun_path);
        rmdir(dir);
        return r;
}

TEST(call_ok_returns_body) {
        ControlRequest req = { .verb = CONTROL_PS };
        _cleanup_free_ char *body = NULL;
        char request[CONTROL_REQUEST_MAX + 1];

        CHECK_EQ_INT(call_fake_kosd("ok\nhello\trunning\t42\t0\t1\t\n", &req, &body, request), 0);
        CHECK_EQ_STR(request, "ps");
        CHECK_EQ_STR(body, "hello\trunning\t42\t0\t1\t\n");
}

TEST(call_refused_is_a_verdict_with_message) {
        ControlRequest req = { .verb = CONTROL_STOP, .name = "tunell" };
        _cleanup_free_ char *body = NULL;
        char request[CONTROL_REQUEST_MAX + 1];

        CHECK_EQ_INT(call_fake_kosd("error\nunknown app \"tunell\"", &req, &body, request), CONTROL_E_REFUSED);
        CHECK(CONTROL_E_REFUSED > 0);
        CHECK_EQ_STR(request, "stop tunell");
        CHECK_EQ_STR(body, "unknown app \"tunell\"");
}

TEST(call_malformed_reply_leaves_body) {
        ControlRequest req = { .verb = CONTROL_PS };
        char *body = NULL;
        char request[CONTROL_REQUEST_MAX + 1];

        CHECK_EQ_INT(call_fake_kosd("maybe\n", &req, &body, request), -EBADMSG);
        CHECK(!body);
}

TEST(call_without_kosd) {
        char dir[] = "/tmp/kos-test-control.XXXXXX";
        ControlRequest req = { .verb = CONTROL_PS };
        char *body = NULL;

        CHECK(mkdtemp(dir));
        CHECK_EQ_INT(control_call(dir, &req, &body), -ENOENT);
        CHECK(!body);
        rmdir(dir);
}

TEST_MAIN()
