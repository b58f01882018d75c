// SPDX-License-Identifier: Apache-2.0
/*
 * kosd's supervisor: the daemon around the UnitSet. It owns the event loop, turns what the
 * loop reports (child exits, READY=1, signals, deadlines, control requests) into unit
 * events, and carries out what the units decide through UnitOps (spawn, kill, the clock,
 * the boot confirmation). Every decision is in unit.c and unit-set.c.
 *
 * Invariants:
 *  1. kosd is its children's subreaper and the loop reaps every child it sees (no zombie
 *     outlives one loop round).
 *  2. A unit's process group is killed when its leader exits, before the leader is
 *     reaped, so the pgid cannot have been reused (the loop's child callbacks run before
 *     the reap).
 *  3. Before every wait, the UnitSet has made every step it can, and the loop's one timer
 *     is armed for the UnitSet's next deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/watchdog.h"
#include "store/ref.h"
#include "ipc/handover.h"
#include "store/store.h"
#include "supervisor/notify.h"
#include "supervisor/output.h"
#include "supervisor/spawn.h"
#include "supervisor/supervisor-internal.h"
#include "util/clock.h"
#include "util/log.h"

#define UNIT_MAX_GRANTED_FDS 32

/* ---- UnitOps ------------------------------------------------------------------------- */

static int supervisor_on_child(EventSource *source, const siginfo_t *info, void *userdata);

/* Connections for u (as the name as): one per service it lists, made on that service's
 * control connection. Fills fds[] and returns how many, or a negative errno (fds closed). */
static int supervisor_connect_services(Supervisor *s, Unit *u, const char *as, int *fds, size_t max) {
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < u->n_servers && n < max; i++) {
                Unit *server = &s->set.units[u->servers[i]];
                int fd = unit_runtime(server)->service_fd;

                if (fd < 0) {
                        log_error("%s: message server %s is not running", u->name, server->name);
                        r = -ENOTCONN;
                        break;
                }
                r = ipc_handover_send(fd, as, &fds[n]);
                if (r == -EPIPE || r == -ECONNRESET) {
                        /* It died; its exit is on its way through the loop. */
                        log_error("%s: message server %s has died", u->name, server->name);
                        break;
                }
                if (r < 0) {
                        log_error("%s: cannot connect to %s: %s", u->name, server->name, strerror(-r));
                        break;
                }
                n++;
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        close(fds[i]);
                return r;
        }
        return (int)n;
}

