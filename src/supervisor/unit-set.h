/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UnitSet: the units of one kosd and the scheduling rules across them (rules 1-3 of
 * unit.h): which queued stop goes next, which waiting unit starts, the deadlines, the
 * settle time, requests on a unit and its chain, and shutdown.
 *
 * Invariants: every decision about one unit is made by unit_handle(); this file only picks
 * which unit gets which event and when. It runs no process and reads no clock itself (both
 * go through UnitOps), so tests drive it with fakes.
 */
#pragma once

#include "supervisor/unit.h"

/*
 * Prepares set for n_units units (zeroed, each with set and index filled in and in state
 * WAITING) under settings (borrowed) and ops (copied). Returns 0 or -ENOMEM.
 */
int unit_set_init(UnitSet *set, size_t n_units, const ManifestNodeManager *settings, unsigned start_timeout_ms,
                  const UnitOps *ops);

/* Frees the units (unit_done) and the intensity; leaves set zeroed. */
void unit_set_done(UnitSet *set);

/* The unit named name, or NULL. */
Unit *unit_set_find(UnitSet *set, const char *name);

/* Makes every step rules 1 and 2 allow now. */
void unit_set_run(UnitSet *set);

/*
 * Handles every deadline due at now (start timeouts, SIGKILLs, settling) and makes the
 * steps they allow. Returns the next deadline (an ops.now() value), or 0 if none.
 */
uint64_t unit_set_timers(UnitSet *set);

/* True once shutting down and no unit has a process or a queued stop. */
bool unit_set_finished(const UnitSet *set);

/* Stops everything in reverse order; the set finishes with exit_status (the first one set wins). */
void unit_set_shutdown(UnitSet *set, int exit_status);

/* Requests (`kos app start|stop|restart`) on u and its dependents. Return the number of
 * units they affect. */
size_t unit_set_start(UnitSet *set, Unit *u);
void unit_set_stop(UnitSet *set, Unit *u);
void unit_set_restart(UnitSet *set, Unit *u);
