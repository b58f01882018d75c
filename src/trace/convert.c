// SPDX-License-Identifier: Apache-2.0
/*
 * Trace file to Chrome JSON and to CTF (see convert.h for the invariants).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/convert.h"
#include "util/fileio.h"

/* One output event: a file event, or an E added to close a slice (added: event is its B). */
typedef struct OutEvent {
        const TraceFileEvent *event;
        size_t order;
        bool added;
        uint64_t timestamp; /* of an added E; 0 is a timestamp like any other */
} OutEvent;

static int out_compare_thread(const void *a, const void *b) {
        const OutEvent *x = a, *y = b;
        const TraceFileEvent *e = x->event, *f = y->event;

        if (e->pid != f->pid)
                return e->pid < f->pid ? -1 : 1;
        if (e->tid != f->tid)
                return e->tid < f->tid ? -1 : 1;
        if (e->record.timestamp != f->record.timestamp)
                return e->record.timestamp < f->record.timestamp ? -1 : 1;
        return (x->order > y->order) - (x->order < y->order);
}

static uint64_t out_timestamp(const OutEvent *o) {
        return o->added ? o->timestamp : o->event->record.timestamp;
}

static int out_compare_time(const void *a, const void *b) {
        const OutEvent *x = a, *y = b;
        uint64_t s = out_timestamp(x), t = out_timestamp(y);

        if (s != t)
                return s < t ? -1 : 1;
        return (x->order > y->order) - (x->order < y->order);
}

/*
 * The events in per-thread order with slices balanced (invariant 1). Lost counts keep
 * their place. *outp is owned by the caller; each element's event points into file.
 * An added E has event = its B and timestamp set.
 */
