// SPDX-License-Identifier: Apache-2.0
/*
 * The message server core, driven in-process: raw frames in on app sockets, dispatch,
 * answers read back. Proves the directory rules, denials, the per-app bounds and that a
 * malformed frame closes only its own connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/frame.h"
#include "msg/server.h"
#include "msg/wire.h"
#include "msg-test.h"
#include "test.h"

/*
 * Matrix: "pub" and "rival" publish "echo", "cli" looks it up; "many.*" free for "pub";
 * "own.APP" published by APP and looked up by "cli"; "loop" published and looked up by "self".
 */
static bool t_has_app(void *u, const char *app) {
        return strcmp(app, "stranger") != 0;
}

static bool t_may_publish(void *u, const char *protocol, const char *app) {
        if (strncmp(protocol, "many.", 5) == 0)
                return strcmp(app, "pub") == 0;
        if (strncmp(protocol, "own.", 4) == 0)
                return strcmp(protocol + 4, app) == 0;
        if (strcmp(protocol, "loop") == 0)
                return strcmp(app, "self") == 0;
        return strcmp(protocol, "echo") == 0 && (strcmp(app, "pub") == 0 || strcmp(app, "rival") == 0);
}

static bool t_may_lookup(void *u, const char *protocol, const char *app) {
        if (strcmp(protocol, "loop") == 0)
                return strcmp(app, "self") == 0;
        return (strcmp(protocol, "echo") == 0 || strcmp(protocol, "later") == 0 ||
                strncmp(protocol, "own.", 4) == 0) &&
               strcmp(app, "cli") == 0;
}

static const MsgPolicy t_policy = { t_has_app, t_may_publish, t_may_lookup, NULL };

/* Connects app to s; returns the app's end. */
static int t_connect(MsgServer *s, const char *app) {
        int pair[2];
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
        CHECK_OK(msg_server_add_connection(s, app, pair[0], NULL));
        return pair[1];
}

static void t_pump(MsgServer *s) {
        for (int i = 0; i < 4; i++)
                CHECK(msg_server_dispatch(s, 0) >= 0);
}

static void t_request(int fd, MsgFrameType type, uint32_t serial, const char *name) {
        MsgHeader h;
        msg_header_init(&h, type, serial, 0, strlen(name), false);
        CHECK_OK(msg_frame_send(fd, &h, name, -1, 0));
}

/* Reads the next frame on fd (of a type in accept); returns its status, *fdp its fd. */
static MsgFrame t_read(int fd, uint32_t accept, int *fdp) {
        static uint8_t buf[MSG_FRAME_MAX];
        MsgFrame f;
        int got = -1;
        ssize_t n = ipc_frame_receive(fd, buf, sizeof(buf), MSG_DONTWAIT, &got);
        CHECK(n > 0);
        CHECK_OK(msg_frame_parse(buf, (size_t)n, got >= 0, accept, &f));
        if (fdp)
                *fdp = got;
        else if (got >= 0)
                close(got);
        return f;
}

static uint32_t t_call(MsgServer *s, int fd, MsgFrameType type, const char *name, int *fdp) {
        static uint32_t serial = 100;
        t_request(fd, type, ++serial, name);
        t_pump(s);
        MsgFrame f = t_read(fd, MSG_ACCEPT(MSG_FRAME_RESULT), fdp);
        CHECK_EQ_INT(f.header.serial, serial);
        return f.header.status;
}

static bool t_is_closed(int fd) {
        char b[64];
        return recv(fd, b, sizeof(b), MSG_DONTWAIT) == 0;
}

/* A server for instance "core" with apps "pub", "cli" and a third one connected. */
typedef struct TStage {
        MsgServer *s;
        int pub, cli, third; /* the apps' ends */
} TStage;

static TStage t_stage_start(const char *third) {
        TStage st = { NULL, -1, -1, -1 };
        CHECK_OK(msg_server_new(&st.s, "core", &t_policy));
        st.pub = t_connect(st.s, "pub");
        st.cli = t_connect(st.s, "cli");
        st.third = t_connect(st.s, third);
        return st;
}

