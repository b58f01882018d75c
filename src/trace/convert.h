/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Converting a parsed trace file (file.h) for standard tools.
 *
 * JSON: the Chrome trace event format Perfetto opens. Per process (pid) a process_name
 * and per thread a thread_name metadata event, naming them by app; B/E slices, i instants,
 * C counters, lost events as a "lost events" counter; ts in microseconds with the
 * nanoseconds kept as three decimals.
 *
 * CTF: a CTF 1.8 trace directory (metadata + one stream) that babeltrace2 reads: one event
 * class per event type (kos:begin, kos:end, kos:instant, kos:counter, kos:lost), each
 * with the fields app, pid, tid, category, name, args (text) and value (counters, lost).
 *
 * Invariants:
 *  1. Within a thread, events come out in timestamp order (file order among equals), and
 *     slices nest: an E with no open B on its thread is dropped, and each B still open
 *     when its thread's events end is closed by an E at that thread's last timestamp.
 *  2. The output is written whole or not at all: the CLI writes through a temporary file.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "trace/file.h"

typedef struct TraceConvertStats {
        size_t events;  /* trace events written (metadata not counted) */
        size_t dropped; /* E events without a B */
        size_t closed;  /* E events added for slices left open */
} TraceConvertStats;

/* Writes file as Chrome JSON to f. Returns 0 or a negative errno (a write error). */
int trace_convert_json(const TraceFile *file, FILE *f, TraceConvertStats *statsp);

/* Writes file as a CTF trace into the existing, empty directory dir_fd. Returns 0 or -errno. */
int trace_convert_ctf(const TraceFile *file, int dir_fd, TraceConvertStats *statsp);
