// SPDX-License-Identifier: Apache-2.0
/*
 * The monotonic clock (see clock.h).
 * Invariant: clock_gettime(CLOCK_MONOTONIC) cannot fail with a valid clock id and pointer,
 * so neither function has an error path.
 */
#include <time.h>

#include "util/clock.h"

uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

uint64_t now_ms(void) {
        return now_ns() / 1000000U;
}
