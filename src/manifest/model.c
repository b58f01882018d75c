// SPDX-License-Identifier: Apache-2.0
/*
 * Manifest v1 model: destruction and read-only queries.
 *
 * Invariants: nothing here changes a Manifest (it is valid by construction, manifest.h);
 * a permission holds only if the app lists the instance and the instance's access matrix
 * names the app for that protocol, so an entry in either alone grants nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "manifest/manifest.h"
#include "util/strv.h"

Manifest *manifest_free(Manifest *m) {
        if (!m)
                return NULL;
        free(m->description);
        if (m->boot) {
                free(m->boot->cmdline);
                strv_free(m->boot->init);
        }
        free(m->boot);
        for (size_t i = 0; i < m->n_components; i++) {
                free(m->components[i].name);
                free(m->components[i].format);
                free(m->components[i].encryption_key);
                free(m->components[i].encryption_wrapped_key.data);
                free(m->components[i].encryption_cipher);
                free(m->components[i].verity_root_hash);
                free(m->components[i].verity_salt);
        }
        free(m->components);
        for (size_t i = 0; i < m->n_apps; i++) {
                ManifestApp *a = &m->apps[i];

                free(a->name);
                free(a->path);
                strv_free(a->args);
                strv_free(a->env);
                strv_free(a->msg_servers);
                free(a->aux_device_setup_script);
                strv_free(a->key_store);
        }
        free(m->apps);
        for (size_t i = 0; i < m->n_supervision; i++) {
                free(m->supervision[i].app);
                strv_free(m->supervision[i].dependents);
        }
        free(m->supervision);
        for (size_t i = 0; i < m->n_msg_servers; i++) {
                for (size_t k = 0; k < m->msg_servers[i].n_access; k++) {
                        free(m->msg_servers[i].access[k].protocol);
                        strv_free(m->msg_servers[i].access[k].publish);
                        strv_free(m->msg_servers[i].access[k].lookup);
                }
                free(m->msg_servers[i].access);
                free(m->msg_servers[i].name);
        }
        free(m->msg_servers);
        if (m->trace_server)
                strv_free(m->trace_server->msg_servers);
        free(m->trace_server);
        for (size_t i = 0; i < m->n_keys; i++) {
                free(m->keys[i].name);
                free(m->keys[i].type);
                strv_free(m->keys[i].apps);
                strv_free(m->keys[i].operations);
                free(m->keys[i].origin);
        }
        free(m->keys);
        free(m);
        return NULL;
}

const ManifestApp *manifest_find_app(const Manifest *m, const char *name) {
        for (size_t i = 0; i < m->n_apps; i++)
                if (strcmp(m->apps[i].name, name) == 0)
                        return &m->apps[i];
        return NULL;
}

const ManifestMsgServer *manifest_find_msg_server(const Manifest *m, const char *name) {
        for (size_t i = 0; i < m->n_msg_servers; i++)
                if (strcmp(m->msg_servers[i].name, name) == 0)
                        return &m->msg_servers[i];
        return NULL;
}

const ManifestSupervision *manifest_find_supervision(const Manifest *m, const char *app) {
        for (size_t i = 0; i < m->n_supervision; i++)
                if (strcmp(m->supervision[i].app, app) == 0)
                        return &m->supervision[i];
        return NULL;
}

const ManifestAccess *manifest_msg_server_find_access(const ManifestMsgServer *s, const char *protocol) {
        for (size_t i = 0; i < s->n_access; i++)
                if (strcmp(s->access[i].protocol, protocol) == 0)
                        return &s->access[i];
        return NULL;
}

bool manifest_name_reaches_instance(const Manifest *m, const char *name, const char *instance) {
        const ManifestApp *a = manifest_find_app(m, name);

        if (a)
                return strv_contains(a->msg_servers, instance);
        return m->trace_server && strcmp(name, MANIFEST_TRACE_SERVER_NAME) == 0 &&
               strv_contains(m->trace_server->msg_servers, instance);
}

static const ManifestAccess *manifest_find_access(const Manifest *m, const char *instance,
                                                  const char *protocol, const char *app) {
        const ManifestMsgServer *s = manifest_find_msg_server(m, instance);

        /* An app reaches only the instances it lists, whatever the matrix says. */
        if (!s || !manifest_name_reaches_instance(m, app, instance))
                return NULL;
        return manifest_msg_server_find_access(s, protocol);
}

