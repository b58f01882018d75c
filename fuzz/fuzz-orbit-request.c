// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: Orbit request bodies (orbit_request_parse()), against field lists of every
 * kind. The first byte picks the list. What it accepts is an object holding only the
 * list's fields, each of its type and bounds (a check-in's generations and apps item by
 * item); what it refuses says why in printable text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orbit/request.h"
#include "util/hex.h"
#include "util/utf8.h"

static const OrbitField fields_a[] = {
        { "name", ORBIT_FIELD_NAME, true, 0 },
        { "email", ORBIT_FIELD_STRING, false, 254 },
        { "public_key", ORBIT_FIELD_PEM, false, 4096 },
        {},
};
static const OrbitField fields_b[] = {
        { "release", ORBIT_FIELD_INTEGER, true, INT64_MAX },
        { "manifest", ORBIT_FIELD_DIGEST, false, 0 },
        { "digests", ORBIT_FIELD_DIGEST_LIST, false, 100 },
        { "wait", ORBIT_FIELD_INTEGER, false, 60 },
        { "generations", ORBIT_FIELD_GENERATIONS, false, 64 },
        { "apps", ORBIT_FIELD_APPS, false, 128 },
        {},
};

static bool word_in(const char *s, const char *const *words) {
        for (; s && *words; words++)
                if (strcmp(s, *words) == 0)
                        return true;
        return false;
}

static bool counter_ok(json_t *v) {
        return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= ORBIT_COUNTER_MAX;
}

/* An accepted generations or apps list holds only items as request.h describes them. */
static void check_items(const OrbitField *f, json_t *value) {
        size_t i;
        json_t *item;

        if (!json_is_array(value) || json_array_size(value) > f->max)
                abort();
        json_array_foreach(value, i, item) {
                if (!json_is_object(item) || json_object_size(item) != 3)
                        abort();
                if (f->kind == ORBIT_FIELD_GENERATIONS) {
                        if (!counter_ok(json_object_get(item, "generation")) ||
                            !json_is_string(json_object_get(item, "manifest")) ||
                            !hex_is_sha256(json_string_value(json_object_get(item, "manifest"))) ||
                            !word_in(json_string_value(json_object_get(item, "state")), orbit_generation_states))
                                abort();
                } else {
                        const char *name = json_string_value(json_object_get(item, "name"));
                        if (!name || !orbit_name_is_valid(name) || !counter_ok(json_object_get(item, "restarts")) ||
                            !word_in(json_string_value(json_object_get(item, "state")), orbit_app_states))
                                abort();
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const OrbitField *fields;
        char error[256];
        json_t *body = NULL, *value;
        const char *key;

        if (size == 0)
                return 0;
        fields = (data[0] & 1) ? fields_b : fields_a;
        if (orbit_request_parse(&body, (const char *)data + 1, size - 1, fields, error, sizeof(error)) < 0) {
                if (!error[0] || !utf8_is_printable(error))
                        abort();
                return 0;
        }
        if (!json_is_object(body))
                abort();
        json_object_foreach(body, key, value) {
                const OrbitField *f = NULL;
                for (const OrbitField *g = fields; g->name; g++)
                        if (strcmp(g->name, key) == 0)
                                f = g;
                if (!f)
                        abort();
                if (f->kind == ORBIT_FIELD_NAME && !orbit_name_is_valid(json_string_value(value)))
                        abort();
                if (f->kind == ORBIT_FIELD_DIGEST && !hex_is_sha256(json_string_value(value)))
                        abort();
                if (f->kind == ORBIT_FIELD_INTEGER && (!json_is_integer(value) || json_integer_value(value) < 0))
                        abort();
                if (f->kind == ORBIT_FIELD_GENERATIONS || f->kind == ORBIT_FIELD_APPS)
                        check_items(f, value);
        }
        json_decref(body);
        return 0;
}
