// SPDX-License-Identifier: Apache-2.0
/*
 * Manifest renderings. Each reads only the validated model, so every name it prints is
 * from the restricted identifier set; free text (description, paths, args) is escaped.
 */
#include <errno.h>
#include <string.h>

#include "manifest/render.h"
#include "util/hex.h"
#include "util/strv.h"

static const char *const restart_names[] = { "permanent", "transient", "temporary" };
static const char *const ready_names[] = { "started", "notify" };

/* Prints a list joined by sep, or "-" if empty. */
static void print_list(FILE *f, char *const *l, const char *sep) {
        if (!l || !l[0]) {
                fputs("-", f);
                return;
        }
        for (size_t i = 0; l[i]; i++)
                fprintf(f, "%s%s", i ? sep : "", l[i]);
}

int manifest_render_text(const Manifest *m, FILE *f) {
        char digest[SHA256_HEX_LEN + 1];

        sha256_to_hex(&m->digest, digest);
        fprintf(f, "manifest %s\n", digest);
        fprintf(f, "version %u%s%s%s\n", m->version, m->description[0] ? " (" : "", m->description,
                m->description[0] ? ")" : "");
        fprintf(f, "persistent boot: %s\n", m->persistent_boot ? "yes" : "no");
        if (m->boot) {
                fprintf(f, "boot: kernel %.12s initrd %.12s cmdline \"%s\"\n", m->boot->kernel,
                        m->boot->initrd[0] ? m->boot->initrd : "-", m->boot->cmdline);
                fputs("boot init: ", f);
                print_list(f, m->boot->init, " ");
                fputc('\n', f);
        }

        if (m->n_components > 0) {
                fprintf(f, "\ncomponents (overlay order, bottom first):\n");
                for (size_t i = 0; i < m->n_components; i++) {
                        fprintf(f, "  %-16s %-9s %.12s%s%s", m->components[i].name, m->components[i].format,
                                m->components[i].sha256, m->components[i].encryption_key ? "  key " : "",
                                m->components[i].encryption_key ? m->components[i].encryption_key : "");
                        if (m->components[i].verity_hash_tree[0])
                                fprintf(f, "  verity tree %.12s root %.12s", m->components[i].verity_hash_tree,
                                        m->components[i].verity_root_hash);
                        if (m->components[i].encryption_key)
                                fprintf(f, "  %s/%u", m->components[i].encryption_cipher,
                                        m->components[i].encryption_sector_size);
                        fputc('\n', f);
                }
        }

        fprintf(f, "\napps (start order):\n");
        for (size_t i = 0; i < m->n_apps; i++) {
                const ManifestApp *a = &m->apps[i];

                fprintf(f, "  %zu. %-14s %s", i + 1, a->name, a->path ? a->path : "image ");
                if (!a->path)
                        fprintf(f, "%.12s", a->image);
                for (size_t k = 0; a->args[k]; k++)
                        fprintf(f, " %s", a->args[k]);
                fprintf(f, "\n     restart %s, ready %s, message servers ", restart_names[a->restart],
                        ready_names[a->ready]);
                print_list(f, a->msg_servers, ", ");
                fputc('\n', f);
        }

        fprintf(f, "\nsupervision (a fault restarts the app and these, in order):\n");
        if (m->n_supervision == 0)
                fprintf(f, "  -\n");
        for (size_t i = 0; i < m->n_supervision; i++) {
                fprintf(f, "  %-14s -> ", m->supervision[i].app);
                print_list(f, m->supervision[i].dependents, ", ");
                fputc('\n', f);
        }

        fprintf(f, "\nprotocol connections:\n");
        bool any = false;
        for (size_t i = 0; i < m->n_msg_servers; i++)
                for (size_t k = 0; k < m->msg_servers[i].n_access; k++) {
                        const ManifestAccess *a = &m->msg_servers[i].access[k];

                        fprintf(f, "  %s/%s: published by ", m->msg_servers[i].name, a->protocol);
                        print_list(f, a->publish, ", ");
                        fprintf(f, "; looked up by ");
                        print_list(f, a->lookup, ", ");
                        fputc('\n', f);
                        any = true;
                }
        if (!any)
                fprintf(f, "  -\n");

        if (m->n_keys > 0) {
                fprintf(f, "\nkey store:\n");
                for (size_t i = 0; i < m->n_keys; i++) {
                        fprintf(f, "  %-16s %-8s for ", m->keys[i].name, m->keys[i].type);
                        print_list(f, m->keys[i].apps, ", ");
                        fputs(": ", f);
                        print_list(f, m->keys[i].operations, ", ");
                        if (manifest_key_is_imported(&m->keys[i]))
                                fputs(" (imported)", f);
                        fputc('\n', f);
                }
        }
        if (m->trace_server) {
                fprintf(f, "\ntrace server: publishes on ");
                print_list(f, m->trace_server->msg_servers, ", ");
                fprintf(f, "%s\n", m->trace_server->admin ? ", with the admin protocol" : "");
        }
        return ferror(f) ? -EIO : 0;
}

