// SPDX-License-Identifier: Apache-2.0
/*
 * UnitSet: which unit gets which event, and when (see unit-set.h and rules 1-3 in unit.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/unit-set.h"
#include "util/log.h"

int unit_set_init(UnitSet *set, size_t n_units, const ManifestNodeManager *settings, unsigned start_timeout_ms,
                  const UnitOps *ops) {
        int r;

        *set = (UnitSet){ .settings = settings, .start_timeout_ms = start_timeout_ms, .ops = *ops };
        r = restart_intensity_new(&set->intensity, settings->restart_intensity, settings->restart_period_ms);
        if (r < 0)
                return r;
        set->units = calloc(n_units ? n_units : 1, sizeof(Unit));
        if (!set->units) {
                set->intensity = restart_intensity_free(set->intensity);
                return -ENOMEM;
        }
        set->n_units = n_units;
        for (size_t i = 0; i < n_units; i++)
                set->units[i] = (Unit){ .set = set, .index = i, .state = UNIT_WAITING };
        return 0;
}

void unit_set_done(UnitSet *set) {
        for (size_t i = 0; i < set->n_units; i++)
                unit_done(&set->units[i]);
        free(set->units);
        restart_intensity_free(set->intensity);
        *set = (UnitSet){ 0 };
}

Unit *unit_set_find(UnitSet *set, const char *name) {
        for (size_t i = 0; i < set->n_units; i++)
                if (set->units[i].name && strcmp(set->units[i].name, name) == 0)
                        return &set->units[i];
        return NULL;
}

/* One step of rules 1 and 2. Returns true if it changed something. */
static bool unit_set_step(UnitSet *set) {
        Unit *queued = NULL;

        for (size_t i = 0; i < set->n_units; i++) {
                if (set->units[i].state == UNIT_STOPPING)
                        return false;
                if (set->units[i].stop_queued)
                        queued = &set->units[i];
        }
        if (queued)
                return unit_handle(queued, UNIT_EVENT_STOP_TURN);
        if (set->shutting_down)
                return false;
        for (size_t i = 0; i < set->n_units; i++) {
                Unit *u = &set->units[i];

                if (u->state == UNIT_SETUP || u->state == UNIT_STARTING)
                        return false;
                if (u->state == UNIT_WAITING)
                        return unit_handle(u, UNIT_EVENT_TURN);
        }
        return false;
}

void unit_set_run(UnitSet *set) {
        while (unit_set_step(set))
                ;
}

static bool unit_set_all_ready(const UnitSet *set) {
        for (size_t i = 0; i < set->n_units; i++) {
                const Unit *u = &set->units[i];
                if (u->stop_queued || (u->state != UNIT_RUNNING && u->state != UNIT_STOPPED))
                        return false;
        }
        return true;
}

bool unit_set_finished(const UnitSet *set) {
        if (!set->shutting_down)
                return false;
        for (size_t i = 0; i < set->n_units; i++)
                if (unit_is_active(&set->units[i]) || set->units[i].stop_queued)
                        return false;
        return true;
}

static uint64_t earliest(uint64_t a, uint64_t b) {
        return a == 0 || (b != 0 && b < a) ? b : a;
}

uint64_t unit_set_timers(UnitSet *set) {
        uint64_t now = set->ops.now(set->ops.userdata), next = 0;

        /* What is due first: a start timeout queues a stop, whose turn may come at once
         * and arm a stop deadline, so the deadlines are collected only after that. */
        for (size_t i = 0; i < set->n_units; i++) {
                Unit *u = &set->units[i];

                if ((u->state == UNIT_SETUP || u->state == UNIT_STARTING) && u->start_deadline_ms != 0 &&
                    u->start_deadline_ms <= now)
                        unit_handle(u, UNIT_EVENT_START_TIMEOUT);
                if (u->state == UNIT_STOPPING && u->stop_deadline_ms != 0 && u->stop_deadline_ms <= now)
                        unit_handle(u, UNIT_EVENT_STOP_TIMEOUT);
        }
        unit_set_run(set);
        for (size_t i = 0; i < set->n_units; i++) {
                const Unit *u = &set->units[i];

                if ((u->state == UNIT_SETUP || u->state == UNIT_STARTING) && !u->start_timed_out && !u->stop_queued)
                        next = earliest(next, u->start_deadline_ms);
                if (u->state == UNIT_STOPPING)
                        next = earliest(next, u->stop_deadline_ms);
        }

        if (set->shutting_down || !unit_set_all_ready(set)) {
                set->settled_since_ms = 0;
                return next;
        }
        if (set->settled_since_ms == 0)
                set->settled_since_ms = now;
        if (!set->settled) {
                uint64_t at = set->settled_since_ms + set->settings->settle_time_ms;

                if (at <= now) {
                        set->settled = true;
                        set->ops.settled(set->ops.userdata);
                } else {
                        next = earliest(next, at);
                }
        }
        return next;
}

void unit_set_shutdown(UnitSet *set, int exit_status) {
        if (!set->shutting_down)
                set->exit_status = exit_status;
        set->shutting_down = true;
        for (size_t i = 0; i < set->n_units; i++)
                unit_handle(&set->units[i], UNIT_EVENT_SHUTDOWN);
}

/* Sends event to u and every unit that depends on it, dependents first. */
static size_t unit_set_chain(UnitSet *set, Unit *u, UnitEvent event) {
        size_t changed = 0;

        for (size_t k = 0; k < u->n_dependents; k++)
                changed += unit_handle(&set->units[u->dependents[k]], event);
        return changed + unit_handle(u, event);
}

/* An app cannot start without the services it connects to: those come first (they have
 * lower indices, so rule 2 starts them before it), never a fault. Only the services
 * themselves are wanted: their other clients stay as they are. */
static size_t unit_set_want_services(UnitSet *set, Unit *u) {
        size_t changed = 0;

        for (size_t k = 0; k <= u->n_dependents; k++) {
                Unit *d = k < u->n_dependents ? &set->units[u->dependents[k]] : u;

                for (size_t i = 0; i < d->n_servers; i++) {
                        Unit *server = &set->units[d->servers[i]];

                        if (!server->restart_pending && unit_handle(server, UNIT_EVENT_WANT)) {
                                log_notice("control: start %s, which %s needs", server->name, d->name);
                                changed++;
                        }
                }
        }
        return changed;
}

size_t unit_set_start(UnitSet *set, Unit *u) {
        size_t changed;

        log_notice("control: start %s", u->name);
        changed = unit_set_chain(set, u, UNIT_EVENT_WANT);
        return changed + unit_set_want_services(set, u);
}

void unit_set_stop(UnitSet *set, Unit *u) {
        log_notice("control: stop %s", u->name);
        (void)unit_set_chain(set, u, UNIT_EVENT_STOP);
}

void unit_set_restart(UnitSet *set, Unit *u) {
        log_notice("control: restart %s", u->name);
        if (u->state == UNIT_STOPPED)
                unit_handle(u, UNIT_EVENT_WANT);
        (void)unit_set_chain(set, u, UNIT_EVENT_RESTART);
        (void)unit_set_want_services(set, u);
}
