/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A supervised unit: one app of the manifest, or one kos-msgd instance.
 *
 * The unit state machine. Each unit is in exactly one state; unit_set_state() is the only
 * way to change it and refuses (aborts on) a transition the table below does not allow.
 *
 *                    want (boot, `kos app start`)
 *        STOPPED ─────────────────────────────────► WAITING ◄─────────────┐
 *           ▲                                          │ its turn:        │
 *           │                                          │ every earlier    │ exit/fault,
 *           │ exit, not restarted                      │ wanted unit      │ restart due
 *           │ (temporary, normal transient exit,       ▼ ready            │
 *           │  stop requested, shutdown)            SETUP ──(script ok)──►│
 *           │                                          │ (aux script)     │
 *           │                                          ▼                  │
 *           ├───────────────────────────────────── STARTING ─(READY=1)─► RUNNING
 *           │                                          │                  │
 *           │                    stop (chain, admin, shutdown) from       │
 *           │                    SETUP, STARTING or RUNNING               │
 *           │                                          ▼                  │
 *           └───────────────────────────────────── STOPPING ◄─────────────┘
 *                      exit (SIGTERM, SIGKILL after stop-timeout-ms)
 *                      → WAITING if a restart is pending, else STOPPED
 *
 * ready = "started" units go WAITING → RUNNING directly once exec succeeded (or
 * SETUP → RUNNING); ready = "notify" units pass through STARTING.
 *
 * Start timeout (systemd's TimeoutStartSec): a unit still in SETUP or STARTING at
 * start_deadline_ms is stopped like any other (→ STOPPING) with start_timed_out set, and
 * its exit then counts as an abnormal exit: restarted by its restart type, toward the
 * restart intensity. An explicit stop or restart request clears start_timed_out.
 *
 * Invariants: pid > 0 exactly in SETUP (the aux script's pid), STARTING, RUNNING and
 * STOPPING (the app's, or the script's when a stop caught the unit in SETUP). Every unit
 * process leads its own process group (pgid == pid). stop_queued is only set on a unit
 * that is not STOPPING.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "manifest/manifest.h"

typedef enum UnitKind {
        UNIT_KIND_APP,
        UNIT_KIND_MSG_SERVER, /* one kos-msgd instance */
} UnitKind;

typedef enum UnitState {
        UNIT_STOPPED,  /* not running and not wanted */
        UNIT_WAITING,  /* wanted; starts when every earlier wanted unit is ready */
        UNIT_SETUP,    /* its aux_device_setup_script runs */
        UNIT_STARTING, /* exec'd; waits for READY=1 on its notify socket */
        UNIT_RUNNING,  /* ready */
        UNIT_STOPPING, /* SIGTERM sent to its process group; SIGKILL at stop_deadline */
        _UNIT_STATE_MAX,
} UnitState;

#define UNIT_STATUS_MAX 128
#define UNIT_OUTPUT_MAX 4096

typedef struct Unit {
        char *name; /* owned: the app's name, or "kos-msgd:INSTANCE" */
        size_t index; /* position in start order: msg servers first, then apps */
        UnitKind kind;
        const ManifestApp *app;              /* UNIT_KIND_APP: borrowed from the Manifest */
        const ManifestMsgServer *msg_server; /* UNIT_KIND_MSG_SERVER: borrowed */

        /* What exec gets; fixed for the unit's life. */
        char *path;   /* owned: program to execute */
        char **argv;  /* owned strv */
        char **envp;  /* owned strv */
        ManifestRestart restart;
        ManifestReady ready;

        /* Units torn down with this one when it faults (transitive; indices, ascending). */
        size_t *dependents; /* owned */
        size_t n_dependents;
        /* Message server units (indices) this app is a client of, in its msg_servers order. */
        size_t *servers; /* owned */
        size_t n_servers;

        UnitState state;
        pid_t pid;
        bool in_setup_script;  /* pid is the aux script, not the app */
        bool stop_queued;      /* to be stopped when its turn in reverse order comes */
        bool restart_pending;  /* after stopping, go WAITING instead of STOPPED */
        uint64_t stop_deadline_ms; /* STOPPING: when SIGKILL goes out */
        bool killed;               /* STOPPING: SIGKILL already sent */
        uint64_t started_ms;       /* when the current process was started */
        uint64_t start_deadline_ms; /* SETUP/STARTING: when it must be ready; 0: never */
        bool start_timed_out;       /* stopping because it was not ready in time: a fault */
        unsigned restarts;         /* restarts since kosd started */
        int last_exit_status;      /* as from waitid: CLD_* code and status */

        int notify_fd;   /* owned: bound datagram socket for NOTIFY_SOCKET; -1 if none */
        char *notify_path; /* owned: unlinked when the unit is done */
        int output_fd;   /* owned: read end of the stdout/stderr pipe */
        int output_write_fd; /* owned: write end, given to each start as fd 1 and 2 */
        char output[UNIT_OUTPUT_MAX]; /* partial line not yet logged */
        size_t output_len;
        char status[UNIT_STATUS_MAX]; /* last STATUS= it sent; "" if none */

        int msg_control_fd; /* owned: UNIT_KIND_MSG_SERVER: kosd's end of the control connection */
} Unit;

/* "stopped", "waiting", ... as `kos ps` shows them. */
const char *unit_state_to_string(UnitState state);
/* True if the table allows from → to. */
bool unit_transition_allowed(UnitState from, UnitState to);
/* Moves u to state; aborts on a transition the table forbids (a bug in kosd). */
void unit_set_state(Unit *u, UnitState state);
/* True if the unit has a process (the app or its setup script). */
bool unit_is_active(const Unit *u);

/* Frees what the unit owns and closes its fds (not the struct itself). */
void unit_done(Unit *u);
