// SPDX-License-Identifier: Apache-2.0
/*
 * A traced app for the tracing tests, run by kosd.
 *
 *   trace-test-app --mode MODE --status FILE [--threads N] [--count N]
 *
 * Modes:
 *   loop     every millisecond: B outer(i) { i tick(i); B inner E inner } E outer, and a
 *            counter; FILE holds the iterations done (rewritten every 10).
 *   burst    waits until its category is enabled, emits COUNT instants "n" with i = 0..COUNT-1,
 *            writes "done COUNT" to FILE, then waits to be stopped.
 *   threads  N threads, each nesting B t<k>-outer { B t<k>-inner E } E, every millisecond.
 *   churn    short-lived threads one after another, for ever: each emits a slice "job"
 *            and exits (many more threads than the session has rings).
 *   flood    emits as fast as it can.
 *   hoard    opens 12 channels to the trace server, then sends a HELLO on each: writes
 *            "hoard OK REFUSED RESET" (sessions opened, refused, channels the server closed).
 *   garbage, torn, rewind, truncate
 *            misbehaving tracers that open their session by hand (HELLO, map the memfd):
 *            garbage writes random records and heads; torn claims a buffer, writes half a
 *            record and exits at once; rewind moves its head backwards and far forward;
 *            truncate tries to shrink the memfd (and reports whether that worked). Each
 *            writes "ready" or a result to FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kos/msg.h"
#include "kos/trace.h"
#include "trace/layout.h"

KOS_TRACE_DEFINE_CATEGORY(work, "slices of work");
KOS_TRACE_DEFINE_CATEGORY(net, "ticks and queue depth");

static const char *status_path;

static void status(const char *fmt, unsigned long v) {
        char buf[64];
        int n = snprintf(buf, sizeof(buf), fmt, v);
        char tmp[4096];
        int fd;

        snprintf(tmp, sizeof(tmp), "%s.tmp", status_path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        if (write(fd, buf, (size_t)n) != n) {
                close(fd);
                return;
        }
        close(fd);
        rename(tmp, status_path);
}

static void pause_ms(long ms) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

static void run_loop(void) {
        for (unsigned long i = 1;; i++) {
                KOS_TRACE_BEGIN(work, "outer", KOS_TRACE_INT("i", i));
                KOS_TRACE_INSTANT(net, "tick", KOS_TRACE_INT("i", i), KOS_TRACE_STRING("s", "ok"),
                                  KOS_TRACE_DOUBLE("d", 0.5));
                {
                        KOS_TRACE_SCOPE(work, "inner");
                }
                KOS_TRACE_END(work, "outer");
                KOS_TRACE_COUNTER(net, "queue", i % 10);
                if (i % 10 == 0)
                        status("%lu\n", i);
                pause_ms(1);
        }
}

static void run_burst(unsigned long count) {
        while (!KOS_TRACE_IS_ENABLED(net))
                pause_ms(1);
        for (unsigned long i = 0; i < count; i++)
                KOS_TRACE_INSTANT(net, "n", KOS_TRACE_INT("i", i));
        status("done %lu\n", count);
        for (;;)
                pause(); 
}

static void *thread_main(void *arg) {
        unsigned long k = (unsigned long)arg;
        char outer[32], inner[32];

        snprintf(outer, sizeof(outer), "t%lu-outer", k);
        snprintf(inner, sizeof(inner), "t%lu-inner", k);
        for (;;) {
                KOS_TRACE_BEGIN(work, outer);
                KOS_TRACE_BEGIN(work, inner, KOS_TRACE_INT("k", k));
                KOS_TRACE_END(work, inner);
                KOS_TRACE_END(work, outer);
                pause_ms(1);
        }
        return NULL;
}

static void *churn_main(void *arg) {
        KOS_TRACE_BEGIN(work, "job", KOS_TRACE_INT("k", (long)arg));
        KOS_TRACE_END(work, "job");
        return NULL;
}

static void run_churn(void) {
        for (long k = 1;; k++) {
                pthread_t t;

                if (pthread_create(&t, NULL, churn_main, (void *)k) == 0)
                        pthread_join(t, NULL);
                if (k % 10 == 0)
                        status("%lu\n", (unsigned long)k);
                pause_ms(2);
        }
}

/* ---- Misbehaving tracers: the session by hand ------------------------------------------ */

