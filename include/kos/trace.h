/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KOS tracing: events an app emits, collected by the trace server (kos-traced) only while
 * someone started tracing for that app.
 *
 * An app declares each category of events once, at file scope:
 *
 *     KOS_TRACE_DEFINE_CATEGORY(net, "packets in and out");
 *
 * (other files of the app say KOS_TRACE_DECLARE_CATEGORY(net)), opens its session once at
 * start, and emits events anywhere:
 *
 *     kos_trace_open(1000);
 *     KOS_TRACE_INSTANT(net, "link-up", KOS_TRACE_INT("speed", 1000));
 *     KOS_TRACE_BEGIN(net, "send");  ...  KOS_TRACE_END(net, "send");
 *     { KOS_TRACE_SCOPE(net, "poll"); ... }          (ends when the block is left)
 *     KOS_TRACE_COUNTER(net, "queue", depth);
 *
 * A disabled category costs one load and one predictable branch. An enabled event is
 * written by the calling thread into its own buffer in memory shared with the trace server,
 * with a CLOCK_MONOTONIC timestamp (vDSO), and no system call. Each event carries up to
 * KOS_TRACE_MAX_ARGS typed arguments: integers, doubles, short strings. Names longer than
 * KOS_TRACE_NAME_MAX bytes, keys longer than KOS_TRACE_KEY_MAX and strings longer than
 * KOS_TRACE_STRING_MAX are cut; bytes outside printable ASCII become '?'.
 *
 * Before kos_trace_open() succeeds, and after it failed, every category is disabled.
 * Categories are registered by constructors, before main(); one registered after
 * kos_trace_open() (a library loaded later with dlopen()) is never enabled, and
 * registering must not run concurrently with kos_trace_open().
 * kos_trace_open() uses the message library (kos/msg.h) and must not run concurrently with
 * other kos_msg_* calls; the KOS_TRACE_* macros may run on any thread at any time, but not
 * in a signal handler. A thread keeps the ring its first event claimed until it exits;
 * threads that find every ring (16 by default) taken have their events counted as lost.
 *
 * The admin side (kos_trace_admin_*) starts and stops tracing for an app, lists the apps
 * and collects their events, over kos_trace_admin_protocol. Errors are negative errno
 * values, as in kos/msg.h (-EACCES: the manifest does not allow this app to administer);
 * a NULL handle, app (where one is needed) or out-parameter is -EINVAL.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KOS_TRACE_PROTOCOL "kos_trace_protocol"
#define KOS_TRACE_ADMIN_PROTOCOL "kos_trace_admin_protocol"
#define KOS_TRACE_MAX_ARGS 4
#define KOS_TRACE_NAME_MAX 40
#define KOS_TRACE_KEY_MAX 8
#define KOS_TRACE_STRING_MAX 8
#define KOS_TRACE_MAX_CATEGORIES 64

typedef struct KosTraceCategory {
        const volatile uint8_t *enabled; /* the server's switch once a session is open */
        const char *name;
        const char *description;
        struct KosTraceCategory *next;
        uint32_t id;
        uint8_t off; /* what enabled points at before a session: always 0 */
} KosTraceCategory;

typedef enum KosTraceArgType {
        KOS_TRACE_ARG_INT = 1,
        KOS_TRACE_ARG_DOUBLE = 2,
        KOS_TRACE_ARG_STRING = 3,
} KosTraceArgType;

typedef struct KosTraceArg {
        const char *key;
        KosTraceArgType type;
        union {
                int64_t i;
                double d;
                const char *s;
        } value;
} KosTraceArg;

typedef enum KosTraceEventType {
        KOS_TRACE_EVENT_BEGIN = 1,
        KOS_TRACE_EVENT_END = 2,
        KOS_TRACE_EVENT_INSTANT = 3,
        KOS_TRACE_EVENT_COUNTER = 4,
} KosTraceEventType;

typedef enum KosTraceMode {
        KOS_TRACE_MODE_DISCARD = 0,   /* a full buffer drops new events (counted as lost) */
        KOS_TRACE_MODE_OVERWRITE = 1, /* flight recorder: the newest events are kept */
} KosTraceMode;

/* Registers a category; KOS_TRACE_DEFINE_CATEGORY calls it before main() (not thread-safe). */
void kos_trace_category_register(KosTraceCategory *category);

/* Writes one event; the macros call it when the category is enabled. */
void kos_trace_emit(const KosTraceCategory *category, KosTraceEventType type, const char *name,
                    const KosTraceArg *args, size_t n_args);

/*
 * Opens this app's session with the trace server: looks up kos_trace_protocol on the
 * active message server instance (waiting up to timeout_ms for it to be published), sends
 * the app's categories and maps the buffers the server hands back. Once only; a second
 * call returns 0. Returns 0, or -EACCES, -ENOENT, -ETIMEDOUT, -ENXIO, -EPROTO, -ENOMEM.
 */
int kos_trace_open(int timeout_ms);

#define KOS_TRACE_DEFINE_CATEGORY(cat, desc)                                                          \
        KosTraceCategory kos_trace_category_##cat = { &kos_trace_category_##cat.off, #cat, desc, NULL, 0, 0 }; \
        __attribute__((constructor)) static void kos_trace_register_##cat(void) {                    \
                kos_trace_category_register(&kos_trace_category_##cat);                             \
        }                                                                                            \
        extern KosTraceCategory kos_trace_category_##cat
#define KOS_TRACE_DECLARE_CATEGORY(cat) extern KosTraceCategory kos_trace_category_##cat