static int supervisor_spawn(void *userdata, Unit *u, bool script, pid_t *pidp) {
        Supervisor *s = userdata;
        UnitRuntime *rt = unit_runtime(u);
        int fds[UNIT_MAX_GRANTED_FDS];
        char env_app[256];
        char *script_argv[] = { (char *)u->setup_script, u->name, NULL };
        char *script_envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", env_app, NULL };
        SpawnParams p = {
                .path = script ? u->setup_script : u->path,
                .argv = script ? script_argv : u->argv,
                .envp = script ? script_envp : u->envp,
                .devnull_fd = s->devnull_fd,
                .output_fd = rt->output_write_fd,
                .fds = fds,
                .no_new_privs = !script,
                .cgroup_fd = rt->cgroup_fd >= 0 ? &rt->cgroup_fd : NULL,
                .exec_fd = !script && rt->image_fd >= 0 ? &rt->image_fd : NULL,
        };
        _cleanup_close_ int kosd_end = -1;
        pid_t pid;
        int r;

        snprintf(env_app, sizeof(env_app), "KOS_APP=%s", u->name);
        if (script) {
                r = 0;
        } else if (u->service) {
                r = ipc_handover_pair(&kosd_end, &fds[0]);
                if (r < 0)
                        log_error("%s: cannot create control connection: %s", u->name, strerror(-r));
                else
                        r = 1;
                if (r > 0) {
                        /* spawn closes what fds[] holds: give it a duplicate of the memfd. */
                        fds[1] = fcntl(s->manifest_fd, F_DUPFD_CLOEXEC, 3);
                        r = fds[1] < 0 ? -errno : 2;
                        if (r < 0) {
                                log_error("%s: cannot pass the manifest: %s", u->name, strerror(-r));
                                close(fds[0]);
                        }
                }
                if (r > 0 && u->n_servers > 0) {
                        int n = supervisor_connect_services(s, u, u->service->client_name, fds + 2,
                                                            ELEMENTSOF(fds) - 2);
                        if (n < 0) {
                                close(fds[0]);
                                close(fds[1]);
                        }
                        r = n < 0 ? n : r + n;
                }
        } else {
                r = supervisor_connect_services(s, u, u->name, fds, ELEMENTSOF(fds));
        }
        if (r < 0)
                return r;
        p.n_fds = (size_t)r;
        r = spawn_process(&p, &pid);
        for (size_t i = 0; i < p.n_fds; i++)
                close(fds[i]);
        if (r < 0) {
                char why[512];
                const char *what = spawn_describe_error(p.path, -r, why, sizeof(why));

                if (script)
                        log_error("%s: cannot execute aux_device_setup_script %s: %s", u->name, p.path, what);
                else
                        log_error("%s: cannot execute %s: %s", u->name, p.path, what);
                return r;
        }
        r = event_loop_add_child(s->loop, &rt->child, pid, supervisor_on_child, rt);
        if (r < 0) {
                /* Unwatched, it would run on unsupervised: take it down at once. */
                (void)kill(-pid, SIGKILL);
                return log_error_errno(r, "%s: cannot watch pid %d: %s", u->name, (int)pid, strerror(-r));
        }
        if (!script) {
                rt->status[0] = '\0';
                rt->service_fd = steal_fd(&kosd_end);
        }
        *pidp = pid;
        return 0;
}

/* To every process in the unit's cgroup, so one that left its process group (setsid) is
 * stopped all the same; without cgroups, to its process group. */
static void supervisor_kill(void *userdata, Unit *u, int sig) {
        Supervisor *s = userdata;

        /* Through one of the two, never both: a process must see one SIGTERM, not two. */
        if (!s->cgroups || cgroup_unit_kill(s->cgroups, u->name, sig) < 0)
                (void)kill(-u->pid, sig);
}

static uint64_t supervisor_now(void *userdata) {
        return now_ms();
}

/* The boot confirmation, in a child of kosd: it waits for the store's lock, which an
 * upgrade holds for as long as its download takes, and kosd's loop must not wait with it.
 * It calls the boot module directly (no `kos` on the device); it logs its own outcome. */
static _Noreturn void supervisor_confirm_child(const char *store_dir, unsigned generation, pid_t kosd) {
        Store *store = NULL;
        unsigned number = 0;
        int r;

        /* Nothing of kosd's but stderr: not its control socket, not its run directory's
         * lock; and it dies with kosd, so a kosd that was killed confirms nothing. */
        if (close_range(3, ~0U, 0) < 0)
                for (int fd = 3; fd < 1024; fd++)
                        (void)close(fd);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != kosd)
                _exit(1);

        r = store_open(&store, store_dir, STORE_OPEN_WRITE);
        if (r >= 0) {
                /* Under the store's lock: confirm only the generation kosd verified and runs. */
                r = boot_ref_generation(store, STORE_REF_BOOTED, &number);
                if (r >= 0 && number != generation)
                        r = -ESTALE;
                if (r >= 0)
                        r = boot_confirm(store, &number);
                store_close(store);
        }
        if (r == -ESTALE)
                log_error("cannot confirm the boot: refs/%s now names generation %u, not generation %u that runs; "
                          "the boot stays unconfirmed", STORE_REF_BOOTED, number, generation);
        else if (r == -ENOENT)
                log_error("cannot confirm the boot: no generation was selected; the boot stays unconfirmed");
        else if (r == -EPERM)
                log_error("cannot confirm the boot: the generation has been marked bad; the boot stays unconfirmed");
        else if (r < 0)
                log_error("cannot confirm the boot: %s: %s; the boot stays unconfirmed", store_dir, strerror(-r));
        else
                log_notice("boot confirmed (generation %u)", number);
        _exit(r < 0 ? 1 : 0);
}