static void t_stage_stop(TStage *st) {
        close(st->pub);
        close(st->cli);
        close(st->third);
        msg_server_free(st->s);
}

TEST(publish_lookup_grant) {
        _cleanup_(t_stage_stop) TStage st = t_stage_start("rival");
        MsgServer *s = st.s;
        int pub = st.pub, cli = st.cli, rival = st.third;

        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        /* Publishing again from the same app is fine; another app may not take it. */
        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        CHECK_EQ_INT(t_call(s, rival, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_EXISTS);
        CHECK_EQ_INT(msg_server_n_names(s), 1);

        int chan_cli = -1, chan_pub = -1;
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "echo", &chan_cli), MSG_STATUS_OK);
        CHECK(chan_cli >= 0);
        MsgFrame ev = t_read(pub, MSG_ACCEPT(MSG_FRAME_CHANNEL), &chan_pub);
        CHECK_EQ_STR(ev.name, "echo");
        CHECK_EQ_STR(ev.peer, "cli");
        CHECK(chan_pub >= 0);

        /* The two ends are one direct channel: the server is not in between. */
        CHECK(send(chan_cli, "ping", 4, 0) == 4);
        char b[8] = { 0 };
        CHECK(recv(chan_pub, b, sizeof(b), 0) == 4);
        CHECK_EQ_STR(b, "ping");
        close(chan_cli);
        close(chan_pub);
}

TEST(denials_and_not_found) {
        _cleanup_(t_stage_stop) TStage st = t_stage_start("other");
        MsgServer *s = st.s;
        int pub = st.pub, cli = st.cli, other = st.third;

        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_DENIED);
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "later", NULL), MSG_STATUS_NOT_FOUND);
        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        /* Denied even though it exists: the answer does not reveal that. */
        CHECK_EQ_INT(t_call(s, other, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_DENIED);
        CHECK_EQ_INT(t_call(s, other, MSG_FRAME_LOOKUP, "nosuch", NULL), MSG_STATUS_DENIED);
        /* Nothing was queued to the publisher for denied lookups. */
        char b[64];
        CHECK(recv(pub, b, sizeof(b), MSG_DONTWAIT) < 0 && errno == EAGAIN);
}

TEST(unknown_app_refused) {
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        int pair[2];
        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
        CHECK_EQ_INT(msg_server_add_connection(s, "stranger", pair[0], NULL), -EPERM);
        CHECK(t_is_closed(pair[1]));
        close(pair[1]);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
        CHECK_EQ_INT(msg_server_add_connection(s, "pub", pair[0], NULL), -ENOTSOCK);
        close(pair[1]);
        CHECK_EQ_INT(msg_server_n_connections(s), 0);
}

