// SPDX-License-Identifier: Apache-2.0
/*
 * The trace server's state (see server.h for the model and invariants).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace/admin-protocol.h"
#include "trace/layout.h"
#include "trace/record.h"
#include "trace/server.h"
#include "util/clock.h"
#include "util/log.h"

/* What the server remembers of one buffer of a session, in its own memory. */
typedef struct TraceBufferState {
        uint32_t tid;          /* owner when first seen; 0: not yet claimed */
        uint64_t next;         /* next record index to read */
        uint64_t last_ts;      /* newest timestamp stored from this buffer */
        uint64_t app_lost;     /* the app's lost counter as last read */
} TraceBufferState;

typedef struct TraceLost {
        uint32_t pid, tid;
        uint64_t count;
        uint64_t timestamp; /* when last counted */
} TraceLost;

typedef struct TraceProcess {
        uint32_t pid;
        uint32_t n_categories;
        char *categories[KOS_TRACE_MAX_CATEGORIES];   /* owned */
        char *descriptions[KOS_TRACE_MAX_CATEGORIES]; /* owned */
        TraceSession *session;                        /* NULL once it ended */
} TraceProcess;

typedef struct TraceStored {
        uint32_t pid, tid;
        TraceRecord record;
} TraceStored;

typedef struct TraceApp {
        char *name; /* owned */
        bool traced;
        KosTraceMode mode;
        char *categories; /* owned: "" for all */
        uint64_t stopped_ts; /* CLOCK_MONOTONIC ns of the last stop; 0 while traced */
        TraceProcess *processes[TRACE_APP_MAX_PROCESSES]; /* owned; oldest first */
        size_t n_processes;
        size_t n_sessions;
        TraceStored *events; /* owned ring of capacity, grown as events come (invariant 5) */
        size_t capacity;     /* at most max_events; 0 until the first event */
        size_t first, n_events;
        TraceLost *lost; /* owned */
        size_t n_lost;
} TraceApp;

struct TraceSession {
        TraceApp *app;
        TraceProcess *process;
        TraceShmHeader *shm; /* owned mapping */
        size_t size;
        TraceBufferState *buffers; /* owned, n_buffers */
        uint64_t lost_no_buffer;   /* the header's counter as last read */
};

/* Invariant 2 of file.h: a collect never writes more processes than a reader takes. */
static_assert(TRACE_MAX_APPS * TRACE_APP_MAX_PROCESSES <= TRACE_FILE_MAX_PROCESSES, "a collect fits a trace file");

/* Above the kernel's largest pid (PID_MAX_LIMIT): never a real one. */
#define TRACE_SYNTHETIC_PID_FIRST 4194305U

struct TraceServer {
        TraceServerConfig config;
        uint32_t next_synthetic_pid;
        TraceApp *apps[TRACE_MAX_APPS]; /* owned */
        size_t n_apps;
};

int trace_server_new(TraceServer **serverp, const TraceServerConfig *config) {
        TraceServer *s;

        if (config->n_buffers == 0 || config->n_buffers > 1024 || config->buffer_records < 2 ||
            config->buffer_records > (1U << 20) || (config->buffer_records & (config->buffer_records - 1)) ||
            config->max_events == 0)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->config = *config;
        s->next_synthetic_pid = TRACE_SYNTHETIC_PID_FIRST;
        *serverp = s;
        return 0;
}

static void trace_process_free(TraceProcess *p) {
        if (!p)
                return;
        for (size_t i = 0; i < KOS_TRACE_MAX_CATEGORIES; i++) {
                free(p->categories[i]);
                free(p->descriptions[i]);
        }
        free(p);
}

static void trace_session_free(TraceSession *session) {
        if (!session)
                return;
        if (session->shm)
                munmap(session->shm, session->size);
        free(session->buffers);
        free(session);
}

