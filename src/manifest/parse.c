// SPDX-License-Identifier: Apache-2.0
/*
 * Manifest v1 parser and validator: DTB bytes in, a valid Manifest out.
 *
 * This is the only file in KOS that reads a DTB. Its input is untrusted (it arrives over
 * the network and is read before its signature is necessarily checked), so:
 *   - the blob is checked whole with fdt_check_full() before any other libfdt call;
 *   - every property's length is checked before its value is used, and every string is
 *     checked to be NUL-terminated within the property;
 *   - every node and property name is known, every name used as an identifier is of a
 *     restricted character set, and every reference resolves.
 * Parsing runs in two passes: the first builds the model node by node, the second checks
 * cross-references (which need every name defined). The first error ends the parse.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "crypto/seal.h"
#include "manifest/manifest.h"
#include "util/fileio.h"
#include "util/strv.h"
#include "util/utf8.h"

#define MANIFEST_NAME_MAX 63

typedef struct Parser {
        const void *fdt;
        ManifestError *err;
        Manifest *m;
} Parser;

/* Records the first error: where (node offset, property) and what. Returns -EBADMSG. */
static int parser_error(Parser *p, int node, const char *property, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Copies s into buf for an error message, replacing anything unprintable with '?'. */
static const char *printable(const char *s, char *buf, size_t size) {
        size_t i;

        for (i = 0; s[i] && i + 1 < size; i++)
                buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
        buf[i] = '\0';
        return buf;
}
#define P(s) printable((s), (char[80]){0}, 80)

static int parser_error(Parser *p, int node, const char *property, const char *fmt, ...) {
        va_list ap;
        char path[256];

        if (!p->err)
                return -EBADMSG;
        if (node < 0 || fdt_get_path(p->fdt, node, path, sizeof(path)) < 0)
                strcpy(path, "/");
        /* Node and property names come from the blob: only printable ASCII reaches a log. */
        printable(path + 1, p->err->node, sizeof(p->err->node));
        printable(property ? property : "", p->err->property, sizeof(p->err->property));
        va_start(ap, fmt);
        vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

/* Identifiers: app, instance, protocol, key and component names. */
/*
 * Names become file names (notify sockets), log prefixes and command arguments, so the
 * first character is a letter or digit: never ".", ".." or an option ("-x").
 */
static bool manifest_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > MANIFEST_NAME_MAX)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || strchr("_-.+,", s[i])))
                        return false;
        return true;
}

/*
 * Properties are parsed from tables: each node kind lists the properties it accepts, their
 * types and where in the model they go. Anything not in the table is an error.
 */
typedef enum PropKind {
        PROP_TEXT, /* char *: one string, may be empty; "" when absent */
        PROP_STRING, /* char *: one non-empty string, one of values if given; NULL when absent */
        PROP_PATH, /* char *: an absolute path; NULL when absent */
        PROP_DIGEST, /* char[65]: 64 lowercase hex digits; "" when absent */
        PROP_LIST, /* char **: non-empty strings; empty list when absent */
        PROP_ARGS, /* char **: strings, empty ones allowed; empty list when absent */
        PROP_ENUM, /* int: the index of the value in values; 0 when absent */
        PROP_U32, /* uint32_t: one cell; unchanged when absent */
        PROP_FLAG, /* bool: no value; false when absent */
        PROP_BYTES, /* ManifestBytes: one or more bytes; { NULL, 0 } when absent */
} PropKind;

#define PROP_NO_FIELD SIZE_MAX /* validate the value, store it nowhere */

typedef struct PropSpec {
        const char *name;
        PropKind kind;
        size_t offset; /* of the field in the node's model struct, or PROP_NO_FIELD */
        bool required;
        const char *const *values; /* PROP_STRING, PROP_ENUM: accepted values, NULL-terminated */
} PropSpec;

#define PROP_MAX 16

/* One non-empty NUL-terminated string of printable UTF-8, or "" if allow_empty. */
static int prop_string(Parser *p, int node, const char *name, const char *value, int len, bool allow_empty) {
        if (allow_empty && len == 1 && value[0] == '\0')
                return 0;
        if (len < 2 || value[len - 1] != '\0' || memchr(value, '\0', (size_t)len - 1))
                return parser_error(p, node, name, "must be one non-empty string");
        if (!utf8_is_printable(value))
                return parser_error(p, node, name, "must be UTF-8 text without control characters");
        return 0;
}

static int prop_list(Parser *p, int node, const char *name, const char *value, int len, bool allow_empty,
                     char ***listp) {
        _cleanup_strv_free_ char **l = NULL;
        const char *end = value + len;
        size_t n = 0;

        if (len == 0 || value[len - 1] != '\0')
                return parser_error(p, node, name, "must be a list of strings");
        /* Counted first, so a list of 500000 entries costs one allocation, not 500000. */
        for (const char *s = value; s < end; s += strlen(s) + 1)
                n++;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        n = 0;
        for (const char *s = value; s < end; s += strlen(s) + 1) {
                if (s[0] == '\0' && !allow_empty)
                        return parser_error(p, node, name, "empty string in list");
                if (!utf8_is_printable(s))
                        return parser_error(p, node, name, "must be UTF-8 text without control characters");
                if (!(l[n++] = strdup(s)))
                        return -ENOMEM;
        }
        *listp = steal_ptr(&l);
        return 0;
}

/*
 * Names sorted for lookup. A 1 MiB blob can hold hundreds of thousands of names and list
 * entries, so every duplicate and reference check is O(N log N), never O(N^2).
 */
typedef struct NameIndex {
        const char **names; /* owned array; the strings are not */
        size_t n;
        int (*compare)(const void *a, const void *b);
} NameIndex;

