// SPDX-License-Identifier: Apache-2.0
/*
 * The client library against a real server core in a child process, with a real publisher
 * app in another: calls of 64 B to 64 KiB, fd passing, one-way sends, timeouts, a publisher
 * that dies mid-call, two instances with the same protocol name, and an app with no server.
 * The test process plays kosd: it makes each app's connection and hands it over.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kos/msg.h"
#include "msg/channel.h"
#include "msg/client.h"
#include "msg/server.h"
#include "msg/wire.h"
#include "msg-test.h"
#include "test.h"

static bool t_has_app(void *u, const char *app) {
        return true;
}
static bool t_may_publish(void *u, const char *protocol, const char *app) {
        return strcmp(protocol, "echo") == 0 && (strcmp(app, "pub") == 0 || strcmp(app, "pub2") == 0);
}
static bool t_may_lookup(void *u, const char *protocol, const char *app) {
        return strcmp(protocol, "echo") == 0 && strcmp(app, "cli") == 0;
}
static const MsgPolicy t_policy = { t_has_app, t_may_publish, t_may_lookup, NULL };

typedef struct TServer {
        pid_t pid;
        int control; /* kosd's end */
} TServer;

static TServer t_server_start(const char *instance) {
        int control[2];
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) == 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                MsgServer *s = NULL;
                /* Hold no other app's or server's descriptors, as a real server would not. */
                for (int fd = 3; fd < 1024; fd++)
                        if (fd != control[0])
                                close(fd);
                if (msg_server_new(&s, instance, &t_policy) < 0 || msg_server_set_control(s, control[0]) < 0)
                        _exit(1);
                int r = msg_server_run(s);
                msg_server_free(s);
                _exit(r < 0 ? 1 : 0);
        }
        close(control[0]);
        return (TServer){ pid, control[1] };
}

static void t_server_stop(TServer *t) {
        int status;
        close(t->control);
        CHECK(waitpid(t->pid, &status, 0) == t->pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Plays kosd: makes app's connection to t and returns the app's end. */
static int t_connect(TServer *t, const char *app) {
        int pair[2];
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) == 0);
        CHECK_OK(msg_test_send_connection(t->control, app, strlen(app), pair[0]));
        close(pair[0]);
        return pair[1];
}

/* Becomes the app whose connections are fds (names[i]=fds[i]). */
static void t_become(unsigned n, const char *const *names, const int *fds) {
        char spec[256] = "";
        for (unsigned i = 0; i < n; i++)
                snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), "%s%s=%d", i ? "," : "", names[i],
                         fds[i]);
        if (n == 0)
                unsetenv("KOS_MSG_SERVERS");
        else
                setenv("KOS_MSG_SERVERS", spec, 1);
        msg_client_reset();
}

/* Publisher: "sleep" waits a second; "peer" answers the caller's app name; "tag" the
 * instance; otherwise echoes data and fd. */
static int t_handler(KosMsgChannel *ch, const KosMsgMessage *m, void *userdata) {
        const char *tag = userdata;
        if (m->one_way) {
                if (m->fd >= 0)
                        close(m->fd);
                return 0;
        }
        int r;
        if (m->size == 5 && memcmp(m->data, "sleep", 5) == 0) {
                sleep(1);
                r = kos_msg_reply(ch, m, 0, "late", 4, -1);
        } else if (m->size == 4 && memcmp(m->data, "peer", 4) == 0)
                r = kos_msg_reply(ch, m, 0, kos_msg_channel_peer(ch), strlen(kos_msg_channel_peer(ch)), -1);
        else if (m->size == 3 && memcmp(m->data, "tag", 3) == 0)
                r = kos_msg_reply(ch, m, 0, tag, strlen(tag), -1);
        else if (m->size == 4 && memcmp(m->data, "fail", 4) == 0)
                r = kos_msg_reply(ch, m, 42, NULL, 0, -1);
        else
                r = kos_msg_reply(ch, m, 0, m->data, m->size, m->fd);
        if (m->fd >= 0)
                close(m->fd);
        return r;
}

static pid_t t_publisher_start(TServer *t, const char *app, const char *instance, const char *tag) {
        int conn = t_connect(t, app);
        int ready[2];
        CHECK(pipe(ready) == 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                close(ready[0]);
                t_become(1, &instance, &conn);
                if (kos_msg_publish("echo") < 0)
                        _exit(1);
                (void)!write(ready[1], "x", 1);
                close(ready[1]);
                _exit(kos_msg_serve(t_handler, (void *)tag) == -ECONNRESET ? 0 : 1);
        }
        close(conn);
        close(ready[1]);
        char b;
        CHECK(read(ready[0], &b, 1) == 1);
        close(ready[0]);
        return pid;
}

