// SPDX-License-Identifier: Apache-2.0
/*
 * The trace server core (src/trace/server.c) driven as kos-traced drives it, with this test
 * playing the traced app on the shared memory; the trace file it collects read back with
 * the strict reader; and the admin request parser.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "trace/admin-protocol.h"
#include "trace/file.h"
#include "trace/layout.h"
#include "trace/server.h"
#include "util/cleanup.h"

#define RECORDS 8U

typedef struct App {
        TraceSession *session;
        TraceShmHeader *shm;
        uint64_t size;
        int fd;
} App;

static uint64_t now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

static void app_open(TraceServer *s, const char *name, App *app) {
        char hello[sizeof(TraceHelloHead) + 32];
        TraceHelloHead head = { TRACE_HELLO_MAGIC, 1, 4242, 2 };

        memcpy(hello, &head, sizeof(head));
        memcpy(hello + sizeof(head), "net\0packets\0work\0\0", 18);
        CHECK_OK(trace_server_session_open(s, name, hello, sizeof(head) + 18, &app->session, &app->fd, &app->size));
        app->shm = mmap(NULL, app->size, PROT_READ | PROT_WRITE, MAP_SHARED, app->fd, 0);
        CHECK(app->shm != MAP_FAILED);
}

static void app_close(TraceServer *s, App *app) {
        trace_server_session_close(s, app->session);
        munmap(app->shm, app->size);
        close(app->fd);
}

/* Writes one event into ring k as the library does (seqlock, layout.h invariant 2). */
static void app_emit(App *app, uint32_t k, uint64_t ts, uint8_t type, uint8_t category, const char *name) {
        TraceShmBuffer *b = trace_shm_buffer(app->shm, app->shm->buffer_records, k);
        uint64_t head = b->head;
        TraceRecord *r = &b->records[head % app->shm->buffer_records];

        if (!b->owner)
                b->owner = 100 + k;
        memset(r, 0, sizeof(*r));
        r->timestamp = ts;
        r->type = type;
        r->category = category;
        r->name_len = (uint8_t)strlen(name);
        memcpy(r->name, name, strlen(name));
        atomic_store((_Atomic uint64_t *)&r->seq, head + 1);
        atomic_store((_Atomic uint64_t *)&b->head, head + 1);
}

/* Collects app (or every app) and parses what came out. */
static TraceFile *collect(TraceServer *s, const char *app) {
        TraceFileWriter w;
        TraceFile *file = NULL;
        char err[256];

        trace_file_writer_init(&w);
        CHECK_OK(trace_server_collect(s, app, &w));
        CHECK_OK(trace_file_parse(&file, w.data, w.size, err, sizeof(err)));
        trace_file_writer_done(&w);
        return file;
}

static uint64_t lost_of(const TraceFile *f) {
        uint64_t n = 0;
        for (size_t i = 0; i < f->n_events; i++)
                if (f->events[i].record.type == TRACE_EVENT_LOST)
                        n += (uint64_t)f->events[i].record.args[0].value.i;
        return n;
}

static size_t events_of(const TraceFile *f) {
        size_t n = 0;
        for (size_t i = 0; i < f->n_events; i++)
                n += f->events[i].record.type != TRACE_EVENT_LOST;
        return n;
}

