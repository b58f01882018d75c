// SPDX-License-Identifier: Apache-2.0
/*
 * Restart intensity window (see intensity.h).
 * Invariant: times[] holds the last min(count, size) restart times, oldest at head.
 */
#include <errno.h>
#include <stdlib.h>

#include "supervisor/intensity.h"

struct RestartIntensity {
        uint64_t period_ms;
        size_t size;  /* max_restarts + 1 */
        size_t head;  /* oldest entry */
        size_t count; /* entries in use, <= size */
        uint64_t times[];
};

int restart_intensity_new(RestartIntensity **intensityp, unsigned max_restarts, uint64_t period_ms) {
        size_t size = (size_t)max_restarts + 1;
        RestartIntensity *ri;

        ri = calloc(1, sizeof(*ri) + size * sizeof(uint64_t));
        if (!ri)
                return -ENOMEM;
        ri->period_ms = period_ms;
        ri->size = size;
        *intensityp = ri;
        return 0;
}

RestartIntensity *restart_intensity_free(RestartIntensity *intensity) {
        free(intensity);
        return NULL;
}

bool restart_intensity_record(RestartIntensity *ri, uint64_t now_ms) {
        if (ri->count < ri->size) {
                ri->times[(ri->head + ri->count) % ri->size] = now_ms;
                ri->count++;
        } else {
                ri->times[ri->head] = now_ms;
                ri->head = (ri->head + 1) % ri->size;
        }
        /* Escalate if size (= max + 1) restarts fall within the period. */
        return ri->count == ri->size && now_ms - ri->times[ri->head] < ri->period_ms;
}