static void t_kill(pid_t pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static long t_ms_since(const struct timespec *a) {
        struct timespec b;
        clock_gettime(CLOCK_MONOTONIC, &b);
        return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* The usual stage: instance "core", the echo publisher "pub" on it, this process as "cli". */
typedef struct TStage {
        TServer server;
        pid_t pub;
        int conn; /* this process's connection */
} TStage;

static TStage t_stage_start(void) {
        static const char *const name = "core";
        TStage st = { .server = t_server_start("core") };
        st.pub = t_publisher_start(&st.server, "pub", "core", "core");
        st.conn = t_connect(&st.server, "cli");
        t_become(1, &name, &st.conn);
        return st;
}

static void t_stage_stop(TStage *st) {
        close(st->conn);
        t_kill(st->pub);
        t_server_stop(&st->server);
}

TEST(call_roundtrip) {
        TStage st = t_stage_start();
        KosMsgChannel *ch = NULL;
        KosMsgMessage reply;
        CHECK_OK(kos_msg_lookup("echo", 1000, &ch));
        CHECK_EQ_STR(kos_msg_channel_peer(ch), "pub");
        CHECK_EQ_STR(kos_msg_channel_protocol(ch), "echo");

        CHECK_OK(kos_msg_call(ch, "peer", 4, -1, 1000, &reply));
        CHECK(reply.size == 3 && memcmp(reply.data, "cli", 3) == 0);

        static char big[KOS_MSG_MAX_PAYLOAD + 1];
        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (char)(i * 7);
        size_t sizes[] = { 0, 64, 4096, KOS_MSG_MAX_PAYLOAD };
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                CHECK_OK(kos_msg_call(ch, big, sizes[i], -1, 1000, &reply));
                CHECK_EQ_INT(reply.size, sizes[i]);
                CHECK(memcmp(reply.data, big, sizes[i]) == 0);
                CHECK_EQ_INT(reply.fd, -1);
                CHECK_EQ_INT(reply.status, 0);
        }
        CHECK_EQ_INT(kos_msg_call(ch, big, sizeof(big), -1, 1000, &reply), -EMSGSIZE);

        /* One fd goes there and comes back: the same open file. */
        int p[2];
        struct stat a, b;
        CHECK(pipe(p) == 0);
        CHECK_OK(kos_msg_call(ch, "fd", 2, p[0], 1000, &reply));
        CHECK(reply.fd >= 0);
        CHECK(fstat(p[0], &a) == 0 && fstat(reply.fd, &b) == 0);
        CHECK(a.st_ino == b.st_ino);
        close(reply.fd);
        close(p[0]);
        close(p[1]);

        /* One-way messages need no answer; the next call still pairs with its reply. */
        for (int i = 0; i < 10; i++)
                CHECK_OK(kos_msg_send(ch, "note", 4, -1));
        CHECK_OK(kos_msg_call(ch, "fail", 4, -1, 1000, &reply));
        CHECK_EQ_INT(reply.status, 42);

        kos_msg_channel_free(ch);
        t_stage_stop(&st);
}

TEST(timeout_then_dead_publisher) {
        TStage st = t_stage_start();
        KosMsgChannel *ch = NULL;
        KosMsgMessage reply;
        struct timespec start;

        CHECK_OK(kos_msg_lookup("echo", 1000, &ch));
        clock_gettime(CLOCK_MONOTONIC, &start);
        CHECK_EQ_INT(kos_msg_call(ch, "sleep", 5, -1, 100, &reply), -ETIMEDOUT);
        CHECK(t_ms_since(&start) < 900);
        /* The late reply to the timed-out call is not taken for this one's. */
        CHECK_OK(kos_msg_call(ch, "abc", 3, -1, 3000, &reply));
        CHECK(reply.size == 3 && memcmp(reply.data, "abc", 3) == 0);

        /* The publisher dies in the middle of a call: an error at once, not the timeout. */
        CHECK_OK(kos_msg_send(ch, "note", 4, -1));
        pid_t killer = fork();
        if (killer == 0) {
                usleep(100 * 1000);
                kill(st.pub, SIGKILL);
                _exit(0);
        }
        clock_gettime(CLOCK_MONOTONIC, &start);
        CHECK_EQ_INT(kos_msg_call(ch, "sleep", 5, -1, 10000, &reply), -ECONNRESET);
        CHECK(t_ms_since(&start) < 5000);
        waitpid(killer, NULL, 0);
        waitpid(st.pub, NULL, 0);
        CHECK_EQ_INT(kos_msg_call(ch, "abc", 3, -1, 1000, &reply), -ECONNRESET);
        kos_msg_channel_free(ch);

        /* Its name went with it; a restarted publisher serves again. */
        CHECK_EQ_INT(kos_msg_lookup("echo", 0, &ch), -ENOENT);
        st.pub = t_publisher_start(&st.server, "pub", "core", "core");
        CHECK_OK(kos_msg_lookup("echo", 2000, &ch));
        CHECK_OK(kos_msg_call(ch, "abc", 3, -1, 1000, &reply));
        kos_msg_channel_free(ch);
        t_stage_stop(&st);
}

TEST(denied_and_no_server) {
        TServer t = t_server_start("core");
        pid_t pub = t_publisher_start(&t, "pub", "core", "core");
        const char *name = "core";
        KosMsgChannel *ch = NULL;
        int conn = t_connect(&t, "other");
        t_become(1, &name, &conn);

        CHECK_EQ_INT(kos_msg_lookup("echo", 1000, &ch), -EACCES);
        CHECK_EQ_INT(kos_msg_publish("echo"), -EACCES);
        CHECK_EQ_INT(kos_msg_set_active_server("secure"), -ENXIO);
        close(conn);

        /* An app without message servers has nothing to reach. */
        t_become(0, NULL, NULL);
        CHECK_EQ_INT(kos_msg_server_count(), 0);
        CHECK_EQ_INT(kos_msg_lookup("echo", 0, &ch), -ENXIO);
        CHECK_EQ_INT(kos_msg_publish("echo"), -ENXIO);
        /* A variable naming a descriptor that is no message server connection is refused. */
        setenv("KOS_MSG_SERVERS", "core=0", 1);
        msg_client_reset();
        CHECK_EQ_INT(kos_msg_lookup("echo", 0, &ch), -EINVAL);
        CHECK_EQ_STR(kos_msg_servers_error(), "KOS_MSG_SERVERS is malformed: entry 1 \"core=0\": descriptor 0 "
                                              "is not a message server connection (not a SOCK_SEQPACKET socket)");
        CHECK_EQ_INT(kos_msg_server_count(), 0);
        setenv("KOS_MSG_SERVERS", "", 1);
        msg_client_reset();
        CHECK(kos_msg_servers_error() == NULL);

        t_kill(pub);
        t_server_stop(&t);
}

TEST(two_instances_same_name) {
        TServer core = t_server_start("core"), secure = t_server_start("secure");
        pid_t pub = t_publisher_start(&core, "pub", "core", "from-core");
        pid_t pub2 = t_publisher_start(&secure, "pub2", "secure", "from-secure");
        const char *names[] = { "core", "secure" };
        int conns[] = { t_connect(&core, "cli"), t_connect(&secure, "cli") };
        t_become(2, names, conns);
        KosMsgChannel *ch = NULL;
        KosMsgMessage reply;
        unsigned id;

        CHECK_EQ_INT(kos_msg_server_count(), 2);
        CHECK_EQ_STR(kos_msg_server_name(1), "secure");
        CHECK_OK(kos_msg_find_server_id("secure", &id));
        CHECK_EQ_INT(id, 1);

        /* The first instance is the default. */
        CHECK_OK(kos_msg_lookup("echo", 1000, &ch));
        CHECK_EQ_STR(kos_msg_channel_peer(ch), "pub");
        CHECK_OK(kos_msg_call(ch, "tag", 3, -1, 1000, &reply));
        CHECK(reply.size == 9 && memcmp(reply.data, "from-core", 9) == 0);
        kos_msg_channel_free(ch);

        CHECK_OK(kos_msg_set_active_server_id(1));
        CHECK_OK(kos_msg_lookup("echo", 1000, &ch));
        CHECK_EQ_STR(kos_msg_channel_peer(ch), "pub2");
        CHECK_OK(kos_msg_call(ch, "tag", 3, -1, 1000, &reply));
        CHECK(reply.size == 11 && memcmp(reply.data, "from-secure", 11) == 0);
        kos_msg_channel_free(ch);
        CHECK_EQ_INT(kos_msg_set_active_server_id(2), -ENXIO);

        close(conns[0]);
        close(conns[1]);
        t_kill(pub);
        t_kill(pub2);
        t_server_stop(&core);
        t_server_stop(&secure);
}

TEST(lookup_times_out_when_the_server_does_not_answer) {
        const char *name = "core";
        int pair[2];
        struct timespec start;
        KosMsgChannel *ch = NULL;

        /* A server that holds the connection but never answers: the timeout still holds. */
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) == 0);
        t_become(1, &name, &pair[1]);
        alarm(20); /* a hang fails the test instead of stalling it */
        clock_gettime(CLOCK_MONOTONIC, &start);
        CHECK_EQ_INT(kos_msg_lookup("echo", 200, &ch), -ETIMEDOUT);
        CHECK(t_ms_since(&start) < 3000);
        CHECK_EQ_INT(kos_msg_lookup("echo", 0, &ch), -ETIMEDOUT);
        CHECK(t_ms_since(&start) < 5000);
        alarm(0);
        close(pair[0]);
        close(pair[1]);
}

