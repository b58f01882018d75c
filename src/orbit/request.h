/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request bodies: JSON objects checked against the fields a route takes.
 *
 * Invariants: a body that passes orbit_request_parse() is a JSON object of at most
 * ORBIT_BODY_MAX bytes whose every member is a field the route names, of that field's
 * type and bounds, with every required field present; anything else is refused with a
 * one-line, printable message naming the field. Names are 1..64 of [A-Za-z0-9._-], not
 * starting with '.', so they are safe in paths, logs and refs.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum OrbitFieldKind {
        ORBIT_FIELD_STRING,      /* printable UTF-8, at most max bytes */
        ORBIT_FIELD_NAME,        /* a name (above) */
        ORBIT_FIELD_INTEGER,     /* an integer in [0, max] */
        ORBIT_FIELD_DIGEST,      /* 64 lowercase hex */
        ORBIT_FIELD_DIGEST_LIST, /* an array of at most max digests */
        ORBIT_FIELD_PEM,         /* lines of printable ASCII, at most max bytes */
        ORBIT_FIELD_GENERATIONS, /* at most max {"generation", "manifest", "state"}, below */
        ORBIT_FIELD_APPS,        /* at most max {"name", "state", "restarts"}, below */
} OrbitFieldKind;

typedef struct OrbitField {
        const char *name;
        OrbitFieldKind kind;
        bool required;
        size_t max;
} OrbitField;

#define ORBIT_NAME_MAX 64
/* generation numbers and restart counts a device reports: 0 to this */
#define ORBIT_COUNTER_MAX 2147483647

/*
 * A device's generations as check-in reports them: each {"generation": N, "manifest":
 * DIGEST, "state": S} with S one of orbit_generation_states, no generation number twice.
 * Its apps: each {"name": NAME, "state": S, "restarts": N} with S one of
 * orbit_app_states, no name twice. No other member is allowed in an item.
 */
extern const char *const orbit_generation_states[];
extern const char *const orbit_app_states[];

/* True if name is a valid name (above). */
bool orbit_name_is_valid(const char *name);

/*
 * Parses text (size bytes, not NUL-terminated) as a body for fields (terminated by an
 * entry with a NULL name). 0 and *bodyp (owned) or -EBADMSG with the reason in error.
 * An empty text is an empty object.
 */
int orbit_request_parse(json_t **bodyp, const char *text, size_t size, const OrbitField *fields, char *error,
                        size_t error_size);

/* The device signature headers: what a device signs, and the parsed header values. */
typedef struct OrbitDeviceAuth {
        char key_id[65];
        long long timestamp;
        char nonce[65];
        unsigned char signature[64];
} OrbitDeviceAuth;

/*
 * Parses the four X-Kos-* header values (any may be NULL: then refused). 0, or -EBADMSG
 * with the reason in error.
 */
int orbit_device_auth_parse(OrbitDeviceAuth *authp, const char *key_id, const char *timestamp, const char *nonce,
                            const char *signature, char *error, size_t error_size);

/*
 * The text a device signs: "kos-orbit-v1\nMETHOD\nPATH\nTIMESTAMP\nNONCE\nSHA256(BODY)".
 * The caller owns *textp.
 */
int orbit_device_auth_message(char **textp, const char *method, const char *path, long long timestamp,
                              const char *nonce, const void *body, size_t body_size);
