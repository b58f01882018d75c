/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kos_trace_admin_protocol: the requests an administering app sends kos-traced, over a
 * message-server channel (one call each; docs/tracing.md, "Admin protocol").
 *
 * Request payload: u8 version (1), u8 op, u8 mode, u8 reserved (0), then the app name and
 * the category list, each NUL-terminated, and nothing after. The reply's status is 0 or a
 * positive errno; LIST answers text, COLLECT a memfd holding a trace file.
 *
 * Invariant: trace_admin_request_parse() accepts only requests whose every field is
 * meaningful for the op (a name where one is needed and nowhere else, known op and mode,
 * category names of [A-Za-z0-9_], 1..64 bytes, at most KOS_TRACE_MAX_CATEGORIES of them).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kos/trace.h"

#define TRACE_ADMIN_VERSION 1
#define TRACE_CATEGORY_NAME_MAX 64
#define TRACE_ADMIN_NAME_MAX 127

typedef enum TraceAdminOp {
        TRACE_ADMIN_START = 1,
        TRACE_ADMIN_STOP = 2,
        TRACE_ADMIN_LIST = 3,
        TRACE_ADMIN_COLLECT = 4,
} TraceAdminOp;

typedef struct TraceAdminRequest {
        TraceAdminOp op;
        KosTraceMode mode;
        const char *app;        /* points into the payload; "" if none */
        const char *categories; /* points into the payload; "" for all */
} TraceAdminRequest;

/* Parses a request; *requestp points into data. Returns 0 or -EBADMSG. */
int trace_admin_request_parse(const void *data, size_t size, TraceAdminRequest *requestp);

/* Encodes a request into buf (capacity size). Returns its length, or -EINVAL / -EMSGSIZE. */
int trace_admin_request_format(const TraceAdminRequest *request, void *buf, size_t size);

/* True if name is an app name as message servers know them (1..127 of [A-Za-z0-9._,+-]). */
bool trace_app_name_is_valid(const char *name);

/* True if name is a category name: 1..64 of [A-Za-z0-9_]. */
bool trace_category_name_is_valid(const char *name, size_t n);

/* True if list is "" or comma-separated valid category names, at most 64. */
bool trace_category_list_is_valid(const char *list);

/* True if name appears in the comma-separated list ("" matches every name). */
bool trace_category_list_contains(const char *list, const char *name);