static int compare_names(const void *a, const void *b) {
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Indexes n names, each the first field of an element stride bytes after the previous. */
static int name_index_init(NameIndex *idx, const void *base, size_t n, size_t stride,
                           int (*compare)(const void *a, const void *b)) {
        *idx = (NameIndex){ .n = n, .compare = compare ? compare : compare_names };
        if (n == 0)
                return 0;
        idx->names = malloc(n * sizeof(char *));
        if (!idx->names)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                idx->names[i] = *(const char *const *)((const char *)base + i * stride);
        qsort(idx->names, n, sizeof(char *), idx->compare);
        return 0;
}

static int name_index_init_strv(NameIndex *idx, char *const *l) {
        return name_index_init(idx, l, strv_length(l), sizeof(char *), NULL);
}

static void name_index_done(NameIndex *idx) {
        free(idx->names);
        idx->names = NULL;
}

/* A name that occurs more than once, or NULL. */
static const char *name_index_duplicate(const NameIndex *idx) {
        for (size_t i = 1; i < idx->n; i++)
                if (idx->compare(&idx->names[i - 1], &idx->names[i]) == 0)
                        return idx->names[i];
        return NULL;
}

static bool name_index_contains(const NameIndex *idx, const char *name) {
        return idx->n > 0 && bsearch(&name, idx->names, idx->n, sizeof(char *), idx->compare);
}

/* Index of s in values, or -1; writes "a, b or c" to expected. */
static int value_index(const char *const *values, const char *s, char *expected, size_t size) {
        size_t n = 0, used = 0;

        for (n = 0; values[n]; n++)
                if (strcmp(values[n], s) == 0)
                        return (int)n;
        expected[0] = '\0';
        for (size_t i = 0; i < n && used < size; i++)
                used += (size_t)snprintf(expected + used, size - used, "%s%s",
                                         i == 0       ? ""
                                         : i + 1 == n ? " or "
                                                      : ", ",
                                         values[i]);
        return -1;
}

static int prop_parse(Parser *p, int node, const PropSpec *spec, const char *value, int len, void *field) {
        char expected[256];
        char *copy;
        int r, i;

        switch (spec->kind) {
        case PROP_TEXT:
        case PROP_STRING:
        case PROP_PATH:
        case PROP_DIGEST:
        case PROP_ENUM:
                r = prop_string(p, node, spec->name, value, len, spec->kind == PROP_TEXT);
                if (r < 0)
                        return r;
                if (spec->kind == PROP_PATH && value[0] != '/')
                        return parser_error(p, node, spec->name, "must be an absolute path");
                if (spec->kind == PROP_DIGEST && !hex_is_sha256(value))
                        return parser_error(p, node, spec->name,
                                            "malformed digest \"%s\": expected 64 lowercase hex digits",
                                            P(value));
                i = spec->values ? value_index(spec->values, value, expected, sizeof(expected)) : 0;
                if (i < 0)
                        return parser_error(p, node, spec->name, "unknown value \"%s\": expected %s",
                                            P(value), expected);
                if (!field)
                        return 0;
                if (spec->kind == PROP_DIGEST)
                        memcpy(field, value, SHA256_HEX_LEN + 1);
                else if (spec->kind == PROP_ENUM)
                        *(int *)field = i;
                else {
                        copy = strdup(value);
                        if (!copy)
                                return -ENOMEM;
                        free(*(char **)field);
                        *(char **)field = copy;
                }
                return 0;
        case PROP_LIST:
        case PROP_ARGS: {
                char **l = NULL;

                r = prop_list(p, node, spec->name, value, len, spec->kind == PROP_ARGS, &l);
                if (r < 0)
                        return r;
                if (field) {
                        strv_free(*(char ***)field);
                        *(char ***)field = l;
                } else
                        strv_free(l);
                return 0;
        }
        case PROP_U32:
                if (len != 4)
                        return parser_error(p, node, spec->name, "must be one 32-bit cell, like <5>");
                if (field)
                        *(uint32_t *)field = fdt32_ld((const fdt32_t *)value); /* may be unaligned */
                return 0;
        case PROP_FLAG:
                if (len != 0)
                        return parser_error(p, node, spec->name, "takes no value");
                if (field)
                        *(bool *)field = true;
                return 0;
        case PROP_BYTES: {
                uint8_t *copy_bytes;

                if (len <= 0)
                        return parser_error(p, node, spec->name, "must be bytes, like [01 02 03]");
                if (!field)
                        return 0;
                copy_bytes = malloc((size_t)len);
                if (!copy_bytes)
                        return -ENOMEM;
                memcpy(copy_bytes, value, (size_t)len);
                free(((ManifestBytes *)field)->data);
                *(ManifestBytes *)field = (ManifestBytes){ copy_bytes, (size_t)len };
                return 0;
        }
        }
        return -EINVAL;
}

/*
 * Parses every property of node into base by the table specs, rejecting unknown, duplicate
 * and missing required properties, then gives absent text and lists their empty values.
 */
static int parse_properties(Parser *p, int node, const PropSpec *specs, size_t n_specs, void *base) {
        bool seen[PROP_MAX] = {false};
        int off, r;

        assert(n_specs <= PROP_MAX);
        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *name;
                int len;
                const char *value = fdt_getprop_by_offset(p->fdt, off, &name, &len);
                size_t i;

                if (!value)
                        return parser_error(p, node, NULL, "unreadable property");
                for (i = 0; i < n_specs; i++)
                        if (strcmp(specs[i].name, name) == 0)
                                break;
                if (i == n_specs)
                        return parser_error(p, node, name, "unknown property");
                if (seen[i])
                        return parser_error(p, node, name, "duplicate property");
                seen[i] = true;
                r = prop_parse(p, node, &specs[i], value, len,
                               specs[i].offset == PROP_NO_FIELD ? NULL : (char *)base + specs[i].offset);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < n_specs; i++) {
                void *field;

                if (seen[i])
                        continue;
                if (specs[i].required)
                        return parser_error(p, node, NULL, "missing property \"%s\"", specs[i].name);
                if (specs[i].offset == PROP_NO_FIELD)
                        continue;
                field = (char *)base + specs[i].offset;
                if (specs[i].kind == PROP_TEXT && !(*(char **)field = strdup("")))
                        return -ENOMEM;
                if ((specs[i].kind == PROP_LIST || specs[i].kind == PROP_ARGS) &&
                    !(*(char ***)field = calloc(1, sizeof(char *))))
                        return -ENOMEM;
        }
        return 0;
}

