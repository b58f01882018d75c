// SPDX-License-Identifier: Apache-2.0
/*
 * The trace file: writer and strict reader (see file.h for the invariants).
 */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg/wire.h"
#include "trace/file.h"

static uint64_t f64_bits(double d) {
        uint64_t u;

        memcpy(&u, &d, sizeof(u));
        return u;
}

static double bits_f64(uint64_t u) {
        double d;

        memcpy(&d, &u, sizeof(d));
        return d;
}

/* Converts r's multi-byte fields between host order and little-endian (the same both ways). */
static void trace_record_swap(TraceRecord *r, bool to_le) {
        r->seq = to_le ? htole64(r->seq) : le64toh(r->seq);
        r->timestamp = to_le ? htole64(r->timestamp) : le64toh(r->timestamp);
        for (size_t i = 0; i < KOS_TRACE_MAX_ARGS; i++) {
                if (r->arg_types[i] == KOS_TRACE_ARG_INT)
                        r->args[i].value.i = (int64_t)(to_le ? htole64((uint64_t)r->args[i].value.i)
                                                             : le64toh((uint64_t)r->args[i].value.i));
                else if (r->arg_types[i] == KOS_TRACE_ARG_DOUBLE)
                        r->args[i].value.d = bits_f64(to_le ? htole64(f64_bits(r->args[i].value.d))
                                                            : le64toh(f64_bits(r->args[i].value.d)));
        }
}

/* ---- Writer ---------------------------------------------------------------------------- */

void trace_file_writer_init(TraceFileWriter *w) {
        *w = (TraceFileWriter){ 0 };
        w->data = malloc(4096);
        if (!w->data) {
                w->error = -ENOMEM;
                return;
        }
        w->capacity = 4096;
        memcpy(w->data, TRACE_FILE_MAGIC, 8);
        uint32_t version = htole32(TRACE_FILE_VERSION), reserved = 0;
        memcpy(w->data + 8, &version, 4);
        memcpy(w->data + 12, &reserved, 4);
        w->size = TRACE_FILE_HEADER_SIZE;
}

void trace_file_writer_done(TraceFileWriter *w) {
        free(w->data);
        *w = (TraceFileWriter){ 0 };
}

static uint8_t *writer_section(TraceFileWriter *w, uint16_t type, uint32_t length) {
        uint16_t t = htole16(type), reserved = 0;
        uint32_t l = htole32(length);
        uint8_t *p;

        if (w->error)
                return NULL;
        if (w->capacity - w->size < 8 + (size_t)length) {
                size_t capacity = w->capacity;
                uint8_t *data;

                while (capacity - w->size < 8 + (size_t)length)
                        capacity *= 2;
                data = realloc(w->data, capacity);
                if (!data) {
                        w->error = -ENOMEM;
                        return NULL;
                }
                w->data = data;
                w->capacity = capacity;
        }
        p = w->data + w->size;
        memcpy(p, &t, 2);
        memcpy(p + 2, &reserved, 2);
        memcpy(p + 4, &l, 4);
        w->size += 8 + (size_t)length;
        return p + 8;
}

static uint8_t *put32(uint8_t *p, uint32_t v) {
        v = htole32(v);
        memcpy(p, &v, 4);
        return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v) {
        v = htole64(v);
        memcpy(p, &v, 8);
        return p + 8;
}

void trace_file_write_process(TraceFileWriter *w, uint32_t pid, const char *app) {
        size_t n = strlen(app);
        uint8_t *p = writer_section(w, TRACE_SECTION_PROCESS, (uint32_t)(8 + n));

        if (!p)
                return;
        p = put32(put32(p, pid), 0);
        memcpy(p, app, n);
}

void trace_file_write_category(TraceFileWriter *w, uint32_t pid, uint32_t id, const char *name,
                               const char *description) {
        size_t n = strlen(name), d = strlen(description);
        uint8_t *p = writer_section(w, TRACE_SECTION_CATEGORY, (uint32_t)(12 + n + d));

        if (!p)
                return;
        p = put32(put32(put32(p, pid), id), (uint32_t)n);
        memcpy(p, name, n);
        memcpy(p + n, description, d);
}