static json_t *json_strv(char *const *l) {
        json_t *a = json_array();

        for (size_t i = 0; a && l && l[i]; i++)
                if (json_array_append_new(a, json_string(l[i])) < 0)
                        return json_decref(a), NULL;
        return a;
}

/* Sets key to value (taking ownership), tracking failure in *ok. */
static void set(json_t *o, const char *key, json_t *value, bool *ok) {
        if (!o || !value || json_object_set_new(o, key, value) < 0)
                *ok = false;
}

static json_t *json_string_or_null(const char *s) {
        return s && s[0] ? json_string(s) : json_null();
}

/* {"key": ..., "cipher": ..., "sector_size": ..., "wrapped_key": hex}, or null unencrypted. */
static json_t *render_encryption_json(const ManifestComponent *c) {
        _cleanup_free_ char *hex = NULL;

        if (!c->encryption_key)
                return json_null();
        hex = malloc(2 * c->encryption_wrapped_key.size + 1);
        if (!hex)
                return NULL;
        hex_encode(hex, c->encryption_wrapped_key.data, c->encryption_wrapped_key.size);
        return json_pack("{s:s, s:s, s:I, s:s}", "key", c->encryption_key, "cipher", c->encryption_cipher,
                         "sector_size", (json_int_t)c->encryption_sector_size, "wrapped_key", hex);
}

/* {"hash_tree": ..., "root_hash": ..., "salt": ...}, or null without dm-verity. */
static json_t *render_verity_json(const ManifestComponent *c) {
        if (!c->verity_hash_tree[0])
                return json_null();
        return json_pack("{s:s, s:s, s:s}", "hash_tree", c->verity_hash_tree, "root_hash", c->verity_root_hash,
                         "salt", c->verity_salt);
}

int manifest_render_json(const Manifest *m, json_t **jsonp) {
        json_t *root = json_object(), *boot, *components, *apps, *supervision, *servers, *keys;
        char digest[SHA256_HEX_LEN + 1];
        _cleanup_strv_free_ char **objects = NULL;
        bool ok = true;
        int r;

        sha256_to_hex(&m->digest, digest);
        set(root, "digest", json_string(digest), &ok);
        set(root, "version", json_integer(m->version), &ok);
        set(root, "description", json_string(m->description), &ok);
        set(root, "persistent_boot", json_boolean(m->persistent_boot), &ok);

        boot = m->boot ? json_object() : json_null();
        if (m->boot) {
                set(boot, "kernel", json_string(m->boot->kernel), &ok);
                set(boot, "initrd", json_string_or_null(m->boot->initrd), &ok);
                set(boot, "cmdline", json_string(m->boot->cmdline), &ok);
                set(boot, "init", json_strv(m->boot->init), &ok);
        }
        set(root, "boot", boot, &ok);

        components = json_array();
        for (size_t i = 0; i < m->n_components; i++) {
                json_t *c = json_object();
                set(c, "name", json_string(m->components[i].name), &ok);
                set(c, "sha256", json_string(m->components[i].sha256), &ok);
                set(c, "format", json_string(m->components[i].format), &ok);
                set(c, "encryption_key", json_string_or_null(m->components[i].encryption_key), &ok);
                set(c, "verity", render_verity_json(&m->components[i]), &ok);
                set(c, "encryption", render_encryption_json(&m->components[i]), &ok);
                if (json_array_append_new(components, c) < 0)
                        ok = false;
        }
        set(root, "components", components, &ok);

        apps = json_array();
        for (size_t i = 0; i < m->n_apps; i++) {
                const ManifestApp *a = &m->apps[i];
                json_t *o = json_object(), *env = json_object();

                set(o, "name", json_string(a->name), &ok);
                set(o, "path", json_string_or_null(a->path), &ok);
                set(o, "image", json_string_or_null(a->image), &ok);
                set(o, "args", json_strv(a->args), &ok);
                for (size_t k = 0; a->env[k]; k++) {
                        const char *eq = strchr(a->env[k], '=');
                        _cleanup_free_ char *name = strndup(a->env[k], (size_t)(eq - a->env[k]));
                        if (!name)
                                ok = false;
                        else
                                set(env, name, json_string(eq + 1), &ok);
                }
                set(o, "env", env, &ok);
                set(o, "msg_servers", json_strv(a->msg_servers), &ok);
                set(o, "restart", json_string(restart_names[a->restart]), &ok);
                set(o, "ready", json_string(ready_names[a->ready]), &ok);
                set(o, "aux_device_setup_script", json_string_or_null(a->aux_device_setup_script), &ok);
                if (json_array_append_new(apps, o) < 0)
                        ok = false;
        }
        set(root, "apps", apps, &ok);

        supervision = json_object();
        for (size_t i = 0; i < m->n_supervision; i++)
                set(supervision, m->supervision[i].app, json_strv(m->supervision[i].dependents), &ok);
        set(root, "supervision", supervision, &ok);

        servers = json_object();
        for (size_t i = 0; i < m->n_msg_servers; i++) {
                json_t *s = json_object();
                for (size_t k = 0; k < m->msg_servers[i].n_access; k++) {
                        const ManifestAccess *a = &m->msg_servers[i].access[k];
                        json_t *p = json_object();
                        set(p, "publish", json_strv(a->publish), &ok);
                        set(p, "lookup", json_strv(a->lookup), &ok);
                        set(s, a->protocol, p, &ok);
                }
                set(servers, m->msg_servers[i].name, s, &ok);
        }
        set(root, "msg_servers", servers, &ok);

        keys = json_object();
        for (size_t i = 0; i < m->n_keys; i++) {
                json_t *k = json_object();
                set(k, "type", json_string(m->keys[i].type), &ok);
                set(k, "apps", json_strv(m->keys[i].apps), &ok);
                set(k, "operations", json_strv(m->keys[i].operations), &ok);
                set(k, "origin", json_string(m->keys[i].origin), &ok);
                set(keys, m->keys[i].name, k, &ok);
        }
        set(root, "key_store", keys, &ok);
        if (m->trace_server) {
                json_t *t = json_object();
                set(t, "msg_servers", json_strv(m->trace_server->msg_servers), &ok);
                set(t, "admin", json_boolean(m->trace_server->admin), &ok);
                set(t, "buffers", json_integer(m->trace_server->buffers), &ok);
                set(t, "buffer_records", json_integer(m->trace_server->buffer_records), &ok);
                set(t, "max_events", json_integer(m->trace_server->max_events), &ok);
                set(root, "trace_server", t, &ok);
        } else {
                set(root, "trace_server", json_null(), &ok);
        }

        r = manifest_objects(m, &objects);
        if (r < 0) {
                json_decref(root);
                return r;
        }
        set(root, "objects", json_strv(objects), &ok);

        if (!ok) {
                json_decref(root);
                return -ENOMEM;
        }
        *jsonp = root;
        return 0;
}