static int node_no_subnodes(Parser *p, int node) {
        int child = fdt_first_subnode(p->fdt, node);

        if (child >= 0)
                return parser_error(p, child, NULL, "unknown node");
        return 0;
}

/* A leaf node: the table's properties and no children. */
static int parse_leaf(Parser *p, int node, const PropSpec *specs, size_t n_specs, void *base) {
        int r = parse_properties(p, node, specs, n_specs, base);

        return r < 0 ? r : node_no_subnodes(p, node);
}

/* Counts subnodes and allocates a zeroed array for them. Returns the count. */
static int alloc_children(Parser *p, int node, size_t elem_size, void **arrayp) {
        size_t n = 0;
        int child;

        fdt_for_each_subnode(child, p->fdt, node) n++;
        if (n == 0)
                return 0;
        *arrayp = calloc(n, elem_size);
        return *arrayp ? (int)n : -ENOMEM;
}

/*
 * Parses the children of a collection node (components, apps, ...) into a new array, in
 * order. Every element type starts with its owned name: the node's name, which must be a
 * valid identifier and unique among its siblings.
 */
static int parse_collection(Parser *p, int node, void **arrayp, size_t elem_size, size_t *countp,
                            int (*parse_one)(Parser *p, int node, void *elem), const char *what) {

        _cleanup_(name_index_done) NameIndex names = {};
        const char *duplicate;
        size_t i = 0;
        int child, r;

        r = alloc_children(p, node, elem_size, arrayp);
        if (r <= 0)
                return r;
        fdt_for_each_subnode(child, p->fdt, node) {
                char *elem = (char *)*arrayp + *countp * elem_size;
                const char *name = fdt_get_name(p->fdt, child, NULL);

                if (!name || !manifest_name_is_valid(name))
                        return parser_error(p, child, NULL, "invalid name: use 1-%d of A-Z a-z 0-9 _ - . + , starting with a letter or digit",
                                            MANIFEST_NAME_MAX);
                if (!(*(char **)elem = strdup(name)))
                        return -ENOMEM;
                (*countp)++;
        }

        r = name_index_init(&names, *arrayp, *countp, elem_size, NULL);
        if (r < 0)
                return r;
        duplicate = name_index_duplicate(&names);
        if (duplicate) {
                bool seen = false;

                /* Name the second node of that name. */
                fdt_for_each_subnode(child, p->fdt, node)
                        if (strcmp(fdt_get_name(p->fdt, child, NULL), duplicate) == 0) {
                                if (seen)
                                        break;
                                seen = true;
                        }
                return parser_error(p, child, NULL, "duplicate %s", what);
        }

        fdt_for_each_subnode(child, p->fdt, node) {
                r = parse_one(p, child, (char *)*arrayp + i++ * elem_size);
                if (r < 0)
                        return r;
        }
        return 0;
}

#define FIELD(type, field) offsetof(type, field)
_Static_assert(sizeof(ManifestRestart) == sizeof(int) && sizeof(ManifestReady) == sizeof(int),
               "PROP_ENUM stores an int");
/* parse_collection() stores each element's name in its first field. */
_Static_assert(offsetof(ManifestComponent, name) == 0 && offsetof(ManifestApp, name) == 0 &&
                       offsetof(ManifestAccess, protocol) == 0 && offsetof(ManifestMsgServer, name) == 0 &&
                       offsetof(ManifestKey, name) == 0,
               "collection elements start with their name");
#define VALUES(...) ((const char *const[]){__VA_ARGS__, NULL})

static const PropSpec boot_props[] = {
        {"kernel", PROP_DIGEST, FIELD(ManifestBoot, kernel), true, NULL},
        {"initrd", PROP_DIGEST, FIELD(ManifestBoot, initrd), false, NULL},
        {"cmdline", PROP_TEXT, FIELD(ManifestBoot, cmdline), false, NULL},
        {"init", PROP_ARGS, FIELD(ManifestBoot, init), false, NULL},
};

static const PropSpec component_props[] = {
        {"sha256", PROP_DIGEST, FIELD(ManifestComponent, sha256), true, NULL},
        {"format", PROP_STRING, FIELD(ManifestComponent, format), true, VALUES("squashfs", "erofs", "ext4")},
        {"encryption-key", PROP_STRING, FIELD(ManifestComponent, encryption_key), false, NULL},
        {"encryption-wrapped-key", PROP_BYTES, FIELD(ManifestComponent, encryption_wrapped_key), false, NULL},
        {"encryption-cipher", PROP_STRING, FIELD(ManifestComponent, encryption_cipher), false,
         VALUES("aes-xts-plain64")},
        {"encryption-sector-size", PROP_U32, FIELD(ManifestComponent, encryption_sector_size), false, NULL},
        {"verity-hash-tree", PROP_DIGEST, FIELD(ManifestComponent, verity_hash_tree), false, NULL},
        {"verity-root-hash", PROP_STRING, FIELD(ManifestComponent, verity_root_hash), false, NULL},
        {"verity-salt", PROP_TEXT, FIELD(ManifestComponent, verity_salt), false, NULL},
};