#define KOS_TRACE_INT(k, v) ((KosTraceArg){ .key = (k), .type = KOS_TRACE_ARG_INT, .value.i = (int64_t)(v) })
#define KOS_TRACE_DOUBLE(k, v) ((KosTraceArg){ .key = (k), .type = KOS_TRACE_ARG_DOUBLE, .value.d = (double)(v) })
#define KOS_TRACE_STRING(k, v) ((KosTraceArg){ .key = (k), .type = KOS_TRACE_ARG_STRING, .value.s = (v) })

#define KOS_TRACE_IS_ENABLED(cat) __builtin_expect(*kos_trace_category_##cat.enabled != 0, 0)

/* The arguments as an array (a leading dummy keeps an empty list valid C) and its length. */
#define KOS_TRACE_ARGS_(...)                                                  \
        ((const KosTraceArg[]){ { 0 }, __VA_ARGS__ }) + 1,                   \
                sizeof((const KosTraceArg[]){ { 0 }, __VA_ARGS__ }) / sizeof(KosTraceArg) - 1

#define KOS_TRACE_EVENT_(cat, type, name, ...)                                                       \
        do {                                                                                         \
                if (KOS_TRACE_IS_ENABLED(cat))                                                       \
                        kos_trace_emit(&kos_trace_category_##cat, type, name, KOS_TRACE_ARGS_(__VA_ARGS__)); \
        } while (0)

#define KOS_TRACE_INSTANT(cat, name, ...) KOS_TRACE_EVENT_(cat, KOS_TRACE_EVENT_INSTANT, name, __VA_ARGS__)
#define KOS_TRACE_BEGIN(cat, name, ...) KOS_TRACE_EVENT_(cat, KOS_TRACE_EVENT_BEGIN, name, __VA_ARGS__)
#define KOS_TRACE_END(cat, name, ...) KOS_TRACE_EVENT_(cat, KOS_TRACE_EVENT_END, name, __VA_ARGS__)
#define KOS_TRACE_COUNTER(cat, name, v) \
        KOS_TRACE_EVENT_(cat, KOS_TRACE_EVENT_COUNTER, name, KOS_TRACE_INT("value", v))
#define KOS_TRACE_COUNTER_DOUBLE(cat, name, v) \
        KOS_TRACE_EVENT_(cat, KOS_TRACE_EVENT_COUNTER, name, KOS_TRACE_DOUBLE("value", v))

/* A slice from here to the end of the enclosing block (begun only if enabled here). */
typedef struct KosTraceScope {
        const KosTraceCategory *category; /* NULL: not begun */
        const char *name;
} KosTraceScope;

static inline void kos_trace_scope_end(KosTraceScope *scope) {
        if (scope->category)
                kos_trace_emit(scope->category, KOS_TRACE_EVENT_END, scope->name, NULL, 0);
}

static inline KosTraceScope kos_trace_scope_begin(const KosTraceCategory *category, const char *name,
                                                  const KosTraceArg *args, size_t n_args) {
        kos_trace_emit(category, KOS_TRACE_EVENT_BEGIN, name, args, n_args);
        return (KosTraceScope){ category, name };
}

#define KOS_TRACE_CONCAT_(a, b) a##b
#define KOS_TRACE_SCOPE_VAR_(n) KOS_TRACE_CONCAT_(kos_trace_scope_, n)
#define KOS_TRACE_SCOPE(cat, name, ...)                                                              \
        __attribute__((cleanup(kos_trace_scope_end), unused)) KosTraceScope KOS_TRACE_SCOPE_VAR_(__COUNTER__) = \
                KOS_TRACE_IS_ENABLED(cat)                                                            \
                        ? kos_trace_scope_begin(&kos_trace_category_##cat, name, KOS_TRACE_ARGS_(__VA_ARGS__)) \
                        : (KosTraceScope){ NULL, NULL }

/* ---- Admin side ------------------------------------------------------------------------ */

typedef struct KosTraceAdmin KosTraceAdmin;

/*
 * Looks up kos_trace_admin_protocol on the active message server instance (waiting up to
 * timeout_ms). The caller owns *adminp. Returns 0, -EACCES (the manifest does not let this
 * app administer tracing), -ENOENT, -ETIMEDOUT, -ENXIO.
 */
int kos_trace_admin_open(int timeout_ms, KosTraceAdmin **adminp);

/* Closes the connection. Accepts NULL; returns NULL. */
KosTraceAdmin *kos_trace_admin_close(KosTraceAdmin *admin);

/*
 * Starts tracing app: categories is a comma-separated list of category names, or NULL for
 * all of them. Applies to the app's running process and every later one (a restart under
 * supervision included). Returns 0, -EINVAL (a malformed name), -EALREADY (already traced:
 * stop first), -ECONNRESET, -EPROTO.
 */
int kos_trace_admin_start(KosTraceAdmin *admin, const char *app, const char *categories, KosTraceMode mode);

/* Stops tracing app; events already written are kept for collect. -ENOENT if not traced. */
int kos_trace_admin_stop(KosTraceAdmin *admin, const char *app);

/*
 * The apps the server knows, one line each: "APP STATE MODE PIDS CATEGORIES" (STATE
 * "traced" or "idle", MODE "discard"/"overwrite"/"-", PIDS and CATEGORIES comma-separated
 * or "-"). The caller owns *textp (free()).
 */
int kos_trace_admin_list(KosTraceAdmin *admin, char **textp);

/*
 * Collects the events held for app (NULL: for every app) as a trace file (docs/tracing.md)
 * and forgets them. *fdp is a readable descriptor of the file, at offset 0; the caller
 * closes it.
 */
int kos_trace_admin_collect(KosTraceAdmin *admin, const char *app, int *fdp);

#ifdef __cplusplus
}
#endif
