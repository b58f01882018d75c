// SPDX-License-Identifier: Apache-2.0
/*
 * EventLoop: epoll, one signalfd, timers and child exits (see event.h for the invariants).
 *
 * Sources live in one list in the order they were added. A daemon has tens of sources,
 * not thousands, so timers and children are found by walking that list: the walk is
 * cheaper than keeping a heap in step with every re-arm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/event.h"

typedef enum EventSourceType {
        EVENT_SOURCE_IO,
        EVENT_SOURCE_TIMER,
        EVENT_SOURCE_SIGNAL,
        EVENT_SOURCE_CHILD,
        EVENT_SOURCE_PREPARE,
} EventSourceType;

struct EventSource {
        EventLoop *loop;
        EventSource *prev, *next;
        EventSourceType type;
        bool dead;     /* freed during a round: stays linked, skipped, freed at its end (invariant 2) */
        bool due;      /* timer: fires in the current round */
        bool internal; /* the loop's own signalfd source: not freed by event_loop_free's caller */
        void *userdata;
        union {
                struct {
                        int fd;
                        uint32_t events;
                        EventIoHandler handler;
                } io;
                struct {
                        uint64_t deadline;
                        EventTimerHandler handler;
                } timer;
                struct {
                        int signo;
                        EventSignalHandler handler;
                } signal;
                struct {
                        pid_t pid; /* 0 once it fired */
                        EventChildHandler handler;
                } child;
                struct {
                        EventPrepareHandler handler;
                } prepare;
        };
};

struct EventLoop {
        int epoll_fd;  /* owned */
        int signal_fd; /* owned; -1 until the first signal or child source */
        EventSource *signal_source; /* owned: io source of signal_fd */
        sigset_t mask;             /* signals routed to signal_fd */
        EventSource *sources, *last; /* owned list, in the order added (dead ones included) */
        bool has_dead;               /* a source was freed during this round */
        bool dispatching;
        bool check_children; /* a child source was added: look for exits before waiting */
        bool exiting;
        int exit_code;
};

int event_loop_new(EventLoop **loopp) {
        EventLoop *loop = calloc(1, sizeof(*loop));

        if (!loop)
                return -ENOMEM;
        loop->signal_fd = -1;
        sigemptyset(&loop->mask);
        loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (loop->epoll_fd < 0) {
                int r = -errno;
                free(loop);
                return r;
        }
        *loopp = loop;
        return 0;
}

static void event_source_unlink(EventSource *s) {
        EventLoop *loop = s->loop;

        if (s->prev)
                s->prev->next = s->next;
        else
                loop->sources = s->next;
        if (s->next)
                s->next->prev = s->prev;
        else
                loop->last = s->prev;
        s->prev = s->next = NULL;
}

static void event_loop_free_dead(EventLoop *loop) {
        if (!loop->has_dead)
                return;
        loop->has_dead = false;
        for (EventSource *s = loop->sources, *next; s; s = next) {
                next = s->next;
                if (s->dead) {
                        event_source_unlink(s);
                        free(s);
                }
        }
}

EventLoop *event_loop_free(EventLoop *loop) {
        if (!loop)
                return NULL;
        while (loop->sources) {
                EventSource *s = loop->sources;
                loop->sources = s->next;
                free(s);
        }
        if (loop->signal_fd >= 0)
                close(loop->signal_fd);
        close(loop->epoll_fd);
        free(loop);
        return NULL;
}

static int event_loop_add(EventLoop *loop, EventSourceType type, void *userdata, EventSource **sp) {
        EventSource *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->loop = loop;
        s->type = type;
        s->userdata = userdata;
        s->prev = loop->last;
        if (loop->last)
                loop->last->next = s;
        else
                loop->sources = s;
        loop->last = s;
        *sp = s;
        return 0;
}

int event_loop_add_io(EventLoop *loop, EventSource **sourcep, int fd, uint32_t events, EventIoHandler handler,
                      void *userdata) {
        EventSource *s;
        int r = event_loop_add(loop, EVENT_SOURCE_IO, userdata, &s);

        if (r < 0)
                return r;
        s->io.fd = fd;
        s->io.events = events;
        s->io.handler = handler;
        struct epoll_event ev = { .events = events, .data.ptr = s };
        if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                r = -errno;
                event_source_unlink(s);
                free(s);
                return r;
        }
        if (sourcep)
                *sourcep = s;
        return 0;
}

int event_source_set_io_events(EventSource *source, uint32_t events) {
        struct epoll_event ev = { .events = events, .data.ptr = source };

        if (source->type != EVENT_SOURCE_IO || source->dead)
                return -EINVAL;
        if (source->io.events == events)
                return 0;
        if (epoll_ctl(source->loop->epoll_fd, EPOLL_CTL_MOD, source->io.fd, &ev) < 0)
                return -errno;
        source->io.events = events;
        return 0;
}

