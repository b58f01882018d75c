/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one clock of KOS's daemons and libraries: milliseconds on CLOCK_MONOTONIC.
 *
 * Invariant: every deadline, timeout and rate window in KOS is a now_ms() value (or a
 * difference of two), so no two parts of a program disagree about time. CLOCK_MONOTONIC
 * does not jump when the wall clock is set (devices often boot with no RTC and set the
 * time later from the network).
 */
#pragma once

#include <stdint.h>

/* Milliseconds since an arbitrary point at boot; never goes back. */
uint64_t now_ms(void);

/* Nanoseconds on the same clock, for rate limits finer than a millisecond. */
uint64_t now_ns(void);