static const PropSpec app_props[] = {
        {"path", PROP_PATH, FIELD(ManifestApp, path), false, NULL},
        {"image", PROP_DIGEST, FIELD(ManifestApp, image), false, NULL},
        {"args", PROP_ARGS, FIELD(ManifestApp, args), false, NULL},
        {"env", PROP_LIST, FIELD(ManifestApp, env), false, NULL},
        {"msg_servers", PROP_LIST, FIELD(ManifestApp, msg_servers), false, NULL},
        {"restart", PROP_ENUM, FIELD(ManifestApp, restart), false,
         VALUES("permanent", "transient", "temporary")},
        {"ready", PROP_ENUM, FIELD(ManifestApp, ready), false, VALUES("started", "notify")},
        {"aux_device_setup_script", PROP_PATH, FIELD(ManifestApp, aux_device_setup_script), false, NULL},
};

static const PropSpec access_props[] = {
        {"publish", PROP_LIST, FIELD(ManifestAccess, publish), false, NULL},
        {"lookup", PROP_LIST, FIELD(ManifestAccess, lookup), false, NULL},
};

static const PropSpec key_props[] = {
        {"type", PROP_STRING, FIELD(ManifestKey, type), true, VALUES("ed25519", "x25519", "aes-256")},
        {"apps", PROP_LIST, FIELD(ManifestKey, apps), false, NULL},
        {"operations", PROP_LIST, FIELD(ManifestKey, operations), false, NULL},
        {"origin", PROP_STRING, FIELD(ManifestKey, origin), false, VALUES("generate", "import")},
};

static const PropSpec trace_server_props[] = {
        {"msg_servers", PROP_LIST, FIELD(ManifestTraceServer, msg_servers), true, NULL},
        {"admin", PROP_FLAG, FIELD(ManifestTraceServer, admin), false, NULL},
        {"buffers", PROP_U32, FIELD(ManifestTraceServer, buffers), false, NULL},
        {"buffer-records", PROP_U32, FIELD(ManifestTraceServer, buffer_records), false, NULL},
        {"max-events", PROP_U32, FIELD(ManifestTraceServer, max_events), false, NULL},
};

static const PropSpec node_manager_props[] = {
        {"restart-intensity", PROP_U32, FIELD(ManifestNodeManager, restart_intensity), false, NULL},
        {"restart-period-ms", PROP_U32, FIELD(ManifestNodeManager, restart_period_ms), false, NULL},
        {"settle-time-ms", PROP_U32, FIELD(ManifestNodeManager, settle_time_ms), false, NULL},
        {"stop-timeout-ms", PROP_U32, FIELD(ManifestNodeManager, stop_timeout_ms), false, NULL},
        {"start-timeout-ms", PROP_U32, FIELD(ManifestNodeManager, start_timeout_ms), false, NULL},
        {"confirm-timeout-ms", PROP_U32, FIELD(ManifestNodeManager, confirm_timeout_ms), false, NULL},
        {"unconfirmed-boots", PROP_U32, FIELD(ManifestNodeManager, unconfirmed_boots), false, NULL},
        {"watchdog-timeout-ms", PROP_U32, FIELD(ManifestNodeManager, watchdog_timeout_ms), false, NULL},
};

static const PropSpec root_props[] = {
        {"compatible", PROP_STRING, PROP_NO_FIELD, true, VALUES(MANIFEST_COMPATIBLE)},
        {"version", PROP_U32, FIELD(Manifest, version), true, NULL},
        {"description", PROP_TEXT, FIELD(Manifest, description), false, NULL},
        {"persistent-boot", PROP_FLAG, FIELD(Manifest, persistent_boot), false, NULL},
};

/* Orders "NAME=value" entries by NAME. */
static int compare_env_names(const void *a, const void *b) {
        const char *x = *(const char *const *)a, *y = *(const char *const *)b;
        size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
        int c = memcmp(x, y, nx < ny ? nx : ny);

        return c != 0 ? c : (nx > ny) - (nx < ny);
}

static int check_env(Parser *p, int node, char **env) {
        for (size_t i = 0; env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                size_t n = eq ? (size_t)(eq - env[i]) : 0;

                if (!eq)
                        return parser_error(p, node, "env", "entry \"%s\" has no '=': use \"NAME=value\"",
                                            P(env[i]));
                if (n == 0)
                        return parser_error(p, node, "env", "entry \"%s\" has an empty name", P(env[i]));
                for (size_t k = 0; k < n; k++)
                        if (!((env[i][k] >= 'A' && env[i][k] <= 'Z') ||
                              (env[i][k] >= 'a' && env[i][k] <= 'z') || env[i][k] == '_' ||
                              (k > 0 && env[i][k] >= '0' && env[i][k] <= '9')))
                                return parser_error(p, node, "env", "entry \"%s\": invalid variable name",
                                                    P(env[i]));
                if (strncmp(env[i], "KOS_", 4) == 0 || (n == 13 && strncmp(env[i], "NOTIFY_SOCKET", 13) == 0))
                        return parser_error(p, node, "env",
                                            "entry \"%s\": variable is reserved for the node manager",
                                            P(env[i]));
        }

        _cleanup_(name_index_done) NameIndex names = {};
        const char *duplicate;
        int r = name_index_init(&names, env, strv_length(env), sizeof(char *), compare_env_names);

        if (r < 0)
                return r;
        duplicate = name_index_duplicate(&names);
        if (duplicate)
                return parser_error(p, node, "env", "variable \"%.*s\" set twice",
                                    (int)strcspn(duplicate, "="), duplicate);
        return 0;
}

