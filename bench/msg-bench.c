// SPDX-License-Identifier: Apache-2.0
/*
 * msg-bench: request/reply round trips of one client/server pair over
 *   raw     a SOCK_SEQPACKET socketpair, bare send/recv (the floor);
 *   kos     a KOS direct channel, set up by a real kos-msgd lookup (run as apps);
 *   dbus    a D-Bus method call through a bus daemon (libdbus, both ends).
 *
 *   msg-bench kos-serve NAME            (publisher app: echoes every call)
 *   msg-bench kos NAME SIZE CALLS       (client app; measures the floor too, in turns)
 *   msg-bench dbus-serve ADDRESS
 *   msg-bench dbus ADDRESS SIZE CALLS
 *
 * Client modes print a line per transport: "TRANSPORT SIZE p50_us p99_us calls_per_s". The kos
 * client alternates ten rounds of the floor and of the channel, so load from elsewhere on a
 * shared machine falls on both alike. Each call sends
 * SIZE bytes and gets SIZE bytes back; latencies are measured per call with
 * CLOCK_MONOTONIC after 1000 warm-up calls.
 */
#include <dbus/dbus.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kos/msg.h"

#define WARMUP 1000
#define DBUS_NAME "org.kos.MsgBench"
#define DBUS_PATH "/org/kos/MsgBench"
#define DBUS_IFACE "org.kos.MsgBench"

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

typedef int (*CallFunc)(void *ctx, const char *buf, size_t size);

/* One transport's measurements, possibly gathered over several rounds. */
typedef struct Series {
        const char *name;
        CallFunc call;
        void *ctx;
        double *lat;
        long n;
        double total_us;
} Series;

/* Makes calls round trips, appending their latencies to s. */
static int measure_round(Series *s, const char *buf, size_t size, long calls) {
        for (int i = 0; i < WARMUP; i++)
                if (s->call(s->ctx, buf, size) < 0)
                        return fprintf(stderr, "msg-bench %s: call failed in warm-up\n", s->name), -1;
        double start = now_us();
        for (long i = 0; i < calls; i++) {
                double t0 = now_us();
                if (s->call(s->ctx, buf, size) < 0)
                        return fprintf(stderr, "msg-bench %s: call failed\n", s->name), -1;
                s->lat[s->n++] = now_us() - t0;
        }
        s->total_us += now_us() - start;
        return 0;
}

static void series_print(Series *s, size_t size) {
        qsort(s->lat, (size_t)s->n, sizeof(double), cmp_double);
        printf("%s %zu %.2f %.2f %.0f\n", s->name, size, s->lat[s->n / 2], s->lat[s->n * 99 / 100],
               (double)s->n / (s->total_us / 1e6));
}

/*
 * Measures the series in turns, rounds times calls/rounds each, so a change in the
 * machine's load (it is shared) falls on all of them alike; prints one line per series.
 */
static int measure(Series *series, size_t n_series, size_t size, long calls, int rounds) {
        char *buf = malloc(size ? size : 1);
        if (!buf)
                return 1;
        memset(buf, 'k', size);
        for (size_t k = 0; k < n_series; k++) {
                series[k].lat = malloc(sizeof(double) * (size_t)calls);
                if (!series[k].lat)
                        return 1;
        }
        for (int r = 0; r < rounds; r++)
                for (size_t k = 0; k < n_series; k++)
                        if (measure_round(&series[k], buf, size, calls / rounds) < 0)
                                return 1;
        for (size_t k = 0; k < n_series; k++) {
                series_print(&series[k], size);
                free(series[k].lat);
        }
        free(buf);
        return 0;
}

/* raw socketpair */
static char raw_buf[KOS_MSG_MAX_PAYLOAD];

static int raw_call(void *ctx, const char *buf, size_t size) {
        int fd = *(int *)ctx;
        if (send(fd, buf, size, 0) != (ssize_t)size)
                return -1;
        return recv(fd, raw_buf, sizeof(raw_buf), 0) == (ssize_t)size ? 0 : -1;
}

/* Starts the floor's echo server; returns the client's end and the server's pid. */
static int raw_start(int *fdp, pid_t *pidp) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                static char b[KOS_MSG_MAX_PAYLOAD];
                close(pair[0]);
                for (;;) {
                        ssize_t n = recv(pair[1], b, sizeof(b), 0);
                        if (n <= 0 || send(pair[1], b, (size_t)n, 0) != n)
                                _exit(0);
                }
        }
        close(pair[1]);
        *fdp = pair[0];
        *pidp = pid;
        return 0;
}

/* KOS direct channel */
static int kos_call(void *ctx, const char *buf, size_t size) {
        KosMsgMessage reply;
        int r = kos_msg_call(ctx, buf, size, -1, 10000, &reply);
        return r < 0 || reply.size != size ? -1 : 0;
}