TEST(session_memory_is_sealed_and_described) {
        TraceServerConfig config = { 2, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        CHECK_EQ_INT(ftruncate(app.fd, 0), -1);
        CHECK_EQ_INT(errno, EPERM);
        CHECK_EQ_INT(ftruncate(app.fd, (off_t)app.size * 2), -1);
        CHECK_EQ_INT(app.shm->magic, TRACE_SHM_MAGIC);
        CHECK_EQ_INT(app.shm->n_buffers, 2);
        CHECK_EQ_INT(app.shm->buffer_records, RECORDS);
        CHECK_EQ_INT(app.shm->n_categories, 2);
        CHECK_EQ_INT(app.shm->enabled[0], 0);
        app_close(s, &app);
}

/* Invariant 3: only what is written between start and stop is kept; categories as asked. */
TEST(start_filter_stop) {
        TraceServerConfig config = { 2, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        app_emit(&app, 0, now(), KOS_TRACE_EVENT_INSTANT, 0, "before");
        CHECK_OK(trace_server_start(s, "alpha", "work", KOS_TRACE_MODE_DISCARD));
        CHECK_EQ_INT(trace_server_start(s, "alpha", "", KOS_TRACE_MODE_DISCARD), -EALREADY);
        CHECK_EQ_INT(app.shm->enabled[0], 0);
        CHECK_EQ_INT(app.shm->enabled[1], 1);
        app_emit(&app, 0, now(), KOS_TRACE_EVENT_BEGIN, 1, "slice");
        app_emit(&app, 1, now(), KOS_TRACE_EVENT_END, 1, "slice");
        trace_server_drain(s);
        CHECK_OK(trace_server_stop(s, "alpha"));
        CHECK_EQ_INT(app.shm->enabled[1], 0);
        CHECK_EQ_INT(trace_server_stop(s, "alpha"), -ENOENT);
        app_emit(&app, 0, now(), KOS_TRACE_EVENT_INSTANT, 1, "after");
        trace_server_drain(s);

        f = collect(s, "alpha");
        CHECK_EQ_INT(f->n_processes, 1);
        CHECK_EQ_STR(f->processes[0].app, "alpha");
        CHECK_EQ_INT(f->processes[0].pid, 4242);
        CHECK_EQ_STR(f->processes[0].categories[0], "net");
        CHECK_EQ_STR(f->processes[0].descriptions[0], "packets");
        CHECK_EQ_INT(events_of(f), 2);
        CHECK_EQ_STR(f->events[0].record.name, "slice");
        CHECK_EQ_INT(f->events[0].tid, 100);
        CHECK_EQ_INT(f->events[1].tid, 101);
        CHECK_EQ_INT(lost_of(f), 0);
        app_close(s, &app);
}

/* Invariant 1: what fails validation is counted lost, never stored. */
TEST(invalid_records_are_lost) {
        TraceServerConfig config = { 1, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        TraceShmBuffer *b;
        uint64_t t = now();
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        CHECK_OK(trace_server_start(s, "alpha", NULL, KOS_TRACE_MODE_DISCARD));
        app_emit(&app, 0, t, KOS_TRACE_EVENT_INSTANT, 0, "good");
        app_emit(&app, 0, t, 9, 0, "bad-type");
        app_emit(&app, 0, t, KOS_TRACE_EVENT_INSTANT, 7, "bad-category");
        app_emit(&app, 0, t - 1000, KOS_TRACE_EVENT_INSTANT, 0, "back-in-time");
        app_emit(&app, 0, t + 3600000000000ULL, KOS_TRACE_EVENT_INSTANT, 0, "future");
        app_emit(&app, 0, t, KOS_TRACE_EVENT_COUNTER, 0, "no-value");
        b = trace_shm_buffer(app.shm, RECORDS, 0);
        app_emit(&app, 0, t, KOS_TRACE_EVENT_INSTANT, 0, "torn");
        b->records[(b->head - 1) % RECORDS].seq = 0; /* still being written */
        b->lost = 5;                                  /* the app's own count */
        trace_server_drain(s);
        f = collect(s, "alpha");
        CHECK_EQ_INT(events_of(f), 1);
        CHECK_EQ_STR(f->events[0].record.name, "good");
        CHECK_EQ_INT(lost_of(f), 6 + 5);
        app_close(s, &app);
}

/* A head that runs ahead is clamped to one ring; one that goes back is not read. */
TEST(wandering_head) {
        TraceServerConfig config = { 1, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        TraceShmBuffer *b;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        CHECK_OK(trace_server_start(s, "alpha", NULL, KOS_TRACE_MODE_DISCARD));
        b = trace_shm_buffer(app.shm, RECORDS, 0);
        b->owner = 7;
        b->head = UINT64_MAX - 3;
        trace_server_drain(s);
        b->head = 2;
        trace_server_drain(s);
        f = collect(s, "alpha");
        CHECK_EQ_INT(events_of(f), 0);
        CHECK(lost_of(f) > 0);
        app_close(s, &app);
}

/* Overwrite mode keeps a ring's newest records; the overwritten ones are counted. */
TEST(overwrite_keeps_the_newest) {
        TraceServerConfig config = { 1, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        uint64_t t = now() - 1000000;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        CHECK_OK(trace_server_start(s, "alpha", NULL, KOS_TRACE_MODE_OVERWRITE));
        CHECK_EQ_INT(app.shm->mode, KOS_TRACE_MODE_OVERWRITE);
        for (int i = 0; i < 20; i++) {
                char name[8];
                snprintf(name, sizeof(name), "e%d", i);
                app_emit(&app, 0, t + (uint64_t)i, KOS_TRACE_EVENT_INSTANT, 0, name);
        }
        trace_server_drain(s); /* does not drain overwrite sessions */
        f = collect(s, "alpha");
        CHECK_EQ_INT(events_of(f), RECORDS);
        CHECK_EQ_STR(f->events[0].record.name, "e12");
        CHECK_EQ_STR(f->events[RECORDS - 1].record.name, "e19");
        CHECK_EQ_INT(lost_of(f), 20 - RECORDS);
        app_close(s, &app);
}

/* Invariant 2: events held per app are bounded; discard drops the new ones. */
TEST(held_events_are_bounded) {
        TraceServerConfig config = { 1, RECORDS, 4 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        uint64_t t = now() - 1000000;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        CHECK_OK(trace_server_start(s, "alpha", NULL, KOS_TRACE_MODE_DISCARD));
        for (int i = 0; i < 6; i++) {
                app_emit(&app, 0, t + (uint64_t)i, KOS_TRACE_EVENT_INSTANT, 0, i < 4 ? "kept" : "dropped");
                trace_server_drain(s);
        }
        f = collect(s, "alpha");
        CHECK_EQ_INT(events_of(f), 4);
        CHECK_EQ_STR(f->events[3].record.name, "kept");
        CHECK_EQ_INT(lost_of(f), 2);
        app_close(s, &app);
}

/* A session that ends keeps its events; the app's next process is traced as the first was. */
TEST(restart_stays_traced) {
        TraceServerConfig config = { 1, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        _cleanup_free_ char *list = NULL;
        App first, second;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &first);
        CHECK_OK(trace_server_start(s, "alpha", NULL, KOS_TRACE_MODE_DISCARD));
        app_emit(&first, 0, now(), KOS_TRACE_EVENT_INSTANT, 0, "first");
        app_close(s, &first);
        app_open(s, "alpha", &second);
        CHECK_EQ_INT(second.shm->enabled[0], 1);
        app_emit(&second, 0, now(), KOS_TRACE_EVENT_INSTANT, 0, "second");
        CHECK_OK(trace_server_list(s, SIZE_MAX, &list));
        CHECK(strncmp(list, "alpha traced discard 4", 22) == 0 && strstr(list, " net,work\n"));
        f = collect(s, NULL);
        CHECK_EQ_INT(events_of(f), 2);
        CHECK_EQ_STR(f->events[1].record.name, "second");
        /* Both said pid 4242: the second is known by a number no real process has. */
        CHECK_EQ_INT(f->n_processes, 2);
        CHECK_EQ_INT(f->processes[0].pid, 4242);
        CHECK(f->processes[1].pid > 4194304);
        app_close(s, &second);
}

/* A forgotten process's events go with it: a later process given its pid does not get them. */
TEST(forgotten_process_events_go_with_it) {
        TraceServerConfig config = { 1, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        CHECK_OK(trace_server_start(s, "alpha", NULL, KOS_TRACE_MODE_DISCARD));
        app_open(s, "alpha", &app);
        app_emit(&app, 0, now(), KOS_TRACE_EVENT_INSTANT, 0, "old");
        app_close(s, &app);
        /* Each says pid 4242 too; the last one opens once the first is forgotten. */
        for (int i = 0; i < TRACE_APP_MAX_PROCESSES; i++) {
                app_open(s, "alpha", &app);
                if (i < TRACE_APP_MAX_PROCESSES - 1)
                        app_close(s, &app);
        }
        app_emit(&app, 0, now(), KOS_TRACE_EVENT_INSTANT, 0, "new");
        f = collect(s, "alpha");
        CHECK_EQ_INT(events_of(f), 1);
        for (size_t i = 0; i < f->n_events; i++)
                if (f->events[i].record.type != TRACE_EVENT_LOST)
                        CHECK_EQ_STR(f->events[i].record.name, "new");
        app_close(s, &app);
}

/* layout.h invariant 5: a retired ring is drained, then freed for the next thread. */
TEST(retired_ring_is_freed) {
        TraceServerConfig config = { 1, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        TraceShmBuffer *b;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        CHECK_OK(trace_server_start(s, "alpha", NULL, KOS_TRACE_MODE_OVERWRITE));
        b = trace_shm_buffer(app.shm, RECORDS, 0);
        app_emit(&app, 0, now(), KOS_TRACE_EVENT_INSTANT, 0, "first-thread");
        b->retired = 1;
        trace_server_drain(s);
        CHECK_EQ_INT(b->owner, 0);
        CHECK_EQ_INT(b->retired, 0);
        b->owner = 555;
        app_emit(&app, 0, now(), KOS_TRACE_EVENT_INSTANT, 0, "next-thread");
        f = collect(s, "alpha");
        CHECK_EQ_INT(events_of(f), 2);
        CHECK_EQ_INT(f->events[0].tid, 100);
        CHECK_EQ_STR(f->events[1].record.name, "next-thread");
        CHECK_EQ_INT(f->events[1].tid, 555);
        app_close(s, &app);
}

/* Invariant 2: a new owner per ring, each losing events, does not grow the lost counts
 * without end; the total lost is kept. */
TEST(lost_counts_are_bounded) {
        TraceServerConfig config = { 1, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        TraceShmBuffer *b;
        size_t sections = 0;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        CHECK_OK(trace_server_start(s, "alpha", NULL, KOS_TRACE_MODE_DISCARD));
        b = trace_shm_buffer(app.shm, RECORDS, 0);
        for (uint32_t i = 0; i < 1000; i++) {
                b->owner = 1000 + i;
                b->lost++;
                b->retired = 1;
                trace_server_drain(s);
                CHECK_EQ_INT(b->owner, 0);
        }
        f = collect(s, "alpha");
        for (size_t i = 0; i < f->n_events; i++)
                sections += f->events[i].record.type == TRACE_EVENT_LOST;
        CHECK(sections <= TRACE_PROCESS_MAX_LOST);
        CHECK_EQ_INT(lost_of(f), 1000);
        app_close(s, &app);
}

TEST(malformed_hello_is_refused) {
        TraceServerConfig config = { 1, RECORDS, 64 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        TraceHelloHead head = { TRACE_HELLO_MAGIC, 1, 1, 1 };
        char hello[64];
        TraceSession *session;
        uint64_t size;
        int fd;

        CHECK_OK(trace_server_new(&s, &config));
        memcpy(hello, &head, sizeof(head));
        memcpy(hello + sizeof(head), "bad name\0d\0", 11);
        CHECK_EQ_INT(trace_server_session_open(s, "alpha", hello, sizeof(head) + 11, &session, &fd, &size), -EBADMSG);
        memcpy(hello + sizeof(head), "net\0d\0x", 8);
        CHECK_EQ_INT(trace_server_session_open(s, "alpha", hello, sizeof(head) + 8, &session, &fd, &size), -EBADMSG);
        memcpy(hello + sizeof(head), "net\0d\0", 6);
        CHECK_EQ_INT(trace_server_session_open(s, "bad app", hello, sizeof(head) + 6, &session, &fd, &size), -EINVAL);
}

/* file.h invariant 3: a file of tiny process sections cannot make the reader's cost explode. */
TEST(file_process_count_is_bounded) {
        TraceFileWriter w;
        TraceFile *file = NULL;
        char err[256];

        trace_file_writer_init(&w);
        for (uint32_t pid = 1; pid <= TRACE_FILE_MAX_PROCESSES; pid++)
                trace_file_write_process(&w, pid, "a");
        CHECK_OK(w.error);
        CHECK_OK(trace_file_parse(&file, w.data, w.size, err, sizeof(err)));
        CHECK_EQ_INT(file->n_processes, TRACE_FILE_MAX_PROCESSES);
        file = trace_file_free(file);
        trace_file_write_process(&w, TRACE_FILE_MAX_PROCESSES + 1, "a");
        CHECK_EQ_INT(trace_file_parse(&file, w.data, w.size, err, sizeof(err)), -EBADMSG);
        CHECK(strstr(err, "more than 4096 processes") != NULL);
        CHECK(file == NULL);
        trace_file_writer_done(&w);
}

/* A list longer than a message holds is cut between lines, never inside one. */
TEST(list_is_cut_between_lines) {
        TraceServerConfig config = { 1, RECORDS, 4 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_free_ char *all = NULL, *cut = NULL;
        char name[16];
        size_t max;

        CHECK_OK(trace_server_new(&s, &config));
        for (int i = 0; i < 10; i++) {
                snprintf(name, sizeof(name), "app-%d", i);
                CHECK_OK(trace_server_start(s, name, "net,work", KOS_TRACE_MODE_DISCARD));
        }
        CHECK_OK(trace_server_list(s, SIZE_MAX, &all));
        CHECK(strlen(all) > 20);
        /* Room for the first three lines and half the fourth. */
        max = (size_t)(strchr(strchr(strchr(all, '\n') + 1, '\n') + 1, '\n') - all) + 1 + 8;
        CHECK_OK(trace_server_list(s, max, &cut));
        CHECK(strlen(cut) < max);
        CHECK_EQ_INT(strlen(cut), max - 8);
        CHECK(strncmp(all, cut, strlen(cut)) == 0);
        CHECK(cut[strlen(cut) - 1] == '\n');
}

TEST(admin_requests) {
        TraceAdminRequest req = { .op = TRACE_ADMIN_START, .mode = KOS_TRACE_MODE_OVERWRITE, .app = "alpha",
                                  .categories = "net,work" };
        TraceAdminRequest back;
        char buf[256];
        int n = trace_admin_request_format(&req, buf, sizeof(buf));

        CHECK(n > 0);
        CHECK_OK(trace_admin_request_parse(buf, (size_t)n, &back));
        CHECK_EQ_INT(back.op, TRACE_ADMIN_START);
        CHECK_EQ_INT(back.mode, KOS_TRACE_MODE_OVERWRITE);
        CHECK_EQ_STR(back.app, "alpha");
        CHECK_EQ_STR(back.categories, "net,work");
        CHECK_EQ_INT(trace_admin_request_parse(buf, (size_t)n - 1, &back), -EBADMSG);
        buf[1] = TRACE_ADMIN_LIST;
        CHECK_EQ_INT(trace_admin_request_parse(buf, (size_t)n, &back), -EBADMSG); /* list takes no app */
        req = (TraceAdminRequest){ .op = TRACE_ADMIN_START, .app = "alpha", .categories = "net,,work" };
        CHECK_EQ_INT(trace_admin_request_format(&req, buf, sizeof(buf)), -EINVAL);
        req = (TraceAdminRequest){ .op = TRACE_ADMIN_STOP, .app = "" };
        CHECK_EQ_INT(trace_admin_request_format(&req, buf, sizeof(buf)), -EINVAL);
        CHECK(trace_category_list_contains("net,work", "work"));
        CHECK(!trace_category_list_contains("net,work", "wor"));
        CHECK(trace_category_list_contains("", "anything"));
}

/*
 * Invariant 5: the held events grow as they come (64, 128, then max_events 200); in
 * overwrite mode they wrap after growing, the newest kept in order.
 */
TEST(held_events_grow_then_wrap) {
        TraceServerConfig config = { 1, 256, 200 };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        _cleanup_(trace_file_freep) TraceFile *f = NULL;
        char name[16];
        size_t n = 0;
        App app;

        CHECK_OK(trace_server_new(&s, &config));
        app_open(s, "alpha", &app);
        CHECK_OK(trace_server_start(s, "alpha", "", KOS_TRACE_MODE_OVERWRITE));
        for (int i = 0; i < 300; i++) {
                snprintf(name, sizeof(name), "e%d", i);
                app_emit(&app, 0, now(), KOS_TRACE_EVENT_INSTANT, 0, name);
                if (i % 4 == 3)
                        trace_server_drain(s);
        }
        trace_server_drain(s);
        f = collect(s, "alpha");
        CHECK_EQ_INT(events_of(f), 200);
        CHECK_EQ_INT(lost_of(f), 100);
        for (size_t i = 0; i < f->n_events; i++) {
                if (f->events[i].record.type == TRACE_EVENT_LOST)
                        continue;
                snprintf(name, sizeof(name), "e%zu", 100 + n++);
                CHECK_EQ_STR(f->events[i].record.name, name);
        }
        app_close(s, &app);
}

/* The process's virtual size in kB (VmSize). */
static long vm_size_kb(void) {
        char line[256];
        long kb = -1;
        FILE *f = fopen("/proc/self/status", "re");

        CHECK(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
                        break;
        fclose(f);
        CHECK(kb > 0);
        return kb;
}

/*
 * Invariant 5: an admin's start for every name the server takes, none of them running,
 * does not reserve max_events per name (at the default, about 9 MB each, 2.4 GB for all).
 */
TEST(started_names_reserve_no_event_memory) {
        TraceServerConfig config = { 16, 2048, TRACE_APP_MAX_EVENTS_DEFAULT };
        _cleanup_(trace_server_freep) TraceServer *s = NULL;
        char name[32];
        long before, grown;

        CHECK_OK(trace_server_new(&s, &config));
        before = vm_size_kb();
        for (int i = 0; i < TRACE_MAX_APPS; i++) {
                snprintf(name, sizeof(name), "app%d", i);
                CHECK_OK(trace_server_start(s, name, "", KOS_TRACE_MODE_DISCARD));
        }
        CHECK_EQ_INT(trace_server_start(s, "one-too-many", "", KOS_TRACE_MODE_DISCARD), -EMFILE);
        grown = vm_size_kb() - before;
        printf("%d started names grew the virtual size by %ld kB\n", TRACE_MAX_APPS, grown);
        /* One name's full ring alone would be 9 MB; all of them together stay under it. */
        CHECK(grown < (long)(TRACE_APP_MAX_EVENTS_DEFAULT * sizeof(TraceRecord) / 1024));
}

TEST_MAIN()