/* boot: init is the program kos-init executes, an absolute path first ("/sbin/init" if absent). */
/*
 * The boot command line is the manifest's, then what kos-boot adds (kos.manifest,
 * kos.generation, kos.imagefs...). A "kos." key of the manifest's own would be read in
 * place of kos-boot's, or a "--" would hand kos-boot's to init: both are refused. Words
 * are read as the kernel reads them, with double quotes dropped wherever they stand.
 */
static int check_cmdline(Parser *p, int node, const char *cmdline) {
        char word[64];

        for (const char *c = cmdline; *c;) {
                size_t n = 0;

                while (*c == ' ' || *c == '\t' || *c == '\n')
                        c++;
                for (bool quoted = false; *c && (quoted || (*c != ' ' && *c != '\t' && *c != '\n')); c++) {
                        if (*c == '"')
                                quoted = !quoted;
                        else if (n + 1 < sizeof(word))
                                word[n++] = *c;
                }
                word[n] = '\0';
                if (strcmp(word, "--") == 0)
                        return parser_error(p, node, "cmdline", "\"--\" would hand kos-boot's arguments to init");
                if (strncmp(word, "kos.", 4) == 0)
                        return parser_error(p, node, "cmdline", "\"kos.\" arguments are kos-boot's to give");
        }
        return 0;
}

static int parse_boot(Parser *p, int node) {
        ManifestBoot *b;
        int r;

        if (!(p->m->boot = calloc(1, sizeof(ManifestBoot))))
                return -ENOMEM;
        b = p->m->boot;
        r = parse_leaf(p, node, boot_props, ELEMENTSOF(boot_props), b);
        if (r < 0)
                return r;
        r = check_cmdline(p, node, b->cmdline);
        if (r < 0)
                return r;
        if (!b->init[0])
                return strv_extend(&b->init, "/sbin/init");
        if (b->init[0][0] != '/')
                return parser_error(p, node, "init", "must start with an absolute path");
        return 0;
}