void trace_file_write_event(TraceFileWriter *w, uint32_t pid, uint32_t tid, const TraceRecord *r) {
        uint8_t *p = writer_section(w, TRACE_SECTION_EVENT, 8 + TRACE_RECORD_SIZE);
        TraceRecord le = *r;

        if (!p)
                return;
        trace_record_swap(&le, true);
        p = put32(put32(p, pid), tid);
        memcpy(p, &le, TRACE_RECORD_SIZE);
}

void trace_file_write_lost(TraceFileWriter *w, uint32_t pid, uint32_t tid, uint64_t timestamp, uint64_t count) {
        uint8_t *p = writer_section(w, TRACE_SECTION_LOST, 24);

        if (!p)
                return;
        (void)put64(put64(put32(put32(p, pid), tid), timestamp), count);
}

/* ---- Reader ---------------------------------------------------------------------------- */

/* The pid lookup: open addressing, at most half full (invariant 3: one probe or a few per
 * section, not a scan of every process). */
#define READER_PID_SLOTS 8192U
static_assert(READER_PID_SLOTS >= 2 * TRACE_FILE_MAX_PROCESSES, "the pid table stays at most half full");

typedef struct Reader {
        const uint8_t *data;
        size_t size;
        size_t offset; /* of the section being read */
        char *err;
        size_t err_size;
        TraceFile *file;
        size_t events_capacity;
        uint32_t *pid_slots; /* owned: READER_PID_SLOTS, each a process index + 1, or 0 */
} Reader;

static size_t reader_pid_slot(const Reader *rd, uint32_t pid) {
        size_t k = (uint32_t)(pid * 2654435761U) >> 19;

        while (rd->pid_slots[k] && rd->file->processes[rd->pid_slots[k] - 1].pid != pid)
                k = (k + 1) & (READER_PID_SLOTS - 1);
        return k;
}

static int reader_error(Reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reader_error(Reader *rd, const char *fmt, ...) {
        va_list ap;
        int n;

        if (rd->err && rd->err_size) {
                n = snprintf(rd->err, rd->err_size, "offset %zu: ", rd->offset);
                if (n >= 0 && (size_t)n < rd->err_size) {
                        va_start(ap, fmt);
                        vsnprintf(rd->err + n, rd->err_size - (size_t)n, fmt, ap);
                        va_end(ap);
                }
        }
        return -EBADMSG;
}

static uint32_t get32(const uint8_t *p) {
        uint32_t v;

        memcpy(&v, p, 4);
        return le32toh(v);
}

static uint64_t get64(const uint8_t *p) {
        uint64_t v;

        memcpy(&v, p, 8);
        return le64toh(v);
}

static TraceFileProcess *reader_find_process(Reader *rd, uint32_t pid, size_t *indexp) {
        uint32_t slot = rd->pid_slots[reader_pid_slot(rd, pid)];

        if (!slot)
                return NULL;
        if (indexp)
                *indexp = slot - 1;
        return &rd->file->processes[slot - 1];
}

static bool text_is_printable(const uint8_t *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] < 0x20 || s[i] >= 0x7f)
                        return false;
        return true;
}

