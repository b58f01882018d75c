// SPDX-License-Identifier: Apache-2.0
/*
 * The traced app's side: categories, the session, and writing events (kos/trace.h).
 *
 * Invariants:
 *  1. kos_trace_emit() makes no system call: the clock is the vDSO's clock_gettime, the
 *     buffer is thread-local once claimed (the claim's gettid() is once per thread).
 *  2. Every category's enabled pointer points at its own constant 0 until a session is
 *     open, then at the session header's byte for its id; it never changes after that.
 *  3. Records are published by the seqlock protocol of layout.h (invariant 2).
 *  4. Categories past KOS_TRACE_MAX_CATEGORIES are registered but never enabled.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kos/msg.h"
#include "kos/trace.h"
#include "trace/layout.h"
#include "util/cleanup.h"

static KosTraceCategory *trace_categories; /* registration order, newest first */
static uint32_t trace_n_categories;
static TraceShmHeader *trace_shm; /* NULL until kos_trace_open() */
static uint32_t trace_buffer_records; /* the server's values, checked once at open */
static uint32_t trace_n_buffers;
static KosMsgChannel *trace_channel; /* the session: the server sees our end when we die */
static pthread_key_t trace_thread_key; /* its destructor retires a thread's ring */
static bool trace_thread_key_made;
/* Initial-exec: no __tls_get_addr call per event, in libkos-trace.so too. */
static __thread TraceShmBuffer *trace_thread_buffer __attribute__((tls_model("initial-exec")));
static __thread int trace_thread_claimed __attribute__((tls_model("initial-exec"))); /* 1: a ring; -1: none free */

void kos_trace_category_register(KosTraceCategory *category) {
        /* Constructors run on one thread, before main. */
        category->id = trace_n_categories++;
        category->next = trace_categories;
        trace_categories = category;
}

/*
 * At a thread's exit: its ring may go to another thread once the server has drained it.
 * Events the thread still emits after this (from a later thread-specific destructor) are
 * counted as lost, not written into a ring another thread may have claimed meanwhile.
 */
static void trace_thread_exit(void *ring) {
        TraceShmBuffer *b = ring;

        trace_thread_buffer = NULL;
        trace_thread_claimed = -1;
        atomic_store_explicit((_Atomic uint32_t *)&b->retired, 1, memory_order_release);
}

static TraceShmBuffer *trace_claim_buffer(void) {
        uint32_t tid = (uint32_t)gettid();

        for (uint32_t k = 0; k < trace_n_buffers; k++) {
                TraceShmBuffer *b = trace_shm_buffer(trace_shm, trace_buffer_records, k);
                uint32_t free_owner = 0;

                if (atomic_compare_exchange_strong((_Atomic uint32_t *)&b->owner, &free_owner, tid)) {
                        if (trace_thread_key_made)
                                (void)pthread_setspecific(trace_thread_key, b);
                        trace_thread_claimed = 1;
                        return trace_thread_buffer = b;
                }
        }
        trace_thread_claimed = -1;
        return NULL;
}

