/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kosd's supervisor: runs a manifest's core services and apps, and keeps them up.
 *
 * Behaviour (docs/kosd.md has the user's view; unit.h the state machine that decides):
 *  - Units start in order (core services first, then apps in manifest order); the next
 *    starts only when the one before is ready.
 *  - A unit not ready within start_timeout_ms of its start (setup script and READY=1
 *    included) is stopped, and that counts as a fault, as systemd's TimeoutStartSec does.
 *  - When a unit exits without being asked to, it and every unit that depends on it
 *    (transitively, through the supervision node, and every client of a service) are
 *    stopped in reverse order, one at a time, then started again in forward order, as
 *    OTP's rest_for_one does. restart = permanent | transient | temporary as in OTP.
 *  - More than restart_intensity restarts within restart_period_ms escalate: every unit
 *    is stopped in reverse order and supervisor_run() returns 1.
 *  - SIGTERM/SIGINT/SIGHUP stop every unit in reverse order; supervisor_run() returns 0.
 *  - When every wanted unit has been ready for settle_time_ms, the boot is confirmed once
 *    (with a store: boot_confirm(), src/boot).
 *
 * Single-threaded, on one EventLoop (util/event.h): signals, child exits, the control
 * socket and its clients, each notify socket and each output pipe are its sources, and
 * the UnitSet's next deadline is its one timer; nothing polls.
 */
#pragma once

#include "manifest/manifest.h"
#include "supervisor/service.h"
#include "util/cleanup.h"

typedef struct SupervisorConfig {
        /* The DTB kosd parsed (and, with a store, verified): the core services get exactly
         * these bytes, in a sealed memfd, never a path to read again. */
        const void *manifest_dtb;
        size_t manifest_size;
        unsigned generation;       /* with store_dir: the generation they are (refs/booted's) */
        const char *run_dir;       /* control socket and notify sockets live here */
        /* Per service kind (service.h): its program; NULL: that kind is not started. */
        const char *service_paths[_SERVICE_KIND_MAX];
        const char *store_dir;     /* NULL unless --store: image apps, boot confirmation */
        unsigned start_timeout_ms; /* setup script + READY=1 must take less; 0: no limit */
        /* With store_dir: a boot not confirmed this long after the start stops every app
         * and makes kosd exit with status 1 (as PID 1: reboot); 0: no deadline. */
        unsigned confirm_timeout_ms;
        /* An open watchdog (boot/watchdog.h; borrowed), kept alive every
         * watchdog_interval_ms from the event loop, so a stalled loop stops keeping it
         * alive and the machine resets; -1: none. */
        int watchdog_fd;
        unsigned watchdog_interval_ms;
        /* The same for the service manager's watchdog (systemd's WatchdogSec): a socket
         * connected to NOTIFY_SOCKET (borrowed) that gets WATCHDOG=1; -1: none. */
        int service_watchdog_fd;
        unsigned service_watchdog_interval_ms;
} SupervisorConfig;

typedef struct Supervisor Supervisor;

/*
 * Prepares units for manifest m (borrowed; must outlive the Supervisor), creates the run
 * directory, the control socket, notify sockets and output pipes. Starts nothing.
 * Returns 0 and *supervisorp, or a negative errno after logging why.
 */
int supervisor_new(Supervisor **supervisorp, const Manifest *m, const SupervisorConfig *config);

/* Runs until shutdown. Returns the exit status for kosd: 0 after SIGTERM, 1 on escalation. */
int supervisor_run(Supervisor *s);

/* Frees s and closes what it owns. Accepts NULL; returns NULL. */
Supervisor *supervisor_free(Supervisor *s);

DEFINE_CLEANUP_FUNC(Supervisor, supervisor_free)
