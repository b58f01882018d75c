// SPDX-License-Identifier: Apache-2.0
/*
 * Request bodies and device signature headers, parsed as untrusted input (request.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"
#include "orbit/orbit.h"
#include "orbit/request.h"
#include "util/hex.h"
#include "util/utf8.h"

static int request_error(char *error, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int request_error(char *error, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(error, size, fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

bool orbit_name_is_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > ORBIT_NAME_MAX || name[0] == '.')
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

const char *const orbit_generation_states[] = { "good", "bad", "pending", "current", "booted", NULL };
const char *const orbit_app_states[] = { "waiting", "setup",   "starting", "running", "ready",
                                         "restarting", "stopping", "stopped", "failed", NULL };

static bool request_word_in(const char *s, const char *const *words) {
        for (; *words; words++)
                if (strcmp(s, *words) == 0)
                        return true;
        return false;
}

/* An integer member in [0, ORBIT_COUNTER_MAX]. */
static bool request_counter_is_valid(json_t *value) {
        return json_is_integer(value) && json_integer_value(value) >= 0 &&
               json_integer_value(value) <= ORBIT_COUNTER_MAX;
}

/* A string member without NUL characters. */
static const char *request_item_string(json_t *item, const char *name) {
        json_t *v = json_object_get(item, name);

        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
                return NULL;
        return json_string_value(v);
}

/*
 * An array of at most f->max objects, each with exactly the members names (three), the
 * first of which is unique across items. check(item) says what is wrong with one item.
 */
static int request_check_items(const OrbitField *f, json_t *value, const char *const names[3],
                               const char *(*check)(json_t *item), char *error, size_t size) {
        size_t i, j;
        json_t *item;

        if (!json_is_array(value))
                return request_error(error, size, "field \"%s\" must be an array of objects", f->name);
        if (json_array_size(value) > f->max)
                return request_error(error, size, "field \"%s\" holds more than %zu items", f->name, f->max);
        json_array_foreach(value, i, item) {
                const char *why;
                if (!json_is_object(item) || json_object_size(item) != 3 || !json_object_get(item, names[0]) ||
                    !json_object_get(item, names[1]) || !json_object_get(item, names[2]))
                        return request_error(error, size, "field \"%s\": item %zu must be an object of exactly "
                                             "\"%s\", \"%s\" and \"%s\"", f->name, i, names[0], names[1], names[2]);
                why = check(item);
                if (why)
                        return request_error(error, size, "field \"%s\": item %zu: %s", f->name, i, why);
                for (j = 0; j < i; j++)
                        if (json_equal(json_object_get(item, names[0]),
                                       json_object_get(json_array_get(value, j), names[0])))
                                return request_error(error, size, "field \"%s\": item %zu repeats the %s of item %zu",
                                                     f->name, i, names[0], j);
        }
        return 0;
}

static const char *request_check_generation(json_t *item) {
        const char *s;

        if (!request_counter_is_valid(json_object_get(item, "generation")))
                return "\"generation\" must be an integer between 0 and 2147483647";
        s = request_item_string(item, "manifest");
        if (!s || !hex_is_sha256(s))
                return "\"manifest\" must be a SHA-256 digest (64 lowercase hex digits)";
        s = request_item_string(item, "state");
        if (!s || !request_word_in(s, orbit_generation_states))
                return "\"state\" must be good, bad, pending, current or booted";
        return NULL;
}

static const char *request_check_app(json_t *item) {
        const char *s;

        s = request_item_string(item, "name");
        if (!s || !orbit_name_is_valid(s))
                return "\"name\" must be 1 to 64 characters of A-Z a-z 0-9 . _ - not starting with '.'";
        s = request_item_string(item, "state");
        if (!s || !request_word_in(s, orbit_app_states))
                return "\"state\" must be waiting, setup, starting, running, ready, restarting, stopping, stopped "
                       "or failed";
        if (!request_counter_is_valid(json_object_get(item, "restarts")))
                return "\"restarts\" must be an integer between 0 and 2147483647";
        return NULL;
}

