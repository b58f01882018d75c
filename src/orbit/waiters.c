// SPDX-License-Identifier: Apache-2.0
/*
 * Long polling: check-ins that wait for news, suspended (not holding a thread) until an
 * attach to their deployment or their deadline.
 *
 * Invariants:
 *  1. A waiter is suspended and listed under the one mutex that waking takes, so a wake
 *     never precedes the suspension it is meant to end (MHD requires suspend before
 *     resume), and each listed request is resumed exactly once, then unlisted.
 *  2. No wake is lost between a check-in's look at the database and its suspension: the
 *     sequence counter changes with every wake, and a stale sequence refuses the wait.
 */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "orbit/orbit.h"
#include "util/clock.h"

struct OrbitWaiters {
        pthread_mutex_t mutex;
        pthread_cond_t cond;
        pthread_t thread;
        bool stop;
        uint64_t sequence;
        uint64_t next_ms;     /* the deadline the thread sleeps until (UINT64_MAX: none) */
        OrbitRequest **items; /* owned array; the requests are MHD's */
        size_t n_items, allocated;
};

static void waiters_resume_at(OrbitWaiters *w, size_t i) {
        OrbitRequest *req = w->items[i];

        w->items[i] = w->items[--w->n_items];
        req->resumed = true;
        MHD_resume_connection(req->connection);
}

static void *waiters_thread(void *arg) {
        OrbitWaiters *w = arg;

        pthread_mutex_lock(&w->mutex);
        while (!w->stop) {
                uint64_t now = now_ms(), next = UINT64_MAX;

                for (size_t i = 0; i < w->n_items;) {
                        if (w->items[i]->poll_deadline_ms <= now) {
                                waiters_resume_at(w, i);
                                continue;
                        }
                        if (w->items[i]->poll_deadline_ms < next)
                                next = w->items[i]->poll_deadline_ms;
                        i++;
                }
                w->next_ms = next;
                if (next == UINT64_MAX)
                        pthread_cond_wait(&w->cond, &w->mutex);
                else {
                        struct timespec ts;
                        clock_gettime(CLOCK_MONOTONIC, &ts);
                        uint64_t wait = next - now;
                        ts.tv_sec += (time_t)(wait / 1000);
                        ts.tv_nsec += (long)(wait % 1000) * 1000000L;
                        if (ts.tv_nsec >= 1000000000L) {
                                ts.tv_sec++;
                                ts.tv_nsec -= 1000000000L;
                        }
                        pthread_cond_timedwait(&w->cond, &w->mutex, &ts);
                }
        }
        pthread_mutex_unlock(&w->mutex);
        return NULL;
}

int orbit_waiters_new(OrbitWaiters **wp) {
        OrbitWaiters *w = calloc(1, sizeof(*w));
        pthread_condattr_t attr;

        if (!w)
                return -ENOMEM;
        w->next_ms = UINT64_MAX;
        pthread_mutex_init(&w->mutex, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&w->cond, &attr);
        pthread_condattr_destroy(&attr);
        if (pthread_create(&w->thread, NULL, waiters_thread, w) != 0) {
                pthread_cond_destroy(&w->cond);
                pthread_mutex_destroy(&w->mutex);
                free(w);
                return -EAGAIN;
        }
        *wp = w;
        return 0;
}

OrbitWaiters *orbit_waiters_free(OrbitWaiters *w) {
        if (!w)
                return NULL;
        pthread_mutex_lock(&w->mutex);
        w->stop = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->mutex);
        pthread_join(w->thread, NULL);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->mutex);
        free(w->items);
        free(w);
        return NULL;
}

uint64_t orbit_waiters_sequence(OrbitWaiters *w) {
        uint64_t s;

        pthread_mutex_lock(&w->mutex);
        s = w->sequence;
        pthread_mutex_unlock(&w->mutex);
        return s;
}

bool orbit_waiters_add(OrbitWaiters *w, OrbitRequest *req, int64_t deployment_id, uint64_t sequence) {
        bool added = false;

        pthread_mutex_lock(&w->mutex);
        if (w->sequence == sequence && !w->stop) {
                if (w->n_items == w->allocated) {
                        size_t n = w->allocated ? w->allocated * 2 : 64;
                        OrbitRequest **items = realloc(w->items, n * sizeof(*items));
                        if (!items)
                                goto out;
                        w->items = items;
                        w->allocated = n;
                }
                req->poll_deployment = deployment_id;
                req->suspended = true;
                req->resumed = false;
                MHD_suspend_connection(req->connection);
                w->items[w->n_items++] = req;
                /* the thread looks at every waiter when woken: only when it must, for a
                 * deadline before the one it sleeps until (not once per waiter added) */
                if (req->poll_deadline_ms < w->next_ms) {
                        w->next_ms = req->poll_deadline_ms;
                        pthread_cond_signal(&w->cond);
                }
                added = true;
        }
out:
        pthread_mutex_unlock(&w->mutex);
        return added;
}

void orbit_waiters_wake_fill(OrbitWaiters *w, int64_t deployment_id, OrbitWaiterFill fill, void *userdata) {
        pthread_mutex_lock(&w->mutex);
        w->sequence++;
        for (size_t i = 0; i < w->n_items;) {
                if (w->items[i]->poll_deployment == deployment_id) {
                        if (fill)
                                fill(w->items[i], userdata);
                        waiters_resume_at(w, i);
                } else
                        i++;
        }
        pthread_mutex_unlock(&w->mutex);
}

void orbit_waiters_wake(OrbitWaiters *w, int64_t deployment_id) {
        orbit_waiters_wake_fill(w, deployment_id, NULL, NULL);
}

void orbit_waiters_wake_all(OrbitWaiters *w) {
        pthread_mutex_lock(&w->mutex);
        w->sequence++;
        w->stop = true;
        while (w->n_items > 0)
                waiters_resume_at(w, 0);
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->mutex);
}

size_t orbit_waiters_count(OrbitWaiters *w) {
        size_t n;

        pthread_mutex_lock(&w->mutex);
        n = w->n_items;
        pthread_mutex_unlock(&w->mutex);
        return n;
}
