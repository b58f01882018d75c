// SPDX-License-Identifier: Apache-2.0
/*
 * The service table (see service.h).
 * Invariant: each row's functions only read the Manifest; none allocates.
 */
#include "supervisor/service.h"

static size_t msg_n_instances(const Manifest *m) {
        return m->n_msg_servers;
}

static const char *msg_instance(const Manifest *m, size_t i) {
        return m->msg_servers[i].name;
}

static char *const *msg_app_instances(const ManifestApp *app) {
        return app->msg_servers;
}

static size_t keystore_n_instances(const Manifest *m) {
        return m->n_keys > 0 ? 1 : 0;
}

static const char *keystore_instance(const Manifest *m, size_t i) {
        return MANIFEST_KEY_STORE_SERVICE;
}

static char *const *keystore_app_instances(const ManifestApp *app) {
        return app->key_store;
}

static size_t trace_n_instances(const Manifest *m) {
        return m->trace_server ? 1 : 0;
}

static const char *trace_instance(const Manifest *m, size_t i) {
        return "trace";
}

/* Apps reach the trace server through the message servers, never directly. */
static char *const *trace_app_instances(const ManifestApp *app) {
        static char *const none[] = { NULL };
        return none;
}

static char *const *trace_msg_servers(const Manifest *m) {
        return m->trace_server->msg_servers;
}

const ServiceKind service_kinds[_SERVICE_KIND_MAX] = {
        [SERVICE_MSG] = {
                .program = "kos-msgd",
                .unit_prefix = "kos-msgd:",
                .n_instances = msg_n_instances,
                .instance = msg_instance,
                .app_instances = msg_app_instances,
                .env = "KOS_MSG_SERVERS",
        },
        [SERVICE_KEYSTORE] = {
                .program = "kos-keystored",
                .unit_prefix = "kos-keystored:",
                .n_instances = keystore_n_instances,
                .instance = keystore_instance,
                .app_instances = keystore_app_instances,
                .env = "KOS_KEYSTORE",
        },
        [SERVICE_TRACE] = {
                .program = "kos-traced",
                .unit_prefix = "kos-traced:",
                .n_instances = trace_n_instances,
                .instance = trace_instance,
                .app_instances = trace_app_instances,
                .msg_servers = trace_msg_servers,
                .client_name = MANIFEST_TRACE_SERVER_NAME,
        },
};
