/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A supervised unit (one app of the manifest, or one core service instance such as a
 * kos-msgd) and the state machine that decides what happens to it.
 *
 *                    want (boot, `kos app start`)
 *        STOPPED ─────────────────────────────────► WAITING ◄─────────────┐
 *           ▲                                          │ turn:            │
 *           │                                          │ every earlier    │ exit/fault,
 *           │ exit, not restarted                      │ wanted unit      │ restart due
 *           │ (temporary, normal transient exit,       ▼ ready            │
 *           │  stop requested, shutdown)            SETUP ──(script ok)──►│
 *           │                                          │ (aux script)     │
 *           │                                          ▼                  │
 *           ├───────────────────────────────────── STARTING ─(READY=1)─► RUNNING
 *           │                                          │                  │
 *           │                    stop turn (chain, admin, shutdown) from  │
 *           │                    SETUP, STARTING or RUNNING               │
 *           │                                          ▼                  │
 *           └───────────────────────────────────── STOPPING ◄─────────────┘
 *                      exit (SIGTERM, SIGKILL after stop-timeout-ms)
 *                      → WAITING if a restart is pending, else STOPPED
 *
 * ready = "started" units go WAITING → RUNNING directly once exec succeeded (or
 * SETUP → RUNNING); ready = "notify" units pass through STARTING.
 *
 * unit_handle(u, event) is the one place that decides: it looks up
 * unit_actions[state][event] (unit.c) and runs that action, which may change the state
 * (only through unit_set_state(), which aborts on a transition the diagram lacks), touch
 * the unit's flags, or act on other units of its UnitSet (a fault queues its dependents'
 * stops). Processes, signals and the clock are reached only through UnitOps, so the whole
 * machine runs in unit tests with no process and no sleep.
 *
 * The scheduling rules across units (unit-set.c) turn the flags into events:
 *  1. Stops first, one at a time, highest index first: while a unit is STOPPING, nothing
 *     else stops or starts; then the highest-index unit with stop_queued gets STOP_TURN.
 *  2. Starts in order: with no stop pending, the first WAITING unit gets TURN, but only if
 *     no unit before it is still in SETUP or STARTING (the one before must be ready).
 *  3. A fault is one restart toward the intensity, however long the chain it tears down.
 * Together these give OTP's rest_for_one order: a chain stops in reverse order and starts
 * again in forward order, and units outside the chain are never touched.
 *
 * Start timeout (systemd's TimeoutStartSec): a unit still in SETUP or STARTING at
 * start_deadline_ms gets START_TIMEOUT: it is stopped like any other with start_timed_out
 * set, and its exit then counts as an abnormal exit: restarted by its restart type, toward
 * the restart intensity. An explicit stop or restart request clears start_timed_out.
 *
 * Invariants:
 *  1. pid > 0 exactly in SETUP (the aux script's pid), STARTING, RUNNING and STOPPING (the
 *     app's, or the script's when a stop caught the unit in SETUP).
 *  2. Every unit process leads its own process group (pgid == pid).
 *  3. stop_queued is only set on a unit that is not STOPPING.
 *  4. A unit's state changes only in unit.c, through unit_set_state().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "manifest/manifest.h"
#include "supervisor/intensity.h"
#include "supervisor/service.h"

typedef enum UnitState {
        UNIT_STOPPED,  /* not running and not wanted */
        UNIT_WAITING,  /* wanted; starts when every earlier wanted unit is ready */
        UNIT_SETUP,    /* its aux_device_setup_script runs */
        UNIT_STARTING, /* exec'd; waits for READY=1 on its notify socket */
        UNIT_RUNNING,  /* ready */
        UNIT_STOPPING, /* SIGTERM sent to its process group; SIGKILL at stop_deadline */
        _UNIT_STATE_MAX,
} UnitState;

typedef enum UnitEvent {
        UNIT_EVENT_WANT,             /* boot, `kos app start`: it should run */
        UNIT_EVENT_RESTART,          /* `kos app restart`: stop it, then start it again */
        UNIT_EVENT_STOP,             /* `kos app stop`: stop it, do not start it again */
        UNIT_EVENT_SHUTDOWN,         /* kosd stops everything (signal or escalation) */
        UNIT_EVENT_DEPENDENCY_FAULT, /* a unit it depends on faulted: stop, come back */
        UNIT_EVENT_TURN,             /* rule 2: its turn to start */
        UNIT_EVENT_STOP_TURN,        /* rule 1: its queued stop is next */
        UNIT_EVENT_READY,            /* READY=1 from its own process group */
        UNIT_EVENT_EXIT,             /* its process exited (u->exit_code, u->exit_status) */
        UNIT_EVENT_START_TIMEOUT,    /* not ready by start_deadline_ms */
        UNIT_EVENT_STOP_TIMEOUT,     /* not gone by stop_deadline_ms: SIGKILL */
        _UNIT_EVENT_MAX,
} UnitEvent;

typedef struct Unit Unit;
typedef struct UnitSet UnitSet;

/* What the machine needs from the outside world; tests provide fakes. */
typedef struct UnitOps {
        /* Starts u's aux_device_setup_script (script) or its program. Returns 0 and *pidp, or
         * a negative errno after logging why. */
        int (*spawn)(void *userdata, Unit *u, bool script, pid_t *pidp);
        /* Sends sig to u's process group. */
        void (*kill)(void *userdata, Unit *u, int sig);
        /* now_ms() in kosd. */
        uint64_t (*now)(void *userdata);
        /* Every wanted unit has been ready for the settle time (once): confirm the boot. */
        void (*settled)(void *userdata);
        void *userdata;
} UnitOps;

struct Unit {
        UnitSet *set;
        char *name; /* owned: the app's name, or "<kind prefix><instance>" for a service */
        size_t index; /* position in start order: services first, then apps */
        const ServiceKind *service; /* NULL for an app */
        const char *instance;       /* service instance name (borrowed from the Manifest) */
        const ManifestApp *app;     /* apps: borrowed from the Manifest */

        /* What exec gets; fixed for the unit's life. */
        char *path;   /* owned: program to execute */
        char **argv;  /* owned strv */
        char **envp;  /* owned strv */
        const char *setup_script; /* borrowed; NULL if none */
        ManifestRestart restart;
        ManifestReady ready;

        /* Units torn down with this one when it faults (transitive; indices, ascending). */
        size_t *dependents; /* owned */
        size_t n_dependents;
        /* Service units (indices) this app gets a connection to, in its listing order. */
        size_t *servers; /* owned */
        size_t n_servers;

        UnitState state;
        pid_t pid;
        bool in_setup_script;  /* pid is the aux script, not the app */
        bool stop_queued;      /* to be stopped when its turn in reverse order comes */
        bool restart_pending;  /* after stopping, go WAITING instead of STOPPED */
        uint64_t stop_deadline_ms; /* STOPPING: when SIGKILL goes out; 0 once sent */
        uint64_t started_ms;       /* when the current process was started */
        uint64_t start_deadline_ms; /* SETUP/STARTING: when it must be ready; 0: never */
        bool start_timed_out;       /* stopping because it was not ready in time: a fault */
        unsigned restarts;         /* restarts since kosd started */
        int exit_code;             /* last exit: CLD_EXITED, CLD_KILLED or CLD_DUMPED */
        int exit_status;           /* its status or signal number */

        void *userdata; /* the daemon's per-unit state (fds, buffers); not the machine's */
};

struct UnitSet {
        Unit *units; /* owned array, start order */
        size_t n_units;
        const ManifestNodeManager *settings; /* borrowed from the Manifest */
        unsigned start_timeout_ms;           /* 0: none */
        RestartIntensity *intensity;         /* owned */
        UnitOps ops;

        bool shutting_down;
        int exit_status;           /* what kosd exits with once everything stopped */
        uint64_t settled_since_ms; /* 0: not every unit ready */
        bool settled;              /* the settle time passed once */
};

/* "stopped", "waiting", ... as `kos ps` shows them. */
const char *unit_state_to_string(UnitState state);
/* "want", "exit", ... for logs and tests. */
const char *unit_event_to_string(UnitEvent event);
/* True if the diagram allows from → to. */
bool unit_transition_allowed(UnitState from, UnitState to);
/* True if the unit has a process (the app or its setup script). */
bool unit_is_active(const Unit *u);

/* Decides what event means for u in its state and does it (unit_actions in unit.c).
 * Returns true if that changed anything (false: the event means nothing there). */
bool unit_handle(Unit *u, UnitEvent event);

/* Records that u's process exited as waitid() said (code, status), then handles EXIT. */
bool unit_handle_exit(Unit *u, int code, int status);

/* Frees what the unit owns (not the struct itself, nor userdata). */
void unit_done(Unit *u);
