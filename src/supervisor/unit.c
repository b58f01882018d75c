// SPDX-License-Identifier: Apache-2.0
/*
 * The unit state machine's transition table (see unit.h for the diagram).
 * Invariant: a unit's state only changes through unit_set_state(), which checks the table.
 */
#include <stdio.h>
#include <stdlib.h>

#include "supervisor/unit.h"
#include "util/strv.h"

#define B(s) (1U << (s))

/* allowed[from] = set of states reachable in one step, with the event that causes each. */
static const unsigned unit_transitions[_UNIT_STATE_MAX] = {
        [UNIT_STOPPED] = B(UNIT_WAITING),               /* want */
        [UNIT_WAITING] = B(UNIT_SETUP)                  /* turn, has an aux script */
                       | B(UNIT_STARTING)               /* turn, exec ok, ready = notify */
                       | B(UNIT_RUNNING)                /* turn, exec ok, ready = started */
                       | B(UNIT_WAITING)                /* exec failed, restart due */
                       | B(UNIT_STOPPED),               /* stop, or exec failed for good */
        [UNIT_SETUP] = B(UNIT_STARTING)                 /* script ok, exec ok, notify */
                     | B(UNIT_RUNNING)                  /* script ok, exec ok, started */
                     | B(UNIT_WAITING)                  /* script or exec failed, restart */
                     | B(UNIT_STOPPED)                  /* failed for good */
                     | B(UNIT_STOPPING),                /* stop: the script is killed */
        [UNIT_STARTING] = B(UNIT_RUNNING)               /* READY=1 */
                        | B(UNIT_WAITING)               /* fault, restart due */
                        | B(UNIT_STOPPED)               /* exit, no restart */
                        | B(UNIT_STOPPING),             /* stop */
        [UNIT_RUNNING] = B(UNIT_WAITING)                /* fault, restart due */
                       | B(UNIT_STOPPED)                /* exit, no restart */
                       | B(UNIT_STOPPING),              /* stop */
        [UNIT_STOPPING] = B(UNIT_WAITING)               /* exit, restart pending */
                        | B(UNIT_STOPPED),              /* exit */
};

static const char *const unit_state_names[_UNIT_STATE_MAX] = {
        [UNIT_STOPPED] = "stopped",   [UNIT_WAITING] = "waiting",
        [UNIT_SETUP] = "setup",       [UNIT_STARTING] = "starting",
        [UNIT_RUNNING] = "running",   [UNIT_STOPPING] = "stopping",
};

const char *unit_state_to_string(UnitState state) {
        if ((unsigned)state >= _UNIT_STATE_MAX)
                return "invalid";
        return unit_state_names[state];
}

bool unit_transition_allowed(UnitState from, UnitState to) {
        if ((unsigned)from >= _UNIT_STATE_MAX || (unsigned)to >= _UNIT_STATE_MAX)
                return false;
        return (unit_transitions[from] & B(to)) != 0;
}

void unit_set_state(Unit *u, UnitState state) {
        if (!unit_transition_allowed(u->state, state)) {
                fprintf(stderr, "kosd: %s: forbidden transition %s -> %s\n", u->name,
                        unit_state_to_string(u->state), unit_state_to_string(state));
                abort();
        }
        u->state = state;
}

bool unit_is_active(const Unit *u) {
        return u->pid > 0;
}

void unit_done(Unit *u) {
        free(u->name);
        free(u->path);
        strv_free(u->argv);
        strv_free(u->envp);
        free(u->dependents);
        free(u->servers);
        if (u->notify_path)
                (void)unlink(u->notify_path);
        free(u->notify_path);
        closep(&u->notify_fd);
        closep(&u->output_fd);
        closep(&u->output_write_fd);
        closep(&u->msg_control_fd);
        *u = (Unit){ .notify_fd = -1, .output_fd = -1, .output_write_fd = -1, .msg_control_fd = -1 };
}