/* The KOS channel and the floor, measured in turns (10 rounds) by the same client. */
static int bench_kos(const char *name, size_t size, long calls) {
        KosMsgChannel *ch = NULL;
        int raw_fd;
        pid_t raw_pid;
        int r = kos_msg_lookup(name, 10000, &ch);
        if (r < 0)
                return fprintf(stderr, "msg-bench: lookup %s: %s\n", name, strerror(-r)), 1;
        if (raw_start(&raw_fd, &raw_pid) < 0)
                return 1;
        Series series[] = {
                { .name = "socketpair", .call = raw_call, .ctx = &raw_fd },
                { .name = "kos-channel", .call = kos_call, .ctx = ch },
        };
        r = measure(series, 2, size, calls, 10);
        kos_msg_channel_free(ch);
        close(raw_fd);
        waitpid(raw_pid, NULL, 0);
        return r;
}

static int kos_serve(const char *name) {
        int r = kos_msg_publish(name);
        if (r < 0)
                return fprintf(stderr, "msg-bench: publish %s: %s\n", name, strerror(-r)), 1;
        for (;;) {
                KosMsgChannel *ch = NULL;
                if (kos_msg_accept(-1, &ch) < 0)
                        return 0;
                for (;;) {
                        KosMsgMessage m;
                        if (kos_msg_receive(ch, -1, &m) < 0)
                                break;
                        if (kos_msg_reply(ch, &m, 0, m.data, m.size, -1) < 0)
                                break;
                }
                kos_msg_channel_free(ch);
        }
}

/* D-Bus */
static DBusConnection *dbus_connect(const char *address) {
        DBusError err;
        dbus_error_init(&err);
        DBusConnection *c = dbus_connection_open_private(address, &err);
        if (!c || !dbus_bus_register(c, &err)) {
                fprintf(stderr, "msg-bench: dbus %s: %s\n", address, err.message ? err.message : "?");
                return NULL;
        }
        return c;
}

static int dbus_call(void *ctx, const char *buf, size_t size) {
        DBusConnection *c = ctx;
        DBusMessage *m = dbus_message_new_method_call(DBUS_NAME, DBUS_PATH, DBUS_IFACE, "Echo");
        DBusError err;
        dbus_error_init(&err);
        dbus_message_append_args(m, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &buf, (int)size, DBUS_TYPE_INVALID);
        DBusMessage *reply = dbus_connection_send_with_reply_and_block(c, m, 10000, &err);
        dbus_message_unref(m);
        if (!reply) {
                dbus_error_free(&err);
                return -1;
        }
        const char *data;
        int n = 0;
        int ok = dbus_message_get_args(reply, &err, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &data, &n,
                                       DBUS_TYPE_INVALID);
        dbus_message_unref(reply);
        dbus_error_free(&err);
        return ok && (size_t)n == size ? 0 : -1;
}

static int dbus_serve(const char *address) {
        DBusConnection *c = dbus_connect(address);
        DBusError err;
        dbus_error_init(&err);
        if (!c || dbus_bus_request_name(c, DBUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err) !=
                          DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER)
                return 1;
        printf("ready\n");
        fflush(stdout);
        while (dbus_connection_read_write(c, -1)) {
                DBusMessage *m;
                while ((m = dbus_connection_pop_message(c))) {
                        if (dbus_message_is_method_call(m, DBUS_IFACE, "Echo")) {
                                const char *data;
                                int n = 0;
                                DBusMessage *reply = dbus_message_new_method_return(m);
                                if (dbus_message_get_args(m, &err, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &data, &n,
                                                          DBUS_TYPE_INVALID))
                                        dbus_message_append_args(reply, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &data, n,
                                                                 DBUS_TYPE_INVALID);
                                dbus_error_free(&err);
                                dbus_connection_send(c, reply, NULL);
                                dbus_message_unref(reply);
                        }
                        dbus_message_unref(m);
                }
        }
        return 0;
}

static int bench_dbus(const char *address, size_t size, long calls) {
        DBusConnection *c = dbus_connect(address);
        if (!c)
                return 1;
        Series series[] = { { .name = "dbus-daemon", .call = dbus_call, .ctx = c } };
        int r = measure(series, 1, size, calls, 1);
        dbus_connection_close(c);
        dbus_connection_unref(c);
        return r;
}

int main(int argc, char **argv) {
        signal(SIGPIPE, SIG_IGN);
        if (argc == 3 && strcmp(argv[1], "kos-serve") == 0)
                return kos_serve(argv[2]);
        if (argc == 5 && strcmp(argv[1], "kos") == 0)
                return bench_kos(argv[2], strtoul(argv[3], NULL, 10), atol(argv[4]));
        if (argc == 3 && strcmp(argv[1], "dbus-serve") == 0)
                return dbus_serve(argv[2]);
        if (argc == 5 && strcmp(argv[1], "dbus") == 0)
                return bench_dbus(argv[2], strtoul(argv[3], NULL, 10), atol(argv[4]));
        fprintf(stderr, "usage: see the header of bench/msg-bench.c\n");
        return 2;
}