/* Sends raw frames of size bytes on fd without waiting until the socket is full. */
static int t_fill(int fd, MsgFrameType type, size_t size) {
        static char big[KOS_MSG_MAX_PAYLOAD];
        MsgHeader h;
        int sent = 0;
        msg_header_init(&h, type, 7, 0, size, false);
        while (msg_frame_send(fd, &h, big, -1, MSG_DONTWAIT) == 0)
                sent++;
        return sent;
}

TEST(call_times_out_while_the_publisher_reads_nothing) {
        TStage st = t_stage_start();
        static char big[KOS_MSG_MAX_PAYLOAD];
        KosMsgChannel *ch = NULL;
        KosMsgMessage reply;
        struct timespec start;

        CHECK_OK(kos_msg_lookup("echo", 1000, &ch));
        /* The publisher sleeps in its handler for a second while the channel fills up. */
        CHECK_EQ_INT(kos_msg_call(ch, "sleep", 5, -1, 1, &reply), -ETIMEDOUT);
        CHECK(t_fill(kos_msg_channel_fd(ch), MSG_FRAME_SEND, sizeof(big)) > 0);
        alarm(20);
        clock_gettime(CLOCK_MONOTONIC, &start);
        CHECK_EQ_INT(kos_msg_call(ch, big, sizeof(big), -1, 200, &reply), -ETIMEDOUT);
        CHECK(t_ms_since(&start) < 800);
        alarm(0);
        kos_msg_channel_free(ch);
        t_stage_stop(&st);
}

