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
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

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

static int parser_error(Parser *p, int node, const char *property, const char *fmt, ...) {
        va_list ap;
        char path[256];

        if (!p->err)
                return -EBADMSG;
        if (node < 0 || fdt_get_path(p->fdt, node, path, sizeof(path)) < 0)
                strcpy(path, "/");
        snprintf(p->err->node, sizeof(p->err->node), "%s", path + 1);
        snprintf(p->err->property, sizeof(p->err->property), "%s", property ? property : "");
        va_start(ap, fmt);
        vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

/* Identifiers: app, instance, protocol, key and component names. */
static bool manifest_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > MANIFEST_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || strchr("_-.+,", s[i])))
                        return false;
        return true;
}

/* Copies s into buf for an error message, replacing anything unprintable with '?'. */
static const char *printable(const char *s, char *buf, size_t size) {
        size_t i;

        for (i = 0; s[i] && i + 1 < size; i++)
                buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
        buf[i] = '\0';
        return buf;
}
#define P(s) printable((s), (char[80]){0}, 80)

/* A property value that is exactly one non-empty NUL-terminated string. */
static int prop_string(Parser *p, int node, const char *name, const void *value, int len, const char **strp) {
        if (len < 2 || ((const char *)value)[len - 1] != '\0' || memchr(value, '\0', (size_t)len - 1))
                return parser_error(p, node, name, "must be one non-empty string");
        if (!utf8_is_printable(value))
                return parser_error(p, node, name, "must be UTF-8 text without control characters");
        *strp = value;
        return 0;
}

static int prop_string_dup(Parser *p, int node, const char *name, const void *value, int len, char **strp) {
        const char *s = NULL;
        int r = prop_string(p, node, name, value, len, &s);

        if (r < 0)
                return r;
        *strp = strdup(s);
        return *strp ? 0 : -ENOMEM;
}

static int prop_digest(Parser *p, int node, const char *name, const void *value, int len,
                       char digest[SHA256_HEX_LEN + 1]) {
        const char *s = NULL;
        int r = prop_string(p, node, name, value, len, &s);

        if (r < 0)
                return r;
        if (!hex_is_sha256(s))
                return parser_error(p, node, name,
                                    "malformed digest \"%s\": expected 64 lowercase hex digits", P(s));
        memcpy(digest, s, SHA256_HEX_LEN + 1);
        return 0;
}

/* A string list: NUL-terminated strings back to back. Empty elements only if allowed. */
static int prop_strv(Parser *p, int node, const char *name, const void *value, int len, bool allow_empty,
                     char ***strvp) {
        _cleanup_strv_free_ char **l = NULL;
        const char *s = value, *end = s + len;
        int r;

        if (len == 0 || s[len - 1] != '\0')
                return parser_error(p, node, name, "must be a list of strings");
        while (s < end) {
                size_t n = strlen(s);

                if (n == 0 && !allow_empty)
                        return parser_error(p, node, name, "empty string in list");
                if (!utf8_is_printable(s))
                        return parser_error(p, node, name, "must be UTF-8 text without control characters");
                r = strv_extend(&l, s);
                if (r < 0)
                        return r;
                s += n + 1;
        }
        *strvp = steal_ptr(&l);
        return 0;
}

static int prop_u32(Parser *p, int node, const char *name, const void *value, int len, uint32_t *vp) {
        if (len != 4)
                return parser_error(p, node, name, "must be one 32-bit cell, like <5>");
        *vp = fdt32_to_cpu(*(const fdt32_t *)value);
        return 0;
}

static int prop_flag(Parser *p, int node, const char *name, int len, bool *vp) {
        if (len != 0)
                return parser_error(p, node, name, "takes no value");
        *vp = true;
        return 0;
}

static int node_no_subnodes(Parser *p, int node) {
        int child = fdt_first_subnode(p->fdt, node);

        if (child >= 0)
                return parser_error(p, child, NULL, "unknown node");
        return 0;
}

static int node_no_properties(Parser *p, int node) {
        int off = fdt_first_property_offset(p->fdt, node);
        const char *name = "";

        if (off >= 0) {
                (void)fdt_getprop_by_offset(p->fdt, off, &name, NULL);
                return parser_error(p, node, name, "unknown property");
        }
        return 0;
}

