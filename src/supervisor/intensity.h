/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Restart intensity: more than max_restarts restarts within period_ms escalate.
 *
 * Keeps the times of the last max_restarts + 1 restarts in a ring; a restart escalates when
 * the oldest of them is still inside the period. Memory is fixed at creation: recording a
 * restart never allocates. With max_restarts = 0 every restart escalates (OTP's MaxR = 0).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/cleanup.h"

typedef struct RestartIntensity RestartIntensity;

/* Returns 0 and *intensityp (owned by the caller), or -ENOMEM. */
int restart_intensity_new(RestartIntensity **intensityp, unsigned max_restarts, uint64_t period_ms);
RestartIntensity *restart_intensity_free(RestartIntensity *intensity);

/*
 * Records a restart at now_ms (monotonic, non-decreasing). Returns true if this restart
 * exceeds the intensity: the caller must escalate instead of restarting.
 */
bool restart_intensity_record(RestartIntensity *intensity, uint64_t now_ms);

DEFINE_CLEANUP_FUNC(RestartIntensity, restart_intensity_free)