static TraceShmHeader *hostile_open(int *fdp, uint64_t *sizep) {
        char payload[sizeof(TraceHelloHead) + 64];
        TraceHelloHead head = { TRACE_HELLO_MAGIC, 1, (uint32_t)getpid(), 1 };
        KosMsgChannel *channel;
        KosMsgMessage reply;
        TraceHelloReply answer;
        void *shm;

        int r;

        memcpy(payload, &head, sizeof(head));
        memcpy(payload + sizeof(head), "net\0bad\0", 8);
        r = kos_msg_lookup(KOS_TRACE_PROTOCOL, 10000, &channel);
        if (r < 0) {
                status("no session: lookup %lu\n", (unsigned long)-r);
                exit(1);
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = kos_msg_call(channel, payload, sizeof(head) + 8, -1, 10000, &reply);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (r < 0 || reply.status != 0 || reply.fd < 0 || reply.size != sizeof(answer)) {
                unsigned long ms = (unsigned long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
                status("no session: call (error * 100000 + ms) %lu\n",
                       (r < 0 ? (unsigned long)-r : reply.status) * 100000 + ms);
                exit(1);
        }
        memcpy(&answer, reply.data, sizeof(answer));
        shm = mmap(NULL, answer.size, PROT_READ | PROT_WRITE, MAP_SHARED, reply.fd, 0);
        if (shm == MAP_FAILED)
                exit(1);
        *fdp = reply.fd;
        *sizep = answer.size;
        return shm;
}

static void run_hoard(void) {
        char payload[sizeof(TraceHelloHead) + 8];
        TraceHelloHead head = { TRACE_HELLO_MAGIC, 1, (uint32_t)getpid(), 1 };
        KosMsgChannel *channels[12];
        unsigned long ok = 0, refused = 0, reset = 0;
        char text[4096];
        int fd;

        memcpy(payload, &head, sizeof(head));
        memcpy(payload + sizeof(head), "net\0x\0", 6);
        for (int i = 0; i < 12; i++)
                if (kos_msg_lookup(KOS_TRACE_PROTOCOL, 10000, &channels[i]) < 0)
                        exit(1);
        for (int i = 0; i < 12; i++) {
                KosMsgMessage reply;
                int r = kos_msg_call(channels[i], payload, sizeof(head) + 6, -1, 10000, &reply);

                if (r == 0 && reply.status == 0 && reply.fd >= 0) {
                        ok++;
                        close(reply.fd);
                } else if (r == 0 && reply.status == EMFILE) {
                        refused++;
                } else if (r == -ECONNRESET) {
                        reset++;
                }
        }
        snprintf(text, sizeof(text), "%s.tmp", status_path);
        fd = open(text, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
                dprintf(fd, "hoard %lu %lu %lu\n", ok, refused, reset);
                close(fd);
                rename(text, status_path);
        }
        for (;;)
                pause();
}

static void run_hostile(const char *mode) {
        int fd;
        uint64_t size;
        TraceShmHeader *h = hostile_open(&fd, &size);
        uint32_t records = h->buffer_records;
        TraceShmBuffer *b = trace_shm_buffer(h, records, 0);
        unsigned long n = 0;

        if (strcmp(mode, "truncate") == 0) {
                int r = ftruncate(fd, 0) < 0 ? errno : 0;
                status(r == EPERM ? "refused %lu\n" : "truncated %lu\n", (unsigned long)r);
                for (;;)
                        pause();
        }
        status("ready %lu\n", 0);
        while (!h->enabled[0])
                pause_ms(1);
        b->owner = (uint32_t)gettid();
        if (strcmp(mode, "torn") == 0) {
                TraceRecord *r = &b->records[0];
                r->seq = 0;
                r->timestamp = 1;
                memcpy(r->name, "half", 4);
                b->head = 1; /* published without its seq: the server must not take it */
                _exit(3);
        }
        for (;;) {
                if (strcmp(mode, "garbage") == 0) {
                        unsigned char *p = (unsigned char *)b->records;
                        for (size_t i = 0; i < (size_t)records * TRACE_RECORD_SIZE; i++)
                                p[i] = (unsigned char)rand();
                        b->head += (uint64_t)(rand() % 5000);
                        b->lost = (uint64_t)rand();
                        h->lost_no_buffer = (uint64_t)rand();
                        for (uint32_t k = 1; k < h->n_buffers; k++)
                                trace_shm_buffer(h, records, k)->owner = (uint32_t)rand();
                } else if (strcmp(mode, "rewind") == 0) {
                        b->head = n % 2 ? 0 : UINT64_MAX - 5;
                }
                n++;
                if (n % 16 == 0)
                        status("rounds %lu\n", n);
                pause_ms(1);
        }
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "mode", required_argument, NULL, 'm' },
                { "status", required_argument, NULL, 's' },
                { "threads", required_argument, NULL, 't' },
                { "count", required_argument, NULL, 'c' },
                {},
        };
        const char *mode = "loop";
        unsigned long threads = 4, count = 10000;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'm': mode = optarg; break;
                case 's': status_path = optarg; break;
                case 't': threads = strtoul(optarg, NULL, 10); break;
                case 'c': count = strtoul(optarg, NULL, 10); break;
                default: return 2;
                }
        }
        if (!status_path)
                return 2;
        if (strcmp(mode, "hoard") == 0)
                run_hoard();
        if (strcmp(mode, "garbage") == 0 || strcmp(mode, "torn") == 0 || strcmp(mode, "rewind") == 0 ||
            strcmp(mode, "truncate") == 0) {
                run_hostile(mode);
                return 0;
        }
        r = kos_trace_open(10000);
        if (r < 0) {
                status("open failed %lu\n", (unsigned long)-r);
                return 1;
        }
        if (strcmp(mode, "flood") == 0) {
                status("ready %lu\n", 0);
                for (unsigned long n = 1;; n++) {
                        for (int i = 0; i < 10000; i++)
                                KOS_TRACE_INSTANT(net, "flood", KOS_TRACE_INT("i", i));
                        if (n % 16 == 0)
                                status("rounds %lu\n", n);
                        pause_ms(1);
                }
        }
        if (strcmp(mode, "burst") == 0)
                run_burst(count);
        if (strcmp(mode, "churn") == 0)
                run_churn();
        if (strcmp(mode, "threads") == 0) {
                for (unsigned long k = 1; k <= threads; k++) {
                        pthread_t t;
                        pthread_create(&t, NULL, thread_main, (void *)k);
                }
                status("threads %lu\n", threads);
                for (;;)
                        pause();
        }
        status("0%lu\n", 0);
        run_loop();
        return 0;
}