/* DOT identifiers are always quoted; names are restricted, but quote-escape anyway. */
static void dot_id(FILE *f, const char *prefix, const char *name) {
        fprintf(f, "\"%s", prefix);
        for (const char *p = name; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fputc('\\', f);
                fputc(*p, f);
        }
        fputc('"', f);
}

int manifest_render_dot(const Manifest *m, FILE *f) {
        fprintf(f, "digraph manifest {\n");
        fprintf(f, "  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n  edge [fontname=\"sans-serif\", fontsize=10];\n");

        fprintf(f, "  subgraph cluster_apps {\n    label=\"apps (start order)\";\n");
        for (size_t i = 0; i < m->n_apps; i++) {
                fprintf(f, "    ");
                dot_id(f, "app:", m->apps[i].name);
                fprintf(f, " [shape=box, label=\"%zu. %s\"];\n", i + 1, m->apps[i].name);
        }
        fprintf(f, "  }\n");

        for (size_t i = 0; i < m->n_msg_servers; i++) {
                const ManifestMsgServer *s = &m->msg_servers[i];

                fprintf(f, "  subgraph \"cluster_msg:%s\" {\n    label=\"message server %s\";\n    style=rounded;\n",
                        s->name, s->name);
                fprintf(f, "    ");
                dot_id(f, "msg:", s->name);
                fprintf(f, " [shape=cylinder, label=\"%s\"];\n", s->name);
                for (size_t k = 0; k < s->n_access; k++) {
                        fprintf(f, "    \"proto:%s/%s\" [shape=ellipse, label=\"%s\"];\n", s->name,
                                s->access[k].protocol, s->access[k].protocol);
                }
                fprintf(f, "  }\n");
                for (size_t k = 0; k < s->n_access; k++) {
                        const ManifestAccess *a = &s->access[k];

                        for (size_t j = 0; a->publish[j]; j++) {
                                fprintf(f, "  ");
                                dot_id(f, "app:", a->publish[j]);
                                fprintf(f, " -> \"proto:%s/%s\" [label=\"publishes\", color=darkgreen];\n",
                                        s->name, a->protocol);
                        }
                        for (size_t j = 0; a->lookup[j]; j++) {
                                fprintf(f, "  ");
                                dot_id(f, "app:", a->lookup[j]);
                                fprintf(f, " -> \"proto:%s/%s\" [label=\"looks up\", color=blue, style=dashed];\n",
                                        s->name, a->protocol);
                        }
                }
        }

        for (size_t i = 0; i < m->n_apps; i++)
                for (size_t k = 0; m->apps[i].msg_servers[k]; k++) {
                        fprintf(f, "  ");
                        dot_id(f, "app:", m->apps[i].name);
                        fprintf(f, " -> ");
                        dot_id(f, "msg:", m->apps[i].msg_servers[k]);
                        fprintf(f, " [color=gray, arrowhead=none];\n");
                }

        for (size_t i = 0; i < m->n_supervision; i++)
                for (size_t k = 0; m->supervision[i].dependents[k]; k++) {
                        fprintf(f, "  ");
                        dot_id(f, "app:", m->supervision[i].app);
                        fprintf(f, " -> ");
                        dot_id(f, "app:", m->supervision[i].dependents[k]);
                        fprintf(f, " [label=\"restarts\", color=red, style=dotted];\n");
                }
        fprintf(f, "}\n");
        return ferror(f) ? -EIO : 0;
}
