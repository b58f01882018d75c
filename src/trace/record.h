/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checking one trace record (layout.h) that came from somewhere untrusted: a traced app's
 * shared buffer (kos-traced) or a trace file (the converters).
 *
 * Invariant: a record trace_record_is_valid() accepts can be printed as JSON or CTF as it
 * is: its type is known, its name and keys are 1..N printable ASCII bytes followed only by
 * NULs, its strings printable ASCII, its doubles finite, its category below n_categories,
 * and a counter carries at least one numeric argument.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/layout.h"

/* A record type used only in trace files: events lost on one thread (args[0].i: how many in all). */
#define TRACE_EVENT_LOST 5

/* True if r is well-formed (see the invariant); n_categories bounds r->category. */
bool trace_record_is_valid(const TraceRecord *r, uint32_t n_categories);

/* True if name is 1..max printable ASCII bytes followed by NULs up to max. */
bool trace_text_is_valid(const char *text, size_t max, bool may_be_empty);

/* The length of a NUL-padded text field of capacity max. */
size_t trace_text_length(const char *text, size_t max);