int event_loop_add_timer(EventLoop *loop, EventSource **sourcep, uint64_t deadline, EventTimerHandler handler,
                         void *userdata) {
        EventSource *s;
        int r = event_loop_add(loop, EVENT_SOURCE_TIMER, userdata, &s);

        if (r < 0)
                return r;
        s->timer.deadline = deadline;
        s->timer.handler = handler;
        if (sourcep)
                *sourcep = s;
        return 0;
}

void event_source_set_deadline(EventSource *source, uint64_t deadline) {
        if (source->type != EVENT_SOURCE_TIMER)
                return;
        source->timer.deadline = deadline;
        source->due = false; /* re-armed or disarmed: not fired again this round (invariant 5) */
}

uint64_t event_source_get_deadline(const EventSource *source) {
        return source->type == EVENT_SOURCE_TIMER ? source->timer.deadline : 0;
}

int event_loop_add_prepare(EventLoop *loop, EventSource **sourcep, EventPrepareHandler handler, void *userdata) {
        EventSource *s;
        int r = event_loop_add(loop, EVENT_SOURCE_PREPARE, userdata, &s);

        if (r < 0)
                return r;
        s->prepare.handler = handler;
        if (sourcep)
                *sourcep = s;
        return 0;
}

/* ---- signals and children ------------------------------------------------------------ */

static EventSource *event_loop_find_signal(EventLoop *loop, int signo) {
        for (EventSource *s = loop->sources; s; s = s->next)
                if (s->type == EVENT_SOURCE_SIGNAL && !s->dead && s->signal.signo == signo)
                        return s;
        return NULL;
}

/* Reaps every exited child; watched ones get their callback first (invariant 3). */
static int event_loop_reap(EventLoop *loop) {
        int ret = 0;

        for (;;) {
                siginfo_t si = { 0 };
                EventSource *found = NULL;

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        return ret;
                for (EventSource *s = loop->sources; s; s = s->next)
                        if (s->type == EVENT_SOURCE_CHILD && !s->dead && s->child.pid == si.si_pid) {
                                found = s;
                                break;
                        }
                if (found) {
                        int r;

                        found->child.pid = 0;
                        r = found->child.handler(found, &si, found->userdata);
                        if (r < 0 && ret == 0)
                                ret = r;
                }
                (void)waitid(P_PID, (id_t)si.si_pid, &si, WEXITED | WNOHANG);
        }
}

