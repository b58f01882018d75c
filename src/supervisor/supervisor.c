// SPDX-License-Identifier: Apache-2.0
/*
 * kosd's supervisor: the event loop and the scheduling of unit state changes.
 *
 * The per-unit state machine is in unit.h. Above it, this file keeps three rules:
 *  1. Stops first, one at a time, highest index first: while a unit is STOPPING, nothing
 *     else stops or starts; then the highest-index unit with stop_queued is stopped.
 *  2. Starts in order: with no stop pending, the first WAITING unit starts, but only if no
 *     unit before it is still in SETUP or STARTING (the one before must be ready).
 *  3. A fault is one restart toward the intensity, however long the chain it tears down.
 * Together these give the rest_for_one order: a chain stops in reverse order and starts
 * again in forward order, and apps outside the chain are never touched.
 *
 * Invariants: kosd is its children's subreaper and reaps every child it sees (no zombie
 * outlives one loop iteration). A unit's process group is killed when its leader exits,
 * before the leader is reaped, so the pgid cannot have been reused.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc/handover.h"
#include "supervisor/notify.h"
#include "supervisor/output.h"
#include "supervisor/spawn.h"
#include "supervisor/supervisor-internal.h"
#include "util/log.h"

#define UNIT_MAX_GRANTED_FDS 32

uint64_t supervisor_now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int supervisor_epoll_add(Supervisor *s, int fd, EventTag tag, size_t index) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ((uint64_t)tag << 32) | index };

        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return -errno;
        return 0;
}

static void format_exit(const siginfo_t *si, char *buf, size_t size) {
        if (si->si_code == CLD_EXITED)
                snprintf(buf, size, "exited with status %d", si->si_status);
        else
                snprintf(buf, size, "killed by signal %s%s", sigabbrev_np(si->si_status) ? "SIG" : "",
                         sigabbrev_np(si->si_status) ? sigabbrev_np(si->si_status) : "?");
}

/* ---- state changes ---------------------------------------------------------------- */

static void supervisor_escalate(Supervisor *s, int exit_status);
static void unit_exec(Supervisor *s, Unit *u);

/* u's process (or its start) failed without being asked to stop. */
static void unit_fault(Supervisor *s, Unit *u, bool abnormal) {
        bool restart;

        if (u->msg_control_fd >= 0)
                closep(&u->msg_control_fd), u->msg_control_fd = -1;
        if (s->shutting_down) {
                unit_set_state(u, UNIT_STOPPED);
                return;
        }
        restart = u->restart == MANIFEST_RESTART_PERMANENT ||
                  (u->restart == MANIFEST_RESTART_TRANSIENT && abnormal);
        if (!restart) {
                log_info("%s: not restarted (restart = %s)", u->name,
                         u->restart == MANIFEST_RESTART_TEMPORARY ? "temporary" : "transient");
                unit_set_state(u, UNIT_STOPPED);
                return;
        }
        if (restart_intensity_record(s->intensity, supervisor_now_ms())) {
                log_error("%s: restart intensity exceeded (more than %u restarts in %u ms); stopping everything",
                          u->name, s->manifest->node_manager.restart_intensity,
                          s->manifest->node_manager.restart_period_ms);
                unit_set_state(u, UNIT_STOPPED);
                supervisor_escalate(s, 1);
                return;
        }
        u->restarts++;
        unit_set_state(u, UNIT_WAITING);
        for (size_t k = 0; k < u->n_dependents; k++) {
                Unit *d = &s->units[u->dependents[k]];

                if (!unit_is_active(d) || d->state == UNIT_STOPPING)
                        continue;
                d->stop_queued = true;
                d->restart_pending = d->restart != MANIFEST_RESTART_TEMPORARY;
                if (d->restart_pending)
                        d->restarts++;
        }
        if (u->n_dependents > 0)
                log_notice("%s: restarting it and its %zu dependent%s", u->name, u->n_dependents,
                           u->n_dependents == 1 ? "" : "s");
        else
                log_notice("%s: restarting", u->name);
}

static void unit_send_stop(Supervisor *s, Unit *u) {
        (void)kill(-u->pid, SIGTERM);
        (void)kill(-u->pid, SIGCONT);
        u->stop_deadline_ms = supervisor_now_ms() + s->manifest->node_manager.stop_timeout_ms;
        u->killed = false;
        unit_set_state(u, UNIT_STOPPING);
}

