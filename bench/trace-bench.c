// SPDX-License-Identifier: Apache-2.0
/*
 * Per-event cost of tracing, one program per tracer (bench/trace.sh builds and runs them).
 *
 *   trace-bench kos THREADS EVENTS      under kosd: opens a KOS trace session, waits until
 *                                       category "on" is traced, then measures an enabled
 *                                       instant with one integer argument, and a disabled one
 *   trace-bench floor THREADS EVENTS    clock_gettime(CLOCK_MONOTONIC) + a 128-byte store
 *                                       into a per-thread ring: what any tracer must do
 *   trace-bench-lttng THREADS EVENTS    (built with -DBENCH_LTTNG) an LTTng-UST tracepoint
 *                                       with one integer field
 *
 * Each thread emits EVENTS events; the figure is the CPU time of the threads (thread CPU
 * clocks, summed) per event, so runs with more threads than CPUs stay comparable. Prints
 * "LABEL THREADS NS_PER_EVENT".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef BENCH_LTTNG
#include "trace-bench-tp.h"
#else
#include "kos/trace.h"
KOS_TRACE_DEFINE_CATEGORY(on, "measured enabled");
KOS_TRACE_DEFINE_CATEGORY(off, "measured disabled");
#endif

typedef enum Kind { KIND_ENABLED, KIND_DISABLED, KIND_FLOOR, KIND_LTTNG } Kind;

typedef struct Run {
        Kind kind;
        unsigned long events;
        pthread_barrier_t *barrier;
        uint64_t cpu_ns;
} Run;

static uint64_t thread_cpu_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

typedef struct FloorRecord {
        uint64_t timestamp;
        uint64_t value;
        char rest[112];
} FloorRecord;
static __thread FloorRecord floor_ring[2048];

static void *run_thread(void *arg) {
        Run *run = arg;
        uint64_t start;

        pthread_barrier_wait(run->barrier);
        start = thread_cpu_ns();
        switch (run->kind) {
#ifdef BENCH_LTTNG
        case KIND_LTTNG:
                for (unsigned long i = 0; i < run->events; i++)
                        tracepoint(kos_bench, event, (int64_t)i);
                break;
#else
        case KIND_ENABLED:
                for (unsigned long i = 0; i < run->events; i++)
                        KOS_TRACE_INSTANT(on, "event", KOS_TRACE_INT("i", i));
                break;
        case KIND_DISABLED:
                for (unsigned long i = 0; i < run->events; i++)
                        KOS_TRACE_INSTANT(off, "event", KOS_TRACE_INT("i", i));
                break;
#endif
        case KIND_FLOOR:
                for (unsigned long i = 0; i < run->events; i++) {
                        struct timespec ts;
                        FloorRecord *r = &floor_ring[i & 2047];

                        clock_gettime(CLOCK_MONOTONIC, &ts);
                        r->timestamp = (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
                        r->value = i;
                        memcpy(r->rest, "event", 6);
                        __asm__ volatile("" : : "r"(r) : "memory");
                }
                break;
        default:
                break;
        }
        run->cpu_ns = thread_cpu_ns() - start;
        return NULL;
}

static double measure(Kind kind, unsigned threads, unsigned long events) {
        pthread_t t[64];
        Run runs[64];
        pthread_barrier_t barrier;
        uint64_t total = 0;

        pthread_barrier_init(&barrier, NULL, threads);
        for (unsigned i = 0; i < threads; i++) {
                runs[i] = (Run){ kind, events, &barrier, 0 };
                pthread_create(&t[i], NULL, run_thread, &runs[i]);
        }
        for (unsigned i = 0; i < threads; i++) {
                pthread_join(t[i], NULL);
                total += runs[i].cpu_ns;
        }
        pthread_barrier_destroy(&barrier);
        return (double)total / ((double)events * threads);
}

int main(int argc, char **argv) {
        unsigned threads;
        unsigned long events;

#ifdef BENCH_LTTNG
        if (argc != 3)
                return 2;
        threads = (unsigned)atoi(argv[1]);
        events = strtoul(argv[2], NULL, 10);
        if (threads < 1 || threads > 64)
                return 2;
        measure(KIND_LTTNG, threads, events / 10); /* warm up: rings claimed, pages touched */
        printf("lttng %u %.2f\n", threads, measure(KIND_LTTNG, threads, events));
#else
        if (argc != 4)
                return 2;
        threads = (unsigned)atoi(argv[2]);
        events = strtoul(argv[3], NULL, 10);
        if (threads < 1 || threads > 64)
                return 2;
        if (strcmp(argv[1], "floor") == 0) {
                measure(KIND_FLOOR, threads, events / 10);
                printf("floor %u %.2f\n", threads, measure(KIND_FLOOR, threads, events));
        } else {
                int r = kos_trace_open(10000);
                if (r < 0) {
                        fprintf(stderr, "trace-bench: kos_trace_open: %s\n", strerror(-r));
                        return 1;
                }
                while (!KOS_TRACE_IS_ENABLED(on))
                        usleep(1000);
                measure(KIND_ENABLED, threads, events / 10);
                printf("kos-enabled %u %.2f\n", threads, measure(KIND_ENABLED, threads, events));
                printf("kos-disabled %u %.2f\n", threads, measure(KIND_DISABLED, threads, events));
        }
#endif
        fflush(stdout);
        return 0;
}