/* Lowercase hex of an even length up to max digits. */
static bool is_hex_bytes(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n % 2 != 0 || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* dm-verity: a hash tree object and a root hash, or neither; a salt only with them. */
static int check_verity(Parser *p, int node, ManifestComponent *c) {
        bool salt = c->verity_salt && c->verity_salt[0];

        if (!c->verity_hash_tree[0] && !c->verity_root_hash) {
                if (salt)
                        return parser_error(p, node, "verity-salt", "needs verity-hash-tree and verity-root-hash");
                free(c->verity_salt); /* PROP_TEXT gave the empty default */
                c->verity_salt = NULL;
                return 0;
        }
        if (!c->verity_hash_tree[0])
                return parser_error(p, node, NULL, "missing property \"verity-hash-tree\"");
        if (!c->verity_root_hash)
                return parser_error(p, node, NULL, "missing property \"verity-root-hash\"");
        if (!hex_is_sha256(c->verity_root_hash))
                return parser_error(p, node, "verity-root-hash", "expected 64 lowercase hex digits (SHA-256)");
        if (!is_hex_bytes(c->verity_salt, 512))
                return parser_error(p, node, "verity-salt", "expected lowercase hex, at most 256 bytes");
        if (c->encryption_key)
                return parser_error(p, node, NULL, "dm-verity and encryption-key together are not supported");
        return 0;
}

/*
 * dm-crypt: encryption-key and encryption-wrapped-key together, the cipher and sector size
 * only with them. The wrapped key must parse and be wrapped for this component, holding a
 * key of the cipher's size, so a key copied from another component is refused here and
 * not only at boot.
 */
static int check_encryption(Parser *p, int node, ManifestComponent *c) {
        char purpose[SEAL_PURPOSE_MAX + 1];
        bool sector_size = fdt_getprop(p->fdt, node, "encryption-sector-size", NULL) != NULL;
        SealWrapped w;
        int r;

        if (!c->encryption_key) {
                if (c->encryption_wrapped_key.data)
                        return parser_error(p, node, "encryption-wrapped-key", "needs encryption-key");
                if (c->encryption_cipher)
                        return parser_error(p, node, "encryption-cipher", "needs encryption-key");
                if (sector_size)
                        return parser_error(p, node, "encryption-sector-size", "needs encryption-key");
                return 0;
        }
        if (!manifest_name_is_valid(c->encryption_key))
                return parser_error(p, node, "encryption-key",
                                    "invalid key name: use 1-%d of A-Z a-z 0-9 _ - . + , starting with a letter or digit",
                                    MANIFEST_NAME_MAX);
        if (!c->encryption_wrapped_key.data)
                return parser_error(p, node, NULL, "missing property \"encryption-wrapped-key\"");
        r = seal_wrapped_parse(c->encryption_wrapped_key.data, c->encryption_wrapped_key.size, &w);
        if (r != 0)
                return parser_error(p, node, "encryption-wrapped-key", "not a wrapped data key: %s", seal_strerror(r));
        snprintf(purpose, sizeof(purpose), "component:%s", c->name);
        if (strcmp(w.purpose, purpose) != 0)
                return parser_error(p, node, "encryption-wrapped-key", "wrapped for \"%s\", not \"%s\"", P(w.purpose),
                                    purpose);
        if (w.ciphertext_size != MANIFEST_XTS_KEY_SIZE)
                return parser_error(p, node, "encryption-wrapped-key",
                                    "holds a %zu-byte key; aes-xts-plain64 takes %u bytes", w.ciphertext_size,
                                    MANIFEST_XTS_KEY_SIZE);
        if (!c->encryption_cipher && !(c->encryption_cipher = strdup("aes-xts-plain64")))
                return -ENOMEM;
        if (!sector_size)
                c->encryption_sector_size = 4096;
        if (c->encryption_sector_size != 512 && c->encryption_sector_size != 1024 &&
            c->encryption_sector_size != 2048 && c->encryption_sector_size != 4096)
                return parser_error(p, node, "encryption-sector-size", "must be 512, 1024, 2048 or 4096");
        return 0;
}

static int parse_component(Parser *p, int node, void *elem) {
        int r = parse_leaf(p, node, component_props, ELEMENTSOF(component_props), elem);

        if (r >= 0)
                r = check_verity(p, node, elem);
        return r < 0 ? r : check_encryption(p, node, elem);
}

static int parse_app(Parser *p, int node, void *elem) {
        ManifestApp *a = elem;
        int r;

        r = parse_leaf(p, node, app_props, ELEMENTSOF(app_props), a);
        if (r < 0)
                return r;
        if (!a->path && !a->image[0])
                return parser_error(p, node, NULL, "app has neither \"path\" nor \"image\"");
        if (a->path && a->image[0])
                return parser_error(p, node, NULL, "app has both \"path\" and \"image\": give one");
        return check_env(p, node, a->env);
}

static int parse_access(Parser *p, int node, void *elem) {
        return parse_leaf(p, node, access_props, ELEMENTSOF(access_props), elem);
}

static int parse_key(Parser *p, int node, void *elem) {
        return parse_leaf(p, node, key_props, ELEMENTSOF(key_props), elem);
}

static int parse_msg_server(Parser *p, int node, void *elem) {
        ManifestMsgServer *s = elem;
        bool have_access = false;
        int child, r;

        r = parse_properties(p, node, NULL, 0, s);
        if (r < 0)
                return r;
        fdt_for_each_subnode(child, p->fdt, node) {
                const char *name = fdt_get_name(p->fdt, child, NULL);

                if (!name || strcmp(name, "dir_access_control") != 0)
                        return parser_error(p, child, NULL, "unknown node");
                if (have_access)
                        return parser_error(p, child, NULL, "duplicate node");
                have_access = true;
                r = parse_properties(p, child, NULL, 0, s);
                if (r < 0)
                        return r;
                r = parse_collection(p, child, (void **)&s->access, sizeof(*s->access), &s->n_access,
                                     parse_access, "protocol");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* supervision: each property is an app name, its value the apps that depend on it. */
static int parse_supervision(Parser *p, int node) {
        _cleanup_(name_index_done) NameIndex names = {};
        Manifest *m = p->m;
        const char *duplicate;
        size_t n = 0;
        int off, r;

        fdt_for_each_property_offset(off, p->fdt, node) n++;
        if (n > 0 && !(m->supervision = calloc(n, sizeof(ManifestSupervision))))
                return -ENOMEM;
        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *name;
                int len;
                const char *value = fdt_getprop_by_offset(p->fdt, off, &name, &len);
                ManifestSupervision *s = &m->supervision[m->n_supervision];

                if (!value)
                        return parser_error(p, node, NULL, "unreadable property");
                if (!(s->app = strdup(name)))
                        return -ENOMEM;
                m->n_supervision++;
                r = prop_list(p, node, name, value, len, false, &s->dependents);
                if (r < 0)
                        return r;
        }
        _Static_assert(offsetof(ManifestSupervision, app) == 0, "indexed by its first field");
        r = name_index_init(&names, m->supervision, m->n_supervision, sizeof(*m->supervision), NULL);
        if (r < 0)
                return r;
        duplicate = name_index_duplicate(&names);
        if (duplicate)
                return parser_error(p, node, duplicate, "duplicate property");
        return node_no_subnodes(p, node);
}

static int parse_node_manager(Parser *p, int node) {
        ManifestNodeManager *nm = &p->m->node_manager;
        int r;

        r = parse_leaf(p, node, node_manager_props, ELEMENTSOF(node_manager_props), nm);
        if (r < 0)
                return r;
        if (nm->restart_period_ms == 0)
                return parser_error(p, node, "restart-period-ms", "must be greater than 0");
        if (nm->stop_timeout_ms == 0)
                return parser_error(p, node, "stop-timeout-ms", "must be greater than 0");
        return 0;
}

static int parse_trace_server(Parser *p, int node) {
        ManifestTraceServer *t = calloc(1, sizeof(ManifestTraceServer));
        int r;

        if (!t)
                return -ENOMEM;
        p->m->trace_server = t;
        t->buffers = 16;
        t->buffer_records = 2048;
        t->max_events = 65536;
        r = parse_leaf(p, node, trace_server_props, ELEMENTSOF(trace_server_props), t);
        if (r < 0)
                return r;
        if (t->buffers < 1 || t->buffers > 1024)
                return parser_error(p, node, "buffers", "must be 1 to 1024");
        if (t->buffer_records < 2 || t->buffer_records > (1U << 20) || (t->buffer_records & (t->buffer_records - 1)))
                return parser_error(p, node, "buffer-records", "must be a power of two from 2 to 1048576");
        if (t->max_events < 1 || t->max_events > (1U << 24))
                return parser_error(p, node, "max-events", "must be 1 to 16777216");
        return 0;
}

static int parse_root(Parser *p) {
        static const char *const nodes[] = {"boot",        "components", "apps",        "supervision",
                                            "msg_servers", "key_store",  "node-manager", "trace_server"};
        Manifest *m = p->m;
        bool seen[ELEMENTSOF(nodes)] = {false};
        int child, r;

        r = parse_properties(p, 0, root_props, ELEMENTSOF(root_props), m);
        if (r < 0)
                return r;

        fdt_for_each_subnode(child, p->fdt, 0) {
                const char *name = fdt_get_name(p->fdt, child, NULL);
                size_t kind;

                for (kind = 0; kind < ELEMENTSOF(nodes); kind++)
                        if (name && strcmp(name, nodes[kind]) == 0)
                                break;
                if (kind == ELEMENTSOF(nodes))
                        return parser_error(p, child, NULL, "unknown node");
                if (seen[kind])
                        return parser_error(p, child, NULL, "duplicate node");
                seen[kind] = true;

                switch (kind) {
                case 0:
                        r = parse_boot(p, child);
                        break;
                case 1:
                        r = parse_properties(p, child, NULL, 0, m);
                        if (r >= 0)
                                r = parse_collection(p, child, (void **)&m->components,
                                                     sizeof(*m->components), &m->n_components,
                                                     parse_component, "component");
                        break;
                case 2:
                        r = parse_properties(p, child, NULL, 0, m);
                        if (r >= 0)
                                r = parse_collection(p, child, (void **)&m->apps, sizeof(*m->apps),
                                                     &m->n_apps, parse_app, "app");
                        for (size_t i = 0; i < m->n_apps; i++)
                                m->apps[i].index = i;
                        break;
                case 3:
                        r = parse_supervision(p, child);
                        break;
                case 4:
                        r = parse_properties(p, child, NULL, 0, m);
                        if (r >= 0)
                                r = parse_collection(p, child, (void **)&m->msg_servers,
                                                     sizeof(*m->msg_servers), &m->n_msg_servers,
                                                     parse_msg_server, "message server");
                        break;
                case 5:
                        r = parse_properties(p, child, NULL, 0, m);
                        if (r >= 0)
                                r = parse_collection(p, child, (void **)&m->keys, sizeof(*m->keys),
                                                     &m->n_keys, parse_key, "key");
                        break;
                case 6:
                        r = parse_node_manager(p, child);
                        break;
                default:
                        r = parse_trace_server(p, child);
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * Pass two: every reference names something defined, once. what is "app" or "message
 * server"; defined indexes the names of that kind.
 */
static int check_refs_also(Parser *p, const char *path, const char *prop, char **list, const NameIndex *defined,
                           const char *what, const char *also) {
        _cleanup_(name_index_done) NameIndex names = {};
        const char *duplicate;
        int node = fdt_path_offset(p->fdt, path), r;

        for (size_t i = 0; list[i]; i++)
                if (!name_index_contains(defined, list[i]) && !(also && strcmp(list[i], also) == 0))
                        return parser_error(p, node, prop, "unknown %s \"%s\"", what, P(list[i]));
        r = name_index_init_strv(&names, list);
        if (r < 0)
                return r;
        duplicate = name_index_duplicate(&names);
        if (duplicate)
                return parser_error(p, node, prop, "%s \"%s\" listed twice", what, P(duplicate));
        return 0;
}

/*
 * Every operation is one the key's type has, once; none named: the type's defaults. The
 * origin defaults to "generate"; "import" is granted exactly for an "import" key, which
 * could not come to exist otherwise, and a generated key cannot be replaced by an import.
 */
static int check_key_operations(Parser *p, const char *path, ManifestKey *k) {
        const char *const *all = manifest_key_type_operations(k->type);
        int node = fdt_path_offset(p->fdt, path);

        for (size_t i = 0; k->operations[i]; i++) {
                if (!strv_contains((char **)all, k->operations[i]))
                        return parser_error(p, node, "operations", "\"%s\" is not an operation of an %s key",
                                            P(k->operations[i]), k->type);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(k->operations[i], k->operations[j]) == 0)
                                return parser_error(p, node, "operations", "operation \"%s\" listed twice",
                                                    P(k->operations[i]));
        }
        if (!k->origin) {
                k->origin = strdup("generate");
                if (!k->origin)
                        return -ENOMEM;
        }
        if (manifest_key_is_imported(k) && !strv_contains(k->operations, "import"))
                return parser_error(p, node, "origin",
                                    "an \"import\" key needs the \"import\" operation, or it can never exist");
        if (!manifest_key_is_imported(k) && strv_contains(k->operations, "import"))
                return parser_error(p, node, "operations",
                                    "\"import\" needs origin = \"import\": the key store generates this key");
        if (k->operations[0])
                return 0;
        for (const char *const *d = manifest_key_type_default_operations(k->type); *d; d++)
                if (strv_extend(&k->operations, *d) < 0)
                        return -ENOMEM;
        return 0;
}

/* Each app the key_store node grants a key gets the key store's connection. */
static int link_key_store(Manifest *m) {
        for (size_t i = 0; i < m->n_apps; i++) {
                ManifestApp *a = &m->apps[i];

                a->key_store = calloc(2, sizeof(char *));
                if (!a->key_store)
                        return -ENOMEM;
                for (size_t k = 0; k < m->n_keys; k++)
                        if (strv_contains(m->keys[k].apps, a->name)) {
                                a->key_store[0] = strdup(MANIFEST_KEY_STORE_SERVICE);
                                if (!a->key_store[0])
                                        return -ENOMEM;
                                break;
                        }
        }
        return 0;
}

static int check_refs(Parser *p, const char *path, const char *prop, char **list, const NameIndex *defined,
                      const char *what) {
        return check_refs_also(p, path, prop, list, defined, what, NULL);
}

static int check_references(Parser *p) {
        _cleanup_(name_index_done) NameIndex apps = {}, servers = {};
        Manifest *m = p->m;
        char path[256];
        int r;

        r = name_index_init(&apps, m->apps, m->n_apps, sizeof(*m->apps), NULL);
        if (r < 0)
                return r;
        r = name_index_init(&servers, m->msg_servers, m->n_msg_servers, sizeof(*m->msg_servers), NULL);
        if (r < 0)
                return r;

        for (size_t i = 0; i < m->n_apps; i++) {
                snprintf(path, sizeof(path), "/apps/%s", m->apps[i].name);
                r = check_refs(p, path, "msg_servers", m->apps[i].msg_servers, &servers, "message server");
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < m->n_supervision; i++) {
                ManifestSupervision *s = &m->supervision[i];
                int node = fdt_path_offset(p->fdt, "/supervision");

                if (!name_index_contains(&apps, s->app))
                        return parser_error(p, node, s->app, "unknown app \"%s\"", P(s->app));
                r = check_refs(p, "/supervision", s->app, s->dependents, &apps, "app");
                if (r < 0)
                        return r;
                if (strv_contains(s->dependents, s->app))
                        return parser_error(p, node, s->app, "app \"%s\" supervises itself", P(s->app));
        }

        for (size_t i = 0; i < m->n_msg_servers; i++)
                for (size_t k = 0; k < m->msg_servers[i].n_access; k++) {
                        ManifestAccess *a = &m->msg_servers[i].access[k];

                        snprintf(path, sizeof(path), "/msg_servers/%s/dir_access_control/%s",
                                 m->msg_servers[i].name, a->protocol);
                        /* The trace server publishes, as MANIFEST_TRACE_SERVER_NAME, where it reaches. */
                        r = check_refs_also(p, path, "publish", a->publish, &apps, "app",
                                            m->trace_server ? MANIFEST_TRACE_SERVER_NAME : NULL);
                        if (r < 0)
                                return r;
                        r = check_refs(p, path, "lookup", a->lookup, &apps, "app");
                        if (r < 0)
                                return r;
                }

        if (m->trace_server) {
                r = check_refs(p, "/trace_server", "msg_servers", m->trace_server->msg_servers, &servers,
                               "message server");
                if (r < 0)
                        return r;
                if (name_index_contains(&apps, MANIFEST_TRACE_SERVER_NAME))
                        return parser_error(p, fdt_path_offset(p->fdt, "/apps/" MANIFEST_TRACE_SERVER_NAME), NULL,
                                            "the name \"%s\" is the trace server's", MANIFEST_TRACE_SERVER_NAME);
        }

        for (size_t i = 0; i < m->n_keys; i++) {
                snprintf(path, sizeof(path), "/key_store/%s", m->keys[i].name);
                r = check_refs(p, path, "apps", m->keys[i].apps, &apps, "app");
                if (r < 0)
                        return r;
                r = check_key_operations(p, path, &m->keys[i]);
                if (r < 0)
                        return r;
        }
        return link_key_store(m);
}

int manifest_parse(Manifest **manifestp, const void *dtb, size_t size, ManifestError *err) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ void *aligned = NULL;
        Parser p = {.err = err};
        int r;

        if (err)
                *err = (ManifestError){0};
        if (size > MANIFEST_MAX_SIZE) {
                if (err)
                        snprintf(err->message, sizeof(err->message),
                                 "manifest is %zu bytes, larger than the limit of %u", size,
                                 MANIFEST_MAX_SIZE);
                return -EFBIG;
        }
        /* libfdt reads the blob through aligned pointers (1.7 refuses an unaligned one). */
        if ((uintptr_t)dtb % 8 != 0) {
                aligned = malloc(size > 0 ? size : 1);
                if (!aligned)
                        return -ENOMEM;
                dtb = memcpy(aligned, dtb, size);
        }
        p.fdt = dtb;
        /*
         * Accept exactly the header dtc writes (version 17, compatible back to 16, no
         * trailing bytes) before fdt_check_full() reads anything: older header versions
         * take code paths in libfdt 1.6 that dereference NULL on crafted input.
         */
        if (size < sizeof(struct fdt_header) || fdt_magic(dtb) != FDT_MAGIC)
                r = -FDT_ERR_BADMAGIC;
        else if (fdt_version(dtb) != 17 || fdt_last_comp_version(dtb) != 16)
                r = -FDT_ERR_BADVERSION;
        else if (fdt_totalsize(dtb) != size)
                r = -FDT_ERR_TRUNCATED;
        else
                r = fdt_check_full(dtb, size);
        if (r < 0) {
                if (err)
                        snprintf(err->message, sizeof(err->message), "not a valid device tree blob (%s)",
                                 fdt_strerror(r));
                return -EBADMSG;
        }

        m = calloc(1, sizeof(Manifest));
        if (!m)
                return -ENOMEM;
        m->node_manager = (ManifestNodeManager){
                .restart_intensity = 5,
                .restart_period_ms = 10000,
                .settle_time_ms = 10000,
                .stop_timeout_ms = 5000,
                .start_timeout_ms = 90000, /* systemd's DefaultTimeoutStartSec */
                .confirm_timeout_ms = 300000,
                .unconfirmed_boots = 3,
                .watchdog_timeout_ms = 60000,
        };
        p.m = m;

        r = parse_root(&p);
        if (r < 0)
                return r;
        r = check_references(&p);
        if (r < 0)
                return r;
        r = sha256_buffer(dtb, size, &m->digest);
        if (r < 0)
                return r;

        *manifestp = steal_ptr(&m);
        return 0;
}

int manifest_load(Manifest **manifestp, const char *path, ManifestError *err) {
        _cleanup_free_ char *dtb = NULL;
        size_t size;
        int r;

        r = read_file_full(path, MANIFEST_MAX_SIZE, &dtb, &size);
        if (r == -EFBIG) {
                if (err) {
                        *err = (ManifestError){0};
                        snprintf(err->message, sizeof(err->message),
                                 "manifest is larger than the limit of %u bytes", MANIFEST_MAX_SIZE);
                }
                return r;
        }
        if (r < 0)
                return r;
        return manifest_parse(manifestp, dtb, size, err);
}
