/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Phased rollouts: a deployment's target reaches its devices phase by phase.
 *
 * A rollout's phases are cumulative sizes of the deployment's devices (in enrolment
 * order): "5%,25%,100%" or counts "1,10,100%". The next phase starts only when the
 * devices of the current one reached the success threshold of *confirmed* boots; the
 * rollout pauses itself when the failed devices of a phase exceed the failure threshold
 * (any failure in the first phase; more than 10% in a later one).
 *
 *   state \ event   REPORT                       PAUSE    RESUME              ABORT
 *   running         evaluate: advance a phase,   paused   running             aborted
 *                   pause itself, or finish
 *   paused          paused                       paused   running + evaluate  aborted
 *   done            done                         done     done                aborted
 *   aborted         aborted                      aborted  aborted             aborted
 *
 * Invariants:
 *  1. rollout_decide() is the one table that decides transitions; handlers only feed it
 *     events and store what it returns.
 *  2. A device outside the current phase is not offered the target; in a paused or
 *     aborted rollout, only devices that already started (reported progress that is not
 *     a failure) are.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "orbit/orbit.h"

#define ROLLOUT_PHASES_MAX 16
#define ROLLOUT_LATER_FAILURE_PCT 10

typedef enum RolloutState {
        ROLLOUT_RUNNING,
        ROLLOUT_PAUSED,
        ROLLOUT_DONE,
        ROLLOUT_ABORTED,
        _ROLLOUT_STATE_MAX,
} RolloutState;

typedef enum RolloutEvent {
        ROLLOUT_REPORT,
        ROLLOUT_PAUSE,
        ROLLOUT_RESUME,
        ROLLOUT_ABORT,
        _ROLLOUT_EVENT_MAX,
} RolloutEvent;

const char *rollout_state_to_string(RolloutState s);
int rollout_state_from_string(const char *s, RolloutState *statep);

/* A parsed phase list: each entry a percentage (percent true) or a count. */
typedef struct RolloutPhases {
        unsigned n;
        struct {
                bool percent;
                unsigned value;
        } phase[ROLLOUT_PHASES_MAX];
} RolloutPhases;

/* Parses "5%,25%,100%" (untrusted). 0, or -EBADMSG with the reason in error. */
int rollout_phases_parse(const char *text, RolloutPhases *phasesp, char *error, size_t error_size);
/* How many devices (of total) phase index covers, cumulatively. */
unsigned rollout_phase_size(const RolloutPhases *phases, unsigned index, unsigned total);

/*
 * Applies event to the rollout of deployment (db locked, inside a transaction): the
 * state table above, evaluating the current phase from the progress rows. *changedp is
 * set if devices may now be offered the target (a phase started, the rollout resumed).
 */
int rollout_event(Orbit *o, int64_t deployment, RolloutEvent event, bool *changedp);

/* True if device may be offered the deployment's target now (invariant 2). */
int rollout_device_may_start(Orbit *o, int64_t deployment, int64_t device, bool *mayp);

/*
 * The rollout's phases with their devices per state, counted as rollout_event() counts
 * them (db locked): [{phase, first, last, devices, states: {STATE: n, ..., none: n}}],
 * first and last 1-based positions in enrolment order, "none" the devices without
 * progress on the target. *phasesp is NULL (and 0 returned) for a deployment without a
 * phased rollout. The caller owns *phasesp.
 */
int rollout_phases_json(Orbit *o, int64_t deployment, json_t **phasesp);
