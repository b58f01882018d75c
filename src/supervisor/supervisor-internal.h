/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Supervisor's inside, shared by supervisor.c (the daemon around the UnitSet),
 * supervisor-units.c (units built from the manifest) and control.c (control socket).
 *
 * Invariants: only unit.c changes a unit's state (through unit_handle()); a UnitRuntime
 * holds what the daemon keeps per unit (fds, event sources, buffers), never a decision.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/cgroup.h"
#include "supervisor/control-protocol.h"
#include "supervisor/supervisor.h"
#include "supervisor/unit-set.h"
#include "util/event.h"

#define CONTROL_CLIENTS_MAX 16
#define UNIT_STATUS_MAX 128
#define UNIT_OUTPUT_MAX 4096

/* What kosd keeps for one unit beyond its state (u->userdata points here). */
typedef struct UnitRuntime {
        Supervisor *supervisor;
        Unit *unit;
        int notify_fd;     /* owned: bound datagram socket for NOTIFY_SOCKET; -1 if none */
        char *notify_path; /* owned: unlinked when the unit is done */
        int output_fd;       /* owned: read end of the stdout/stderr pipe */
        int output_write_fd; /* owned: write end, given to each start as fd 1 and 2 */
        char output[UNIT_OUTPUT_MAX]; /* partial line not yet logged */
        size_t output_len;
        char status[UNIT_STATUS_MAX]; /* last STATUS= it sent; "" if none */
        int service_fd;      /* owned: a service's end of kosd's control connection; -1 */
        EventSource *child;  /* owned: the running process's exit */
        int cgroup_fd;       /* owned: its cgroup's directory; -1 without cgroups */
        int image_fd;        /* owned: store image apps: a sealed memfd of the verified image */
} UnitRuntime;

struct Supervisor {
        const Manifest *manifest; /* borrowed */
        SupervisorConfig config;  /* strings borrowed */
        UnitSet set;
        UnitRuntime *runtimes; /* owned array, parallel to set.units */

        EventLoop *loop;     /* owned */
        EventSource *timer;  /* the UnitSet's next deadline */
        EventSource *confirm_deadline; /* NULL unless a confirmation is awaited by a deadline */
        bool confirmed;      /* the boot confirmation succeeded */
        pid_t confirming;    /* the confirmation child while it runs, else 0 */
        bool deadline_passed; /* the deadline came while the confirmation was running */
        EventSource *watchdog_timer; /* NULL unless config.watchdog_fd is a watchdog to keep alive */
        bool watchdog_failed;  /* a keepalive failed (said once) */
        EventSource *service_watchdog_timer; /* NULL unless config.service_watchdog_fd is set */
        int control_fd;      /* owned: listening socket */
        char *control_path;  /* owned */
        int clients[CONTROL_CLIENTS_MAX]; /* owned fds, -1 if free */
        EventSource *client_sources[CONTROL_CLIENTS_MAX]; /* their io sources */
        int devnull_fd;      /* owned: stdin of every unit */
        int manifest_fd;     /* owned: sealed memfd of the manifest, fd 4 of every service */
        CgroupTree *cgroups; /* owned: one cgroup per unit; NULL where cgroup2 is unusable */
        int lock_fd;         /* owned: run_dir/kosd.lock, flock'ed for kosd's life */
        char run_dir_id[64]; /* the run directory's device and inode: its name for cgroups */
};

static inline UnitRuntime *unit_runtime(const Unit *u) {
        return u->userdata;
}

/* supervisor-units.c */
int supervisor_units_new(Supervisor *s, const UnitOps *ops);
void supervisor_units_free(Supervisor *s);

/* control.c */
int control_listen(Supervisor *s);
void control_close_all(Supervisor *s);