static int node_name(Parser *p, int node, const char **namep) {
        const char *name = fdt_get_name(p->fdt, node, NULL);

        if (!name || !manifest_name_is_valid(name))
                return parser_error(p, node, NULL, "invalid name: use 1-%d of A-Z a-z 0-9 _ - . + ,",
                                    MANIFEST_NAME_MAX);
        *namep = name;
        return 0;
}

/* Counts subnodes and grows an array to hold them (zeroed). */
static int alloc_children(Parser *p, int node, size_t elem_size, void **arrayp, size_t *np) {
        size_t n = 0;
        int child;

        fdt_for_each_subnode(child, p->fdt, node) n++;
        if (n == 0)
                return 0;
        *arrayp = calloc(n, elem_size);
        if (!*arrayp)
                return -ENOMEM;
        *np = 0;
        return (int)n;
}

static int parse_boot(Parser *p, int node) {
        int off;
        Manifest *m = p->m;
        bool have_kernel = false;
        int r;

        m->boot = calloc(1, sizeof(ManifestBoot));
        if (!m->boot)
                return -ENOMEM;
        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *name;
                int len;
                const void *value = fdt_getprop_by_offset(p->fdt, off, &name, &len);

                if (strcmp(name, "kernel") == 0) {
                        r = prop_digest(p, node, name, value, len, m->boot->kernel);
                        have_kernel = true;
                } else if (strcmp(name, "initrd") == 0)
                        r = prop_digest(p, node, name, value, len, m->boot->initrd);
                else if (strcmp(name, "cmdline") == 0) {
                        free(m->boot->cmdline);
                        m->boot->cmdline = NULL;
                        r = len == 1 && *(const char *)value == '\0'
                                    ? ((m->boot->cmdline = strdup("")) ? 0 : -ENOMEM)
                                    : prop_string_dup(p, node, name, value, len, &m->boot->cmdline);
                } else
                        r = parser_error(p, node, name, "unknown property");
                if (r < 0)
                        return r;
        }
        if (!have_kernel)
                return parser_error(p, node, NULL, "missing property \"kernel\"");
        if (!m->boot->cmdline && !(m->boot->cmdline = strdup("")))
                return -ENOMEM;
        return node_no_subnodes(p, node);
}

static int parse_component(Parser *p, int node, void *elem) {
        ManifestComponent *c = elem;
        int off;
        static const char *const formats[] = {"squashfs", "erofs", "ext4"};
        const char *name;
        bool have_digest = false;
        int r;

        r = node_name(p, node, &name);
        if (r < 0)
                return r;
        c->name = strdup(name);
        if (!c->name)
                return -ENOMEM;
        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *prop;
                int len;
                const void *value = fdt_getprop_by_offset(p->fdt, off, &prop, &len);

                if (strcmp(prop, "sha256") == 0) {
                        r = prop_digest(p, node, prop, value, len, c->sha256);
                        have_digest = true;
                } else if (strcmp(prop, "format") == 0) {
                        r = prop_string_dup(p, node, prop, value, len, &c->format);
                        if (r == 0) {
                                bool known = false;
                                for (size_t i = 0; i < ELEMENTSOF(formats); i++)
                                        known = known || strcmp(c->format, formats[i]) == 0;
                                if (!known)
                                        r = parser_error(
                                                p, node, prop,
                                                "unknown format \"%s\": expected squashfs, erofs or ext4",
                                                P(c->format));
                        }
                } else if (strcmp(prop, "encryption-key") == 0)
                        r = prop_string_dup(p, node, prop, value, len, &c->encryption_key);
                else
                        r = parser_error(p, node, prop, "unknown property");
                if (r < 0)
                        return r;
        }
        if (!have_digest)
                return parser_error(p, node, NULL, "missing property \"sha256\"");
        if (!c->format)
                return parser_error(p, node, NULL, "missing property \"format\"");
        return node_no_subnodes(p, node);
}