static void unit_run_setup_script(Supervisor *s, Unit *u) {
        char *argv[] = { u->app->aux_device_setup_script, u->name, NULL };
        char env_app[CONTROL_NAME_MAX + 16];
        char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", env_app, NULL };
        SpawnParams p = {
                .path = u->app->aux_device_setup_script,
                .argv = argv,
                .envp = envp,
                .devnull_fd = s->devnull_fd,
                .output_fd = u->output_write_fd,
        };
        pid_t pid;
        int r;

        snprintf(env_app, sizeof(env_app), "KOS_APP=%s", u->name);
        r = spawn_process(&p, &pid);
        if (r < 0) {
                log_error("%s: cannot execute aux_device_setup_script %s: %s", u->name, p.path, strerror(-r));
                unit_fault(s, u, true);
                return;
        }
        u->pid = pid;
        u->in_setup_script = true;
        unit_set_state(u, UNIT_SETUP);
}

/* Starts u's program (WAITING, or SETUP after the script succeeded). */
static void unit_exec(Supervisor *s, Unit *u) {
        int fds[UNIT_MAX_GRANTED_FDS];
        size_t n_fds = 0;
        int msgd_end = -1, kosd_end = -1;
        SpawnParams p = {
                .path = u->path,
                .argv = u->argv,
                .envp = u->envp,
                .devnull_fd = s->devnull_fd,
                .output_fd = u->output_write_fd,
                .no_new_privs = true,
        };
        pid_t pid;
        int r = 0;

        if (u->kind == UNIT_KIND_MSG_SERVER) {
                r = ipc_handover_pair(&kosd_end, &msgd_end);
                if (r < 0)
                        log_error("%s: cannot create control connection: %s", u->name, strerror(-r));
                else
                        fds[n_fds++] = msgd_end;
        } else {
                for (size_t i = 0; i < u->n_servers && n_fds < UNIT_MAX_GRANTED_FDS; i++) {
                        Unit *server = &s->units[u->servers[i]];

                        if (server->msg_control_fd < 0) {
                                log_error("%s: message server %s is not running", u->name, server->name);
                                r = -ENOTCONN;
                                break;
                        }
                        r = ipc_handover_send(server->msg_control_fd, u->name, &fds[n_fds]);
                        if (r < 0) {
                                log_error("%s: cannot connect to %s: %s", u->name, server->name, strerror(-r));
                                break;
                        }
                        n_fds++;
                }
        }
        if (r >= 0) {
                p.fds = fds;
                p.n_fds = n_fds;
                r = spawn_process(&p, &pid);
                if (r < 0)
                        log_error("%s: cannot execute %s: %s", u->name, u->path, strerror(-r));
        }
        for (size_t i = 0; i < n_fds; i++)
                close(fds[i]);
        if (r < 0) {
                closep(&kosd_end);
                unit_fault(s, u, true);
                return;
        }
        u->msg_control_fd = kosd_end;
        u->pid = pid;
        u->in_setup_script = false;
        u->started_ms = supervisor_now_ms();
        u->status[0] = '\0';
        if (u->ready == MANIFEST_READY_NOTIFY) {
                unit_set_state(u, UNIT_STARTING);
                log_info("%s: started (pid %d), waiting for READY=1", u->name, (int)pid);
        } else {
                unit_set_state(u, UNIT_RUNNING);
                log_info("%s: started (pid %d)", u->name, (int)pid);
        }
}

static void unit_start(Supervisor *s, Unit *u) {
        u->restart_pending = false;
        u->start_timed_out = false;
        u->start_deadline_ms = s->config.start_timeout_ms ? supervisor_now_ms() + s->config.start_timeout_ms : 0;
        if (u->kind == UNIT_KIND_APP && u->app->aux_device_setup_script)
                unit_run_setup_script(s, u);
        else
                unit_exec(s, u);
}

