/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trace file: what `kos trace collect` writes and the converters read (format in
 * docs/tracing.md, "Trace file format"). Little-endian, versioned, a sequence of sections.
 *
 * Invariants:
 *  1. trace_file_parse() accepts a file only if every section is whole and well-formed:
 *     a process is declared before its categories and events, pids are unique, category
 *     ids unique per process and below KOS_TRACE_MAX_CATEGORIES, every event names a
 *     declared category and passes trace_record_is_valid(). What it returns can be
 *     converted without further checks.
 *  2. The writer produces only what the parser accepts (the server validated every record).
 *  3. The reader's memory and time are linear in the file's size: at most
 *     TRACE_FILE_MAX_PROCESSES processes, found by pid in a hash table, not by a scan.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/record.h"
#include "util/cleanup.h"

#define TRACE_FILE_MAGIC "KOSTRACE"
#define TRACE_FILE_VERSION 1U
#define TRACE_FILE_HEADER_SIZE 16U
#define TRACE_FILE_MAX_SIZE (1024ULL * 1024 * 1024)
#define TRACE_APP_NAME_MAX 127
#define TRACE_DESCRIPTION_MAX 255
/* Processes one file may declare: as many as a trace server remembers (256 apps, 16 each).
 * Each costs the reader about 1 KiB for a section of 9 bytes and a lookup per section, so
 * without a bound a small file would cost memory and time out of proportion (invariant 3). */
#define TRACE_FILE_MAX_PROCESSES 4096U

enum {
        TRACE_SECTION_PROCESS = 1,
        TRACE_SECTION_CATEGORY = 2,
        TRACE_SECTION_EVENT = 3,
        TRACE_SECTION_LOST = 4,
};

typedef struct TraceFileProcess {
        uint32_t pid;
        char app[TRACE_APP_NAME_MAX + 1];
        char *categories[KOS_TRACE_MAX_CATEGORIES];   /* owned; NULL: not declared */
        char *descriptions[KOS_TRACE_MAX_CATEGORIES]; /* owned */
} TraceFileProcess;

/* An event, or (record.type == TRACE_EVENT_LOST) a count of lost events in args[0].value.i. */
typedef struct TraceFileEvent {
        uint32_t pid;
        uint32_t tid;
        size_t process; /* index into processes */
        TraceRecord record;
} TraceFileEvent;

typedef struct TraceFile {
        TraceFileProcess *processes; /* owned */
        size_t n_processes;
        TraceFileEvent *events; /* owned, in file order */
        size_t n_events;
} TraceFile;

/*
 * Parses a trace file. On success the caller owns *filep. Returns -EBADMSG with a one-line
 * reason in err ("offset 72: event names undeclared category 9") for a malformed file,
 * or -ENOMEM.
 */
int trace_file_parse(TraceFile **filep, const void *data, size_t size, char *err, size_t err_size);

TraceFile *trace_file_free(TraceFile *file);
DEFINE_CLEANUP_FUNC(TraceFile, trace_file_free)

/* A trace file being written into memory. */
typedef struct TraceFileWriter {
        uint8_t *data; /* owned */
        size_t size;
        size_t capacity;
        int error; /* the first allocation failure: every later call is a no-op */
} TraceFileWriter;

void trace_file_writer_init(TraceFileWriter *w);
void trace_file_writer_done(TraceFileWriter *w);
void trace_file_write_process(TraceFileWriter *w, uint32_t pid, const char *app);
void trace_file_write_category(TraceFileWriter *w, uint32_t pid, uint32_t id, const char *name,
                               const char *description);
void trace_file_write_event(TraceFileWriter *w, uint32_t pid, uint32_t tid, const TraceRecord *r);
void trace_file_write_lost(TraceFileWriter *w, uint32_t pid, uint32_t tid, uint64_t timestamp, uint64_t count);
