// SPDX-License-Identifier: Apache-2.0
/*
 * Phased rollouts (rollout.h): the state table and the phase evaluation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orbit/api.h"
#include "orbit/rollout.h"

static const char *const rollout_state_names[_ROLLOUT_STATE_MAX] = {
        [ROLLOUT_RUNNING] = "running",
        [ROLLOUT_PAUSED] = "paused",
        [ROLLOUT_DONE] = "done",
        [ROLLOUT_ABORTED] = "aborted",
};

const char *rollout_state_to_string(RolloutState s) {
        return s < _ROLLOUT_STATE_MAX ? rollout_state_names[s] : "invalid";
}

int rollout_state_from_string(const char *s, RolloutState *statep) {
        for (unsigned i = 0; i < _ROLLOUT_STATE_MAX; i++)
                if (s && strcmp(s, rollout_state_names[i]) == 0) {
                        *statep = (RolloutState)i;
                        return 0;
                }
        return -EINVAL;
}

/* What an event does in a state (invariant 1): the next state, and whether to evaluate. */
typedef struct RolloutAction {
        RolloutState next;
        bool evaluate;
} RolloutAction;

static const RolloutAction rollout_actions[_ROLLOUT_STATE_MAX][_ROLLOUT_EVENT_MAX] = {
        [ROLLOUT_RUNNING] = {
                [ROLLOUT_REPORT] = { ROLLOUT_RUNNING, true },
                [ROLLOUT_PAUSE] = { ROLLOUT_PAUSED, false },
                [ROLLOUT_RESUME] = { ROLLOUT_RUNNING, false },
                [ROLLOUT_ABORT] = { ROLLOUT_ABORTED, false },
        },
        [ROLLOUT_PAUSED] = {
                [ROLLOUT_REPORT] = { ROLLOUT_PAUSED, false },
                [ROLLOUT_PAUSE] = { ROLLOUT_PAUSED, false },
                [ROLLOUT_RESUME] = { ROLLOUT_RUNNING, true },
                [ROLLOUT_ABORT] = { ROLLOUT_ABORTED, false },
        },
        [ROLLOUT_DONE] = {
                [ROLLOUT_REPORT] = { ROLLOUT_DONE, false },
                [ROLLOUT_PAUSE] = { ROLLOUT_DONE, false },
                [ROLLOUT_RESUME] = { ROLLOUT_DONE, false },
                [ROLLOUT_ABORT] = { ROLLOUT_ABORTED, false },
        },
        [ROLLOUT_ABORTED] = {
                [ROLLOUT_REPORT] = { ROLLOUT_ABORTED, false },
                [ROLLOUT_PAUSE] = { ROLLOUT_ABORTED, false },
                [ROLLOUT_RESUME] = { ROLLOUT_ABORTED, false },
                [ROLLOUT_ABORT] = { ROLLOUT_ABORTED, false },
        },
};

int rollout_phases_parse(const char *text, RolloutPhases *phasesp, char *error, size_t error_size) {
        RolloutPhases p = { 0 };
        const char *s = text;

        if (!*s) {
                snprintf(error, error_size, "field \"phases\" is empty");
                return -EBADMSG;
        }
        while (*s) {
                char *end;
                unsigned long v;
                bool percent;

                if (p.n == ROLLOUT_PHASES_MAX) {
                        snprintf(error, error_size, "field \"phases\" has more than %d phases", ROLLOUT_PHASES_MAX);
                        return -EBADMSG;
                }
                if (*s < '0' || *s > '9') {
                        snprintf(error, error_size, "field \"phases\": phase %u is not a number or a percentage", p.n + 1);
                        return -EBADMSG;
                }
                v = strtoul(s, &end, 10);
                percent = *end == '%';
                if (percent)
                        end++;
                if (v == 0 || v > 1000000 || (percent && v > 100) || (*end && *end != ',')) {
                        snprintf(error, error_size,
                                 "field \"phases\": phase %u must be 1%% to 100%% or a positive count", p.n + 1);
                        return -EBADMSG;
                }
                if (p.n > 0 && p.phase[p.n - 1].percent == percent && p.phase[p.n - 1].value >= v) {
                        snprintf(error, error_size, "field \"phases\": phase %u is not larger than the one before",
                                 p.n + 1);
                        return -EBADMSG;
                }
                p.phase[p.n].percent = percent;
                p.phase[p.n].value = (unsigned)v;
                p.n++;
                s = *end ? end + 1 : end;
                if (*end == ',' && !*s) {
                        snprintf(error, error_size, "field \"phases\" ends with a comma");
                        return -EBADMSG;
                }
        }
        *phasesp = p;
        return 0;
}