/* The unit's process (app or setup script) exited; it has been reaped. */
static void unit_exited(Supervisor *s, Unit *u, const siginfo_t *si) {
        UnitState was = u->state;
        bool script = u->in_setup_script;
        bool clean = si->si_code == CLD_EXITED && si->si_status == 0;
        char how[64];

        format_exit(si, how, sizeof(how));
        u->pid = 0;
        u->in_setup_script = false;
        u->last_exit_status = si->si_status;
        if (u->notify_fd >= 0) {
                /* Whatever the old process said must not make its successor ready. */
                NotifyMessage discard = { 0 };
                (void)notify_socket_drain(u->notify_fd, 0, &discard);
        }

        if (was == UNIT_STOPPING && u->start_timed_out) {
                /* Stopped because it never became ready: a fault, not a requested stop. */
                u->start_timed_out = false;
                u->restart_pending = false;
                log_error("%s: stopped (%s) after its start timed out", u->name, how);
                unit_fault(s, u, true);
                return;
        }
        if (was == UNIT_STOPPING) {
                bool again = u->restart_pending && !s->shutting_down;

                closep(&u->msg_control_fd), u->msg_control_fd = -1;
                u->restart_pending = false;
                log_info("%s: stopped (%s)", u->name, how);
                unit_set_state(u, again ? UNIT_WAITING : UNIT_STOPPED);
                return;
        }
        if (script) {
                if (clean) {
                        unit_exec(s, u);
                        return;
                }
                log_error("%s: aux_device_setup_script %s %s; not starting the app", u->name,
                          u->app->aux_device_setup_script, how);
                unit_fault(s, u, true);
                return;
        }
        if (clean)
                log_notice("%s: %s", u->name, how);
        else
                log_error("%s: %s", u->name, how);
        unit_fault(s, u, !clean);
}

static void supervisor_escalate(Supervisor *s, int exit_status) {
        if (!s->shutting_down)
                s->exit_status = exit_status;
        s->shutting_down = true;
        for (size_t i = 0; i < s->n_units; i++) {
                Unit *u = &s->units[i];

                u->restart_pending = false;
                if (unit_is_active(u) && u->state != UNIT_STOPPING)
                        u->stop_queued = true;
                else if (u->state == UNIT_WAITING)
                        unit_set_state(u, UNIT_STOPPED);
        }
}

/* ---- control requests -------------------------------------------------------------- */

/* Queues u and its dependents to stop; restart says whether they come back. */
static void unit_queue_chain_stop(Supervisor *s, Unit *u, bool restart) {
        for (size_t k = 0; k <= u->n_dependents; k++) {
                Unit *d = k < u->n_dependents ? &s->units[u->dependents[k]] : u;

                if (d->state == UNIT_STOPPED)
                        continue;
                d->start_timed_out = false; /* the request decides what comes next */
                if (d->state == UNIT_STOPPING) {
                        d->restart_pending = restart;
                        continue;
                }
                d->stop_queued = true;
                d->restart_pending = restart;
                if (restart && unit_is_active(d))
                        d->restarts++;
        }
}

int supervisor_unit_start(Supervisor *s, Unit *u, char *err, size_t err_size) {
        size_t started = 0;

        for (size_t k = 0; k <= u->n_dependents; k++) {
                Unit *d = k < u->n_dependents ? &s->units[u->dependents[k]] : u;

                if (d->state == UNIT_STOPPED) {
                        unit_set_state(d, UNIT_WAITING);
                        started++;
                } else if (d->state == UNIT_STOPPING || d->stop_queued) {
                        d->restart_pending = true;
                        started++;
                }
        }
        snprintf(err, err_size, "%s: %zu unit%s to start", u->name, started, started == 1 ? "" : "s");
        log_notice("control: start %s", u->name);
        return 0;
}

int supervisor_unit_stop(Supervisor *s, Unit *u, char *err, size_t err_size) {
        log_notice("control: stop %s", u->name);
        unit_queue_chain_stop(s, u, false);
        snprintf(err, err_size, "%s: stopping with %zu dependent%s", u->name, u->n_dependents,
                 u->n_dependents == 1 ? "" : "s");
        return 0;
}

int supervisor_unit_restart(Supervisor *s, Unit *u, char *err, size_t err_size) {
        log_notice("control: restart %s", u->name);
        if (u->state == UNIT_STOPPED)
                unit_set_state(u, UNIT_WAITING);
        unit_queue_chain_stop(s, u, true);
        snprintf(err, err_size, "%s: restarting with %zu dependent%s", u->name, u->n_dependents,
                 u->n_dependents == 1 ? "" : "s");
        return 0;
}