static void trace_app_free(TraceApp *a) {
        if (!a)
                return;
        for (size_t i = 0; i < a->n_processes; i++) {
                if (a->processes[i]->session)
                        trace_session_free(a->processes[i]->session);
                trace_process_free(a->processes[i]);
        }
        free(a->name);
        free(a->categories);
        free(a->events);
        free(a->lost);
        free(a);
}

TraceServer *trace_server_free(TraceServer *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_apps; i++)
                trace_app_free(s->apps[i]);
        free(s);
        return NULL;
}

static TraceApp *trace_server_find_app(TraceServer *s, const char *name) {
        for (size_t i = 0; i < s->n_apps; i++)
                if (strcmp(s->apps[i]->name, name) == 0)
                        return s->apps[i];
        return NULL;
}

static int trace_server_get_app(TraceServer *s, const char *name, TraceApp **appp) {
        TraceApp *a = trace_server_find_app(s, name);

        if (!a) {
                if (!trace_app_name_is_valid(name))
                        return -EINVAL;
                if (s->n_apps == TRACE_MAX_APPS)
                        return -EMFILE;
                a = calloc(1, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                a->name = strdup(name);
                a->categories = strdup("");
                if (!a->name || !a->categories) {
                        trace_app_free(a);
                        return -ENOMEM;
                }
                s->apps[s->n_apps++] = a;
        }
        *appp = a;
        return 0;
}

/* ---- Holding events -------------------------------------------------------------------- */

/*
 * Adds count lost events of thread tid of process pid. Invariant 2: a process has at most
 * TRACE_PROCESS_MAX_LOST counts (an app that keeps making new threads, or writes a new
 * owner into a ring each time, would otherwise grow this list without end); past that,
 * its losses are counted together under thread 0, which already stands for "no ring".
 */
static void trace_app_count_lost(TraceApp *a, uint32_t pid, uint32_t tid, uint64_t count, uint64_t now) {
        TraceLost *l = NULL, *process_wide = NULL, *first = NULL;
        size_t of_pid = 0;

        if (count == 0)
                return;
        for (size_t i = 0; i < a->n_lost && !l; i++) {
                if (a->lost[i].pid != pid)
                        continue;
                of_pid++;
                if (!first)
                        first = &a->lost[i];
                if (a->lost[i].tid == tid)
                        l = &a->lost[i];
                else if (a->lost[i].tid == 0)
                        process_wide = &a->lost[i];
        }
        if (!l && of_pid >= TRACE_PROCESS_MAX_LOST) {
                l = process_wide ? process_wide : first;
                l->tid = 0;
        }
        if (!l) {
                l = reallocarray(a->lost, a->n_lost + 1, sizeof(*l));
                if (!l)
                        return;
                a->lost = l;
                l = &a->lost[a->n_lost++];
                *l = (TraceLost){ pid, tid, 0, now };
        }
        l->count = l->count + count < l->count ? UINT64_MAX : l->count + count;
        l->timestamp = now;
}

/*
 * Invariant 5: doubles the ring of held events (from TRACE_APP_FIRST_EVENTS, up to
 * max_events), its events moved in order to the start. False if there is no memory.
 */
static bool trace_app_grow(TraceServer *s, TraceApp *a) {
        size_t max = s->config.max_events;
        size_t capacity = a->capacity ? a->capacity * 2 : TRACE_APP_FIRST_EVENTS;
        TraceStored *events;

        if (capacity > max)
                capacity = max;
        events = calloc(capacity, sizeof(TraceStored));
        if (!events)
                return false;
        for (size_t i = 0; i < a->n_events; i++)
                events[i] = a->events[(a->first + i) % a->capacity];
        free(a->events);
        a->events = events;
        a->capacity = capacity;
        a->first = 0;
        return true;
}

static void trace_app_store(TraceServer *s, TraceApp *a, uint32_t pid, uint32_t tid, const TraceRecord *r,
                            uint64_t now) {
        size_t max = s->config.max_events;

        if (a->n_events == a->capacity && a->capacity < max && !trace_app_grow(s, a)) {
                trace_app_count_lost(a, pid, tid, 1, now);
                return;
        }
        if (a->n_events == max) {
                if (a->mode == KOS_TRACE_MODE_DISCARD) {
                        trace_app_count_lost(a, pid, tid, 1, now);
                        return;
                }
                /* Flight recorder: the oldest event makes room. */
                trace_app_count_lost(a, a->events[a->first].pid, a->events[a->first].tid, 1, now);
                a->first = (a->first + 1) % a->capacity;
                a->n_events--;
        }
        a->events[(a->first + a->n_events) % a->capacity] = (TraceStored){ pid, tid, *r };
        a->n_events++;
}

/* ---- Reading shared buffers (invariant 1) ---------------------------------------------- */

static void trace_session_drain(TraceServer *s, TraceSession *session, uint64_t until_ts) {
        TraceApp *a = session->app;
        TraceProcess *p = session->process;
        uint32_t records = s->config.buffer_records;
        uint64_t now = now_ns(), lost;

        for (uint32_t k = 0; k < s->config.n_buffers; k++) {
                TraceShmBuffer *b = trace_shm_buffer(session->shm, records, k);
                TraceBufferState *st = &session->buffers[k];
                uint32_t owner = atomic_load_explicit((_Atomic uint32_t *)&b->owner, memory_order_acquire);
                uint64_t head, dropped = 0;

                if (owner == 0 || owner > INT32_MAX)
                        continue;
                if (st->tid == 0)
                        st->tid = owner;
                head = atomic_load_explicit((_Atomic uint64_t *)&b->head, memory_order_acquire);
                if (head < st->next) {
                        /* The app wound its head back: nothing here can be read in order. */
                        st->next = head;
                        continue;
                }
                if (head - st->next > records) {
                        dropped += head - st->next - records;
                        st->next = head - records;
                }
                for (uint64_t i = st->next; i < head; i++) {
                        TraceRecord *slot = &b->records[i & (records - 1)];
                        uint64_t seq = atomic_load_explicit((_Atomic uint64_t *)&slot->seq, memory_order_acquire);
                        TraceRecord copy;

                        memcpy(&copy, (const void *)slot, sizeof(copy));
                        atomic_thread_fence(memory_order_acquire);
                        if (seq != i + 1 ||
                            atomic_load_explicit((_Atomic uint64_t *)&slot->seq, memory_order_relaxed) != seq ||
                            !trace_record_is_valid(&copy, p->n_categories) || copy.timestamp < st->last_ts ||
                            copy.timestamp > now + 1000000000ULL) {
                                dropped++;
                                continue;
                        }
                        if (until_ts && copy.timestamp > until_ts)
                                continue;
                        for (size_t j = copy.n_args; j < KOS_TRACE_MAX_ARGS; j++)
                                memset(&copy.args[j], 0, sizeof(copy.args[j]));
                        copy.seq = 0;
                        st->last_ts = copy.timestamp;
                        trace_app_store(s, a, p->pid, st->tid, &copy, now);
                }
                st->next = head;
                if (a->mode == KOS_TRACE_MODE_DISCARD)
                        atomic_store_explicit((_Atomic uint64_t *)&b->tail, head, memory_order_release);
                lost = atomic_load_explicit((_Atomic uint64_t *)&b->lost, memory_order_relaxed);
                if (lost > st->app_lost) {
                        dropped += lost - st->app_lost;
                        st->app_lost = lost;
                }
                trace_app_count_lost(a, p->pid, st->tid, dropped, now);
        }
        lost = atomic_load_explicit((_Atomic uint64_t *)&session->shm->lost_no_buffer, memory_order_relaxed);
        if (lost > session->lost_no_buffer) {
                trace_app_count_lost(a, p->pid, 0, lost - session->lost_no_buffer, now);
                session->lost_no_buffer = lost;
        }
}

/* Forgets what the rings hold now (written while not traced) and sets the switches. */
static void trace_session_arm(TraceServer *s, TraceSession *session) {
        TraceApp *a = session->app;
        TraceProcess *p = session->process;

        for (uint32_t k = 0; k < s->config.n_buffers; k++) {
                TraceShmBuffer *b = trace_shm_buffer(session->shm, s->config.buffer_records, k);
                uint64_t head = atomic_load_explicit((_Atomic uint64_t *)&b->head, memory_order_acquire);

                session->buffers[k].next = head;
                session->buffers[k].app_lost = atomic_load_explicit((_Atomic uint64_t *)&b->lost, memory_order_relaxed);
                atomic_store_explicit((_Atomic uint64_t *)&b->tail, head, memory_order_release);
        }
        session->lost_no_buffer = atomic_load_explicit((_Atomic uint64_t *)&session->shm->lost_no_buffer,
                                                       memory_order_relaxed);
        atomic_store_explicit((_Atomic uint32_t *)&session->shm->mode, a->mode, memory_order_release);
        for (uint32_t i = 0; i < p->n_categories; i++)
                atomic_store_explicit((_Atomic uint8_t *)&session->shm->enabled[i],
                                      a->traced && trace_category_list_contains(a->categories, p->categories[i]),
                                      memory_order_release);
}

static void trace_session_disarm(TraceSession *session) {
        for (uint32_t i = 0; i < KOS_TRACE_MAX_CATEGORIES; i++)
                atomic_store_explicit((_Atomic uint8_t *)&session->shm->enabled[i], 0, memory_order_release);
}

/* Rings whose thread exited (layout.h invariant 5): drained if traced, then freed. */
static void trace_session_free_retired(TraceServer *s, TraceSession *session) {
        bool drained = false;

        for (uint32_t k = 0; k < s->config.n_buffers; k++) {
                TraceShmBuffer *b = trace_shm_buffer(session->shm, s->config.buffer_records, k);
                TraceBufferState *st = &session->buffers[k];

                if (atomic_load_explicit((_Atomic uint32_t *)&b->retired, memory_order_acquire) != 1)
                        continue;
                if (session->app->traced && !drained) {
                        trace_session_drain(s, session, 0);
                        drained = true;
                }
                /* Whatever it holds now was written while not traced, or is garbage: skipped. */
                st->next = atomic_load_explicit((_Atomic uint64_t *)&b->head, memory_order_acquire);
                st->tid = 0;
                st->last_ts = 0;
                atomic_store_explicit((_Atomic uint64_t *)&b->tail, st->next, memory_order_release);
                atomic_store_explicit((_Atomic uint32_t *)&b->retired, 0, memory_order_relaxed);
                atomic_store_explicit((_Atomic uint32_t *)&b->owner, 0, memory_order_release);
        }
}

void trace_server_drain(TraceServer *s) {
        for (size_t i = 0; i < s->n_apps; i++) {
                TraceApp *a = s->apps[i];

                for (size_t j = 0; j < a->n_processes; j++) {
                        TraceSession *session = a->processes[j]->session;

                        if (!session)
                                continue;
                        if (a->traced && a->mode == KOS_TRACE_MODE_DISCARD)
                                trace_session_drain(s, session, 0);
                        trace_session_free_retired(s, session);
                }
        }
}

/* ---- Sessions ---------------------------------------------------------------------------- */

/* Parses HELLO's categories into p. Returns 0 or -EBADMSG. */
static int trace_hello_parse(const void *hello, size_t size, TraceProcess *p) {
        const char *data = hello, *end = data + size, *c = data + sizeof(TraceHelloHead);
        TraceHelloHead head;

        if (size < sizeof(head))
                return -EBADMSG;
        memcpy(&head, hello, sizeof(head));
        if (head.magic != TRACE_HELLO_MAGIC || head.version != 1 || head.pid == 0 || head.pid > INT32_MAX ||
            head.n_categories > KOS_TRACE_MAX_CATEGORIES)
                return -EBADMSG;
        p->pid = head.pid;
        for (uint32_t i = 0; i < head.n_categories; i++) {
                const char *name_end = memchr(c, '\0', (size_t)(end - c)), *d, *d_end;

                if (!name_end || !trace_category_name_is_valid(c, (size_t)(name_end - c)))
                        return -EBADMSG;
                d = name_end + 1;
                d_end = d < end ? memchr(d, '\0', (size_t)(end - d)) : NULL;
                if (!d_end || d_end - d > TRACE_DESCRIPTION_MAX)
                        return -EBADMSG;
                for (const char *q = d; q < d_end; q++)
                        if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
                                return -EBADMSG;
                for (uint32_t j = 0; j < i; j++)
                        if (strcmp(p->categories[j], c) == 0)
                                return -EBADMSG;
                p->categories[i] = strdup(c);
                p->descriptions[i] = strdup(d);
                p->n_categories = i + 1;
                if (!p->categories[i] || !p->descriptions[i])
                        return -ENOMEM;
                c = d_end + 1;
        }
        return c == end ? 0 : -EBADMSG;
}

static bool trace_server_has_pid(TraceServer *s, uint32_t pid) {
        for (size_t i = 0; i < s->n_apps; i++)
                for (size_t j = 0; j < s->apps[i]->n_processes; j++)
                        if (s->apps[i]->processes[j]->pid == pid)
                                return true;
        return false;
}

/*
 * The pid a process is known by in traces: the one it said, unless that is no pid or is
 * taken by another process the server remembers (an app's word only labels it; two
 * processes never share one, so a trace file never holds a pid twice).
 */
static uint32_t trace_server_label_pid(TraceServer *s, uint32_t said) {
        if (said < TRACE_SYNTHETIC_PID_FIRST && !trace_server_has_pid(s, said))
                return said;
        do {
                said = s->next_synthetic_pid++;
                if (s->next_synthetic_pid == 0)
                        s->next_synthetic_pid = TRACE_SYNTHETIC_PID_FIRST;
        } while (trace_server_has_pid(s, said));
        return said;
}

static int trace_shm_create(const TraceServerConfig *config, int *fdp, TraceShmHeader **shmp, size_t *sizep) {
        uint64_t size = trace_shm_size(config->n_buffers, config->buffer_records);
        _cleanup_close_ int fd = memfd_create("kos-trace", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        TraceShmHeader *shm;

        if (fd < 0)
                return -errno;
        if (ftruncate(fd, (off_t)size) < 0)
                return -errno;
        /* Invariant 1 of layout.h: the app cannot shrink what the server has mapped. */
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (shm == MAP_FAILED)
                return -errno;
        *shm = (TraceShmHeader){ .magic = TRACE_SHM_MAGIC, .version = TRACE_SHM_VERSION,
                                 .n_buffers = config->n_buffers, .buffer_records = config->buffer_records };
        *fdp = steal_fd(&fd);
        *shmp = shm;
        *sizep = size;
        return 0;
}

/*
 * Drops the oldest ended process with its held events and lost counts: a collect writes
 * none for a process it does not know, a process that restarts again and again must not
 * grow the lists without end, and its pid may now label a new process, which must not be
 * given the old one's events.
 */
static bool trace_app_forget_process(TraceServer *s, TraceApp *a) {
        for (size_t i = 0; i < a->n_processes; i++)
                if (!a->processes[i]->session) {
                        uint32_t pid = a->processes[i]->pid;
                        size_t kept = 0;

                        for (size_t j = 0; j < a->n_lost; j++)
                                if (a->lost[j].pid != pid)
                                        a->lost[kept++] = a->lost[j];
                        a->n_lost = kept;
                        kept = 0;
                        for (size_t j = 0; j < a->n_events; j++) {
                                const TraceStored *e = &a->events[(a->first + j) % a->capacity];

                                if (e->pid != pid)
                                        a->events[(a->first + kept++) % a->capacity] = *e;
                        }
                        a->n_events = kept;
                        trace_process_free(a->processes[i]);
                        memmove(&a->processes[i], &a->processes[i + 1], (a->n_processes - i - 1) * sizeof(void *));
                        a->n_processes--;
                        return true;
                }
        return false;
}

int trace_server_session_open(TraceServer *s, const char *app, const void *hello, size_t size,
                              TraceSession **sessionp, int *memfdp, uint64_t *sizep) {
        TraceProcess *p = calloc(1, sizeof(*p));
        TraceSession *session = calloc(1, sizeof(*session));
        _cleanup_close_ int fd = -1;
        TraceApp *a;
        int r;

        if (!p || !session) {
                r = -ENOMEM;
                goto fail;
        }
        r = trace_hello_parse(hello, size, p);
        if (r < 0)
                goto fail;
        r = trace_server_get_app(s, app, &a);
        if (r < 0)
                goto fail;
        if (a->n_sessions >= TRACE_APP_MAX_SESSIONS ||
            (a->n_processes == TRACE_APP_MAX_PROCESSES && !trace_app_forget_process(s, a))) {
                r = -EMFILE;
                goto fail;
        }
        session->buffers = calloc(s->config.n_buffers, sizeof(TraceBufferState));
        if (!session->buffers) {
                r = -ENOMEM;
                goto fail;
        }
        r = trace_shm_create(&s->config, &fd, &session->shm, &session->size);
        if (r < 0)
                goto fail;
        session->shm->n_categories = p->n_categories;
        p->pid = trace_server_label_pid(s, p->pid);
        session->app = a;
        session->process = p;
        p->session = session;
        a->processes[a->n_processes++] = p;
        a->n_sessions++;
        trace_session_arm(s, session);
        *sessionp = session;
        *memfdp = steal_fd(&fd);
        *sizep = session->size;
        return 0;
fail:
        trace_process_free(p);
        trace_session_free(session);
        return r;
}

void trace_server_session_close(TraceServer *s, TraceSession *session) {
        TraceApp *a = session->app;

        if (a->traced)
                trace_session_drain(s, session, 0);
        session->process->session = NULL;
        a->n_sessions--;
        trace_session_free(session);
}

/* ---- Admin operations -------------------------------------------------------------------- */

int trace_server_start(TraceServer *s, const char *app, const char *categories, KosTraceMode mode) {
        TraceApp *a;
        char *list;
        int r;

        if (!trace_category_list_is_valid(categories ? categories : ""))
                return -EINVAL;
        r = trace_server_get_app(s, app, &a);
        if (r < 0)
                return r;
        if (a->traced)
                return -EALREADY;
        list = strdup(categories ? categories : "");
        if (!list)
                return -ENOMEM;
        free(a->categories);
        a->categories = list;
        a->traced = true;
        a->mode = mode;
        a->stopped_ts = 0;
        for (size_t i = 0; i < a->n_processes; i++)
                if (a->processes[i]->session)
                        trace_session_arm(s, a->processes[i]->session);
        return 0;
}

int trace_server_stop(TraceServer *s, const char *app) {
        TraceApp *a = trace_server_find_app(s, app);

        if (!a || !a->traced)
                return -ENOENT;
        /* Switches off first; then what was written up to now is kept (invariant 3). */
        for (size_t i = 0; i < a->n_processes; i++)
                if (a->processes[i]->session)
                        trace_session_disarm(a->processes[i]->session);
        a->stopped_ts = now_ns();
        for (size_t i = 0; i < a->n_processes; i++)
                if (a->processes[i]->session)
                        trace_session_drain(s, a->processes[i]->session, a->stopped_ts);
        a->traced = false;
        return 0;
}

int trace_server_list(TraceServer *s, size_t max, char **textp) {
        char *text = NULL;
        size_t size = 0, whole = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_apps; i++) {
                TraceApp *a = s->apps[i];
                bool any = false;

                /* Whole lines only: the one that went past max, and any after it, are left out. */
                if (fflush(f) != 0)
                        break;
                if (size > max)
                        break;
                whole = size;

                fprintf(f, "%s %s %s ", a->name, a->traced ? "traced" : "idle",
                        !a->traced ? "-" : a->mode == KOS_TRACE_MODE_OVERWRITE ? "overwrite" : "discard");
                for (size_t j = 0; j < a->n_processes; j++)
                        if (a->processes[j]->session) {
                                fprintf(f, "%s%u", any ? "," : "", a->processes[j]->pid);
                                any = true;
                        }
                fputs(any ? " " : "- ", f);
                any = false;
                /* The categories of the newest process: what the app declares now. */
                for (size_t j = a->n_processes; j > 0 && !any; j--) {
                        TraceProcess *p = a->processes[j - 1];
                        for (uint32_t c = 0; c < p->n_categories; c++) {
                                fprintf(f, "%s%s", any ? "," : "", p->categories[c]);
                                any = true;
                        }
                        if (p->n_categories == 0)
                                break;
                }
                fputs(any ? "\n" : "-\n", f);
        }
        if (fclose(f) != 0) {
                free(text);
                return -ENOMEM;
        }
        if (size > max)
                text[whole] = '\0';
        *textp = text;
        return 0;
}

static void trace_app_collect(TraceServer *s, TraceApp *a, TraceFileWriter *w) {
        if (a->traced)
                for (size_t j = 0; j < a->n_processes; j++)
                        if (a->processes[j]->session)
                                trace_session_drain(s, a->processes[j]->session, 0);
        for (size_t j = 0; j < a->n_processes; j++) {
                TraceProcess *p = a->processes[j];

                trace_file_write_process(w, p->pid, a->name);
                for (uint32_t c = 0; c < p->n_categories; c++)
                        trace_file_write_category(w, p->pid, c, p->categories[c], p->descriptions[c]);
        }
        for (size_t i = 0; i < a->n_events; i++) {
                const TraceStored *e = &a->events[(a->first + i) % a->capacity];
                bool known = false;

                /* A forgotten process's events go with it (its categories are gone). */
                for (size_t j = 0; j < a->n_processes && !known; j++)
                        known = a->processes[j]->pid == e->pid && e->record.category < a->processes[j]->n_categories;
                if (known)
                        trace_file_write_event(w, e->pid, e->tid, &e->record);
        }
        for (size_t i = 0; i < a->n_lost; i++)
                for (size_t j = 0; j < a->n_processes; j++)
                        if (a->processes[j]->pid == a->lost[i].pid) {
                                trace_file_write_lost(w, a->lost[i].pid, a->lost[i].tid, a->lost[i].timestamp,
                                                      a->lost[i].count);
                                break;
                        }
        if (w->error)
                return;
        /* Invariant 5: what was collected is given back, not kept reserved. */
        a->first = a->n_events = a->capacity = 0;
        free(a->events);
        a->events = NULL;
        free(a->lost);
        a->lost = NULL;
        a->n_lost = 0;
        while (trace_app_forget_process(s, a))
                ;
}

int trace_server_collect(TraceServer *s, const char *app, TraceFileWriter *w) {
        if (app && *app) {
                TraceApp *a = trace_server_find_app(s, app);

                if (!a)
                        return -ENOENT;
                trace_app_collect(s, a, w);
        } else {
                for (size_t i = 0; i < s->n_apps; i++)
                        trace_app_collect(s, s->apps[i], w);
        }
        return w->error;
}