/* The boot is given back: stop every app, and kosd ends with status 1 (PID 1: reboot). */
static void supervisor_give_back_boot(Supervisor *s) {
        if (s->confirmed || s->set.shutting_down)
                return;
        log_error("boot not confirmed within %u ms; stopping every app%s", s->config.confirm_timeout_ms,
                  getpid() == 1 ? " and rebooting" : "");
        unit_set_shutdown(&s->set, 1);
}

static int supervisor_on_confirm_exit(EventSource *source, const siginfo_t *info, void *userdata) {
        Supervisor *s = userdata;

        s->confirming = 0;
        if (info->si_code == CLD_EXITED && info->si_status == 0) {
                s->confirmed = true;
                s->confirm_deadline = event_source_free(s->confirm_deadline);
        } else if (s->deadline_passed)
                supervisor_give_back_boot(s);
        event_source_free(source);
        return 0;
}

/*
 * A new generation that has not confirmed by now never will: give the boot back. A
 * confirmation already running (waiting for the store's lock, which an upgrade holds for
 * its download) decides instead, when it ends.
 */
static int supervisor_on_confirm_deadline(EventSource *source, uint64_t now, void *userdata) {
        Supervisor *s = userdata;

        s->confirm_deadline = event_source_free(source);
        if (s->confirming > 0) {
                log_notice("boot confirmation deadline reached while the confirmation runs; it decides");
                s->deadline_passed = true;
                return 0;
        }
        supervisor_give_back_boot(s);
        return 0;
}

/* Every app has been ready for the settle time: with a store, this boot was good. */
static void supervisor_settled(void *userdata) {
        Supervisor *s = userdata;
        pid_t pid, kosd;

        log_notice("every app ready for %u ms%s", s->manifest->node_manager.settle_time_ms,
                   s->config.store_dir ? "; confirming the boot" : "");
        if (!s->config.store_dir)
                return;
        fflush(NULL);
        kosd = getpid();
        pid = fork();
        if (pid < 0)
                log_error("cannot confirm the boot: fork: %m; the boot stays unconfirmed");
        else if (pid == 0)
                supervisor_confirm_child(s->config.store_dir, s->config.generation, kosd);
        /* What it did, it logged; its status tells the deadline whether to stand down. */
        else if (event_loop_add_child(s->loop, NULL, pid, supervisor_on_confirm_exit, s) < 0)
                log_warning("cannot watch the boot confirmation; its deadline stays armed");
        else
                s->confirming = pid;
}

/* ---- what the loop reports ----------------------------------------------------------- */

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

static void supervisor_read_output(UnitRuntime *rt) {
        for (;;) {
                ssize_t n = read(rt->output_fd, rt->output + rt->output_len, sizeof(rt->output) - rt->output_len);
                size_t start = 0;

                if (n <= 0)
                        return;
                rt->output_len += (size_t)n;
                for (size_t i = 0; i < rt->output_len; i++)
                        if (rt->output[i] == '\n') {
                                unit_log_output_line(rt->unit, rt->output + start, i - start, true);
                                start = i + 1;
                        }
                if (start == 0 && rt->output_len == sizeof(rt->output)) {
                        unit_log_output_line(rt->unit, rt->output, rt->output_len, false);
                        start = rt->output_len;
                }
                memmove(rt->output, rt->output + start, rt->output_len - start);
                rt->output_len -= start;
        }
}

/* The process that wrote rt's output is gone: what it left without a newline is a line of
 * its own, never the start of the next run's first line. */