static int trace_balance(const TraceFile *file, OutEvent **outp, size_t *np, TraceConvertStats *stats) {
        _cleanup_free_ OutEvent *in = calloc(file->n_events + 1, sizeof(OutEvent));
        _cleanup_free_ OutEvent *out = calloc(2 * file->n_events + 1, sizeof(OutEvent));
        _cleanup_free_ const TraceFileEvent **stack = calloc(file->n_events + 1, sizeof(void *));
        size_t n = 0, depth = 0;

        if (!in || !out || !stack)
                return -ENOMEM;
        for (size_t i = 0; i < file->n_events; i++)
                in[i] = (OutEvent){ &file->events[i], i, false, 0 };
        qsort(in, file->n_events, sizeof(OutEvent), out_compare_thread);
        for (size_t i = 0; i < file->n_events; i++) {
                const TraceFileEvent *e = in[i].event;
                bool last = i + 1 == file->n_events || in[i + 1].event->pid != e->pid || in[i + 1].event->tid != e->tid;

                if (e->record.type == KOS_TRACE_EVENT_BEGIN) {
                        stack[depth++] = e;
                } else if (e->record.type == KOS_TRACE_EVENT_END) {
                        if (depth == 0) {
                                stats->dropped++;
                                goto next;
                        }
                        depth--;
                }
                out[n] = (OutEvent){ e, n, false, 0 };
                n++;
next:
                if (last) {
                        while (depth > 0) {
                                out[n] = (OutEvent){ stack[--depth], n, true, e->record.timestamp };
                                n++;
                                stats->closed++;
                        }
                }
        }
        *outp = steal_ptr(&out);
        *np = n;
        return 0;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

/* Text that passed trace_record_is_valid() or the reader: printable ASCII; escape " and \. */
static void json_string(FILE *f, const char *s, size_t n) {
        fputc('"', f);
        for (size_t i = 0; i < n && s[i]; i++) {
                if (s[i] == '"' || s[i] == '\\')
                        fputc('\\', f);
                fputc(s[i], f);
        }
        fputc('"', f);
}

static void json_ts(FILE *f, uint64_t ns) {
        fprintf(f, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

static void json_args(FILE *f, const TraceRecord *r) {
        fputs(",\"args\":{", f);
        for (size_t i = 0; i < r->n_args; i++) {
                const TraceArgValue *a = &r->args[i];

                if (i)
                        fputc(',', f);
                json_string(f, a->key, KOS_TRACE_KEY_MAX);
                fputc(':', f);
                if (r->arg_types[i] == KOS_TRACE_ARG_INT)
                        fprintf(f, "%" PRId64, a->value.i);
                else if (r->arg_types[i] == KOS_TRACE_ARG_DOUBLE)
                        fprintf(f, "%.17g", a->value.d);
                else
                        json_string(f, a->value.s, KOS_TRACE_STRING_MAX);
        }
        fputc('}', f);
}

int trace_convert_json(const TraceFile *file, FILE *f, TraceConvertStats *statsp) {
        TraceConvertStats stats = { 0 };
        _cleanup_free_ OutEvent *out = NULL;
        size_t n;
        int r;

        r = trace_balance(file, &out, &n, &stats);
        if (r < 0)
                return r;
        fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f);
        for (size_t i = 0; i < file->n_processes; i++) {
                const TraceFileProcess *p = &file->processes[i];

                fprintf(f, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"name\":\"process_name\",\"args\":{\"name\":", p->pid,
                        p->pid);
                json_string(f, p->app, sizeof(p->app));
                fputs("}},\n", f);
        }
        /* A thread_name for each thread, at its first event (out is grouped by thread). */
        for (size_t i = 0; i < n; i++) {
                const TraceFileEvent *e = out[i].event;
                const TraceFileProcess *p = &file->processes[e->process];

                if (i > 0 && out[i - 1].event->pid == e->pid && out[i - 1].event->tid == e->tid)
                        continue;
                if (e->tid == 0)
                        continue;
                fprintf(f, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"name\":\"thread_name\",\"args\":{\"name\":\"%s%s",
                        e->pid, e->tid, p->app, e->tid == e->pid ? "" : "/");
                if (e->tid != e->pid)
                        fprintf(f, "%u", e->tid);
                fputs("\"}},\n", f);
        }
        for (size_t i = 0; i < n; i++) {
                const TraceFileEvent *e = out[i].event;
                const TraceFileProcess *p = &file->processes[e->process];
                const TraceRecord *rec = &e->record;
                bool added = out[i].added;
                static const char phase[] = { 0, 'B', 'E', 'i', 'C' };

                if (rec->type == TRACE_EVENT_LOST) {
                        fprintf(f, "{\"ph\":\"C\",\"pid\":%u,\"tid\":%u,\"ts\":", e->pid, e->tid);
                        json_ts(f, rec->timestamp);
                        fprintf(f, ",\"name\":\"lost events\",\"args\":{\"thread %u\":%" PRId64 "}},\n", e->tid,
                                rec->args[0].value.i);
                        stats.events++;
                        continue;
                }
                fprintf(f, "{\"ph\":\"%c\",\"pid\":%u,\"tid\":%u,\"ts\":", added ? 'E' : phase[rec->type], e->pid,
                        e->tid);
                json_ts(f, out_timestamp(&out[i]));
                fputs(",\"cat\":", f);
                json_string(f, p->categories[rec->category], 1024);
                fputs(",\"name\":", f);
                json_string(f, rec->name, KOS_TRACE_NAME_MAX);
                if (rec->type == KOS_TRACE_EVENT_INSTANT && !added)
                        fputs(",\"s\":\"t\"", f);
                if (!added)
                        json_args(f, rec);
                fputs("},\n", f);
                stats.events++;
        }
        /* A last metadata event ends the list without a trailing comma. */
        fputs("{\"ph\":\"M\",\"pid\":0,\"tid\":0,\"name\":\"trace_source\",\"args\":{\"name\":\"kos-traced\"}}\n]}\n", f);
        if (fflush(f) != 0 || ferror(f))
                return -errno ? -errno : -EIO;
        if (statsp)
                *statsp = stats;
        return 0;
}

/* ---- CTF ----------------------------------------------------------------------------------- */

static const char ctf_metadata[] =
        "/* CTF 1.8 */\n"
        "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
        "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
        "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
        "typealias integer { size = 64; align = 8; signed = true; } := int64_t;\n"
        "trace {\n"
        "\tmajor = 1;\n\tminor = 8;\n\tbyte_order = le;\n"
        "\tpacket.header := struct { uint32_t magic; uint32_t stream_id; };\n"
        "};\n"
        "env {\n\tdomain = \"kos\";\n\ttracer_name = \"kos-traced\";\n};\n"
        "clock {\n\tname = monotonic;\n\tdescription = \"CLOCK_MONOTONIC\";\n\tfreq = 1000000000;\n"
        "\toffset = 0;\n};\n"
        "typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := ctf_time_t;\n"
        "stream {\n"
        "\tid = 0;\n"
        "\tpacket.context := struct { ctf_time_t timestamp_begin; ctf_time_t timestamp_end;\n"
        "\t\tuint64_t content_size; uint64_t packet_size; };\n"
        "\tevent.header := struct { uint32_t id; ctf_time_t timestamp; };\n"
        "};\n";

static const char *const ctf_event_names[] = { NULL, "kos:begin", "kos:end", "kos:instant", "kos:counter", "kos:lost" };

typedef struct CtfBuffer {
        uint8_t *data;
        size_t size, capacity;
        int error;
} CtfBuffer;

static void ctf_put(CtfBuffer *b, const void *p, size_t n) {
        if (b->error)
                return;
        if (b->capacity - b->size < n) {
                size_t capacity = b->capacity ? b->capacity : 65536;
                uint8_t *data;

                while (capacity - b->size < n)
                        capacity *= 2;
                data = realloc(b->data, capacity);
                if (!data) {
                        b->error = -ENOMEM;
                        return;
                }
                b->data = data;
                b->capacity = capacity;
        }
        memcpy(b->data + b->size, p, n);
        b->size += n;
}

static void ctf_u32(CtfBuffer *b, uint32_t v) {
        v = htole32(v);
        ctf_put(b, &v, 4);
}

static void ctf_u64(CtfBuffer *b, uint64_t v) {
        v = htole64(v);
        ctf_put(b, &v, 8);
}

static void ctf_text(CtfBuffer *b, const char *s, size_t max) {
        size_t n = strnlen(s, max);

        ctf_put(b, s, n);
        ctf_put(b, "", 1);
}

static void ctf_args(CtfBuffer *b, const TraceRecord *r) {
        char text[512];
        size_t used = 0;

        text[0] = '\0';
        for (size_t i = 0; i < r->n_args && used < sizeof(text); i++) {
                const TraceArgValue *a = &r->args[i];
                int k;

                if (r->arg_types[i] == KOS_TRACE_ARG_INT)
                        k = snprintf(text + used, sizeof(text) - used, "%s%.*s=%" PRId64, i ? " " : "",
                                     KOS_TRACE_KEY_MAX, a->key, a->value.i);
                else if (r->arg_types[i] == KOS_TRACE_ARG_DOUBLE)
                        k = snprintf(text + used, sizeof(text) - used, "%s%.*s=%.17g", i ? " " : "", KOS_TRACE_KEY_MAX,
                                     a->key, a->value.d);
                else
                        k = snprintf(text + used, sizeof(text) - used, "%s%.*s=\"%.*s\"", i ? " " : "",
                                     KOS_TRACE_KEY_MAX, a->key, KOS_TRACE_STRING_MAX, a->value.s);
                if (k < 0)
                        break;
                used += (size_t)k;
        }
        ctf_text(b, text, sizeof(text));
}

/* A counter's double as the int64 value field: truncated, and held within int64's range
 * (converting a double outside it is undefined behaviour; the reader only checks finite). */
static int64_t ctf_double_value(double d) {
        if (d >= 9223372036854775807.0)
                return INT64_MAX;
        if (d <= -9223372036854775808.0)
                return INT64_MIN;
        return (int64_t)d;
}

int trace_convert_ctf(const TraceFile *file, int dir_fd, TraceConvertStats *statsp) {
        TraceConvertStats stats = { 0 };
        _cleanup_free_ OutEvent *out = NULL;
        _cleanup_free_ char *metadata = NULL;
        CtfBuffer b = { 0 };
        uint64_t first, last;
        size_t n, context;
        int r;

        r = trace_balance(file, &out, &n, &stats);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                out[i].order = i;
        qsort(out, n, sizeof(OutEvent), out_compare_time);
        first = n ? out_timestamp(&out[0]) : 0;
        last = n ? out_timestamp(&out[n - 1]) : 0;

        size_t classes = 0;
        size_t meta_size = sizeof(ctf_metadata) + 5 * 512;
        metadata = malloc(meta_size);
        if (!metadata)
                return -ENOMEM;
        classes = (size_t)snprintf(metadata, meta_size, "%s", ctf_metadata);
        for (unsigned id = 1; id <= TRACE_EVENT_LOST; id++)
                classes += (size_t)snprintf(metadata + classes, meta_size - classes,
                                            "event {\n\tname = \"%s\";\n\tid = %u;\n\tstream_id = 0;\n"
                                            "\tfields := struct { string app; uint32_t pid; uint32_t tid; "
                                            "string category; string name; string args; int64_t value; };\n};\n",
                                            ctf_event_names[id], id);

        ctf_u32(&b, 0xC1FC1FC1U);
        ctf_u32(&b, 0);
        ctf_u64(&b, first);
        ctf_u64(&b, last);
        context = b.size;
        ctf_u64(&b, 0); /* content_size, set below */
        ctf_u64(&b, 0); /* packet_size */
        for (size_t i = 0; i < n; i++) {
                const TraceFileEvent *e = out[i].event;
                const TraceFileProcess *p = &file->processes[e->process];
                const TraceRecord *rec = &e->record;
                bool added = out[i].added;
                unsigned type = added ? KOS_TRACE_EVENT_END : rec->type;
                int64_t value = 0;

                if (rec->type == TRACE_EVENT_LOST || (rec->type == KOS_TRACE_EVENT_COUNTER && !added))
                        value = rec->arg_types[0] == KOS_TRACE_ARG_DOUBLE ? ctf_double_value(rec->args[0].value.d)
                                                                           : rec->args[0].value.i;
                ctf_u32(&b, type);
                ctf_u64(&b, out_timestamp(&out[i]));
                ctf_text(&b, p->app, sizeof(p->app));
                ctf_u32(&b, e->pid);
                ctf_u32(&b, e->tid);
                ctf_text(&b, rec->type == TRACE_EVENT_LOST ? "" : p->categories[rec->category], 1024);
                ctf_text(&b, rec->type == TRACE_EVENT_LOST ? "lost events" : rec->name, KOS_TRACE_NAME_MAX);
                if (added || rec->type == TRACE_EVENT_LOST)
                        ctf_text(&b, "", 1);
                else
                        ctf_args(&b, rec);
                ctf_u64(&b, (uint64_t)value);
                stats.events++;
        }
        if (b.error) {
                free(b.data);
                return b.error;
        }
        uint64_t bits = htole64((uint64_t)b.size * 8);
        memcpy(b.data + context, &bits, 8);
        memcpy(b.data + context + 8, &bits, 8);

        _cleanup_close_ int mfd = openat(dir_fd, "metadata", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        _cleanup_close_ int sfd = openat(dir_fd, "stream_0", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        r = mfd < 0 || sfd < 0 ? -errno : 0;
        if (r >= 0)
                r = write_full(mfd, metadata, strlen(metadata));
        if (r >= 0)
                r = write_full(sfd, b.data, b.size);
        if (r >= 0 && (fsync(mfd) < 0 || fsync(sfd) < 0))
                r = -errno;
        free(b.data);
        if (r < 0)
                return r;
        if (statsp)
                *statsp = stats;
        return 0;
}