static int reader_process(Reader *rd, const uint8_t *p, uint32_t length) {
        TraceFileProcess *procs, *proc;
        uint32_t pid;

        if (length < 8)
                return reader_error(rd, "process section is %u bytes, shorter than 8", length);
        pid = get32(p);
        if (pid == 0)
                return reader_error(rd, "process has pid 0");
        if (get32(p + 4) != 0)
                return reader_error(rd, "process: reserved field is not 0");
        if (length - 8 > TRACE_APP_NAME_MAX || !msg_name_is_valid((const char *)p + 8, length - 8))
                return reader_error(rd, "process %u: malformed app name", pid);
        if (reader_find_process(rd, pid, NULL))
                return reader_error(rd, "process %u declared twice", pid);
        if (rd->file->n_processes == TRACE_FILE_MAX_PROCESSES)
                return reader_error(rd, "more than %u processes", TRACE_FILE_MAX_PROCESSES);
        procs = reallocarray(rd->file->processes, rd->file->n_processes + 1, sizeof(*procs));
        if (!procs)
                return -ENOMEM;
        rd->file->processes = procs;
        rd->pid_slots[reader_pid_slot(rd, pid)] = (uint32_t)rd->file->n_processes + 1;
        proc = &procs[rd->file->n_processes++];
        *proc = (TraceFileProcess){ .pid = pid };
        memcpy(proc->app, p + 8, length - 8);
        proc->app[length - 8] = '\0';
        return 0;
}

static int reader_category(Reader *rd, const uint8_t *p, uint32_t length) {
        TraceFileProcess *proc;
        uint32_t pid, id, n;

        if (length < 12)
                return reader_error(rd, "category section is %u bytes, shorter than 12", length);
        pid = get32(p);
        id = get32(p + 4);
        n = get32(p + 8);
        proc = reader_find_process(rd, pid, NULL);
        if (!proc)
                return reader_error(rd, "category of undeclared process %u", pid);
        if (id >= KOS_TRACE_MAX_CATEGORIES)
                return reader_error(rd, "category id %u is not below %u", id, KOS_TRACE_MAX_CATEGORIES);
        if (proc->categories[id])
                return reader_error(rd, "category %u of process %u declared twice", id, pid);
        if (n == 0 || n > length - 12 || n > 64)
                return reader_error(rd, "category %u: malformed name length %u", id, n);
        if (length - 12 - n > TRACE_DESCRIPTION_MAX)
                return reader_error(rd, "category %u: description longer than %u bytes", id, TRACE_DESCRIPTION_MAX);
        if (!text_is_printable(p + 12, length - 12))
                return reader_error(rd, "category %u: name or description is not printable ASCII", id);
        proc->categories[id] = strndup((const char *)p + 12, n);
        proc->descriptions[id] = strndup((const char *)p + 12 + n, length - 12 - n);
        if (!proc->categories[id] || !proc->descriptions[id])
                return -ENOMEM;
        return 0;
}

static TraceFileEvent *reader_new_event(Reader *rd) {
        TraceFile *f = rd->file;

        if (f->n_events == rd->events_capacity) {
                size_t capacity = rd->events_capacity ? rd->events_capacity * 2 : 256;
                TraceFileEvent *events = reallocarray(f->events, capacity, sizeof(*events));

                if (!events)
                        return NULL;
                f->events = events;
                rd->events_capacity = capacity;
        }
        return &f->events[f->n_events++];
}

static int reader_event(Reader *rd, const uint8_t *p, uint32_t length, bool lost) {
        TraceFileProcess *proc;
        TraceFileEvent *e;
        TraceRecord r;
        size_t index;
        uint32_t pid, tid;

        if (length != (lost ? 24 : 8 + TRACE_RECORD_SIZE))
                return reader_error(rd, "%s section is %u bytes, not %u", lost ? "lost" : "event", length,
                                    lost ? 24 : 8 + TRACE_RECORD_SIZE);
        pid = get32(p);
        tid = get32(p + 4);
        proc = reader_find_process(rd, pid, &index);
        if (!proc)
                return reader_error(rd, "%s of undeclared process %u", lost ? "lost count" : "event", pid);
        if (lost) {
                r = (TraceRecord){ .type = TRACE_EVENT_LOST, .timestamp = get64(p + 8), .n_args = 1,
                                   .arg_types = { KOS_TRACE_ARG_INT } };
                r.args[0].value.i = (int64_t)(get64(p + 16) > INT64_MAX ? INT64_MAX : get64(p + 16));
                memcpy(r.name, "lost", 4);
                r.name_len = 4;
        } else {
                if (tid == 0)
                        return reader_error(rd, "event of process %u has thread id 0", pid);
                memcpy(&r, p + 8, TRACE_RECORD_SIZE);
                trace_record_swap(&r, false);
                if (!trace_record_is_valid(&r, KOS_TRACE_MAX_CATEGORIES))
                        return reader_error(rd, "malformed event record of process %u", pid);
                if (!proc->categories[r.category])
                        return reader_error(rd, "event of process %u names undeclared category %u", pid,
                                            r.category);
                /* Unused argument slots carry no meaning: make them all zero. */
                for (size_t i = r.n_args; i < KOS_TRACE_MAX_ARGS; i++)
                        memset(&r.args[i], 0, sizeof(r.args[i]));
        }
        e = reader_new_event(rd);
        if (!e)
                return -ENOMEM;
        *e = (TraceFileEvent){ .pid = pid, .tid = tid, .process = index, .record = r };
        return 0;
}