/* ---- scheduling -------------------------------------------------------------------- */

/* One step of rules 1 and 2. Returns true if it changed something. */
static bool supervisor_step(Supervisor *s) {
        Unit *queued = NULL;

        for (size_t i = 0; i < s->n_units; i++) {
                if (s->units[i].state == UNIT_STOPPING)
                        return false;
                if (s->units[i].stop_queued)
                        queued = &s->units[i];
        }
        if (queued) {
                queued->stop_queued = false;
                if (unit_is_active(queued))
                        unit_send_stop(s, queued);
                else if (queued->state == UNIT_WAITING && !queued->restart_pending)
                        unit_set_state(queued, UNIT_STOPPED);
                return true;
        }
        if (s->shutting_down)
                return false;
        for (size_t i = 0; i < s->n_units; i++) {
                Unit *u = &s->units[i];

                if (u->state == UNIT_SETUP || u->state == UNIT_STARTING)
                        return false;
                if (u->state == UNIT_WAITING) {
                        unit_start(s, u);
                        return true;
                }
        }
        return false;
}

static bool supervisor_all_ready(Supervisor *s) {
        for (size_t i = 0; i < s->n_units; i++) {
                Unit *u = &s->units[i];
                if (u->stop_queued || (u->state != UNIT_RUNNING && u->state != UNIT_STOPPED))
                        return false;
        }
        return true;
}

static bool supervisor_all_stopped(Supervisor *s) {
        for (size_t i = 0; i < s->n_units; i++)
                if (unit_is_active(&s->units[i]) || s->units[i].stop_queued)
                        return false;
        return true;
}

static void supervisor_confirm_boot(Supervisor *s) {
        char *argv[] = { (char *)s->config.kos_path, "boot", "confirm", (char *)s->config.store_dir, NULL };
        extern char **environ;
        SpawnParams p = {
                .path = s->config.kos_path,
                .argv = argv,
                .envp = environ,
                .devnull_fd = s->devnull_fd,
                .output_fd = STDERR_FILENO,
        };
        int r;

        r = spawn_process(&p, &s->confirm_pid);
        if (r < 0)
                log_error("cannot run %s boot confirm: %s; the boot stays unconfirmed", s->config.kos_path,
                          strerror(-r));
}

/* Deadlines: start timeouts, SIGKILL for overdue stops, settling. Returns ms until the
 * next one, 0 if a stop was queued (a step is due), or -1. */
static int supervisor_timers(Supervisor *s) {
        uint64_t now = supervisor_now_ms(), next = UINT64_MAX;

        for (size_t i = 0; i < s->n_units; i++) {
                Unit *u = &s->units[i];

                if ((u->state != UNIT_SETUP && u->state != UNIT_STARTING) || u->start_deadline_ms == 0 ||
                    u->start_timed_out || u->stop_queued)
                        continue;
                if (u->start_deadline_ms <= now) {
                        log_error("%s: %s within %u ms; stopping it, which counts as a fault", u->name,
                                  u->state == UNIT_SETUP ? "aux_device_setup_script did not finish" : "not ready",
                                  s->config.start_timeout_ms);
                        u->start_timed_out = true;
                        u->stop_queued = true;
                        next = now;
                } else if (u->start_deadline_ms < next) {
                        next = u->start_deadline_ms;
                }
        }
        for (size_t i = 0; i < s->n_units; i++) {
                Unit *u = &s->units[i];

                if (u->state != UNIT_STOPPING || u->killed)
                        continue;
                if (u->stop_deadline_ms <= now) {
                        log_warning("%s: did not stop within %u ms; sending SIGKILL", u->name,
                                    s->manifest->node_manager.stop_timeout_ms);
                        (void)kill(-u->pid, SIGKILL);
                        u->killed = true;
                } else if (u->stop_deadline_ms < next) {
                        next = u->stop_deadline_ms;
                }
        }
        if (!s->shutting_down && supervisor_all_ready(s)) {
                if (s->settled_since_ms == 0)
                        s->settled_since_ms = now;
                if (!s->settled) {
                        uint64_t at = s->settled_since_ms + s->manifest->node_manager.settle_time_ms;
                        if (at <= now) {
                                s->settled = true;
                                log_notice("every app ready for %u ms%s", s->manifest->node_manager.settle_time_ms,
                                           s->config.store_dir ? "; confirming the boot" : "");
                                if (s->config.store_dir)
                                        supervisor_confirm_boot(s);
                        } else if (at < next) {
                                next = at;
                        }
                }
        } else {
                s->settled_since_ms = 0;
        }
        if (next == UINT64_MAX)
                return -1;
        return next - now > 60000 ? 60000 : (int)(next - now);
}

