/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Supervisor's inside, shared by supervisor.c (loop and state machine),
 * supervisor-units.c (units built from the manifest) and control.c (control socket).
 *
 * Invariants: only supervisor.c changes a unit's state, always through unit_set_state();
 * an epoll event's EventTag and index name the one fd it is about (supervisor_epoll_add()).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/control-protocol.h"
#include "supervisor/intensity.h"
#include "supervisor/supervisor.h"
#include "supervisor/unit.h"

#define CONTROL_CLIENTS_MAX 16

/* What an epoll event is about: tag in the high 32 bits of data.u64, index in the low. */
typedef enum EventTag {
        EVENT_SIGNAL = 1,
        EVENT_CONTROL_LISTEN,
        EVENT_CONTROL_CLIENT,
        EVENT_NOTIFY,
        EVENT_OUTPUT,
} EventTag;

struct Supervisor {
        const Manifest *manifest; /* borrowed */
        SupervisorConfig config;  /* strings borrowed */
        Unit *units;              /* owned array, start order */
        size_t n_units;
        RestartIntensity *intensity; /* owned */

        int epoll_fd;   /* owned */
        int signal_fd;  /* owned */
        int control_fd; /* owned: listening socket */
        char *control_path; /* owned */
        int clients[CONTROL_CLIENTS_MAX]; /* owned fds, -1 if free */
        int devnull_fd; /* owned: stdin of every unit */

        bool shutting_down;
        int exit_status;
        uint64_t settled_since_ms; /* 0: not every unit ready */
        bool settled;              /* the settle time passed once */
        pid_t confirm_pid;         /* `kos boot confirm` while it runs */
};

/* Milliseconds on CLOCK_MONOTONIC: every deadline and window in kosd is in these. */
uint64_t supervisor_now_ms(void);
/* Watches fd for input, tagged so the event loop knows whose it is. Returns 0 or -errno. */
int supervisor_epoll_add(Supervisor *s, int fd, EventTag tag, size_t index);

/* supervisor-units.c */
int supervisor_units_new(Supervisor *s);
Unit *supervisor_find_unit(Supervisor *s, const char *name);

/* control.c */
int control_listen(Supervisor *s);
void control_accept(Supervisor *s);
void control_client_handle(Supervisor *s, size_t slot);
void control_close_all(Supervisor *s);

/* supervisor.c: what control requests do. Return 0 or a negative errno, message in err. */
int supervisor_unit_start(Supervisor *s, Unit *u, char *err, size_t err_size);
int supervisor_unit_stop(Supervisor *s, Unit *u, char *err, size_t err_size);
int supervisor_unit_restart(Supervisor *s, Unit *u, char *err, size_t err_size);