int trace_file_parse(TraceFile **filep, const void *data, size_t size, char *err, size_t err_size) {
        _cleanup_(trace_file_freep) TraceFile *file = calloc(1, sizeof(TraceFile));
        _cleanup_free_ uint32_t *pid_slots = calloc(READER_PID_SLOTS, sizeof(uint32_t));
        Reader rd = { .data = data, .size = size, .err = err, .err_size = err_size, .file = file,
                      .pid_slots = pid_slots };
        int r;

        if (!file || !pid_slots)
                return -ENOMEM;
        if (size < TRACE_FILE_HEADER_SIZE || memcmp(data, TRACE_FILE_MAGIC, 8) != 0)
                return reader_error(&rd, "not a KOS trace file (no KOSTRACE header)");
        if (get32(rd.data + 8) != TRACE_FILE_VERSION)
                return reader_error(&rd, "trace file version %u is not supported (this reader reads %u)",
                                    get32(rd.data + 8), TRACE_FILE_VERSION);
        if (get32(rd.data + 12) != 0)
                return reader_error(&rd, "header: reserved field is not 0");
        rd.offset = TRACE_FILE_HEADER_SIZE;
        while (rd.offset < size) {
                const uint8_t *p = rd.data + rd.offset;
                uint16_t type, reserved;
                uint32_t length;

                if (size - rd.offset < 8)
                        return reader_error(&rd, "truncated section header");
                memcpy(&type, p, 2);
                memcpy(&reserved, p + 2, 2);
                type = le16toh(type);
                length = get32(p + 4);
                if (reserved != 0)
                        return reader_error(&rd, "section: reserved field is not 0");
                if (length > size - rd.offset - 8)
                        return reader_error(&rd, "truncated section (%u bytes announced, %zu left)", length,
                                            size - rd.offset - 8);
                switch (type) {
                case TRACE_SECTION_PROCESS:
                        r = reader_process(&rd, p + 8, length);
                        break;
                case TRACE_SECTION_CATEGORY:
                        r = reader_category(&rd, p + 8, length);
                        break;
                case TRACE_SECTION_EVENT:
                        r = reader_event(&rd, p + 8, length, false);
                        break;
                case TRACE_SECTION_LOST:
                        r = reader_event(&rd, p + 8, length, true);
                        break;
                default:
                        r = reader_error(&rd, "unknown section type %u", type);
                        break;
                }
                if (r < 0)
                        return r;
                rd.offset += 8 + (size_t)length;
        }
        *filep = steal_ptr(&file);
        return 0;
}

TraceFile *trace_file_free(TraceFile *file) {
        if (!file)
                return NULL;
        for (size_t i = 0; i < file->n_processes; i++)
                for (size_t k = 0; k < KOS_TRACE_MAX_CATEGORIES; k++) {
                        free(file->processes[i].categories[k]);
                        free(file->processes[i].descriptions[k]);
                }
        free(file->processes);
        free(file->events);
        free(file);
        return NULL;
}