static void supervisor_flush_output(UnitRuntime *rt) {
        supervisor_read_output(rt);
        if (rt->output_len == 0)
                return;
        unit_log_output_line(rt->unit, rt->output, rt->output_len, true);
        rt->output_len = 0;
}

static int supervisor_on_output(EventSource *source, int fd, uint32_t revents, void *userdata) {
        supervisor_read_output(userdata);
        return 0;
}

static int supervisor_on_notify(EventSource *source, int fd, uint32_t revents, void *userdata) {
        UnitRuntime *rt = userdata;
        Unit *u = rt->unit;
        NotifyMessage msg = { 0 };

        /* Only the app's process group speaks for it: not a setup script, not a stranger. */
        if (notify_socket_drain(fd, unit_is_active(u) && !u->in_setup_script ? u->pid : 0, &msg) <= 0)
                return 0;
        if (msg.rejected > 0)
                log_warning("%s: ignored %u notification%s from pid %d, which is not in the app's process group",
                            u->name, msg.rejected, msg.rejected == 1 ? "" : "s", (int)msg.rejected_pid);
        if (msg.has_status)
                memcpy(rt->status, msg.status, sizeof(rt->status) < sizeof(msg.status) ? sizeof(rt->status)
                                                                                        : sizeof(msg.status));
        if (msg.ready)
                unit_handle(u, UNIT_EVENT_READY);
        return 0;
}

/* The unit's process (app or setup script) exited; it is reaped when this returns. */
static int supervisor_on_child(EventSource *source, const siginfo_t *info, void *userdata) {
        UnitRuntime *rt = userdata;

        /* Leftovers in the group, and in the cgroup, die with their leader, while its pgid
         * is still held (cgroup.h invariant 2). */
        (void)kill(-info->si_pid, SIGKILL);
        if (rt->supervisor->cgroups)
                (void)cgroup_unit_kill(rt->supervisor->cgroups, rt->unit->name, SIGKILL);
        supervisor_flush_output(rt);
        rt->child = event_source_free(rt->child);
        closep(&rt->service_fd);
        rt->service_fd = -1;
        if (rt->notify_fd >= 0) {
                /* Whatever the old process said must not make its successor ready. */
                NotifyMessage discard = { 0 };
                (void)notify_socket_drain(rt->notify_fd, 0, &discard);
        }
        unit_handle_exit(rt->unit, info->si_code, info->si_status);
        return 0;
}

static int supervisor_on_signal(EventSource *source, const struct signalfd_siginfo *info, void *userdata) {
        Supervisor *s = userdata;

        if (!s->set.shutting_down)
                log_notice("received SIG%s; stopping every app", sigabbrev_np((int)info->ssi_signo));
        unit_set_shutdown(&s->set, 0);
        return 0;
}

/*
 * The watchdog's keepalive, from the event loop and nowhere else: a loop that stalls (a
 * handler that never returns, a deadlock) stops it, and the watchdog resets the machine.
 */
static int supervisor_on_watchdog(EventSource *source, uint64_t now, void *userdata) {
        Supervisor *s = userdata;
        int r = boot_watchdog_keepalive(s->config.watchdog_fd);

        if (r < 0 && !s->watchdog_failed) {
                log_error("watchdog: keepalive failed: %s; the machine will reset", strerror(-r));
                s->watchdog_failed = true;
        } else if (r >= 0)
                s->watchdog_failed = false;
        event_source_set_deadline(source, now + s->config.watchdog_interval_ms);
        return 0;
}