/* Copies up to cap bytes of src, printable ASCII kept, others '?', NUL-padded; returns the length. */
static inline size_t trace_copy_text(char *dst, size_t cap, const char *src) {
        size_t n = 0;

        if (src)
                for (; n < cap && src[n]; n++) {
                        unsigned char c = (unsigned char)src[n];
                        dst[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
                }
        if (n < cap)
                memset(dst + n, 0, cap - n);
        return n;
}

void kos_trace_emit(const KosTraceCategory *category, KosTraceEventType type, const char *name,
                    const KosTraceArg *args, size_t n_args) {
        TraceShmBuffer *b = trace_thread_buffer;
        TraceRecord *r;
        struct timespec ts;
        uint64_t head;
        size_t len;

        if (!b) {
                if (!trace_shm)
                        return;
                if (trace_thread_claimed < 0 || !(b = trace_claim_buffer())) {
                        atomic_fetch_add_explicit((_Atomic uint64_t *)&trace_shm->lost_no_buffer, 1,
                                                  memory_order_relaxed);
                        return;
                }
        }
        head = b->head;
        if (trace_shm->mode == KOS_TRACE_MODE_DISCARD &&
            head - atomic_load_explicit((_Atomic uint64_t *)&b->tail, memory_order_acquire) >= trace_buffer_records) {
                b->lost++;
                return;
        }
        r = &b->records[head & (trace_buffer_records - 1)];
        atomic_store_explicit((_Atomic uint64_t *)&r->seq, 0, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r->timestamp = (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
        r->type = (uint8_t)type;
        r->category = (uint8_t)category->id;
        if (n_args > KOS_TRACE_MAX_ARGS)
                n_args = KOS_TRACE_MAX_ARGS;
        r->n_args = (uint8_t)n_args;
        len = trace_copy_text(r->name, KOS_TRACE_NAME_MAX, name);
        r->name_len = (uint8_t)(len ? len : 1);
        if (!len)
                r->name[0] = '?';
        for (size_t i = 0; i < KOS_TRACE_MAX_ARGS; i++) {
                if (i >= n_args) {
                        r->arg_types[i] = 0;
                        continue;
                }
                r->arg_types[i] = (uint8_t)args[i].type;
                if (trace_copy_text(r->args[i].key, KOS_TRACE_KEY_MAX, args[i].key) == 0)
                        r->args[i].key[0] = '?';
                if (args[i].type == KOS_TRACE_ARG_STRING)
                        (void)trace_copy_text(r->args[i].value.s, KOS_TRACE_STRING_MAX, args[i].value.s);
                else if (args[i].type == KOS_TRACE_ARG_DOUBLE)
                        r->args[i].value.d = args[i].value.d;
                else
                        r->args[i].value.i = args[i].value.i;
        }
        atomic_store_explicit((_Atomic uint64_t *)&r->seq, head + 1, memory_order_release);
        atomic_store_explicit((_Atomic uint64_t *)&b->head, head + 1, memory_order_release);
}

int kos_trace_open(int timeout_ms) {
        _cleanup_free_ char *payload = NULL;
        KosMsgChannel *channel = NULL;
        KosMsgMessage reply;
        TraceHelloHead head = { TRACE_HELLO_MAGIC, 1, (uint32_t)getpid(), 0 };
        TraceHelloReply answer;
        size_t size = sizeof(head), n = 0;
        TraceShmHeader *shm;
        char *p;
        int r;

        if (trace_shm)
                return 0;
        for (KosTraceCategory *c = trace_categories; c; c = c->next)
                if (c->id < KOS_TRACE_MAX_CATEGORIES) {
                        size += strlen(c->name) + 1 + strlen(c->description ? c->description : "") + 1;
                        n++;
                }
        if (size > KOS_MSG_MAX_PAYLOAD)
                return -EMSGSIZE;
        payload = malloc(size);
        if (!payload)
                return -ENOMEM;
        head.n_categories = (uint32_t)n;
        memcpy(payload, &head, sizeof(head));
        p = payload + sizeof(head);
        /* In id order: the list is newest first. */
        for (uint32_t id = 0; id < n; id++)
                for (KosTraceCategory *c = trace_categories; c; c = c->next)
                        if (c->id == id) {
                                const char *d = c->description ? c->description : "";
                                p = stpcpy(p, c->name) + 1;
                                p = stpcpy(p, d) + 1;
                        }

        r = kos_msg_lookup(KOS_TRACE_PROTOCOL, timeout_ms, &channel);
        if (r < 0)
                return r;
        r = kos_msg_call(channel, payload, size, -1, timeout_ms < 0 ? -1 : (timeout_ms < 1000 ? 1000 : timeout_ms),
                         &reply);
        if (r < 0) {
                kos_msg_channel_free(channel);
                return r;
        }
        if (reply.status != 0 || reply.fd < 0 || reply.size != sizeof(answer)) {
                r = reply.status != 0 && reply.status < 4096 ? -(int)reply.status : -EPROTO;
                if (reply.fd >= 0)
                        close(reply.fd);
                kos_msg_channel_free(channel);
                return r;
        }
        memcpy(&answer, reply.data, sizeof(answer));
        shm = answer.size >= TRACE_SHM_HEADER_SIZE && answer.size <= (1ULL << 32)
                      ? mmap(NULL, answer.size, PROT_READ | PROT_WRITE, MAP_SHARED, reply.fd, 0)
                      : MAP_FAILED;
        close(reply.fd);
        if (shm == MAP_FAILED) {
                kos_msg_channel_free(channel);
                return -EPROTO;
        }
        if (shm->magic != TRACE_SHM_MAGIC || shm->version != TRACE_SHM_VERSION || shm->n_buffers == 0 ||
            shm->buffer_records == 0 || (shm->buffer_records & (shm->buffer_records - 1)) != 0 ||
            trace_shm_size(shm->n_buffers, shm->buffer_records) > answer.size) {
                munmap(shm, answer.size);
                kos_msg_channel_free(channel);
                return -EPROTO;
        }
        trace_thread_key_made = pthread_key_create(&trace_thread_key, trace_thread_exit) == 0;
        trace_n_buffers = shm->n_buffers;
        trace_buffer_records = shm->buffer_records;
        trace_channel = channel;
        __atomic_store_n(&trace_shm, shm, __ATOMIC_RELEASE);
        for (KosTraceCategory *c = trace_categories; c; c = c->next)
                if (c->id < KOS_TRACE_MAX_CATEGORIES)
                        c->enabled = &shm->enabled[c->id];
        return 0;
}
