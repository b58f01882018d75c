// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: Orbit request bodies (orbit_request_parse()), against field lists of every
 * kind. The first byte picks the list. What it accepts is an object holding only the
 * list's fields, each of its type and bounds; what it refuses says why in printable text.
 */
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
        {},
};

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
        }
        json_decref(body);
        return 0;
}
