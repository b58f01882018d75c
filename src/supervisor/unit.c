// SPDX-License-Identifier: Apache-2.0
/*
 * The unit state machine: unit_actions[state][event] decides (see unit.h for the diagram
 * and the invariants).
 *
 * Each cell names the action for that event in that state; NOOP cells are events that
 * mean nothing there (READY from a unit already running, a start timeout that lost the
 * race with READY), and NULL cells cannot happen (EXIT of a unit with no process, TURN of
 * a unit not WAITING): reaching one is a bug in kosd, which aborts, as a forbidden
 * transition does. An action returns true if it changed anything.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "supervisor/unit-set.h"
#include "supervisor/unit.h"
#include "util/log.h"
#include "util/strv.h"

#define B(s) (1U << (s))

/* allowed[from] = the states reachable in one step (the diagram in unit.h). */
static const unsigned unit_transitions[_UNIT_STATE_MAX] = {
        [UNIT_STOPPED] = B(UNIT_WAITING),
        [UNIT_WAITING] = B(UNIT_SETUP) | B(UNIT_STARTING) | B(UNIT_RUNNING) | B(UNIT_WAITING) | B(UNIT_STOPPED),
        [UNIT_SETUP] = B(UNIT_STARTING) | B(UNIT_RUNNING) | B(UNIT_WAITING) | B(UNIT_STOPPED) | B(UNIT_STOPPING),
        [UNIT_STARTING] = B(UNIT_RUNNING) | B(UNIT_WAITING) | B(UNIT_STOPPED) | B(UNIT_STOPPING),
        [UNIT_RUNNING] = B(UNIT_WAITING) | B(UNIT_STOPPED) | B(UNIT_STOPPING),
        [UNIT_STOPPING] = B(UNIT_WAITING) | B(UNIT_STOPPED),
};

static const char *const unit_state_names[_UNIT_STATE_MAX] = {
        [UNIT_STOPPED] = "stopped",   [UNIT_WAITING] = "waiting",
        [UNIT_SETUP] = "setup",       [UNIT_STARTING] = "starting",
        [UNIT_RUNNING] = "running",   [UNIT_STOPPING] = "stopping",
};

static const char *const unit_event_names[_UNIT_EVENT_MAX] = {
        [UNIT_EVENT_WANT] = "want",
        [UNIT_EVENT_RESTART] = "restart",
        [UNIT_EVENT_STOP] = "stop",
        [UNIT_EVENT_SHUTDOWN] = "shutdown",
        [UNIT_EVENT_DEPENDENCY_FAULT] = "dependency-fault",
        [UNIT_EVENT_TURN] = "turn",
        [UNIT_EVENT_STOP_TURN] = "stop-turn",
        [UNIT_EVENT_READY] = "ready",
        [UNIT_EVENT_EXIT] = "exit",
        [UNIT_EVENT_START_TIMEOUT] = "start-timeout",
        [UNIT_EVENT_STOP_TIMEOUT] = "stop-timeout",
};

const char *unit_state_to_string(UnitState state) {
        if ((unsigned)state >= _UNIT_STATE_MAX)
                return "invalid";
        return unit_state_names[state];
}

const char *unit_event_to_string(UnitEvent event) {
        if ((unsigned)event >= _UNIT_EVENT_MAX)
                return "invalid";
        return unit_event_names[event];
}

bool unit_transition_allowed(UnitState from, UnitState to) {
        if ((unsigned)from >= _UNIT_STATE_MAX || (unsigned)to >= _UNIT_STATE_MAX)
                return false;
        return (unit_transitions[from] & B(to)) != 0;
}

bool unit_is_active(const Unit *u) {
        return u->pid > 0;
}

static void unit_set_state(Unit *u, UnitState state) {
        if (!unit_transition_allowed(u->state, state)) {
                fprintf(stderr, "kosd: %s: forbidden transition %s -> %s\n", u->name,
                        unit_state_to_string(u->state), unit_state_to_string(state));
                abort();
        }
        u->state = state;
}

static uint64_t unit_now(const Unit *u) {
        return u->set->ops.now(u->set->ops.userdata);
}

static void unit_format_exit(const Unit *u, char *buf, size_t size) {
        if (u->exit_code == CLD_EXITED)
                snprintf(buf, size, "exited with status %d", u->exit_status);
        else
                snprintf(buf, size, "killed by signal %s%s", sigabbrev_np(u->exit_status) ? "SIG" : "",
                         sigabbrev_np(u->exit_status) ? sigabbrev_np(u->exit_status) : "?");
}

/* ---- actions ------------------------------------------------------------------------- */