unsigned rollout_phase_size(const RolloutPhases *phases, unsigned index, unsigned total) {
        unsigned n;

        if (index >= phases->n)
                return total;
        if (phases->phase[index].percent)
                n = (unsigned)(((uint64_t)total * phases->phase[index].value + 99) / 100);
        else
                n = phases->phase[index].value;
        if (n > total)
                n = total;
        if (n == 0 && total > 0)
                n = 1;
        return n;
}

typedef struct RolloutRow {
        RolloutState state;
        RolloutPhases phases;
        unsigned phase;
        int64_t target;
        unsigned success;
} RolloutRow;

static int rollout_load(Orbit *o, int64_t deployment, RolloutRow *row, bool *phasedp) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        char error[128];
        int q = orbit_db_query(o->db, &r,
                               "SELECT target, rollout_phases, rollout_phase, rollout_state, rollout_success FROM deployments"
                               " WHERE id = ?", ID(deployment));
        if (q < 0)
                return q;
        if (r.n_rows == 0)
                return -ENOENT;
        *phasedp = orbit_db_cell(&r, 0, 1) && *orbit_db_cell(&r, 0, 1) && orbit_db_cell(&r, 0, 0);
        if (!*phasedp)
                return 0;
        row->target = orbit_db_cell_int(&r, 0, 0);
        if (rollout_phases_parse(orbit_db_cell(&r, 0, 1), &row->phases, error, sizeof(error)) < 0 ||
            rollout_state_from_string(orbit_db_cell(&r, 0, 3), &row->state) < 0)
                return -EBADMSG;
        row->phase = (unsigned)orbit_db_cell_int(&r, 0, 2);
        row->success = (unsigned)orbit_db_cell_int(&r, 0, 4);
        return 0;
}

/* The devices of the deployment in enrolment order, with their state on the target. */
static int rollout_devices(Orbit *o, int64_t deployment, int64_t target, OrbitDbResult *r) {
        return orbit_db_query(o->db, r,
                              "SELECT d.id, p.state FROM devices d LEFT JOIN progress p ON p.device_id = d.id AND"
                              " p.release_id = ? WHERE d.deployment_id = ? ORDER BY d.id", ID(target), ID(deployment));
}

int rollout_event(Orbit *o, int64_t deployment, RolloutEvent event, bool *changedp) {
        _cleanup_db_result_ OrbitDbResult d = { 0 };
        RolloutRow row = { 0 };
        RolloutAction action;
        bool phased = false;
        int q;

        *changedp = false;
        /* one evaluation of a deployment at a time: a row lock (PostgreSQL) held to the
         * commit, so concurrent reports each see the others' committed progress */
        q = orbit_db_query(o->db, NULL, "UPDATE deployments SET rollout_phase = rollout_phase WHERE id = ?",
                           ID(deployment));
        if (q < 0)
                return q;
        q = rollout_load(o, deployment, &row, &phased);
        if (q < 0 || !phased)
                return q;
        action = rollout_actions[row.state][event];
        if (action.next == ROLLOUT_RUNNING && row.state != ROLLOUT_RUNNING)
                *changedp = true;
        row.state = action.next;
        while (action.evaluate && row.state == ROLLOUT_RUNNING) {
                unsigned size, confirmed = 0, failed = 0, total, need, allowed;

                orbit_db_result_clear(&d);
                q = rollout_devices(o, deployment, row.target, &d);
                if (q < 0)
                        return q;
                total = (unsigned)d.n_rows;
                size = rollout_phase_size(&row.phases, row.phase, total);
                for (unsigned i = 0; i < size; i++) {
                        const char *s = orbit_db_cell(&d, i, 1);
                        confirmed += s && strcmp(s, "confirmed") == 0;
                        failed += s && strcmp(s, "failed") == 0;
                }
                /* first phase: any failure; later: more than 10% of the phase */
                allowed = row.phase == 0 ? 0 : size * ROLLOUT_LATER_FAILURE_PCT / 100;
                if (failed > allowed) {
                        row.state = ROLLOUT_PAUSED;
                        break;
                }
                need = (unsigned)(((uint64_t)size * row.success + 99) / 100);
                if (confirmed < need)
                        break;
                if (row.phase + 1 >= row.phases.n || size >= total) {
                        row.state = confirmed == total ? ROLLOUT_DONE : ROLLOUT_RUNNING;
                        break;
                }
                row.phase++;
                *changedp = true;
        }
        return orbit_db_query(o->db, NULL, "UPDATE deployments SET rollout_state = ?, rollout_phase = ? WHERE id = ?",
                              rollout_state_to_string(row.state), ID(row.phase), ID(deployment));
}