TEST(a_client_that_reads_no_replies_does_not_stall_the_publisher) {
        TStage st = t_stage_start();
        KosMsgChannel *greedy = NULL, *ch = NULL;
        KosMsgMessage reply;

        CHECK_OK(kos_msg_lookup("echo", 1000, &greedy));
        /* Calls of 64 KiB whose replies are never read, until the publisher's replies have
         * filled the channel; kos_msg_serve() then gives that channel up. */
        for (int i = 0; i < 50; i++) {
                (void)t_fill(kos_msg_channel_fd(greedy), MSG_FRAME_CALL, KOS_MSG_MAX_PAYLOAD);
                usleep(10 * 1000);
        }
        CHECK_OK(kos_msg_lookup("echo", 1000, &ch));
        CHECK_OK(kos_msg_call(ch, "abc", 3, -1, 2000, &reply));
        CHECK(reply.size == 3 && memcmp(reply.data, "abc", 3) == 0);
        kos_msg_channel_free(ch);
        kos_msg_channel_free(greedy);
        t_stage_stop(&st);
}

/* A zero-length message on a channel is a malformed frame, not the publisher's end. */
TEST(zero_length_frame_on_a_channel_is_malformed) {
        KosMsgChannel *ch = NULL;
        KosMsgMessage m;
        int sv[2];

        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK_OK(msg_channel_new(sv[0], "echo", "pub", NULL, NULL, 0, &ch));
        CHECK(send(sv[1], "", 0, 0) == 0);
        CHECK_EQ_INT(kos_msg_receive(ch, 1000, &m), -EPROTO);
        ch = kos_msg_channel_free(ch);
        close(sv[1]);

        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK_OK(msg_channel_new(sv[0], "echo", "pub", NULL, NULL, 0, &ch));
        close(sv[1]);
        CHECK_EQ_INT(kos_msg_receive(ch, 1000, &m), -ECONNRESET);
        kos_msg_channel_free(ch);
}

TEST_MAIN()