static bool unit_noop(Unit *u) {
        return false;
}

/* u's process (or its start) failed without being asked to stop. */
static bool unit_fault(Unit *u, bool abnormal) {
        UnitSet *set = u->set;
        bool restart;

        if (set->shutting_down) {
                unit_set_state(u, UNIT_STOPPED);
                return true;
        }
        restart = u->restart == MANIFEST_RESTART_PERMANENT || (u->restart == MANIFEST_RESTART_TRANSIENT && abnormal);
        if (!restart) {
                log_info("%s: not restarted (restart = %s)", u->name,
                         u->restart == MANIFEST_RESTART_TEMPORARY ? "temporary" : "transient");
                unit_set_state(u, UNIT_STOPPED);
                return true;
        }
        /* Rule 3: one fault is one restart, however many dependents go down with it. */
        if (restart_intensity_record(set->intensity, unit_now(u))) {
                log_error("%s: restart intensity exceeded (more than %u restarts in %u ms); stopping everything",
                          u->name, set->settings->restart_intensity, set->settings->restart_period_ms);
                unit_set_state(u, UNIT_STOPPED);
                unit_set_shutdown(set, 1);
                return true;
        }
        u->restarts++;
        unit_set_state(u, UNIT_WAITING);
        for (size_t k = 0; k < u->n_dependents; k++)
                unit_handle(&set->units[u->dependents[k]], UNIT_EVENT_DEPENDENCY_FAULT);
        if (u->n_dependents > 0)
                log_notice("%s: restarting it and its %zu dependent%s", u->name, u->n_dependents,
                           u->n_dependents == 1 ? "" : "s");
        else
                log_notice("%s: restarting", u->name);
        return true;
}

static bool unit_want_stopped(Unit *u) {
        unit_set_state(u, UNIT_WAITING);
        return true;
}

/* Wanted again while a stop is queued or under way: it comes back after the stop. */
static bool unit_want_after_stop(Unit *u) {
        if (u->state != UNIT_STOPPING && !u->stop_queued)
                return false;
        u->restart_pending = true;
        return true;
}

static bool unit_queue_stop(Unit *u, bool restart) {
        u->start_timed_out = false; /* the request decides what comes next */
        u->restart_pending = restart;
        if (u->state == UNIT_STOPPING)
                return true;
        u->stop_queued = true;
        if (restart && unit_is_active(u))
                u->restarts++;
        return true;
}

static bool unit_restart(Unit *u) {
        return unit_queue_stop(u, true);
}

static bool unit_stop(Unit *u) {
        return unit_queue_stop(u, false);
}

static bool unit_shutdown(Unit *u) {
        u->restart_pending = false;
        if (u->state == UNIT_WAITING) {
                u->stop_queued = false;
                unit_set_state(u, UNIT_STOPPED);
        } else if (unit_is_active(u) && u->state != UNIT_STOPPING) {
                u->stop_queued = true;
        }
        return true;
}

static bool unit_dependency_fault(Unit *u) {
        u->stop_queued = true;
        u->restart_pending = u->restart != MANIFEST_RESTART_TEMPORARY;
        if (u->restart_pending)
                u->restarts++;
        return true;
}

/* Starts u's program (WAITING, or SETUP after the script succeeded). */
static bool unit_exec(Unit *u) {
        UnitSet *set = u->set;
        pid_t pid;
        int r;

        r = set->ops.spawn(set->ops.userdata, u, false, &pid);
        if (r < 0)
                return unit_fault(u, true);
        u->pid = pid;
        u->in_setup_script = false;
        u->started_ms = unit_now(u);
        if (u->ready == MANIFEST_READY_NOTIFY) {
                unit_set_state(u, UNIT_STARTING);
                log_info("%s: started (pid %d), waiting for READY=1", u->name, (int)pid);
        } else {
                unit_set_state(u, UNIT_RUNNING);
                log_info("%s: started (pid %d)", u->name, (int)pid);
        }
        return true;
}

static bool unit_turn(Unit *u) {
        UnitSet *set = u->set;
        pid_t pid;
        int r;

        u->restart_pending = false;
        u->start_timed_out = false;
        u->start_deadline_ms = set->start_timeout_ms ? unit_now(u) + set->start_timeout_ms : 0;
        if (!u->setup_script)
                return unit_exec(u);
        r = set->ops.spawn(set->ops.userdata, u, true, &pid);
        if (r < 0)
                return unit_fault(u, true);
        u->pid = pid;
        u->in_setup_script = true;
        unit_set_state(u, UNIT_SETUP);
        return true;
}

