/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers the API handlers share: ids as text for bound parameters, rows as JSON.
 */
#pragma once

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "orbit/orbit.h"

/* An id as a bound parameter. */
typedef struct OrbitIdText {
        char s[24];
} OrbitIdText;
static inline OrbitIdText orbit_id_text(int64_t id) {
        OrbitIdText t;
        snprintf(t.s, sizeof(t.s), "%" PRId64, id);
        return t;
}
#define ID(x) (orbit_id_text(x).s)

/*
 * Row i of r as a JSON object: names[c] for column c, types[c] 'i' integer, 's' string,
 * 'b' boolean (0/1), '-' skipped. NULL cells become null.
 */
json_t *orbit_row_json(const OrbitDbResult *r, size_t row, const char *const *names, const char *types);
/* Every row, as an array of orbit_row_json(). */
json_t *orbit_rows_json(const OrbitDbResult *r, const char *const *names, const char *types);

/* True if the project ids[1] is the authorized organisation's; else answers 404. */
bool orbit_project_exists(Orbit *o, OrbitRequest *req);

/* The handlers, by file. */
int api_login(Orbit *o, OrbitRequest *req);
int api_logout(Orbit *o, OrbitRequest *req);
int api_me(Orbit *o, OrbitRequest *req);
int api_token_create(Orbit *o, OrbitRequest *req);
int api_tokens_list(Orbit *o, OrbitRequest *req);
int api_token_revoke(Orbit *o, OrbitRequest *req);
int api_member_remove(Orbit *o, OrbitRequest *req);
int api_deployment_delete(Orbit *o, OrbitRequest *req);
int api_device_delete(Orbit *o, OrbitRequest *req);
int api_release_delete(Orbit *o, OrbitRequest *req);
int api_orgs_list(Orbit *o, OrbitRequest *req);
int api_org_get(Orbit *o, OrbitRequest *req);
int api_members_list(Orbit *o, OrbitRequest *req);
int api_member_set(Orbit *o, OrbitRequest *req);
int api_projects_list(Orbit *o, OrbitRequest *req);
int api_project_create(Orbit *o, OrbitRequest *req);
int api_project_get(Orbit *o, OrbitRequest *req);
int api_keys_list(Orbit *o, OrbitRequest *req);
int api_key_add(Orbit *o, OrbitRequest *req);
int api_deployments_list(Orbit *o, OrbitRequest *req);
int api_deployment_create(Orbit *o, OrbitRequest *req);
int api_deployment_get(Orbit *o, OrbitRequest *req);
int api_devices_list(Orbit *o, OrbitRequest *req);
int api_device_register(Orbit *o, OrbitRequest *req);
int api_device_get(Orbit *o, OrbitRequest *req);
int api_device_move(Orbit *o, OrbitRequest *req);
int api_device_retry(Orbit *o, OrbitRequest *req);
int api_deployment_retry(Orbit *o, OrbitRequest *req);
int api_device_reports(Orbit *o, OrbitRequest *req);
int api_audit_list(Orbit *o, OrbitRequest *req);

int api_objects_missing(Orbit *o, OrbitRequest *req);
int api_object_put(Orbit *o, OrbitRequest *req);
int api_releases_list(Orbit *o, OrbitRequest *req);
int api_release_create(Orbit *o, OrbitRequest *req);
int api_release_get(Orbit *o, OrbitRequest *req);
int api_release_graph(Orbit *o, OrbitRequest *req);
int api_attach(Orbit *o, OrbitRequest *req);
int api_rollout(Orbit *o, OrbitRequest *req);

int api_device_checkin(Orbit *o, OrbitRequest *req);
/*
 * Wakes the long polls of deployment (db locked, after the change committed), each given
 * its device's row from one query for the whole deployment, so telling N waiting devices
 * costs one query, not N.
 */
void orbit_checkin_wake(Orbit *o, int64_t deployment);
int api_enrolment_token_create(Orbit *o, OrbitRequest *req);
int api_device_enrol(Orbit *o, OrbitRequest *req);
int api_device_accept(Orbit *o, OrbitRequest *req);
int api_device_progress(Orbit *o, OrbitRequest *req);
int api_device_manifest_upload(Orbit *o, OrbitRequest *req);
int api_commands_list(Orbit *o, OrbitRequest *req);
int api_command_queue(Orbit *o, OrbitRequest *req);
int api_traces_list(Orbit *o, OrbitRequest *req);
int api_trace_download(Orbit *o, OrbitRequest *req);
int api_trace_json(Orbit *o, OrbitRequest *req);
int api_device_command_result(Orbit *o, OrbitRequest *req);
int api_device_trace_upload(Orbit *o, OrbitRequest *req);
/* Queued commands for the device, marked delivered, as a JSON array (NULL if none). */
int orbit_commands_deliver(Orbit *o, int64_t device, json_t **commandsp);
int api_device_manifest_get(Orbit *o, OrbitRequest *req);
int api_device_store(Orbit *o, OrbitRequest *req);