/* ---- events ------------------------------------------------------------------------ */

static void supervisor_reap(Supervisor *s) {
        for (;;) {
                siginfo_t si = { 0 };
                Unit *u = NULL;

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        return;
                for (size_t i = 0; i < s->n_units; i++)
                        if (s->units[i].pid == si.si_pid)
                                u = &s->units[i];
                /* Leftovers in the group die with their leader, while its pgid is still held. */
                if (u)
                        (void)kill(-si.si_pid, SIGKILL);
                if (waitid(P_PID, (id_t)si.si_pid, &si, WEXITED) < 0)
                        continue;
                if (u) {
                        unit_exited(s, u, &si);
                } else if (si.si_pid == s->confirm_pid) {
                        char how[64];
                        s->confirm_pid = 0;
                        format_exit(&si, how, sizeof(how));
                        if (si.si_code == CLD_EXITED && si.si_status == 0)
                                log_notice("boot confirmed");
                        else
                                log_error("kos boot confirm %s; the boot stays unconfirmed", how);
                }
        }
}

static void supervisor_signal(Supervisor *s) {
        struct signalfd_siginfo ssi;

        while (read(s->signal_fd, &ssi, sizeof(ssi)) == (ssize_t)sizeof(ssi)) {
                switch (ssi.ssi_signo) {
                case SIGCHLD:
                        break; /* reaped below, whatever the count of queued SIGCHLDs */
                case SIGTERM:
                case SIGINT:
                case SIGHUP:
                        if (!s->shutting_down)
                                log_notice("received SIG%s; stopping every app", sigabbrev_np((int)ssi.ssi_signo));
                        supervisor_escalate(s, 0);
                        break;
                default:
                        break;
                }
        }
        supervisor_reap(s);
}

/* Logs one line of u's output (without its newline), escaped, in as many log lines as
 * it takes. A CR before the newline is part of the line's end, not of its text. */
static void unit_log_output_line(const Unit *u, const char *line, size_t len, bool complete) {
        char text[OUTPUT_LOG_TEXT_MAX];

        if (complete && len > 0 && line[len - 1] == '\r')
                len--;
        do {
                size_t used = output_escape(line, len, text, sizeof(text));

                log_info("%s: %s", u->name, text);
                line += used;
                len -= used;
        } while (len > 0);
}

static void supervisor_output(Supervisor *s, Unit *u) {
        for (;;) {
                ssize_t n = read(u->output_fd, u->output + u->output_len, sizeof(u->output) - u->output_len);
                size_t start = 0;

                if (n <= 0)
                        return;
                u->output_len += (size_t)n;
                for (size_t i = 0; i < u->output_len; i++)
                        if (u->output[i] == '\n') {
                                unit_log_output_line(u, u->output + start, i - start, true);
                                start = i + 1;
                        }
                if (start == 0 && u->output_len == sizeof(u->output)) {
                        unit_log_output_line(u, u->output, u->output_len, false);
                        start = u->output_len;
                }
                memmove(u->output, u->output + start, u->output_len - start);
                u->output_len -= start;
        }
}

static void supervisor_notify(Supervisor *s, Unit *u) {
        NotifyMessage msg = { 0 };

        /* Only the app's process group speaks for it: not a setup script, not a stranger. */
        if (notify_socket_drain(u->notify_fd, unit_is_active(u) && !u->in_setup_script ? u->pid : 0, &msg) <= 0)
                return;
        if (msg.rejected > 0)
                log_warning("%s: ignored %u notification%s from pid %d, which is not in the app's process group",
                            u->name, msg.rejected, msg.rejected == 1 ? "" : "s", (int)msg.rejected_pid);
        if (msg.has_status)
                memcpy(u->status, msg.status, sizeof(u->status) < sizeof(msg.status) ? sizeof(u->status)
                                                                                       : sizeof(msg.status));
        if (msg.ready && u->state == UNIT_STARTING) {
                log_info("%s: ready", u->name);
                unit_set_state(u, UNIT_RUNNING);
        }
}

