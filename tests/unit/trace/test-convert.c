// SPDX-License-Identifier: Apache-2.0
/*
 * The trace converters (src/trace/convert.c) on trace files the strict reader accepts but
 * a well-behaved app would not make: slices left open at timestamp 0, a counter's double
 * beyond int64.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "trace/convert.h"
#include "trace/file.h"
#include "util/cleanup.h"
#include "util/fileio.h"

static TraceRecord record(uint8_t type, uint64_t timestamp, const char *name) {
        TraceRecord r = { .timestamp = timestamp, .type = type, .name_len = (uint8_t)strlen(name) };

        memcpy(r.name, name, strlen(name));
        return r;
}

/* A file of one process (pid 7, app "app", category 0 "c") and the given events of thread 7. */
static TraceFile *file_of(const TraceRecord *records, size_t n) {
        TraceFileWriter w;
        TraceFile *file = NULL;
        char err[256];

        trace_file_writer_init(&w);
        trace_file_write_process(&w, 7, "app");
        trace_file_write_category(&w, 7, 0, "c", "");
        for (size_t i = 0; i < n; i++)
                trace_file_write_event(&w, 7, 7, &records[i]);
        CHECK_OK(w.error);
        CHECK_OK(trace_file_parse(&file, w.data, w.size, err, sizeof(err)));
        trace_file_writer_done(&w);
        return file;
}

static size_t count(const char *text, const char *what) {
        size_t n = 0;

        for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
                n++;
        return n;
}

/* Invariant 1: an open slice is closed by an added E, whatever its timestamp, 0 included. */
TEST(slices_open_at_time_zero_are_closed) {
        TraceRecord records[] = { record(KOS_TRACE_EVENT_BEGIN, 0, "outer"), record(KOS_TRACE_EVENT_BEGIN, 0, "inner") };
        _cleanup_(trace_file_freep) TraceFile *file = file_of(records, 2);
        _cleanup_free_ char *text = NULL;
        TraceConvertStats stats;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        CHECK(f != NULL);
        CHECK_OK(trace_convert_json(file, f, &stats));
        CHECK_EQ_INT(fclose(f), 0);
        CHECK_EQ_INT(stats.closed, 2);
        CHECK_EQ_INT(count(text, "\"ph\":\"B\""), 2);
        CHECK_EQ_INT(count(text, "\"ph\":\"E\""), 2);
}

/* A counter of 1e300 comes out as CTF's largest int64 value, not as undefined behaviour. */
TEST(huge_double_counter_is_clamped) {
        TraceRecord r = record(KOS_TRACE_EVENT_COUNTER, 5, "queue");
        _cleanup_(trace_file_freep) TraceFile *file = NULL;
        _cleanup_free_ char *stream = NULL;
        char dir[] = "/tmp/kos-test-convert.XXXXXX", path[64];
        TraceConvertStats stats;
        int64_t value;
        size_t size;
        int dir_fd;

        r.n_args = 1;
        r.arg_types[0] = KOS_TRACE_ARG_DOUBLE;
        memcpy(r.args[0].key, "value", 5);
        r.args[0].value.d = 1e300;
        file = file_of(&r, 1);
        CHECK(mkdtemp(dir) != NULL);
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dir_fd >= 0);
        CHECK_OK(trace_convert_ctf(file, dir_fd, &stats));
        CHECK_EQ_INT(stats.events, 1);
        snprintf(path, sizeof(path), "%s/stream_0", dir);
        CHECK_OK(read_file_full(path, 1 << 20, &stream, &size));
        /* The value field ends the stream's only event. */
        CHECK(size >= 8);
        memcpy(&value, stream + size - 8, 8);
        CHECK(value == INT64_MAX);
        (void)unlinkat(dir_fd, "metadata", 0);
        (void)unlinkat(dir_fd, "stream_0", 0);
        close(dir_fd);
        CHECK_OK(rmdir(dir));
}

TEST_MAIN()
