// SPDX-License-Identifier: Apache-2.0
/*
 * The route table (orbit.h invariant 1): every endpoint, the access it needs, the body it
 * takes. docs/orbit-api.md describes the same table; keep them together.
 *
 * Invariants: a "#" segment matches only 1 to 18 decimal digits without a leading zero
 * (an id that fits int64), "@" only 64 lowercase hex digits, "*" one or more segments of
 * [A-Za-z0-9._-] none of which is "." or ".." or starts with '.': nothing else reaches a
 * handler, so no path can name a file outside the store.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "orbit/api.h"
#include "orbit/orbit.h"
#include "orbit/ui.h"
#include "util/hex.h"

static const OrbitField fields_login[] = {
        { "email", ORBIT_FIELD_STRING, true, 254 },
        { "password", ORBIT_FIELD_STRING, true, 1024 },
        {},
};
static const OrbitField fields_token[] = {
        { "name", ORBIT_FIELD_NAME, true, 0 },
        {},
};
static const OrbitField fields_member[] = {
        { "email", ORBIT_FIELD_STRING, true, 254 },
        { "role", ORBIT_FIELD_NAME, true, 0 },
        {},
};
static const OrbitField fields_name[] = {
        { "name", ORBIT_FIELD_NAME, true, 0 },
        {},
};
static const OrbitField fields_key[] = {
        { "public_key", ORBIT_FIELD_PEM, true, 4096 },
        {},
};
static const OrbitField fields_device[] = {
        { "name", ORBIT_FIELD_NAME, true, 0 },
        { "public_key", ORBIT_FIELD_PEM, true, 4096 },
        { "deployment", ORBIT_FIELD_INTEGER, true, INT64_MAX },
        {},
};
static const OrbitField fields_move[] = {
        { "deployment", ORBIT_FIELD_INTEGER, true, INT64_MAX },
        {},
};
static const OrbitField fields_missing[] = {
        { "digests", ORBIT_FIELD_DIGEST_LIST, true, 10000 },
        {},
};
static const OrbitField fields_release[] = {
        { "manifest", ORBIT_FIELD_DIGEST, true, 0 },
        { "signatures", ORBIT_FIELD_DIGEST, true, 0 },
        {},
};
static const OrbitField fields_attach[] = {
        { "release", ORBIT_FIELD_INTEGER, true, INT64_MAX },
        { "phases", ORBIT_FIELD_STRING, false, 200 },
        { "success", ORBIT_FIELD_INTEGER, false, 100 },
        {},
};
static const OrbitField fields_enrolment_token[] = {
        { "expires_in", ORBIT_FIELD_INTEGER, false, 365 * 24 * 3600 },
        {},
};
static const OrbitField fields_enrol[] = {
        { "token", ORBIT_FIELD_DIGEST, true, 0 },
        { "name", ORBIT_FIELD_NAME, true, 0 },
        { "public_key", ORBIT_FIELD_PEM, true, 4096 },
        { "proof", ORBIT_FIELD_STRING, true, 128 },
        {},
};
static const OrbitField fields_device_manifest[] = {
        { "dtb", ORBIT_FIELD_STRING, true, ORBIT_DEVICE_MANIFEST_BASE64_MAX },
        {},
};
static const OrbitField fields_command[] = {
        { "command", ORBIT_FIELD_NAME, true, 0 },
        { "app", ORBIT_FIELD_NAME, true, 0 },
        {},
};
static const OrbitField fields_command_result[] = {
        { "state", ORBIT_FIELD_NAME, true, 0 },
        { "reason", ORBIT_FIELD_STRING, false, 512 },
        {},
};
static const OrbitField fields_rollout[] = {
        { "action", ORBIT_FIELD_NAME, true, 0 },
        {},
};
static const OrbitField fields_checkin[] = {
        { "manifest", ORBIT_FIELD_DIGEST, false, 0 },
        { "wait", ORBIT_FIELD_INTEGER, false, ORBIT_LONG_POLL_MAX },
        { "generations", ORBIT_FIELD_GENERATIONS, false, ORBIT_DEVICE_GENERATIONS_MAX },
        { "apps", ORBIT_FIELD_APPS, false, ORBIT_DEVICE_APPS_MAX },
        {},
};
static const OrbitField fields_progress[] = {
        { "release", ORBIT_FIELD_INTEGER, true, INT64_MAX },
        { "state", ORBIT_FIELD_NAME, true, 0 },
        { "reason", ORBIT_FIELD_STRING, false, 512 },
        {},
};

#define ORG "/api/v1/orgs/#"
static const OrbitRoute orbit_routes[] = {
        { "POST", "/api/v1/login", ORBIT_ACCESS_PUBLIC, api_login, fields_login, false, false, 0 },
        { "POST", "/api/v1/logout", ORBIT_ACCESS_SELF, api_logout, NULL, false, false, 0 },
        { "GET", "/api/v1/me", ORBIT_ACCESS_SELF, api_me, NULL, false, false, 0 },
        { "GET", "/api/v1/server", ORBIT_ACCESS_SELF, api_server, NULL, false, false, 0 },
        { "POST", "/api/v1/tokens", ORBIT_ACCESS_SELF, api_token_create, fields_token, false, false, 0 },
        { "GET", "/api/v1/tokens", ORBIT_ACCESS_SELF, api_tokens_list, NULL, false, false, 0 },
        { "DELETE", "/api/v1/tokens/#", ORBIT_ACCESS_SELF, api_token_revoke, NULL, false, false, 0 },
        { "GET", "/api/v1/orgs", ORBIT_ACCESS_SELF, api_orgs_list, NULL, false, false, 0 },
        { "GET", ORG, ORBIT_ACCESS_VIEW, api_org_get, NULL, false, false, 0 },
        { "GET", ORG "/members", ORBIT_ACCESS_VIEW, api_members_list, NULL, false, false, 0 },
        { "POST", ORG "/members", ORBIT_ACCESS_CHANGE, api_member_set, fields_member, false, false, 0 },
        { "DELETE", ORG "/members/#", ORBIT_ACCESS_CHANGE, api_member_remove, NULL, false, false, 0 },
        { "GET", ORG "/projects", ORBIT_ACCESS_VIEW, api_projects_list, NULL, false, false, 0 },
        { "POST", ORG "/projects", ORBIT_ACCESS_CHANGE, api_project_create, fields_name, false, false, 0 },
        { "GET", ORG "/projects/#", ORBIT_ACCESS_VIEW, api_project_get, NULL, false, false, 0 },
        { "GET", ORG "/projects/#/keys", ORBIT_ACCESS_VIEW, api_keys_list, NULL, false, false, 0 },
        { "POST", ORG "/projects/#/keys", ORBIT_ACCESS_CHANGE, api_key_add, fields_key, false, false, 0 },
        { "GET", ORG "/projects/#/deployments", ORBIT_ACCESS_VIEW, api_deployments_list, NULL, false, false, 0 },
        { "POST", ORG "/projects/#/deployments", ORBIT_ACCESS_CHANGE, api_deployment_create, fields_name, false, false, 0 },
        { "GET", ORG "/projects/#/releases", ORBIT_ACCESS_VIEW, api_releases_list, NULL, false, false, 0 },
        { "POST", ORG "/projects/#/releases", ORBIT_ACCESS_CHANGE, api_release_create, fields_release, false, false, 0 },
        { "GET", ORG "/deployments/#", ORBIT_ACCESS_VIEW, api_deployment_get, NULL, false, false, 0 },
        { "DELETE", ORG "/deployments/#", ORBIT_ACCESS_CHANGE, api_deployment_delete, NULL, false, false, 0 },
        { "POST", ORG "/deployments/#/attach", ORBIT_ACCESS_CHANGE, api_attach, fields_attach, false, false, 0 },
        { "POST", ORG "/deployments/#/retry", ORBIT_ACCESS_CHANGE, api_deployment_retry, NULL, false, false, 0 },
        { "POST", ORG "/deployments/#/rollout", ORBIT_ACCESS_CHANGE, api_rollout, fields_rollout, false, false, 0 },
        { "POST", ORG "/deployments/#/enrolment-tokens", ORBIT_ACCESS_CHANGE, api_enrolment_token_create,
          fields_enrolment_token, false, false, 0 },
        { "POST", ORG "/devices/#/accept", ORBIT_ACCESS_CHANGE, api_device_accept, NULL, false, false, 0 },
        { "GET", ORG "/devices", ORBIT_ACCESS_VIEW, api_devices_list, NULL, false, false, 0 },
        { "POST", ORG "/devices", ORBIT_ACCESS_CHANGE, api_device_register, fields_device, false, false, 0 },
        { "GET", ORG "/devices/#", ORBIT_ACCESS_VIEW, api_device_get, NULL, false, false, 0 },
        { "DELETE", ORG "/devices/#", ORBIT_ACCESS_CHANGE, api_device_delete, NULL, false, false, 0 },
        { "POST", ORG "/devices/#/move", ORBIT_ACCESS_CHANGE, api_device_move, fields_move, false, false, 0 },
        { "GET", ORG "/devices/#/manifest", ORBIT_ACCESS_VIEW, api_device_manifest_get, NULL, false, false, 0 },
        { "GET", ORG "/devices/#/commands", ORBIT_ACCESS_VIEW, api_commands_list, NULL, false, false, 0 },
        { "POST", ORG "/devices/#/commands", ORBIT_ACCESS_CHANGE, api_command_queue, fields_command, false, false, 0 },
        { "GET", ORG "/devices/#/traces", ORBIT_ACCESS_VIEW, api_traces_list, NULL, false, false, 0 },
        { "GET", ORG "/traces/#", ORBIT_ACCESS_VIEW, api_trace_download, NULL, false, false, 0 },
        { "GET", ORG "/traces/#/json", ORBIT_ACCESS_VIEW, api_trace_json, NULL, false, false, 0 },
        { "GET", ORG "/devices/#/reports", ORBIT_ACCESS_VIEW, api_device_reports, NULL, false, false, 0 },
        { "POST", ORG "/devices/#/retry", ORBIT_ACCESS_CHANGE, api_device_retry, NULL, false, false, 0 },
        { "GET", ORG "/releases/#", ORBIT_ACCESS_VIEW, api_release_get, NULL, false, false, 0 },
        { "DELETE", ORG "/releases/#", ORBIT_ACCESS_CHANGE, api_release_delete, NULL, false, false, 0 },
        { "GET", ORG "/releases/#/graph", ORBIT_ACCESS_VIEW, api_release_graph, NULL, false, false, 0 },
        { "GET", ORG "/releases/#/graph.svg", ORBIT_ACCESS_VIEW, orbit_ui_release_graph, NULL, false, false, 0 },
        { "POST", ORG "/objects/missing", ORBIT_ACCESS_CHANGE, api_objects_missing, fields_missing, false, false, 0 },
        { "PUT", ORG "/objects/@", ORBIT_ACCESS_CHANGE, api_object_put, NULL, true, false, 0 },
        { "GET", ORG "/audit", ORBIT_ACCESS_CHANGE, api_audit_list, NULL, false, false, 0 },
        { "POST", "/api/v1/device/enrol", ORBIT_ACCESS_PUBLIC, api_device_enrol, fields_enrol, false, false, 0 },
        { "POST", "/api/v1/device/checkin", ORBIT_ACCESS_DEVICE, api_device_checkin, fields_checkin, false, false, 0 },
        { "POST", "/api/v1/device/manifest", ORBIT_ACCESS_DEVICE, api_device_manifest_upload, fields_device_manifest,
          false, false, 0 },
        { "POST", "/api/v1/device/commands/#", ORBIT_ACCESS_DEVICE, api_device_command_result, fields_command_result,
          false, false, 0 },
        { "POST", "/api/v1/device/commands/#/trace", ORBIT_ACCESS_DEVICE, api_device_trace_upload, NULL, false, true,
          ORBIT_TRACE_MAX },
        { "POST", "/api/v1/device/progress", ORBIT_ACCESS_DEVICE, api_device_progress, fields_progress, false, false, 0 },
        { "GET", "/api/v1/device/store/*", ORBIT_ACCESS_DOWNLOAD, api_device_store, NULL, false, false, 0 },
};

static bool route_segment_is_id(const char *s, size_t n) {
        if (n == 0 || n > 18 || s[0] == '0')
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

static bool route_rest_is_safe(const char *s) {
        if (!*s)
                return false;
        while (*s) {
                size_t n = strcspn(s, "/");
                if (n == 0 || s[0] == '.' ||
                    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") < n)
                        return false;
                s += n;
                if (*s == '/')
                        s++;
                else
                        break;
                if (!*s)
                        return false; /* a trailing slash */
        }
        return true;
}