int supervisor_run(Supervisor *s) {
        for (;;) {
                struct epoll_event events[32];
                int timeout, n;

                while (supervisor_step(s))
                        ;
                if (s->shutting_down && supervisor_all_stopped(s))
                        break;
                timeout = supervisor_timers(s);
                /* Settling may have just completed; a step may be due again after timers. */
                n = epoll_wait(s->epoll_fd, events, (int)ELEMENTSOF(events), timeout);
                if (n < 0 && errno != EINTR)
                        return log_error_errno(1, "epoll_wait: %m");
                for (int i = 0; i < n; i++) {
                        EventTag tag = (EventTag)(events[i].data.u64 >> 32);
                        size_t index = (size_t)(events[i].data.u64 & 0xffffffffU);

                        switch (tag) {
                        case EVENT_SIGNAL:
                                supervisor_signal(s);
                                break;
                        case EVENT_CONTROL_LISTEN:
                                control_accept(s);
                                break;
                        case EVENT_CONTROL_CLIENT:
                                if (s->clients[index] >= 0)
                                        control_client_handle(s, index);
                                break;
                        case EVENT_NOTIFY:
                                supervisor_notify(s, &s->units[index]);
                                break;
                        case EVENT_OUTPUT:
                                supervisor_output(s, &s->units[index]);
                                break;
                        }
                }
        }
        /* Last words of the apps. */
        for (size_t i = 0; i < s->n_units; i++)
                supervisor_output(s, &s->units[i]);
        log_notice("every app stopped; exiting with status %d", s->exit_status);
        return s->exit_status;
}

/* ---- setup ------------------------------------------------------------------------- */

static int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *copy = strdup(path);

        if (!copy)
                return -ENOMEM;
        for (char *p = copy + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *p = '/';
                }
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int supervisor_new(Supervisor **supervisorp, const Manifest *m, const SupervisorConfig *config) {
        _cleanup_(supervisor_freep) Supervisor *s = NULL;
        _cleanup_free_ char *notify_dir = NULL;
        sigset_t mask;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->manifest = m;
        s->config = *config;
        s->epoll_fd = s->signal_fd = s->control_fd = s->devnull_fd = -1;
        for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
                s->clients[i] = -1;

        r = restart_intensity_new(&s->intensity, m->node_manager.restart_intensity, m->node_manager.restart_period_ms);
        if (r < 0)
                return r;
        s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (s->epoll_fd < 0)
                return log_error_errno(-errno, "epoll_create1: %m");
        s->devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (s->devnull_fd < 0)
                return log_error_errno(-errno, "cannot open /dev/null: %m");

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (s->signal_fd < 0)
                return log_error_errno(-errno, "signalfd: %m");
        r = supervisor_epoll_add(s, s->signal_fd, EVENT_SIGNAL, 0);
        if (r < 0)
                return r;
        /* Orphans of apps are reparented to kosd, which reaps them. */
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

        r = mkdir_p(config->run_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "cannot create run directory %s: %s", config->run_dir, strerror(-r));
        if (asprintf(&notify_dir, "%s/notify", config->run_dir) < 0 ||
            asprintf(&s->control_path, "%s/%s", config->run_dir, CONTROL_SOCKET_NAME) < 0)
                return -ENOMEM;
        r = mkdir_p(notify_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "cannot create %s: %s", notify_dir, strerror(-r));
        r = control_listen(s);
        if (r < 0)
                return r;
        r = supervisor_units_new(s);
        if (r < 0)
                return r == -ENOMEM ? log_error_errno(r, "out of memory") : r;
        *supervisorp = steal_ptr(&s);
        return 0;
}

Supervisor *supervisor_free(Supervisor *s) {
        if (!s)
                return NULL;
        control_close_all(s);
        for (size_t i = 0; i < s->n_units; i++)
                unit_done(&s->units[i]);
        free(s->units);
        free(s->control_path);
        restart_intensity_free(s->intensity);
        closep(&s->epoll_fd);
        closep(&s->signal_fd);
        closep(&s->devnull_fd);
        free(s);
        return NULL;
}