/* The service manager's watchdog, from the event loop for the same reason. */
static int supervisor_on_service_watchdog(EventSource *source, uint64_t now, void *userdata) {
        Supervisor *s = userdata;

        if (send(s->config.service_watchdog_fd, "WATCHDOG=1", 10, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                log_warning("cannot tell the service manager kosd is alive: %m");
        event_source_set_deadline(source, now + s->config.service_watchdog_interval_ms);
        return 0;
}

static int supervisor_on_timer(EventSource *source, uint64_t now, void *userdata) {
        return 0; /* the deadline's work is done by the next prepare (invariant 3) */
}

static int supervisor_prepare(EventSource *source, void *userdata) {
        Supervisor *s = userdata;

        unit_set_run(&s->set);
        event_source_set_deadline(s->timer, unit_set_timers(&s->set));
        if (unit_set_finished(&s->set))
                event_loop_exit(s->loop, s->set.exit_status);
        return 0;
}

int supervisor_run(Supervisor *s) {
        int r = event_loop_run(s->loop);

        if (r < 0)
                return log_error_errno(r, "event loop: %s", strerror(-r)), 1;
        /* Last words of the apps. */
        for (size_t i = 0; i < s->set.n_units; i++)
                supervisor_flush_output(&s->runtimes[i]);
        log_notice("every app stopped; exiting with status %d", s->set.exit_status);
        return s->set.exit_status;
}

/* ---- setup --------------------------------------------------------------------------- */

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

static int supervisor_watch_units(Supervisor *s) {
        for (size_t i = 0; i < s->set.n_units; i++) {
                UnitRuntime *rt = &s->runtimes[i];
                int r;

                r = event_loop_add_io(s->loop, NULL, rt->output_fd, EPOLLIN, supervisor_on_output, rt);
                if (r < 0)
                        return r;
                if (rt->notify_fd >= 0) {
                        r = event_loop_add_io(s->loop, NULL, rt->notify_fd, EPOLLIN, supervisor_on_notify, rt);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* One kosd per run directory, for as long as it lives: an flock on kosd.lock there (the
 * control socket answering is no proof: its file can be removed, two kosds can start at
 * once). The directory's device and inode name it for the cgroup tree, however the path
 * was spelled. */
static int supervisor_lock_run_dir(Supervisor *s) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (asprintf(&path, "%s/kosd.lock", s->config.run_dir) < 0)
                return -ENOMEM;
        s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lock_fd < 0)
                return log_error_errno(-errno, "cannot open %s: %m", path);
        if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? log_error_errno(-EADDRINUSE, "another kosd is running on %s",
                                                              s->config.run_dir)
                                            : log_error_errno(-errno, "cannot lock %s: %m", path);
        if (stat(s->config.run_dir, &st) < 0)
                return log_error_errno(-errno, "%s: %m", s->config.run_dir);
        snprintf(s->run_dir_id, sizeof(s->run_dir_id), "%llx:%llx", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        return 0;
}

/* One cgroup per unit under this run directory's tree; what an earlier kosd on it left
 * running (killed with SIGKILL, say) is stopped before anything starts, so no app runs
 * twice. Without cgroup2, process groups only. */
static int supervisor_contain(Supervisor *s) {
        int r;

        r = cgroup_tree_open(&s->cgroups, s->run_dir_id);
        if (r == -EOPNOTSUPP) {
                log_notice("no writable cgroup2 hierarchy: apps are contained by their process group only");
                return 0;
        }
        if (r < 0) {
                log_warning("cannot create kosd's cgroup: %s; apps are contained by their process group only",
                            strerror(-r));
                return 0;
        }
        r = cgroup_tree_stop_leftovers(s->cgroups, 5000);
        if (r < 0)
                return log_error_errno(r, "cannot stop what an earlier kosd on %s left running: %s", s->config.run_dir,
                                       strerror(-r));
        if (r > 0)
                log_warning("stopped %d process%s an earlier kosd on %s left running", r, r == 1 ? "" : "es",
                            s->config.run_dir);
        return 0;
}

int supervisor_new(Supervisor **supervisorp, const Manifest *m, const SupervisorConfig *config) {
        static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
        const UnitOps ops = {
                .spawn = supervisor_spawn,
                .kill = supervisor_kill,
                .now = supervisor_now,
                .settled = supervisor_settled,
        };
        _cleanup_(supervisor_freep) Supervisor *s = NULL;
        _cleanup_free_ char *notify_dir = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->manifest = m;
        s->config = *config;
        s->control_fd = s->devnull_fd = s->manifest_fd = s->lock_fd = -1;
        for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
                s->clients[i] = -1;

        r = ipc_handover_seal(config->manifest_dtb, config->manifest_size, &s->manifest_fd);
        if (r < 0)
                return log_error_errno(r, "cannot hold the manifest for the core services: %s", strerror(-r));
        r = event_loop_new(&s->loop);
        if (r < 0)
                return log_error_errno(r, "cannot create the event loop: %s", strerror(-r));
        s->devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (s->devnull_fd < 0)
                return log_error_errno(-errno, "cannot open /dev/null: %m");
        for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
                r = event_loop_add_signal(s->loop, NULL, signals[i], supervisor_on_signal, s);
                if (r < 0)
                        return log_error_errno(r, "cannot watch signals: %s", strerror(-r));
        }
        r = event_loop_add_timer(s->loop, &s->timer, 0, supervisor_on_timer, s);
        if (r < 0)
                return r;
        r = event_loop_add_prepare(s->loop, NULL, supervisor_prepare, s);
        if (r < 0)
                return r;
        if (config->watchdog_fd >= 0 && config->watchdog_interval_ms > 0) {
                r = event_loop_add_timer(s->loop, &s->watchdog_timer, now_ms() + config->watchdog_interval_ms,
                                         supervisor_on_watchdog, s);
                if (r < 0)
                        return r;
        }
        if (config->service_watchdog_fd >= 0 && config->service_watchdog_interval_ms > 0) {
                r = event_loop_add_timer(s->loop, &s->service_watchdog_timer,
                                         now_ms() + config->service_watchdog_interval_ms,
                                         supervisor_on_service_watchdog, s);
                if (r < 0)
                        return r;
        }
        if (config->store_dir && config->confirm_timeout_ms > 0) {
                r = event_loop_add_timer(s->loop, &s->confirm_deadline, now_ms() + config->confirm_timeout_ms,
                                         supervisor_on_confirm_deadline, s);
                if (r < 0)
                        return r;
        }
        /* Orphans of apps are reparented to kosd, which reaps them. */
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

        r = mkdir_p(config->run_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "cannot create run directory %s: %s", config->run_dir, strerror(-r));
        if (asprintf(&notify_dir, "%s/notify", config->run_dir) < 0 ||
            asprintf(&s->control_path, "%s/%s", config->run_dir, CONTROL_SOCKET_NAME) < 0)
                return -ENOMEM;
        r = supervisor_lock_run_dir(s);
        if (r < 0)
                return r;
        r = mkdir_p(notify_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "cannot create %s: %s", notify_dir, strerror(-r));
        r = control_listen(s);
        if (r < 0)
                return r;
        r = supervisor_contain(s);
        if (r < 0)
                return r;
        r = supervisor_units_new(s, &ops);
        if (r < 0)
                return r == -ENOMEM ? log_error_errno(r, "out of memory") : r;
        r = supervisor_watch_units(s);
        if (r < 0)
                return log_error_errno(r, "cannot watch the units: %s", strerror(-r));
        *supervisorp = steal_ptr(&s);
        return 0;
}

Supervisor *supervisor_free(Supervisor *s) {
        if (!s)
                return NULL;
        control_close_all(s);
        /* Sources first: they name fds the units own. */
        s->loop = event_loop_free(s->loop);
        supervisor_units_free(s);
        s->cgroups = cgroup_tree_free(s->cgroups);
        free(s->control_path);
        closep(&s->devnull_fd);
        closep(&s->manifest_fd);
        closep(&s->lock_fd);
        free(s);
        return NULL;
}