/* Matches path against pattern, filling req's ids, digest and rest on success. */
static bool route_match(const char *pattern, const char *path, OrbitRequest *req) {
        const char *p = pattern, *s = path;

        req->n_ids = 0;
        while (*p) {
                size_t pn = strcspn(p, "/"), sn;
                if (*p != '/' || *s != '/')
                        return false;
                p++, s++;
                pn = strcspn(p, "/");
                sn = strcspn(s, "/");
                if (pn == 1 && *p == '#') {
                        if (!route_segment_is_id(s, sn) || req->n_ids == ORBIT_MAX_IDS)
                                return false;
                        req->ids[req->n_ids++] = strtoll(s, NULL, 10);
                } else if (pn == 1 && *p == '@') {
                        if (sn != 64)
                                return false;
                        memcpy(req->digest, s, 64);
                        req->digest[64] = '\0';
                        if (!hex_is_sha256(req->digest))
                                return false;
                } else if (pn == 1 && *p == '*') {
                        if (!route_rest_is_safe(s))
                                return false;
                        req->rest = s;
                        return true;
                } else if (pn != sn || strncmp(p, s, pn) != 0)
                        return false;
                p += pn;
                s += sn;
        }
        return *s == '\0';
}

const OrbitRoute *orbit_route_find(OrbitRequest *req, bool *path_knownp) {
        *path_knownp = false;
        for (size_t i = 0; i < ELEMENTSOF(orbit_routes); i++) {
                if (!route_match(orbit_routes[i].pattern, req->path, req))
                        continue;
                if (strcmp(orbit_routes[i].method, req->method) == 0)
                        return &orbit_routes[i];
                *path_knownp = true;
        }
        return NULL;
}