static int parse_env(Parser *p, int node, const char *prop, char **env) {
        for (size_t i = 0; env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                size_t n = eq ? (size_t)(eq - env[i]) : 0;

                if (!eq)
                        return parser_error(p, node, prop, "entry \"%s\" has no '=': use \"NAME=value\"",
                                            P(env[i]));
                if (n == 0)
                        return parser_error(p, node, prop, "entry \"%s\" has an empty name", P(env[i]));
                for (size_t k = 0; k < n; k++)
                        if (!((env[i][k] >= 'A' && env[i][k] <= 'Z') ||
                              (env[i][k] >= 'a' && env[i][k] <= 'z') || env[i][k] == '_' ||
                              (k > 0 && env[i][k] >= '0' && env[i][k] <= '9')))
                                return parser_error(p, node, prop, "entry \"%s\": invalid variable name",
                                                    P(env[i]));
                if (strncmp(env[i], "KOS_", 4) == 0 || (n == 13 && strncmp(env[i], "NOTIFY_SOCKET", 13) == 0))
                        return parser_error(p, node, prop,
                                            "entry \"%s\": variable is reserved for the node manager",
                                            P(env[i]));
                for (size_t k = 0; k < i; k++)
                        if (strncmp(env[k], env[i], n + 1) == 0)
                                return parser_error(p, node, prop, "variable \"%.*s\" set twice", (int)n,
                                                    env[i]);
        }
        return 0;
}

static int parse_app(Parser *p, int node, void *elem) {
        ManifestApp *a = elem;
        int off;
        const char *name = NULL, *s = NULL;
        bool have_image = false;
        int r;

        r = node_name(p, node, &name);
        if (r < 0)
                return r;
        a->name = strdup(name);
        if (!a->name)
                return -ENOMEM;
        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *prop;
                int len;
                const void *value = fdt_getprop_by_offset(p->fdt, off, &prop, &len);

                if (strcmp(prop, "path") == 0) {
                        r = prop_string_dup(p, node, prop, value, len, &a->path);
                        if (r == 0 && a->path[0] != '/')
                                r = parser_error(p, node, prop, "must be an absolute path");
                } else if (strcmp(prop, "image") == 0) {
                        r = prop_digest(p, node, prop, value, len, a->image);
                        have_image = true;
                } else if (strcmp(prop, "args") == 0)
                        r = prop_strv(p, node, prop, value, len, true, &a->args);
                else if (strcmp(prop, "env") == 0) {
                        r = prop_strv(p, node, prop, value, len, false, &a->env);
                        if (r == 0)
                                r = parse_env(p, node, prop, a->env);
                } else if (strcmp(prop, "msg_servers") == 0)
                        r = prop_strv(p, node, prop, value, len, false, &a->msg_servers);
                else if (strcmp(prop, "restart") == 0) {
                        r = prop_string(p, node, prop, value, len, &s);
                        if (r == 0 && strcmp(s, "permanent") == 0)
                                a->restart = MANIFEST_RESTART_PERMANENT;
                        else if (r == 0 && strcmp(s, "transient") == 0)
                                a->restart = MANIFEST_RESTART_TRANSIENT;
                        else if (r == 0 && strcmp(s, "temporary") == 0)
                                a->restart = MANIFEST_RESTART_TEMPORARY;
                        else if (r == 0)
                                r = parser_error(
                                        p, node, prop,
                                        "unknown value \"%s\": expected permanent, transient or temporary",
                                        P(s));
                } else if (strcmp(prop, "ready") == 0) {
                        r = prop_string(p, node, prop, value, len, &s);
                        if (r == 0 && strcmp(s, "started") == 0)
                                a->ready = MANIFEST_READY_STARTED;
                        else if (r == 0 && strcmp(s, "notify") == 0)
                                a->ready = MANIFEST_READY_NOTIFY;
                        else if (r == 0)
                                r = parser_error(p, node, prop,
                                                 "unknown value \"%s\": expected started or notify", P(s));
                } else if (strcmp(prop, "aux_device_setup_script") == 0) {
                        r = prop_string_dup(p, node, prop, value, len, &a->aux_device_setup_script);
                        if (r == 0 && a->aux_device_setup_script[0] != '/')
                                r = parser_error(p, node, prop, "must be an absolute path");
                } else
                        r = parser_error(p, node, prop, "unknown property");
                if (r < 0)
                        return r;
        }
        if (!a->path && !have_image)
                return parser_error(p, node, NULL, "app has neither \"path\" nor \"image\"");
        if (a->path && have_image)
                return parser_error(p, node, NULL, "app has both \"path\" and \"image\": give one");
        if ((!a->args && !(a->args = calloc(1, sizeof(char *)))) ||
            (!a->env && !(a->env = calloc(1, sizeof(char *)))) ||
            (!a->msg_servers && !(a->msg_servers = calloc(1, sizeof(char *)))))
                return -ENOMEM;
        return node_no_subnodes(p, node);
}

