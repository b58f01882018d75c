/* SPDX-License-Identifier: Apache-2.0 */
/* The LTTng-UST tracepoint bench/trace-bench.c measures: one 64-bit integer field. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER kos_bench

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./trace-bench-tp.h"

#if !defined(TRACE_BENCH_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define TRACE_BENCH_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(kos_bench, event, TP_ARGS(int64_t, i), TP_FIELDS(ctf_integer(int64_t, i, i)))

#endif

#include <lttng/tracepoint-event.h>