TEST(malformed_frame_closes_only_that_connection) {
        _cleanup_(t_stage_stop) TStage st = t_stage_start("rival");
        MsgServer *s = st.s;
        int pub = st.pub, cli = st.cli, rival = st.third;

        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        /* Bad version, then a channel frame an app may not send, then a bad name. */
        CHECK(send(cli, "\x02\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, 0) == 16);
        t_pump(s);
        CHECK(t_is_closed(cli));
        MsgHeader h;
        msg_header_init(&h, MSG_FRAME_CALL, 1, 0, 0, false);
        CHECK_OK(msg_frame_send(rival, &h, NULL, -1, 0));
        t_pump(s);
        CHECK(t_is_closed(rival));
        CHECK_EQ_INT(msg_server_n_connections(s), 1);
        /* The publisher and its name are untouched. */
        CHECK_EQ_INT(msg_server_n_names(s), 1);
        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);

        _cleanup_close_ int cli2 = t_connect(s, "cli");
        t_request(cli2, MSG_FRAME_LOOKUP, 7, "bad/name");
        t_pump(s);
        CHECK(t_is_closed(cli2));
        CHECK_EQ_INT(msg_server_n_connections(s), 1);
}

/* A zero-length message is a malformed frame, not a hang-up; a real hang-up still is one. */
TEST(zero_length_frame_is_logged_as_malformed) {
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        MsgTestLog log;
        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        int cli = t_connect(s, "cli"), pub = t_connect(s, "pub");

        CHECK_OK(msg_test_log_begin(&log));
        CHECK(send(cli, "", 0, 0) == 0);
        t_pump(s);
        close(pub);
        t_pump(s);
        _cleanup_free_ char *text = msg_test_log_end(&log);
        CHECK(t_is_closed(cli));
        close(cli);
        CHECK_EQ_INT(msg_server_n_connections(s), 0);
        CHECK_EQ_INT(msg_test_count_lines(text, "app \"cli\": connection closed: malformed frame"), 1);
        CHECK_EQ_INT(msg_test_count_lines(text, "app \"pub\": connection closed: app hung up"), 1);
        CHECK_EQ_INT(msg_test_count_lines(text, "hung up"), 1);
}

TEST(publisher_death_unpublishes) {
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        int pub = t_connect(s, "pub");
        _cleanup_close_ int cli = t_connect(s, "cli");

        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        close(pub);
        t_pump(s);
        CHECK_EQ_INT(msg_server_n_names(s), 0);
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_NOT_FOUND);
        /* The restarted publisher gets a new connection and publishes again. */
        _cleanup_close_ int pub2 = t_connect(s, "pub");
        CHECK_EQ_INT(t_call(s, pub2, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_OK);
}

TEST(new_connection_supersedes_old) {
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        _cleanup_close_ int pub = t_connect(s, "pub");
        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        /* kosd restarted the app before the server saw the old one go. */
        _cleanup_close_ int pub2 = t_connect(s, "pub");
        t_pump(s);
        CHECK(t_is_closed(pub));
        CHECK_EQ_INT(msg_server_n_connections(s), 1);
        CHECK_EQ_INT(t_call(s, pub2, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
}

TEST(limits) {
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        _cleanup_close_ int pub = t_connect(s, "pub");
        _cleanup_close_ int cli = t_connect(s, "cli");
        char name[32];

        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        for (int i = 1; i < MSG_SERVER_NAMES_MAX; i++) {
                snprintf(name, sizeof(name), "many.%d", i);
                CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, name, NULL), MSG_STATUS_OK);
        }
        CHECK_EQ_INT(t_call(s, pub, MSG_FRAME_PUBLISH, "many.last", NULL), MSG_STATUS_LIMIT);

        for (int i = 0; i < MSG_SERVER_CHANNELS_PER_PEER; i++)
                CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_OK);
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_LIMIT);

        /* The publisher reports a channel closed: one more may open, and no more. Reports of
         * ids it does not hold change nothing. */
        MsgFrame ev = t_read(pub, MSG_ACCEPT(MSG_FRAME_CHANNEL), NULL);
        MsgHeader h;
        msg_header_init(&h, MSG_FRAME_CLOSED, ev.header.serial + 1000, 0, 0, false);
        CHECK_OK(msg_frame_send(pub, &h, NULL, -1, 0));
        t_pump(s);
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_LIMIT);
        msg_header_init(&h, MSG_FRAME_CLOSED, ev.header.serial, 0, 0, false);
        CHECK_OK(msg_frame_send(cli, &h, NULL, -1, 0)); /* not the client's to report */
        CHECK_OK(msg_frame_send(pub, &h, NULL, -1, 0));
        CHECK_OK(msg_frame_send(pub, &h, NULL, -1, 0)); /* twice counts once */
        t_pump(s);
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_OK);
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_LIMIT);
}

TEST(control_connection) {
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        int control[2], app[2];
        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) == 0);
        CHECK_OK(msg_server_set_control(s, control[0]));
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, app) == 0);

        /* kosd's message: the app name, the connection in SCM_RIGHTS. */
        CHECK_OK(msg_test_send_connection(control[1], "pub", 3, app[0]));
        close(app[0]);
        /* A message without a descriptor is ignored, not fatal. */
        CHECK(send(control[1], "cli", 3, 0) == 3);
        t_pump(s);
        CHECK_EQ_INT(msg_server_n_connections(s), 1);
        CHECK_EQ_INT(t_call(s, app[1], MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);

        close(control[1]);
        CHECK_EQ_INT(msg_server_dispatch(s, 100), 1);
        close(app[1]);
}

