/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventLoop: the one event loop of every KOS daemon.
 *
 * A daemon registers sources, each with a callback and its userdata:
 *   - io:     a file descriptor and the epoll events wanted on it;
 *   - timer:  a deadline on the now_ms() clock (util/clock.h), 0 while disarmed;
 *   - signal: a signal number, delivered through one signalfd (the loop blocks it, and it
 *     stays blocked after the loop is freed: unblocking it then would deliver one that
 *     arrived late with its default action, killing a daemon on its way out);
 *   - child:  a child's pid; the callback runs when it has exited, BEFORE it is reaped;
 *   - prepare: called before every wait, to run deferred work and re-arm timers.
 * event_loop_run() dispatches until a callback calls event_loop_exit() or fails.
 *
 * Invariants:
 *  1. Every epoll registration's data is the EventSource it belongs to; nothing else is
 *     ever packed into epoll data.
 *  2. A source freed during a dispatch round is only marked dead and stays in the loop's
 *     list until the round ends, so a later event of the same round that names it, and
 *     every walk of the list, recognise and skip it (a callback may free any source, its
 *     own included).
 *  3. Once a child source exists, the loop watches SIGCHLD and reaps every child of the
 *     process, watched or not (orphans reparented to a subreaper included). A watched
 *     child's callback runs while it is still a zombie, so its pid and process group
 *     cannot have been reused when the callback signals them; the loop reaps it after.
 *     A child source fires once and is then disarmed.
 *  4. A callback's negative return ends event_loop_run() with that value; 0 continues.
 *  5. Timers fire in deadline order within a round; a timer fires once per arming (its
 *     deadline is reset to 0 before its callback runs; the callback may re-arm it).
 *
 * Single-threaded: a loop and its sources belong to one thread.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include "util/cleanup.h"

typedef struct EventLoop EventLoop;
typedef struct EventSource EventSource;

typedef int (*EventIoHandler)(EventSource *source, int fd, uint32_t revents, void *userdata);
typedef int (*EventTimerHandler)(EventSource *source, uint64_t now, void *userdata);
typedef int (*EventSignalHandler)(EventSource *source, const struct signalfd_siginfo *info, void *userdata);
/* info is as from waitid(): si_pid, si_code (CLD_EXITED, CLD_KILLED, CLD_DUMPED), si_status. */
typedef int (*EventChildHandler)(EventSource *source, const siginfo_t *info, void *userdata);
typedef int (*EventPrepareHandler)(EventSource *source, void *userdata);

/* Creates a loop. Returns 0 and *loopp, or a negative errno. */
int event_loop_new(EventLoop **loopp);

/*
 * Frees the loop and every source still registered (their fds are not closed: they
 * belong to the caller). Signals it blocked stay blocked. Accepts NULL; returns NULL.
 */
EventLoop *event_loop_free(EventLoop *loop);

/*
 * Watches fd (borrowed: the caller closes it, after freeing the source) for events
 * (EPOLLIN, EPOLLOUT...). *sourcep may be NULL if the caller never changes or frees the
 * source itself (it then lives as long as the loop). Returns 0 or a negative errno.
 */
int event_loop_add_io(EventLoop *loop, EventSource **sourcep, int fd, uint32_t events, EventIoHandler handler,
                      void *userdata);

/* A timer with deadline (now_ms() value; 0: disarmed). Returns 0 or a negative errno. */
int event_loop_add_timer(EventLoop *loop, EventSource **sourcep, uint64_t deadline, EventTimerHandler handler,
                         void *userdata);

/* Delivers signo to handler instead of its disposition. Returns 0 or a negative errno
 * (-EEXIST if signo already has a source). */
int event_loop_add_signal(EventLoop *loop, EventSource **sourcep, int signo, EventSignalHandler handler,
                          void *userdata);

/* Calls handler once child pid has exited (see invariant 3). Returns 0 or a negative errno. */
int event_loop_add_child(EventLoop *loop, EventSource **sourcep, pid_t pid, EventChildHandler handler,
                         void *userdata);

/* Calls handler before every wait, in the order prepare sources were added. */
int event_loop_add_prepare(EventLoop *loop, EventSource **sourcep, EventPrepareHandler handler, void *userdata);

/* Changes the epoll events an io source waits for. Returns 0 or a negative errno. */
int event_source_set_io_events(EventSource *source, uint32_t events);

/* Arms a timer for deadline (now_ms() value), or disarms it with 0. */
void event_source_set_deadline(EventSource *source, uint64_t deadline);

/* The timer's deadline, 0 if disarmed. */
uint64_t event_source_get_deadline(const EventSource *source);

/* Unregisters and frees the source (deferred within a round: invariant 2). Accepts NULL;
 * returns NULL. */
EventSource *event_source_free(EventSource *source);

/*
 * Waits for at most timeout_ms (-1: no limit; timers shorten it) and dispatches what is
 * ready: io, then signals and children, then due timers. Returns 0, or the negative value
 * a callback returned, or a negative errno.
 */
int event_loop_dispatch(EventLoop *loop, int timeout_ms);

/* Dispatches until event_loop_exit() or a callback fails; returns the exit code or that
 * negative value. */
int event_loop_run(EventLoop *loop);

/* Makes event_loop_run() return code once the current round ends. */
void event_loop_exit(EventLoop *loop, int code);

/* True once event_loop_exit() was called. */
bool event_loop_is_exiting(const EventLoop *loop);

DEFINE_CLEANUP_FUNC(EventLoop, event_loop_free)
