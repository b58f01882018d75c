/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numbers given on a command line: descriptor numbers and timeouts, parsed by one rule
 * for every program (kos-msgd, kos-keystored, kos-traced and the kos verbs).
 *
 * Invariants:
 *  1. A number is decimal digits only, with a leading '-' only where negative values are
 *     allowed; empty text, spaces, a '+', other characters, trailing bytes and a value
 *     beyond long are -EINVAL, never read as 0 or clamped.
 *  2. The out-parameter is written only on success.
 */
#pragma once

/* A number from min to max (invariant 1). Returns 0 and *valuep, -EINVAL or -ERANGE
 * (well-formed but outside min..max). */
int number_parse(const char *s, long min, long max, long *valuep);

/* A descriptor number, 0..NUMBER_FD_MAX. Returns 0 and *fdp, or as number_parse(). */
#define NUMBER_FD_MAX 65535
int number_parse_fd(const char *s, int *fdp);

/* number_parse_fd() for the value of --option, logging a refusal as one line naming the
 * option ("--control-fd: not a descriptor number: \"x\""). */
int number_parse_fd_option(const char *option, const char *s, int *fdp);

/* A timeout in milliseconds, -1 (no limit) to NUMBER_TIMEOUT_MS_MAX (a day). Returns 0 and
 * *msp, or as number_parse(). */
#define NUMBER_TIMEOUT_MS_MAX 86400000L
int number_parse_timeout_ms(const char *s, int *msp);