TEST(control_connection_bad_messages) {
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        int control[2], app[2];
        char name[200];
        MsgTestLog log;
        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) == 0);
        CHECK_OK(msg_server_set_control(s, control[0]));
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, app) == 0);

        CHECK_OK(msg_test_log_begin(&log));
        /* A name that fills the receive buffer to the last byte, one longer than any, a
         * name with a control character, and a message with two descriptors: each is
         * refused or ignored, none ends the control connection. */
        memset(name, 'a', sizeof(name));
        CHECK_OK(msg_test_send_connection(control[1], name, KOS_MSG_NAME_MAX + 2, app[0]));
        CHECK_OK(msg_test_send_connection(control[1], name, sizeof(name), app[0]));
        CHECK_OK(msg_test_send_connection(control[1], "pu\nb\x1b[2J", 9, app[0]));
        int two[2] = { app[0], app[0] };
        struct iovec iov = { .iov_base = "pub", .iov_len = 3 };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(2 * sizeof(int))];
        } cbuf = { 0 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
                             .msg_controllen = sizeof(cbuf.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        *c = (struct cmsghdr){ .cmsg_len = CMSG_LEN(sizeof(two)), .cmsg_level = SOL_SOCKET,
                               .cmsg_type = SCM_RIGHTS };
        memcpy(CMSG_DATA(c), two, sizeof(two));
        CHECK(sendmsg(control[1], &mh, 0) == 3);
        t_pump(s);
        _cleanup_free_ char *text = msg_test_log_end(&log);
        CHECK_EQ_INT(msg_server_n_connections(s), 0);
        /* The bad name is logged escaped, on its one line. */
        CHECK(strstr(text, "\"pu\\x0ab\\x1b[2J\"") != NULL);
        CHECK(strstr(text, "\x1b") == NULL);
        CHECK_EQ_INT(msg_test_count_lines(text, "malformed message ignored"), 2);

        /* The control connection still works. */
        CHECK_OK(msg_test_send_connection(control[1], "pub", 3, app[0]));
        close(app[0]);
        t_pump(s);
        CHECK_EQ_INT(msg_server_n_connections(s), 1);
        CHECK_EQ_INT(t_call(s, app[1], MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        close(control[1]);
        close(app[1]);
}

TEST(request_logging_is_rate_limited) {
        _cleanup_(t_stage_stop) TStage st = t_stage_start("other");
        MsgTestLog log;

        CHECK_OK(msg_test_log_begin(&log));
        for (int i = 0; i < 100; i++)
                CHECK_EQ_INT(t_call(st.s, st.third, MSG_FRAME_LOOKUP, "echo", NULL), MSG_STATUS_DENIED);
        /* Granted requests count too: an app repeating them cannot flood the log either. */
        for (int i = 0; i < 100; i++)
                CHECK_EQ_INT(t_call(st.s, st.pub, MSG_FRAME_PUBLISH, "echo", NULL), MSG_STATUS_OK);
        _cleanup_free_ char *text = msg_test_log_end(&log);
        CHECK_EQ_INT(msg_test_count_lines(text, "denied: app \"other\" may not look up \"echo\""), 20);
        CHECK_EQ_INT(msg_test_count_lines(text, "too many requests to log"), 1);
        CHECK_EQ_INT(msg_test_count_lines(text, "app \"pub\" publishes \"echo\""), 1);
}

/* Takes every free descriptor below a lowered limit, so socketpair() fails; undone by t_fds_free. */
typedef struct TFds {
        struct rlimit saved;
        int fds[512];
        int n;
} TFds;

static void t_fds_exhaust(TFds *t) {
        CHECK(getrlimit(RLIMIT_NOFILE, &t->saved) == 0);
        struct rlimit low = { .rlim_cur = 512, .rlim_max = t->saved.rlim_max };
        CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
        for (t->n = 0; t->n < 512; t->n++) {
                t->fds[t->n] = fcntl(0, F_DUPFD_CLOEXEC, 0);
                if (t->fds[t->n] < 0)
                        break;
        }
        CHECK(t->n < 512 && errno == EMFILE);
}

static void t_fds_free(TFds *t) {
        for (int i = 0; i < t->n; i++)
                close(t->fds[i]);
        CHECK(setrlimit(RLIMIT_NOFILE, &t->saved) == 0);
}

TEST(failed_lookups_take_no_channel_slots) {
        enum { N = MSG_SERVER_GRANT_PEERS_MAX + 1 };
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        _cleanup_close_ int cli = -1;
        int pubs[N];
        char app[32], protocol[40];
        TFds fds;

        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        cli = t_connect(s, "cli");
        for (int i = 0; i < N; i++) {
                snprintf(app, sizeof(app), "p%d", i);
                snprintf(protocol, sizeof(protocol), "own.p%d", i);
                pubs[i] = t_connect(s, app);
                CHECK_EQ_INT(t_call(s, pubs[i], MSG_FRAME_PUBLISH, protocol, NULL), MSG_STATUS_OK);
        }
        /* The server cannot make channels: every lookup is busy, and none may leave a trace
         * that counts against the client's bound of publishers. */
        t_fds_exhaust(&fds);
        for (int i = 0; i < N; i++) {
                snprintf(protocol, sizeof(protocol), "own.p%d", i);
                CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, protocol, NULL), MSG_STATUS_BUSY);
        }
        t_fds_free(&fds);
        for (int i = 0; i < MSG_SERVER_GRANT_PEERS_MAX; i++) {
                snprintf(protocol, sizeof(protocol), "own.p%d", i);
                CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, protocol, NULL), MSG_STATUS_OK);
        }
        snprintf(protocol, sizeof(protocol), "own.p%d", N - 1);
        CHECK_EQ_INT(t_call(s, cli, MSG_FRAME_LOOKUP, protocol, NULL), MSG_STATUS_LIMIT);
        for (int i = 0; i < N; i++)
                close(pubs[i]);
}