static int parse_supervision(Parser *p, int node) {
        int off;
        Manifest *m = p->m;
        size_t n = 0;
        int r;

        fdt_for_each_property_offset(off, p->fdt, node) n++;
        if (n > 0 && !(m->supervision = calloc(n, sizeof(ManifestSupervision))))
                return -ENOMEM;
        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *prop;
                int len;
                const void *value = fdt_getprop_by_offset(p->fdt, off, &prop, &len);

                ManifestSupervision *s = &m->supervision[m->n_supervision++];

                s->app = strdup(prop);
                if (!s->app)
                        return -ENOMEM;
                r = prop_strv(p, node, prop, value, len, false, &s->dependents);
                if (r < 0)
                        return r;
        }
        return node_no_subnodes(p, node);
}

static int parse_access(Parser *p, int node, ManifestAccess *a) {
        int off;
        const char *name;
        int r;

        r = node_name(p, node, &name);
        if (r < 0)
                return r;
        a->protocol = strdup(name);
        if (!a->protocol)
                return -ENOMEM;
        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *prop;
                int len;
                const void *value = fdt_getprop_by_offset(p->fdt, off, &prop, &len);

                if (strcmp(prop, "publish") == 0)
                        r = prop_strv(p, node, prop, value, len, false, &a->publish);
                else if (strcmp(prop, "lookup") == 0)
                        r = prop_strv(p, node, prop, value, len, false, &a->lookup);
                else
                        r = parser_error(p, node, prop, "unknown property");
                if (r < 0)
                        return r;
        }
        if ((!a->publish && !(a->publish = calloc(1, sizeof(char *)))) ||
            (!a->lookup && !(a->lookup = calloc(1, sizeof(char *)))))
                return -ENOMEM;
        return node_no_subnodes(p, node);
}

static int parse_msg_server(Parser *p, int node, void *elem) {
        ManifestMsgServer *s = elem;
        const char *name;
        int child, r;

        r = node_name(p, node, &name);
        if (r < 0)
                return r;
        s->name = strdup(name);
        if (!s->name)
                return -ENOMEM;
        r = node_no_properties(p, node);
        if (r < 0)
                return r;
        fdt_for_each_subnode(child, p->fdt, node) {
                int proto;

                if (strcmp(fdt_get_name(p->fdt, child, NULL), "dir_access_control") != 0)
                        return parser_error(p, child, NULL, "unknown node");
                if (s->access)
                        return parser_error(p, child, NULL, "duplicate node");
                r = node_no_properties(p, child);
                if (r < 0)
                        return r;
                r = alloc_children(p, child, sizeof(ManifestAccess), (void **)&s->access, &s->n_access);
                if (r < 0)
                        return r;
                fdt_for_each_subnode(proto, p->fdt, child) {
                        r = parse_access(p, proto, &s->access[s->n_access++]);
                        if (r < 0)
                                return r;
                        for (size_t i = 0; i + 1 < s->n_access; i++)
                                if (strcmp(s->access[i].protocol, s->access[s->n_access - 1].protocol) == 0)
                                        return parser_error(p, proto, NULL, "duplicate protocol");
                }
        }
        return 0;
}

static int parse_key(Parser *p, int node, void *elem) {
        ManifestKey *k = elem;
        int off;
        const char *name;
        int r;

        r = node_name(p, node, &name);
        if (r < 0)
                return r;
        k->name = strdup(name);
        if (!k->name)
                return -ENOMEM;
        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *prop;
                int len;
                const void *value = fdt_getprop_by_offset(p->fdt, off, &prop, &len);

                if (strcmp(prop, "type") == 0) {
                        r = prop_string_dup(p, node, prop, value, len, &k->type);
                        if (r == 0 && strcmp(k->type, "ed25519") != 0)
                                r = parser_error(p, node, prop, "unknown key type \"%s\": expected ed25519",
                                                 P(k->type));
                } else if (strcmp(prop, "apps") == 0)
                        r = prop_strv(p, node, prop, value, len, false, &k->apps);
                else
                        r = parser_error(p, node, prop, "unknown property");
                if (r < 0)
                        return r;
        }
        if (!k->type)
                return parser_error(p, node, NULL, "missing property \"type\"");
        if (!k->apps && !(k->apps = calloc(1, sizeof(char *))))
                return -ENOMEM;
        return node_no_subnodes(p, node);
}