static bool unit_stop_turn_active(Unit *u) {
        UnitSet *set = u->set;

        u->stop_queued = false;
        set->ops.kill(set->ops.userdata, u, SIGTERM);
        set->ops.kill(set->ops.userdata, u, SIGCONT);
        u->stop_deadline_ms = unit_now(u) + set->settings->stop_timeout_ms;
        unit_set_state(u, UNIT_STOPPING);
        return true;
}

static bool unit_stop_turn_waiting(Unit *u) {
        u->stop_queued = false;
        if (!u->restart_pending)
                unit_set_state(u, UNIT_STOPPED);
        return true;
}

static bool unit_stop_turn_stopped(Unit *u) {
        u->stop_queued = false;
        return true;
}

static bool unit_ready(Unit *u) {
        log_info("%s: ready", u->name);
        unit_set_state(u, UNIT_RUNNING);
        return true;
}

static bool unit_exit_setup(Unit *u) {
        char how[64];

        unit_format_exit(u, how, sizeof(how));
        if (u->exit_code == CLD_EXITED && u->exit_status == 0)
                return unit_exec(u);
        log_error("%s: aux_device_setup_script %s %s; not starting the app", u->name, u->setup_script, how);
        return unit_fault(u, true);
}

static bool unit_exit_running(Unit *u) {
        bool clean = u->exit_code == CLD_EXITED && u->exit_status == 0;
        char how[64];

        unit_format_exit(u, how, sizeof(how));
        if (clean)
                log_notice("%s: %s", u->name, how);
        else
                log_error("%s: %s", u->name, how);
        return unit_fault(u, !clean);
}

static bool unit_exit_stopping(Unit *u) {
        char how[64];

        unit_format_exit(u, how, sizeof(how));
        if (u->start_timed_out) {
                /* Stopped because it never became ready: a fault, not a requested stop. */
                u->start_timed_out = false;
                u->restart_pending = false;
                log_error("%s: stopped (%s) after its start timed out", u->name, how);
                return unit_fault(u, true);
        }
        log_info("%s: stopped (%s)", u->name, how);
        unit_set_state(u, u->restart_pending && !u->set->shutting_down ? UNIT_WAITING : UNIT_STOPPED);
        u->restart_pending = false;
        return true;
}

static bool unit_start_timeout(Unit *u) {
        if (u->start_timed_out || u->stop_queued)
                return false;
        log_error("%s: %s within %u ms; stopping it, which counts as a fault", u->name,
                  u->state == UNIT_SETUP ? "aux_device_setup_script did not finish" : "not ready",
                  u->set->start_timeout_ms);
        u->start_timed_out = true;
        u->stop_queued = true;
        return true;
}

static bool unit_stop_timeout(Unit *u) {
        UnitSet *set = u->set;

        log_warning("%s: did not stop within %u ms; sending SIGKILL", u->name, set->settings->stop_timeout_ms);
        set->ops.kill(set->ops.userdata, u, SIGKILL);
        u->stop_deadline_ms = 0;
        return true;
}

typedef bool (*UnitAction)(Unit *u);

#define NOOP unit_noop

