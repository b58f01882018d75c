// SPDX-License-Identifier: Apache-2.0
/*
 * kos_trace_admin_protocol requests (see admin-protocol.h for the invariant).
 */
#include <errno.h>
#include <string.h>

#include "trace/admin-protocol.h"

/* msg_name_is_valid()'s rule, spelled out again: libkos-trace.so is linked against
 * libkos-msg.so, which exports only kos_msg_*. */
bool trace_app_name_is_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > TRACE_ADMIN_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == ',' || c == '+' || c == '-'))
                        return false;
        }
        return true;
}

bool trace_category_name_is_valid(const char *name, size_t n) {
        if (n == 0 || n > TRACE_CATEGORY_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                        return false;
        }
        return true;
}

bool trace_category_list_is_valid(const char *list) {
        size_t count = 0;

        if (!*list)
                return true;
        for (const char *p = list;; ) {
                size_t n = strcspn(p, ",");

                if (!trace_category_name_is_valid(p, n) || ++count > KOS_TRACE_MAX_CATEGORIES)
                        return false;
                if (!p[n])
                        return true;
                p += n + 1;
        }
}

bool trace_category_list_contains(const char *list, const char *name) {
        size_t len = strlen(name);

        if (!*list)
                return true;
        for (const char *p = list;; ) {
                size_t n = strcspn(p, ",");

                if (n == len && memcmp(p, name, n) == 0)
                        return true;
                if (!p[n])
                        return false;
                p += n + 1;
        }
}

int trace_admin_request_parse(const void *data, size_t size, TraceAdminRequest *requestp) {
        const char *p = data, *end = p + size, *app, *categories;
        TraceAdminRequest req;
        const char *nul;

        if (size < 4 || (uint8_t)p[0] != TRACE_ADMIN_VERSION || p[3] != 0)
                return -EBADMSG;
        if ((uint8_t)p[1] < TRACE_ADMIN_START || (uint8_t)p[1] > TRACE_ADMIN_COLLECT)
                return -EBADMSG;
        if ((uint8_t)p[2] > KOS_TRACE_MODE_OVERWRITE)
                return -EBADMSG;
        req.op = (TraceAdminOp)(uint8_t)p[1];
        req.mode = (KosTraceMode)(uint8_t)p[2];
        app = p + 4;
        nul = memchr(app, '\0', (size_t)(end - app));
        if (!nul)
                return -EBADMSG;
        categories = nul + 1;
        if (categories >= end)
                return -EBADMSG;
        nul = memchr(categories, '\0', (size_t)(end - categories));
        if (!nul || nul + 1 != end)
                return -EBADMSG;
        if (*app && !trace_app_name_is_valid(app))
                return -EBADMSG;
        switch (req.op) {
        case TRACE_ADMIN_START:
                if (!*app || !trace_category_list_is_valid(categories))
                        return -EBADMSG;
                break;
        case TRACE_ADMIN_STOP:
                if (!*app || *categories || req.mode != 0)
                        return -EBADMSG;
                break;
        case TRACE_ADMIN_LIST:
                if (*app || *categories || req.mode != 0)
                        return -EBADMSG;
                break;
        case TRACE_ADMIN_COLLECT:
                if (*categories || req.mode != 0)
                        return -EBADMSG;
                break;
        }
        req.app = app;
        req.categories = categories;
        *requestp = req;
        return 0;
}

int trace_admin_request_format(const TraceAdminRequest *request, void *buf, size_t size) {
        const char *app = request->app ? request->app : "", *categories = request->categories ? request->categories : "";
        size_t a = strlen(app), c = strlen(categories);
        char *p = buf;

        if (4 + a + 1 + c + 1 > size)
                return -EMSGSIZE;
        p[0] = TRACE_ADMIN_VERSION;
        p[1] = (char)request->op;
        p[2] = (char)request->mode;
        p[3] = 0;
        memcpy(p + 4, app, a + 1);
        memcpy(p + 4 + a + 1, categories, c + 1);
        if (trace_admin_request_parse(buf, 4 + a + 1 + c + 1, &(TraceAdminRequest){ 0 }) < 0)
                return -EINVAL;
        return (int)(4 + a + 1 + c + 1);
}