bool manifest_app_may_publish(const Manifest *m, const char *instance, const char *protocol, const char *app) {
        const ManifestAccess *a = manifest_find_access(m, instance, protocol, app);

        return a && strv_contains(a->publish, app);
}

bool manifest_app_may_lookup(const Manifest *m, const char *instance, const char *protocol, const char *app) {
        const ManifestAccess *a = manifest_find_access(m, instance, protocol, app);

        return a && strv_contains(a->lookup, app);
}

const ManifestKey *manifest_find_key(const Manifest *m, const char *name) {
        for (size_t i = 0; i < m->n_keys; i++)
                if (strcmp(m->keys[i].name, name) == 0)
                        return &m->keys[i];
        return NULL;
}

typedef struct KeyTypeOperations {
        const char *type;
        const char *const all[4];
        const char *const defaults[3];
} KeyTypeOperations;

static const KeyTypeOperations key_type_operations[] = {
        { "ed25519", { "sign", "public-key", "import", NULL }, { "sign", "public-key", NULL } },
        { "x25519", { "agree", "public-key", "import", NULL }, { "agree", "public-key", NULL } },
        { "aes-256", { "wrap", "unwrap", "import", NULL }, { "wrap", "unwrap", NULL } },
};

static const KeyTypeOperations *key_type_find(const char *type) {
        for (size_t i = 0; i < ELEMENTSOF(key_type_operations); i++)
                if (strcmp(key_type_operations[i].type, type) == 0)
                        return &key_type_operations[i];
        return NULL;
}

bool manifest_key_is_imported(const ManifestKey *k) {
        return k->origin && strcmp(k->origin, "import") == 0;
}

const char *const *manifest_key_type_operations(const char *type) {
        const KeyTypeOperations *t = key_type_find(type);
        return t ? t->all : NULL;
}

const char *const *manifest_key_type_default_operations(const char *type) {
        const KeyTypeOperations *t = key_type_find(type);
        return t ? t->defaults : NULL;
}

bool manifest_app_may_use_key(const Manifest *m, const char *key, const char *app, const char *operation) {
        const ManifestKey *k = manifest_find_key(m, key);

        return k && strv_contains(k->apps, app) && strv_contains(k->operations, operation);
}

static int manifest_objects_add(char ***l, const char *digest) {
        if (digest[0] == '\0' || strv_contains(*l, digest))
                return 0;
        return strv_extend(l, digest);
}

int manifest_objects(const Manifest *m, char ***objectsp) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r = 0;

        if (!l)
                return -ENOMEM;
        if (m->boot) {
                r = manifest_objects_add(&l, m->boot->kernel);
                if (r >= 0)
                        r = manifest_objects_add(&l, m->boot->initrd);
        }
        for (size_t i = 0; r >= 0 && i < m->n_components; i++) {
                r = manifest_objects_add(&l, m->components[i].sha256);
                if (r >= 0)
                        r = manifest_objects_add(&l, m->components[i].verity_hash_tree);
        }
        for (size_t i = 0; r >= 0 && i < m->n_apps; i++)
                r = manifest_objects_add(&l, m->apps[i].image);
        if (r < 0)
                return r;
        *objectsp = steal_ptr(&l);
        return 0;
}

bool manifest_object_is_verity_image(const Manifest *m, const char *digest) {
        bool verity = false;

        if (m->boot && (strcmp(m->boot->kernel, digest) == 0 || strcmp(m->boot->initrd, digest) == 0))
                return false;
        for (size_t i = 0; i < m->n_components; i++) {
                const ManifestComponent *c = &m->components[i];

                if (strcmp(c->verity_hash_tree, digest) == 0)
                        return false;
                if (strcmp(c->sha256, digest) != 0)
                        continue;
                if (!c->verity_hash_tree[0])
                        return false;
                verity = true;
        }
        for (size_t i = 0; i < m->n_apps; i++)
                if (strcmp(m->apps[i].image, digest) == 0)
                        return false;
        return verity;
}

void manifest_error_format(const ManifestError *err, char *buf, size_t size) {
        const char *sep1 = err->node[0] ? ": " : "";
        const char *sep2 = "";

        if (err->property[0])
                sep2 = err->node[0] ? "/" : "";
        if (err->property[0])
                snprintf(buf, size, "%s%s%s: %s", err->node, sep2, err->property, err->message);
        else
                snprintf(buf, size, "%s%s%s", err->node, sep1, err->message);
}
