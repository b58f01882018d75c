// SPDX-License-Identifier: Apache-2.0
/*
 * Checking untrusted trace records (see record.h for the invariant).
 */
#include <math.h>
#include <string.h>

#include "trace/record.h"

size_t trace_text_length(const char *text, size_t max) {
        size_t n = 0;

        while (n < max && text[n])
                n++;
        return n;
}

bool trace_text_is_valid(const char *text, size_t max, bool may_be_empty) {
        size_t n = trace_text_length(text, max);

        if (n == 0 && !may_be_empty)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] >= 0x7f)
                        return false;
        for (size_t i = n; i < max; i++)
                if (text[i])
                        return false;
        return true;
}

bool trace_record_is_valid(const TraceRecord *r, uint32_t n_categories) {
        bool numeric = false;

        if (r->type < KOS_TRACE_EVENT_BEGIN || r->type > KOS_TRACE_EVENT_COUNTER)
                return false;
        if (r->category >= n_categories || r->n_args > KOS_TRACE_MAX_ARGS)
                return false;
        if (r->name_len == 0 || r->name_len > KOS_TRACE_NAME_MAX ||
            trace_text_length(r->name, KOS_TRACE_NAME_MAX) != r->name_len ||
            !trace_text_is_valid(r->name, KOS_TRACE_NAME_MAX, false))
                return false;
        for (size_t i = 0; i < KOS_TRACE_MAX_ARGS; i++) {
                const TraceArgValue *a = &r->args[i];

                if (i >= r->n_args) {
                        if (r->arg_types[i] != 0)
                                return false;
                        continue;
                }
                if (!trace_text_is_valid(a->key, KOS_TRACE_KEY_MAX, false))
                        return false;
                switch (r->arg_types[i]) {
                case KOS_TRACE_ARG_INT:
                        numeric = true;
                        break;
                case KOS_TRACE_ARG_DOUBLE:
                        if (!isfinite(a->value.d))
                                return false;
                        numeric = true;
                        break;
                case KOS_TRACE_ARG_STRING:
                        if (!trace_text_is_valid(a->value.s, KOS_TRACE_STRING_MAX, true))
                                return false;
                        break;
                default:
                        return false;
                }
        }
        return r->type != KOS_TRACE_EVENT_COUNTER || numeric;
}