static int parse_node_manager(Parser *p, int node) {
        int off;
        ManifestNodeManager *nm = &p->m->node_manager;
        uint32_t v = 0;
        int r;

        fdt_for_each_property_offset(off, p->fdt, node) {
                const char *prop;
                int len;
                const void *value = fdt_getprop_by_offset(p->fdt, off, &prop, &len);

                unsigned *field;

                if (strcmp(prop, "restart-intensity") == 0)
                        field = &nm->restart_intensity;
                else if (strcmp(prop, "restart-period-ms") == 0)
                        field = &nm->restart_period_ms;
                else if (strcmp(prop, "settle-time-ms") == 0)
                        field = &nm->settle_time_ms;
                else if (strcmp(prop, "stop-timeout-ms") == 0)
                        field = &nm->stop_timeout_ms;
                else
                        return parser_error(p, node, prop, "unknown property");
                r = prop_u32(p, node, prop, value, len, &v);
                if (r < 0)
                        return r;
                if (v == 0 && field != &nm->settle_time_ms && field != &nm->restart_intensity)
                        return parser_error(p, node, prop, "must be greater than 0");
                *field = v;
        }
        return node_no_subnodes(p, node);
}

/*
 * Parses the children of a collection node (components, apps, ...) into a new array, in
 * order. Every element type starts with its owned name, which must be unique.
 */
static int parse_collection(Parser *p, int node, void **arrayp, size_t elem_size, size_t *countp,
                            int (*parse_one)(Parser *p, int node, void *elem), const char *what) {
        int child, r;

        r = alloc_children(p, node, elem_size, arrayp, countp);
        if (r <= 0)
                return r;
        fdt_for_each_subnode(child, p->fdt, node) {
                char *elem = (char *)*arrayp + *countp * elem_size;

                (*countp)++;
                r = parse_one(p, child, elem);
                if (r < 0)
                        return r;
                for (size_t i = 0; i + 1 < *countp; i++)
                        if (strcmp(*(char **)((char *)*arrayp + i * elem_size), *(char **)elem) == 0)
                                return parser_error(p, child, NULL, "duplicate %s", what);
        }
        return 0;
}