/* The decisions. Rows: states; columns: events (unit.h). NULL: cannot happen. */
static const UnitAction unit_actions[_UNIT_STATE_MAX][_UNIT_EVENT_MAX] = {
        [UNIT_STOPPED] = {
                [UNIT_EVENT_WANT] = unit_want_stopped,
                [UNIT_EVENT_RESTART] = NOOP,
                [UNIT_EVENT_STOP] = NOOP,
                [UNIT_EVENT_SHUTDOWN] = NOOP,
                [UNIT_EVENT_DEPENDENCY_FAULT] = NOOP,
                [UNIT_EVENT_TURN] = NULL,
                [UNIT_EVENT_STOP_TURN] = unit_stop_turn_stopped,
                [UNIT_EVENT_READY] = NOOP,
                [UNIT_EVENT_EXIT] = NULL,
                [UNIT_EVENT_START_TIMEOUT] = NOOP,
                [UNIT_EVENT_STOP_TIMEOUT] = NOOP,
        },
        [UNIT_WAITING] = {
                [UNIT_EVENT_WANT] = unit_want_after_stop,
                [UNIT_EVENT_RESTART] = unit_restart,
                [UNIT_EVENT_STOP] = unit_stop,
                [UNIT_EVENT_SHUTDOWN] = unit_shutdown,
                [UNIT_EVENT_DEPENDENCY_FAULT] = NOOP, /* it starts again in its turn anyway */
                [UNIT_EVENT_TURN] = unit_turn,
                [UNIT_EVENT_STOP_TURN] = unit_stop_turn_waiting,
                [UNIT_EVENT_READY] = NOOP,
                [UNIT_EVENT_EXIT] = NULL,
                [UNIT_EVENT_START_TIMEOUT] = NOOP,
                [UNIT_EVENT_STOP_TIMEOUT] = NOOP,
        },
        [UNIT_SETUP] = {
                [UNIT_EVENT_WANT] = unit_want_after_stop,
                [UNIT_EVENT_RESTART] = unit_restart,
                [UNIT_EVENT_STOP] = unit_stop,
                [UNIT_EVENT_SHUTDOWN] = unit_shutdown,
                [UNIT_EVENT_DEPENDENCY_FAULT] = unit_dependency_fault,
                [UNIT_EVENT_TURN] = NULL,
                [UNIT_EVENT_STOP_TURN] = unit_stop_turn_active,
                [UNIT_EVENT_READY] = NOOP, /* the script is not the app */
                [UNIT_EVENT_EXIT] = unit_exit_setup,
                [UNIT_EVENT_START_TIMEOUT] = unit_start_timeout,
                [UNIT_EVENT_STOP_TIMEOUT] = NOOP,
        },
        [UNIT_STARTING] = {
                [UNIT_EVENT_WANT] = unit_want_after_stop,
                [UNIT_EVENT_RESTART] = unit_restart,
                [UNIT_EVENT_STOP] = unit_stop,
                [UNIT_EVENT_SHUTDOWN] = unit_shutdown,
                [UNIT_EVENT_DEPENDENCY_FAULT] = unit_dependency_fault,
                [UNIT_EVENT_TURN] = NULL,
                [UNIT_EVENT_STOP_TURN] = unit_stop_turn_active,
                [UNIT_EVENT_READY] = unit_ready,
                [UNIT_EVENT_EXIT] = unit_exit_running,
                [UNIT_EVENT_START_TIMEOUT] = unit_start_timeout,
                [UNIT_EVENT_STOP_TIMEOUT] = NOOP,
        },
        [UNIT_RUNNING] = {
                [UNIT_EVENT_WANT] = unit_want_after_stop,
                [UNIT_EVENT_RESTART] = unit_restart,
                [UNIT_EVENT_STOP] = unit_stop,
                [UNIT_EVENT_SHUTDOWN] = unit_shutdown,
                [UNIT_EVENT_DEPENDENCY_FAULT] = unit_dependency_fault,
                [UNIT_EVENT_TURN] = NULL,
                [UNIT_EVENT_STOP_TURN] = unit_stop_turn_active,
                [UNIT_EVENT_READY] = NOOP,
                [UNIT_EVENT_EXIT] = unit_exit_running,
                [UNIT_EVENT_START_TIMEOUT] = NOOP,
                [UNIT_EVENT_STOP_TIMEOUT] = NOOP,
        },
        [UNIT_STOPPING] = {
                [UNIT_EVENT_WANT] = unit_want_after_stop,
                [UNIT_EVENT_RESTART] = unit_restart,
                [UNIT_EVENT_STOP] = unit_stop,
                [UNIT_EVENT_SHUTDOWN] = unit_shutdown,
                [UNIT_EVENT_DEPENDENCY_FAULT] = NOOP, /* already on its way down */
                [UNIT_EVENT_TURN] = NULL,
                [UNIT_EVENT_STOP_TURN] = NULL, /* invariant 3 */
                [UNIT_EVENT_READY] = NOOP,
                [UNIT_EVENT_EXIT] = unit_exit_stopping,
                [UNIT_EVENT_START_TIMEOUT] = NOOP,
                [UNIT_EVENT_STOP_TIMEOUT] = unit_stop_timeout,
        },
};

bool unit_handle(Unit *u, UnitEvent event) {
        UnitAction action = (unsigned)event < _UNIT_EVENT_MAX ? unit_actions[u->state][event] : NULL;

        if (!action) {
                fprintf(stderr, "kosd: %s: event %s cannot happen in state %s\n", u->name,
                        unit_event_to_string(event), unit_state_to_string(u->state));
                abort();
        }
        log_debug("%s: %s in state %s", u->name, unit_event_to_string(event), unit_state_to_string(u->state));
        return action(u);
}

bool unit_handle_exit(Unit *u, int code, int status) {
        u->pid = 0;
        u->in_setup_script = false;
        u->exit_code = code;
        u->exit_status = status;
        return unit_handle(u, UNIT_EVENT_EXIT);
}

void unit_done(Unit *u) {
        free(u->name);
        free(u->path);
        strv_free(u->argv);
        strv_free(u->envp);
        free(u->dependents);
        free(u->servers);
        *u = (Unit){ 0 };
}