int rollout_device_may_start(Orbit *o, int64_t deployment, int64_t device, bool *mayp) {
        _cleanup_db_result_ OrbitDbResult d = { 0 };
        RolloutRow row = { 0 };
        bool phased = false;
        unsigned size;
        int q;

        *mayp = true;
        q = rollout_load(o, deployment, &row, &phased);
        if (q < 0 || !phased)
                return q;
        q = rollout_devices(o, deployment, row.target, &d);
        if (q < 0)
                return q;
        size = rollout_phase_size(&row.phases, row.phase, (unsigned)d.n_rows);
        for (size_t i = 0; i < d.n_rows; i++) {
                if (orbit_db_cell_int(&d, i, 0) != device)
                        continue;
                const char *s = orbit_db_cell(&d, i, 1);
                bool started = s && strcmp(s, "failed") != 0 && strcmp(s, "assigned") != 0;
                if (row.state == ROLLOUT_ABORTED || row.state == ROLLOUT_PAUSED)
                        *mayp = started && row.state == ROLLOUT_PAUSED;
                else
                        *mayp = i < size || started;
                return 0;
        }
        *mayp = false;
        return 0;
}

static const char *const rollout_progress_states[] = { "assigned", "downloading", "installed", "booted",
                                                       "confirmed", "failed" };

int rollout_phases_json(Orbit *o, int64_t deployment, json_t **phasesp) {
        _cleanup_db_result_ OrbitDbResult d = { 0 };
        RolloutRow row = { 0 };
        bool phased = false;
        unsigned start = 0, total;
        json_t *phases;
        int q;

        q = rollout_load(o, deployment, &row, &phased);
        if (q < 0)
                return q;
        if (!phased) {
                *phasesp = NULL;
                return 0;
        }
        q = rollout_devices(o, deployment, row.target, &d);
        if (q < 0)
                return q;
        total = (unsigned)d.n_rows;
        phases = json_array();
        if (!phases)
                return -ENOMEM;
        for (unsigned i = 0; i < row.phases.n; i++) {
                unsigned end = rollout_phase_size(&row.phases, i, total), none = 0;
                json_t *states = json_object(), *phase;
                unsigned count[ELEMENTSOF(rollout_progress_states)] = { 0 };

                if (end < start)
                        end = start;
                for (unsigned k = start; k < end; k++) {
                        const char *s = orbit_db_cell(&d, k, 1);
                        size_t j;
                        for (j = 0; s && j < ELEMENTSOF(rollout_progress_states); j++)
                                if (strcmp(s, rollout_progress_states[j]) == 0)
                                        break;
                        if (s && j < ELEMENTSOF(rollout_progress_states))
                                count[j]++;
                        else
                                none++;
                }
                for (size_t j = 0; states && j < ELEMENTSOF(rollout_progress_states); j++)
                        json_object_set_new(states, rollout_progress_states[j], json_integer(count[j]));
                if (states)
                        json_object_set_new(states, "none", json_integer(none));
                phase = json_pack("{s:I,s:I,s:I,s:I,s:o*}", "phase", (json_int_t)i + 1, "first", (json_int_t)start + 1,
                                  "last", (json_int_t)end, "devices", (json_int_t)(end - start), "states", states);
                if (!phase || json_array_append_new(phases, phase) < 0) {
                        json_decref(phases);
                        return -ENOMEM;
                }
                start = end;
        }
        *phasesp = phases;
        return 0;
}
