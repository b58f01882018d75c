/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The core services kosd runs before the apps, as rows of one table.
 *
 * A service kind is data: which program runs, which instances the manifest asks for,
 * which apps get a connection to an instance, and the arguments it starts with. kosd
 * makes one unit per instance, ahead of every app, started as
 * `PROGRAM --instance NAME --manifest-fd 4` with the control connection as fd 3 and the
 * manifest kosd validated as fd 4 (a memfd sealed against every change, so a service runs
 * on exactly those bytes, restarts included, whatever happens to the file), and for each start of an app that
 * lists an instance it hands that instance a fresh connection for the app (the handover,
 * src/ipc/handover.h). A unit of a service depends on it: when the service faults, every
 * app connected to it restarts with it. A new core service (key store, trace server,
 * device agent) is a new row here, not a new branch in kosd.
 *
 * Invariants: the table is constant; unit names of services are "<prefix><instance>",
 * and a prefix ends in ':', which no app name may contain, so the two never collide.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "manifest/manifest.h"

#define SERVICE_MANIFEST_FD_ARG "4" /* the fd after the control connection (3) */
#define SERVICE_FIRST_LINK_FD 5      /* a service's own links follow the manifest */

typedef struct ServiceKind {
        const char *program;     /* executable name, found beside kosd unless configured */
        const char *unit_prefix; /* "kos-msgd:" */
        /* The manifest's instances of this service. */
        size_t (*n_instances)(const Manifest *m);
        const char *(*instance)(const Manifest *m, size_t i);
        /* The instances app gets a connection to, in the order its fds are numbered (strv,
         * borrowed from the Manifest). */
        char *const *(*app_instances)(const ManifestApp *app);
        /* The variable naming an app's connections of this kind ("KOS_MSG_SERVERS"). */
        const char *env;
        /* The message server instances the service itself reaches (NULL: none), handed to it
         * as an app's are (KOS_MSG_SERVERS), as fds after the manifest's, under the name
         * client_name, which the manifest's access matrices know it by. */
        char *const *(*msg_servers)(const Manifest *m);
        const char *client_name;
} ServiceKind;

typedef enum ServiceKindId {
        SERVICE_MSG,      /* kos-msgd, one per msg_servers instance */
        SERVICE_KEYSTORE, /* kos-keystored, one if the manifest has keys */
        SERVICE_TRACE,    /* kos-traced, one if the manifest has a trace_server node */
        _SERVICE_KIND_MAX,
} ServiceKindId;

extern const ServiceKind service_kinds[_SERVICE_KIND_MAX];