static int parse_root(Parser *p) {
        int off;
        Manifest *m = p->m;
        bool have_compatible = false, have_version = false;
        bool seen[7] = {false};
        static const char *const nodes[] = {"boot",        "components", "apps",        "supervision",
                                            "msg_servers", "key_store",  "node-manager"};
        int child, r;

        fdt_for_each_property_offset(off, p->fdt, 0) {
                const char *prop;
                int len;
                const void *value = fdt_getprop_by_offset(p->fdt, off, &prop, &len);

                if (strcmp(prop, "compatible") == 0) {
                        const char *s = NULL;
                        r = prop_string(p, 0, prop, value, len, &s);
                        if (r == 0 && strcmp(s, MANIFEST_COMPATIBLE) != 0)
                                r = parser_error(p, 0, prop,
                                                 "is \"%s\", expected \"" MANIFEST_COMPATIBLE "\"", P(s));
                        have_compatible = true;
                } else if (strcmp(prop, "version") == 0) {
                        r = prop_u32(p, 0, prop, value, len, &m->version);
                        have_version = true;
                } else if (strcmp(prop, "description") == 0) {
                        free(m->description);
                        m->description = NULL;
                        r = len == 1 && *(const char *)value == '\0'
                                    ? ((m->description = strdup("")) ? 0 : -ENOMEM)
                                    : prop_string_dup(p, 0, prop, value, len, &m->description);
                } else if (strcmp(prop, "persistent-boot") == 0)
                        r = prop_flag(p, 0, prop, len, &m->persistent_boot);
                else
                        r = parser_error(p, 0, prop, "unknown property");
                if (r < 0)
                        return r;
        }
        if (!have_compatible)
                return parser_error(p, 0, NULL,
                                    "missing property \"compatible\" (\"" MANIFEST_COMPATIBLE "\")");
        if (!have_version)
                return parser_error(p, 0, NULL, "missing property \"version\"");
        if (!m->description && !(m->description = strdup("")))
                return -ENOMEM;

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
                if (kind != 0 && kind != 3 && kind != 6) {
                        r = node_no_properties(p, child);
                        if (r < 0)
                                return r;
                }
                switch (kind) {
                case 0:
                        r = parse_boot(p, child);
                        break;
                case 1:
                        r = parse_collection(p, child, (void **)&m->components, sizeof(*m->components),
                                             &m->n_components, parse_component, "component");
                        break;
                case 2:
                        r = parse_collection(p, child, (void **)&m->apps, sizeof(*m->apps), &m->n_apps,
                                             parse_app, "app");
                        for (size_t i = 0; i < m->n_apps; i++)
                                m->apps[i].index = i;
                        break;
                case 3:
                        r = parse_supervision(p, child);
                        break;
                case 4:
                        r = parse_collection(p, child, (void **)&m->msg_servers, sizeof(*m->msg_servers),
                                             &m->n_msg_servers, parse_msg_server, "message server");
                        break;
                case 5:
                        r = parse_collection(p, child, (void **)&m->keys, sizeof(*m->keys), &m->n_keys,
                                             parse_key, "key");
                        break;
                default:
                        r = parse_node_manager(p, child);
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Pass two: every reference names something defined. */
static int check_app_refs(Parser *p, const char *path, const char *prop, char **apps) {
        int node = fdt_path_offset(p->fdt, path);

        for (size_t i = 0; apps[i]; i++) {
                if (!manifest_find_app(p->m, apps[i]))
                        return parser_error(p, node, prop, "unknown app \"%s\"", P(apps[i]));
                for (size_t k = 0; k < i; k++)
                        if (strcmp(apps[k], apps[i]) == 0)
                                return parser_error(p, node, prop, "app \"%s\" listed twice", P(apps[i]));
        }
        return 0;
}

static int check_references(Parser *p) {
        Manifest *m = p->m;
        char path[256];
        int r;

        for (size_t i = 0; i < m->n_apps; i++) {
                ManifestApp *a = &m->apps[i];

                snprintf(path, sizeof(path), "/apps/%s", a->name);
                for (size_t k = 0; a->msg_servers[k]; k++) {
                        if (!manifest_find_msg_server(m, a->msg_servers[k]))
                                return parser_error(p, fdt_path_offset(p->fdt, path), "msg_servers",
                                                    "unknown message server \"%s\"", P(a->msg_servers[k]));
                        for (size_t j = 0; j < k; j++)
                                if (strcmp(a->msg_servers[j], a->msg_servers[k]) == 0)
                                        return parser_error(p, fdt_path_offset(p->fdt, path), "msg_servers",
                                                            "message server \"%s\" listed twice",
                                                            P(a->msg_servers[k]));
                }
        }

        for (size_t i = 0; i < m->n_supervision; i++) {
                ManifestSupervision *s = &m->supervision[i];
                int node = fdt_path_offset(p->fdt, "/supervision");

                if (!manifest_find_app(m, s->app))
                        return parser_error(p, node, s->app, "unknown app \"%s\"", P(s->app));
                r = check_app_refs(p, "/supervision", s->app, s->dependents);
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
                        r = check_app_refs(p, path, "publish", a->publish);
                        if (r < 0)
                                return r;
                        r = check_app_refs(p, path, "lookup", a->lookup);
                        if (r < 0)
                                return r;
                }

        for (size_t i = 0; i < m->n_keys; i++) {
                snprintf(path, sizeof(path), "/key_store/%s", m->keys[i].name);
                r = check_app_refs(p, path, "apps", m->keys[i].apps);
                if (r < 0)
                        return r;
        }
        return 0;
}

int manifest_parse(Manifest **manifestp, const void *dtb, size_t size, ManifestError *err) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        Parser p = {.fdt = dtb, .err = err};
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
