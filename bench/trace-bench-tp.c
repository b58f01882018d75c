// SPDX-License-Identifier: Apache-2.0
/* The LTTng-UST tracepoint provider of bench/trace-bench.c. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "trace-bench-tp.h"