int orbit_audit(Orbit *o, OrbitRequest *req, int64_t org_id, const char *action, const char *fmt, ...) {
        char detail[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        return orbit_db_query(o->db, NULL, "INSERT INTO audit (org_id, user_id, action, detail, at) VALUES (?, ?, ?, ?, ?)",
                              ID(org_id), req && req->who.kind == ORBIT_PRINCIPAL_USER ? ID(req->who.user_id) : NULL,
                              action, detail, ID(orbit_now()));
}

json_t *orbit_row_json(const OrbitDbResult *r, size_t row, const char *const *names, const char *types) {
        json_t *obj = json_object();

        for (size_t c = 0; obj && c < r->n_columns && types[c]; c++) {
                const char *cell = orbit_db_cell(r, row, c);
                json_t *v;
                if (types[c] == '-')
                        continue;
                if (!cell)
                        v = json_null();
                else if (types[c] == 'i')
                        v = json_integer(strtoll(cell, NULL, 10));
                else if (types[c] == 'b')
                        v = json_boolean(strtoll(cell, NULL, 10) != 0);
                else
                        v = json_string(cell);
                json_object_set_new(obj, names[c], v);
        }
        return obj;
}

json_t *orbit_rows_json(const OrbitDbResult *r, const char *const *names, const char *types) {
        json_t *array = json_array();

        for (size_t i = 0; array && i < r->n_rows; i++)
                json_array_append_new(array, orbit_row_json(r, i, names, types));
        return array;
}