/* A field's name as messages show it: only ever a name from the route table, or "?" */
static int request_check_field(const OrbitField *f, json_t *value, char *error, size_t size) {
        const char *s;

        switch (f->kind) {
        case ORBIT_FIELD_PEM:
                if (!json_is_string(value))
                        return request_error(error, size, "field \"%s\" must be a string", f->name);
                s = json_string_value(value);
                if (strlen(s) != json_string_length(value) || strlen(s) > f->max)
                        return request_error(error, size, "field \"%s\" must be a PEM text of at most %zu bytes", f->name,
                                             f->max);
                for (const char *c = s; *c; c++)
                        if ((*c < 0x20 && *c != '\n') || *c >= 0x7f)
                                return request_error(error, size, "field \"%s\" must be a PEM text (printable ASCII lines)",
                                                     f->name);
                return 0;
        case ORBIT_FIELD_STRING:
        case ORBIT_FIELD_NAME:
        case ORBIT_FIELD_DIGEST:
                if (!json_is_string(value))
                        return request_error(error, size, "field \"%s\" must be a string", f->name);
                s = json_string_value(value);
                if (strlen(s) != json_string_length(value))
                        return request_error(error, size, "field \"%s\" holds a NUL character", f->name);
                if (f->kind == ORBIT_FIELD_NAME && !orbit_name_is_valid(s))
                        return request_error(error, size,
                                             "field \"%s\" must be 1 to %d characters of A-Z a-z 0-9 . _ - "
                                             "not starting with '.'", f->name, ORBIT_NAME_MAX);
                if (f->kind == ORBIT_FIELD_DIGEST && !hex_is_sha256(s))
                        return request_error(error, size, "field \"%s\" must be a SHA-256 digest (64 lowercase hex digits)",
                                             f->name);
                if (f->kind == ORBIT_FIELD_STRING) {
                        if (strlen(s) > f->max)
                                return request_error(error, size, "field \"%s\" is longer than %zu bytes", f->name, f->max);
                        if (!utf8_is_printable(s))
                                return request_error(error, size, "field \"%s\" is not printable UTF-8", f->name);
                }
                return 0;
        case ORBIT_FIELD_INTEGER:
                if (!json_is_integer(value))
                        return request_error(error, size, "field \"%s\" must be an integer", f->name);
                if (json_integer_value(value) < 0 || (unsigned long long)json_integer_value(value) > f->max)
                        return request_error(error, size, "field \"%s\" must be between 0 and %zu", f->name, f->max);
                return 0;
        case ORBIT_FIELD_DIGEST_LIST: {
                size_t i;
                json_t *item;

                if (!json_is_array(value))
                        return request_error(error, size, "field \"%s\" must be an array of digests", f->name);
                if (json_array_size(value) > f->max)
                        return request_error(error, size, "field \"%s\" holds more than %zu digests", f->name, f->max);
                json_array_foreach(value, i, item)
                        if (!json_is_string(item) || !hex_is_sha256(json_string_value(item)) ||
                            json_string_length(item) != 64)
                                return request_error(error, size, "field \"%s\": item %zu is not a SHA-256 digest",
                                                     f->name, i);
                return 0;
        }
        case ORBIT_FIELD_GENERATIONS:
                return request_check_items(f, value, (const char *const[3]){ "generation", "manifest", "state" },
                                           request_check_generation, error, size);
        case ORBIT_FIELD_APPS:
                return request_check_items(f, value, (const char *const[3]){ "name", "state", "restarts" },
                                           request_check_app, error, size);
        }
        return request_error(error, size, "field \"%s\" has an unknown type", f->name);
}

int orbit_request_parse(json_t **bodyp, const char *text, size_t size, const OrbitField *fields, char *error,
                        size_t error_size) {
        json_t *body, *value;
        json_error_t jerr;
        const char *key;
        int r;

        if (size > ORBIT_BODY_MAX)
                return request_error(error, error_size, "request body larger than %u bytes", ORBIT_BODY_MAX);
        if (size == 0)
                body = json_object();
        else
                body = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
        if (!body) {
                /* jansson's text may quote the input: keep only its position */
                return request_error(error, error_size, "request body is not valid JSON (line %d, column %d)", jerr.line,
                                     jerr.column);
        }
        if (!json_is_object(body)) {
                json_decref(body);
                return request_error(error, error_size, "request body must be a JSON object");
        }
        json_object_foreach(body, key, value) {
                const OrbitField *f = NULL;
                for (const OrbitField *g = fields; g && g->name; g++)
                        if (strcmp(g->name, key) == 0)
                                f = g;
                if (!f) {
                        /* the message is made before body (which owns key) goes */
                        if (utf8_is_printable(key) && strlen(key) <= ORBIT_NAME_MAX)
                                r = request_error(error, error_size, "unknown field \"%s\"", key);
                        else
                                r = request_error(error, error_size, "unknown field (not a printable name)");
                        json_decref(body);
                        return r;
                }
                r = request_check_field(f, value, error, error_size);
                if (r < 0) {
                        json_decref(body);
                        return r;
                }
        }
        for (const OrbitField *g = fields; g && g->name; g++)
                if (g->required && !json_object_get(body, g->name)) {
                        json_decref(body);
                        return request_error(error, error_size, "missing field \"%s\"", g->name);
                }
        *bodyp = body;
        return 0;
}

int orbit_device_auth_parse(OrbitDeviceAuth *authp, const char *key_id, const char *timestamp, const char *nonce,
                            const char *signature, char *error, size_t error_size) {
        OrbitDeviceAuth a = { 0 };
        char *end;
        size_t n;

        if (!key_id || !timestamp || !nonce || !signature)
                return request_error(error, error_size,
                                     "device requests need X-Kos-Device, X-Kos-Time, X-Kos-Nonce and X-Kos-Signature");
        if (!hex_is_sha256(key_id))
                return request_error(error, error_size, "X-Kos-Device must be a key id (64 lowercase hex digits)");
        memcpy(a.key_id, key_id, 65);
        errno = 0;
        if (!*timestamp || strspn(timestamp, "0123456789") != strlen(timestamp) || strlen(timestamp) > 12)
                return request_error(error, error_size, "X-Kos-Time must be seconds since the epoch");
        a.timestamp = strtoll(timestamp, &end, 10);
        n = strlen(nonce);
        if (n < 16 || n > 64 || strspn(nonce, "0123456789abcdef") != n)
                return request_error(error, error_size, "X-Kos-Nonce must be 16 to 64 lowercase hex digits");
        memcpy(a.nonce, nonce, n + 1);
        if (strlen(signature) != 128 || hex_decode(a.signature, sizeof(a.signature), signature) < 0)
                return request_error(error, error_size, "X-Kos-Signature must be 128 hex digits");
        *authp = a;
        return 0;
}

int orbit_device_auth_message(char **textp, const char *method, const char *path, long long timestamp,
                              const char *nonce, const void *body, size_t body_size) {
        Sha256Digest digest;
        char hex[SHA256_HEX_LEN + 1];
        int r;

        r = sha256_buffer(body, body_size, &digest);
        if (r < 0)
                return r;
        sha256_to_hex(&digest, hex);
        if (asprintf(textp, "kos-orbit-v1\n%s\n%s\n%lld\n%s\n%s", method, path, timestamp, nonce, hex) < 0)
                return -ENOMEM;
        return 0;
}