/*
 * Sends "denied" denied lookups and then granted lookups of its own name from an app whose
 * socket takes few frames, so the server's queue to it fills; returns how many RESULTs came.
 */
static int t_self_lookups(int denied, int granted) {
        _cleanup_(msg_server_freep) MsgServer *s = NULL;
        static uint8_t buf[MSG_FRAME_MAX];
        int pair[2], small = 1, results = 0;

        CHECK_OK(msg_server_new(&s, "core", &t_policy));
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
        CHECK(setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
        CHECK_OK(msg_server_add_connection(s, "self", pair[0], NULL));
        _cleanup_close_ int self = pair[1];
        CHECK_EQ_INT(t_call(s, self, MSG_FRAME_PUBLISH, "loop", NULL), MSG_STATUS_OK);
        for (int i = 0; i < denied; i++)
                t_request(self, MSG_FRAME_LOOKUP, 1, "echo");
        for (int i = 0; i < granted; i++)
                t_request(self, MSG_FRAME_LOOKUP, 2, "loop");
        for (int idle = 0; idle < 4;) {
                t_pump(s);
                int fd = -1;
                ssize_t n = ipc_frame_receive(self, buf, sizeof(buf), MSG_DONTWAIT, &fd);
                if (n < 0) {
                        idle++;
                        continue;
                }
                idle = 0;
                MsgFrame f;
                CHECK_OK(msg_frame_parse(buf, (size_t)n, fd >= 0, MSG_ACCEPT_APP_CONTROL, &f));
                results += f.header.type == MSG_FRAME_RESULT;
                if (fd >= 0)
                        close(fd);
        }
        return results;
}

TEST(self_lookup_answers_every_request) {
        /* Whatever the socket takes, one of these fills the queue to one free slot before
         * a lookup whose CHANNEL and RESULT both go to the same app. */
        for (int denied = 0; denied < 40; denied++)
                CHECK_EQ_INT(t_self_lookups(denied, MSG_SERVER_CHANNELS_PER_PEER), denied + MSG_SERVER_CHANNELS_PER_PEER);
}

TEST_MAIN()