static int event_loop_on_signal_fd(EventSource *source, int fd, uint32_t revents, void *userdata) {
        EventLoop *loop = userdata;
        struct signalfd_siginfo info;
        bool child = false;
        int ret = 0;

        while (read(fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
                EventSource *s = event_loop_find_signal(loop, (int)info.ssi_signo);

                if (info.ssi_signo == SIGCHLD)
                        child = true;
                if (s) {
                        int r = s->signal.handler(s, &info, s->userdata);
                        if (r < 0 && ret == 0)
                                ret = r;
                }
        }
        /* However many SIGCHLDs were merged into one, every exited child is found. */
        if (child) {
                int r = event_loop_reap(loop);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/* Routes signo to the loop's signalfd, blocking it for the process. */
static int event_loop_watch_signal(EventLoop *loop, int signo) {
        sigset_t one;

        if (sigismember(&loop->mask, signo) == 1)
                return 0;
        sigemptyset(&one);
        sigaddset(&one, signo);
        if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
                return -errno;
        sigaddset(&loop->mask, signo);
        if (loop->signal_fd >= 0) {
                if (signalfd(loop->signal_fd, &loop->mask, SFD_CLOEXEC | SFD_NONBLOCK) < 0)
                        return -errno;
        } else {
                int fd = signalfd(-1, &loop->mask, SFD_CLOEXEC | SFD_NONBLOCK);
                int r;

                if (fd < 0)
                        return -errno;
                r = event_loop_add_io(loop, &loop->signal_source, fd, EPOLLIN, event_loop_on_signal_fd, loop);
                if (r < 0) {
                        close(fd);
                        return r;
                }
                loop->signal_source->internal = true;
                loop->signal_fd = fd;
        }
        return 0;
}

int event_loop_add_signal(EventLoop *loop, EventSource **sourcep, int signo, EventSignalHandler handler,
                          void *userdata) {
        EventSource *s;
        int r;

        if (event_loop_find_signal(loop, signo))
                return -EEXIST;
        r = event_loop_watch_signal(loop, signo);
        if (r < 0)
                return r;
        r = event_loop_add(loop, EVENT_SOURCE_SIGNAL, userdata, &s);
        if (r < 0)
                return r;
        s->signal.signo = signo;
        s->signal.handler = handler;
        if (sourcep)
                *sourcep = s;
        return 0;
}

int event_loop_add_child(EventLoop *loop, EventSource **sourcep, pid_t pid, EventChildHandler handler,
                         void *userdata) {
        EventSource *s;
        int r;

        if (pid <= 0)
                return -EINVAL;
        r = event_loop_watch_signal(loop, SIGCHLD);
        if (r < 0)
                return r;
        r = event_loop_add(loop, EVENT_SOURCE_CHILD, userdata, &s);
        if (r < 0)
                return r;
        s->child.pid = pid;
        s->child.handler = handler;
        /* It may have exited before SIGCHLD reached the signalfd: look before waiting. */
        loop->check_children = true;
        if (sourcep)
                *sourcep = s;
        return 0;
}

EventSource *event_source_free(EventSource *source) {
        EventLoop *loop;

        if (!source || source->dead)
                return NULL;
        loop = source->loop;
        if (source->type == EVENT_SOURCE_IO)
                (void)epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, source->io.fd, NULL);
        if (loop->dispatching) {
                source->dead = true;
                source->due = false;
                loop->has_dead = true;
        } else {
                event_source_unlink(source);
                free(source);
        }
        return NULL;
}

/* ---- dispatching --------------------------------------------------------------------- */

/* Milliseconds until the earliest armed timer, capped by timeout_ms (-1: none). */
static int event_loop_timeout(EventLoop *loop, int timeout_ms) {
        uint64_t next = UINT64_MAX, now;

        for (EventSource *s = loop->sources; s; s = s->next)
                if (s->type == EVENT_SOURCE_TIMER && !s->dead && s->timer.deadline != 0 && s->timer.deadline < next)
                        next = s->timer.deadline;
        if (next == UINT64_MAX)
                return timeout_ms;
        now = now_ms();
        if (next <= now)
                return 0;
        if (next - now < (uint64_t)(timeout_ms < 0 ? INT32_MAX : timeout_ms))
                return (int)(next - now);
        return timeout_ms;
}

/* Fires the timers due at the start of this phase, earliest first (invariant 5). */
static int event_loop_fire_timers(EventLoop *loop) {
        uint64_t now = now_ms();

        for (EventSource *s = loop->sources; s; s = s->next)
                s->due = s->type == EVENT_SOURCE_TIMER && !s->dead && s->timer.deadline != 0 &&
                         s->timer.deadline <= now;
        for (;;) {
                EventSource *first = NULL;

                for (EventSource *s = loop->sources; s; s = s->next)
                        if (s->due && (!first || s->timer.deadline < first->timer.deadline))
                                first = s;
                if (!first)
                        return 0;
                first->due = false;
                first->timer.deadline = 0;
                int r = first->timer.handler(first, now, first->userdata);
                if (r < 0)
                        return r;
        }
}

static int event_loop_round(EventLoop *loop, int timeout_ms) {
        struct epoll_event events[32];
        int n, r;

        for (EventSource *s = loop->sources; s; s = s->next)
                if (s->type == EVENT_SOURCE_PREPARE && !s->dead) {
                        r = s->prepare.handler(s, s->userdata);
                        if (r < 0)
                                return r;
                }
        if (loop->exiting)
                return 0;
        if (loop->check_children) {
                loop->check_children = false;
                r = event_loop_reap(loop);
                if (r < 0)
                        return r;
                timeout_ms = 0; /* what the reap changed is handled by the next prepare */
        }
        n = epoll_wait(loop->epoll_fd, events, (int)ELEMENTSOF(events), event_loop_timeout(loop, timeout_ms));
        if (n < 0)
                return errno == EINTR ? 0 : -errno;
        for (int i = 0; i < n; i++) {
                EventSource *s = events[i].data.ptr;

                if (s->dead)
                        continue;
                r = s->io.handler(s, s->io.fd, events[i].events, s->userdata);
                if (r < 0)
                        return r;
        }
        return event_loop_fire_timers(loop);
}

int event_loop_dispatch(EventLoop *loop, int timeout_ms) {
        int r;

        loop->dispatching = true;
        r = event_loop_round(loop, timeout_ms);
        loop->dispatching = false;
        event_loop_free_dead(loop);
        return r;
}

int event_loop_run(EventLoop *loop) {
        while (!loop->exiting) {
                int r = event_loop_dispatch(loop, -1);
                if (r < 0)
                        return r;
        }
        return loop->exit_code;
}

void event_loop_exit(EventLoop *loop, int code) {
        if (loop->exiting)
                return;
        loop->exiting = true;
        loop->exit_code = code;
}

bool event_loop_is_exiting(const EventLoop *loop) {
        return loop->exiting;
}
