// SPDX-License-Identifier: Apache-2.0
/*
 * API handlers: sign-in, tokens, organisations, members, projects, keys, deployments,
 * devices, the audit log. Each runs with the database locked (http.c), after
 * orbit_authorize(); each selects by req->org_id (orbit.h invariant 2).
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/key.h"
#include "orbit/api.h"
#include "orbit/auth.h"
#include "orbit/rollout.h"
#include "util/hex.h"

static const char *body_string(OrbitRequest *req, const char *name) {
        return json_string_value(json_object_get(req->body, name));
}

static int64_t body_int(OrbitRequest *req, const char *name) {
        return json_integer_value(json_object_get(req->body, name));
}

/* A transaction around a handler's changes: begin, then finish with commit or rollback. */
static int tx_finish(Orbit *o, OrbitRequest *req, int r, const char *what) {
        if (r >= 0 && (r = orbit_db_commit(o->db)) >= 0)
                return 0;
        (void)orbit_db_rollback(o->db);
        if (!req->answer || req->status < 400)
                orbit_fail_db(o, req, r, what);
        return r;
}

int api_login(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        char token[ORBIT_TOKEN_HEX + 1];
        int64_t expires = orbit_now() + ORBIT_SESSION_SECONDS;
        int q;

        q = orbit_db_query(o->db, &r, "SELECT id, password FROM users WHERE email = ?", body_string(req, "email"));
        if (q < 0)
                return orbit_fail_db(o, req, q, "login");
        if (r.n_rows == 0 || !orbit_password_verify(orbit_db_cell(&r, 0, 1), body_string(req, "password")))
                return orbit_fail(req, 401, "wrong email or password");
        q = orbit_token_create(o->db, orbit_db_cell_int(&r, 0, 0), "session", expires, token);
        if (q < 0)
                return orbit_fail_db(o, req, q, "login");
        orbit_answer(req, 200, json_pack("{s:s,s:I,s:I}", "token", token, "expires", (json_int_t)expires, "user",
                                         (json_int_t)orbit_db_cell_int(&r, 0, 0)));
        OPENSSL_cleanse(token, sizeof(token));
        return 0;
}

int api_logout(Orbit *o, OrbitRequest *req) {
        int q = orbit_db_query(o->db, NULL, "UPDATE tokens SET revoked = 1 WHERE id = ? AND user_id = ?",
                               ID(req->who.token_id), ID(req->who.user_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "logout");
        return orbit_answer(req, 200, json_pack("{s:b}", "revoked", 1));
}

int api_token_create(Orbit *o, OrbitRequest *req) {
        char token[ORBIT_TOKEN_HEX + 1];
        int q = orbit_token_create(o->db, req->who.user_id, body_string(req, "name"), 0, token);

        if (q < 0)
                return orbit_fail_db(o, req, q, "token");
        orbit_answer(req, 201, json_pack("{s:s,s:s}", "token", token, "name", body_string(req, "name")));
        OPENSSL_cleanse(token, sizeof(token));
        return 0;
}

int api_server(Orbit *o, OrbitRequest *req) {
        return orbit_answer(req, 200, json_pack("{s:s,s:I,s:I}", "database", orbit_db_backend_name(o->db), "schema",
                                                (json_int_t)orbit_db_schema_version(o->db), "long_polls",
                                                (json_int_t)orbit_waiters_count(o->waiters)));
}

static const char *const org_names[] = { "id", "name", "role" };

int api_me(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult u = { 0 }, r = { 0 };
        int q;

        q = orbit_db_query(o->db, &u, "SELECT id, email FROM users WHERE id = ?", ID(req->who.user_id));
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "SELECT o.id, o.name, m.role FROM orgs o JOIN members m ON m.org_id = o.id"
                                   " WHERE m.user_id = ? ORDER BY o.id", ID(req->who.user_id));
        if (q < 0 || u.n_rows == 0)
                return orbit_fail_db(o, req, q, "me");
        return orbit_answer(req, 200, json_pack("{s:I,s:s,s:o}", "id", (json_int_t)orbit_db_cell_int(&u, 0, 0),
                                                "email", orbit_db_cell(&u, 0, 1), "orgs",
                                                orbit_rows_json(&r, org_names, "iss")));
}

int api_orgs_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r,
                               "SELECT o.id, o.name, m.role FROM orgs o JOIN members m ON m.org_id = o.id"
                               " WHERE m.user_id = ? ORDER BY o.id", ID(req->who.user_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "orgs");
        return orbit_answer(req, 200, json_pack("{s:o}", "orgs", orbit_rows_json(&r, org_names, "iss")));
}

int api_org_get(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r,
                               "SELECT o.id, o.name, m.role FROM orgs o JOIN members m ON m.org_id = o.id"
                               " WHERE o.id = ? AND m.user_id = ?", ID(req->org_id), ID(req->who.user_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "org");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such organisation");
        return orbit_answer(req, 200, orbit_row_json(&r, 0, org_names, "iss"));
}

static const char *const member_names[] = { "user", "email", "role" };

int api_members_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r,
                               "SELECT u.id, u.email, m.role FROM members m JOIN users u ON u.id = m.user_id"
                               " WHERE m.org_id = ? ORDER BY u.id", ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "members");
        return orbit_answer(req, 200, json_pack("{s:o}", "members", orbit_rows_json(&r, member_names, "iss")));
}

int api_member_set(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult u = { 0 };
        const char *role = body_string(req, "role"), *email = body_string(req, "email");
        int q;

        if (strcmp(role, "owner") != 0 && strcmp(role, "user") != 0)
                return orbit_fail(req, 400, "field \"role\" must be \"owner\" or \"user\"");
        q = orbit_db_query(o->db, &u, "SELECT id FROM users WHERE email = ?", email);
        if (q < 0)
                return orbit_fail_db(o, req, q, "member");
        if (u.n_rows == 0)
                return orbit_fail(req, 404, "no such user");
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM members WHERE org_id = ? AND user_id = ?", ID(req->org_id),
                                   orbit_db_cell(&u, 0, 0));
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "INSERT INTO members (org_id, user_id, role) VALUES (?, ?, ?)",
                                   ID(req->org_id), orbit_db_cell(&u, 0, 0), role);
        if (q >= 0 && strcmp(role, "owner") != 0) { /* an organisation keeps an owner */
                _cleanup_db_result_ OrbitDbResult owners = { 0 };
                q = orbit_db_query(o->db, &owners, "SELECT COUNT(*) FROM members WHERE org_id = ? AND role = 'owner'",
                                   ID(req->org_id));
                if (q >= 0 && orbit_db_cell_int(&owners, 0, 0) == 0) {
                        (void)orbit_db_rollback(o->db);
                        return orbit_fail(req, 409, "the last owner of an organisation cannot be made a user");
                }
        }
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "member.set", "user %s role %s", orbit_db_cell(&u, 0, 0), role);
        if (tx_finish(o, req, q, "member") < 0)
                return 0;
        return orbit_answer(req, 200, json_pack("{s:I,s:s,s:s}", "user", (json_int_t)orbit_db_cell_int(&u, 0, 0),
                                                "email", email, "role", role));
}

static const char *const project_names[] = { "id", "name", "created" };

int api_projects_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r, "SELECT id, name, created FROM projects WHERE org_id = ? ORDER BY id",
                               ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "projects");
        return orbit_answer(req, 200, json_pack("{s:o}", "projects", orbit_rows_json(&r, project_names, "isi")));
}

int api_project_create(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_begin(o->db);

        if (q >= 0)
                q = orbit_db_query(o->db, &r, "INSERT INTO projects (org_id, name, created) VALUES (?, ?, ?) RETURNING id",
                                   ID(req->org_id), body_string(req, "name"), ID(orbit_now()));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "project.create", "project %s \"%s\"", orbit_db_cell(&r, 0, 0),
                                body_string(req, "name"));
        if (tx_finish(o, req, q, "project") < 0)
                return 0;
        return orbit_answer(req, 201, json_pack("{s:I,s:s}", "id", (json_int_t)orbit_db_cell_int(&r, 0, 0), "name",
                                                body_string(req, "name")));
}

/* The project ids[1] of the authorized organisation, or a 404 answer (returns false). */
bool orbit_project_exists(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r, "SELECT id FROM projects WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                               ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "project"), false;
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such project"), false;
        return true;
}

int api_project_get(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r, "SELECT id, name, created FROM projects WHERE id = ? AND org_id = ?",
                               ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "project");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such project");
        return orbit_answer(req, 200, orbit_row_json(&r, 0, project_names, "isi"));
}

static const char *const key_names[] = { "key_id", "public_key" };

int api_keys_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        if (!orbit_project_exists(o, req))
                return 0;
        q = orbit_db_query(o->db, &r, "SELECT key_id, public_key FROM project_keys WHERE project_id = ? ORDER BY id",
                           ID(req->ids[1]));
        if (q < 0)
                return orbit_fail_db(o, req, q, "keys");
        return orbit_answer(req, 200, json_pack("{s:o}", "keys", orbit_rows_json(&r, key_names, "ss")));
}

/* The key id of a PEM public key, or -EBADMSG. */
static int pem_key_id(const char *pem, char hex[65]) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        Sha256Digest id;
        BIO *bio = BIO_new_mem_buf(pem, -1);

        if (!bio)
                return -ENOMEM;
        key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 || key_id(key, &id) < 0)
                return -EBADMSG;
        sha256_to_hex(&id, hex);
        return 0;
}

int api_key_add(Orbit *o, OrbitRequest *req) {
        const char *pem = body_string(req, "public_key");
        char id[65];
        int q;

        if (!orbit_project_exists(o, req))
                return 0;
        if (pem_key_id(pem, id) < 0)
                return orbit_fail(req, 400, "field \"public_key\" is not an Ed25519 public key in PEM");
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "INSERT INTO project_keys (project_id, key_id, public_key) VALUES (?, ?, ?)",
                                   ID(req->ids[1]), id, pem);
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "key.add", "project %s key %s", ID(req->ids[1]), id);
        if (tx_finish(o, req, q, "key") < 0)
                return 0;
        return orbit_answer(req, 201, json_pack("{s:s}", "key_id", id));
}

static const char *const deployment_names[] = { "id", "project", "name", "target" };

int api_deployments_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        if (!orbit_project_exists(o, req))
                return 0;
        q = orbit_db_query(o->db, &r,
                           "SELECT id, project_id, name, target FROM deployments WHERE project_id = ? AND org_id = ?"
                           " ORDER BY id", ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "deployments");
        return orbit_answer(req, 200, json_pack("{s:o}", "deployments", orbit_rows_json(&r, deployment_names, "iisi")));
}

int api_deployment_create(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        if (!orbit_project_exists(o, req))
                return 0;
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "INSERT INTO deployments (org_id, project_id, name, created) VALUES (?, ?, ?, ?)"
                                   " RETURNING id", ID(req->org_id), ID(req->ids[1]), body_string(req, "name"),
                                   ID(orbit_now()));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "deployment.create", "deployment %s \"%s\" in project %s",
                                orbit_db_cell(&r, 0, 0), body_string(req, "name"), ID(req->ids[1]));
        if (tx_finish(o, req, q, "deployment") < 0)
                return 0;
        return orbit_answer(req, 201, json_pack("{s:I,s:I,s:s}", "id", (json_int_t)orbit_db_cell_int(&r, 0, 0), "project",
                                                (json_int_t)req->ids[1], "name", body_string(req, "name")));
}

static const char *const device_names[] = { "id",      "deployment", "name",   "key_id",      "manifest", "last_seen",
                                            "release", "state",      "reason", "accepted", "generations", "apps" };
#define DEVICE_TYPES "iisssiissbss"
#define DEVICE_COLUMNS                                                                                           \
        "SELECT d.id, d.deployment_id, d.name, d.key_id, d.manifest, d.last_seen, p.release_id, p.state, p.reason," \
        " d.accepted, d.generations, d.apps"                                                                      \
        " FROM devices d JOIN deployments e ON e.id = d.deployment_id"                                            \
        " LEFT JOIN progress p ON p.device_id = d.id AND p.release_id = e.target"

/*
 * Row i of a DEVICE_COLUMNS result as JSON: "generations" and "apps" as the arrays the
 * device last reported (empty before its first report), and "online" if its last signed
 * request is at most ORBIT_ONLINE_SECONDS old.
 */
static json_t *device_json(const OrbitDbResult *r, size_t i, int64_t now) {
        json_t *device = orbit_row_json(r, i, device_names, DEVICE_TYPES);
        int64_t seen = orbit_db_cell_int(r, i, 5);

        if (!device)
                return NULL;
        for (size_t c = 10; c <= 11; c++) {
                const char *text = orbit_db_cell(r, i, c);
                json_t *array = text ? json_loads(text, 0, NULL) : NULL;
                json_object_set_new(device, device_names[c], json_is_array(array) ? array : json_array());
                if (array && !json_is_array(array))
                        json_decref(array);
        }
        json_object_set_new(device, "online", json_boolean(seen > 0 && now - seen <= ORBIT_ONLINE_SECONDS));
        return device;
}

static json_t *devices_json(const OrbitDbResult *r) {
        json_t *array = json_array();
        int64_t now = orbit_now();

        for (size_t i = 0; array && i < r->n_rows; i++)
                json_array_append_new(array, device_json(r, i, now));
        return array;
}

int api_deployment_get(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 }, d = { 0 };
        json_t *answer;
        int q;

        q = orbit_db_query(o->db, &r,
                           "SELECT id, project_id, name, target, rollout_phases, rollout_phase, rollout_state"
                           " FROM deployments WHERE id = ? AND org_id = ?", ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "deployment");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such deployment");
        q = orbit_db_query(o->db, &d, DEVICE_COLUMNS " WHERE d.deployment_id = ? AND d.org_id = ? ORDER BY d.id",
                           ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "deployment");
        answer = orbit_row_json(&r, 0, deployment_names, "iisi");
        if (orbit_db_cell(&r, 0, 4)) {
                json_t *per_phase = NULL;
                q = rollout_phases_json(o, req->ids[1], &per_phase);
                if (q < 0) {
                        json_decref(answer);
                        return orbit_fail_db(o, req, q, "rollout");
                }
                json_object_set_new(answer, "rollout",
                                    json_pack("{s:s,s:I,s:s,s:o}", "phases", orbit_db_cell(&r, 0, 4), "phase",
                                              (json_int_t)orbit_db_cell_int(&r, 0, 5), "state", orbit_db_cell(&r, 0, 6),
                                              "per_phase", per_phase ? per_phase : json_array()));
        }
        json_object_set_new(answer, "devices", devices_json(&d));
        return orbit_answer(req, 200, answer);
}

int api_devices_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r, DEVICE_COLUMNS " WHERE d.org_id = ? ORDER BY d.id", ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "devices");
        return orbit_answer(req, 200, json_pack("{s:o}", "devices", devices_json(&r)));
}

int api_device_get(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r, DEVICE_COLUMNS " WHERE d.id = ? AND d.org_id = ?", ID(req->ids[1]),
                               ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "device");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such device");
        return orbit_answer(req, 200, device_json(&r, 0, orbit_now()));
}

/* The deployment body field names, in the authorized organisation, or a 404 answer. */
static bool deployment_in_org(Orbit *o, OrbitRequest *req, int64_t deployment) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r, "SELECT id FROM deployments WHERE id = ? AND org_id = ?", ID(deployment),
                               ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "deployment"), false;
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such deployment"), false;
        return true;
}

int api_device_register(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int64_t deployment = body_int(req, "deployment");
        const char *pem = body_string(req, "public_key");
        char id[65];
        int q;

        if (!deployment_in_org(o, req, deployment))
                return 0;
        if (pem_key_id(pem, id) < 0)
                return orbit_fail(req, 400, "field \"public_key\" is not an Ed25519 public key in PEM");
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "INSERT INTO devices (org_id, deployment_id, name, key_id, public_key, created)"
                                   " VALUES (?, ?, ?, ?, ?, ?) RETURNING id", ID(req->org_id), ID(deployment),
                                   body_string(req, "name"), id, pem, ID(orbit_now()));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "device.register", "device %s key %s into deployment %s",
                                orbit_db_cell(&r, 0, 0), id, ID(deployment));
        if (tx_finish(o, req, q, "device") < 0)
                return 0;
        return orbit_answer(req, 201, json_pack("{s:I,s:s,s:I}", "id", (json_int_t)orbit_db_cell_int(&r, 0, 0), "key_id",
                                                id, "deployment", (json_int_t)deployment));
}

int api_device_move(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int64_t deployment = body_int(req, "deployment");
        int q;

        if (!deployment_in_org(o, req, deployment))
                return 0;
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r, "UPDATE devices SET deployment_id = ? WHERE id = ? AND org_id = ?",
                                   ID(deployment), ID(req->ids[1]), ID(req->org_id));
        if (q >= 0 && r.changes == 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail(req, 404, "no such device");
        }
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "device.move", "device %s to deployment %s", ID(req->ids[1]),
                                ID(deployment));
        if (tx_finish(o, req, q, "device") < 0)
                return 0;
        orbit_waiters_wake(o->waiters, deployment);
        return orbit_answer(req, 200, json_pack("{s:I,s:I}", "id", (json_int_t)req->ids[1], "deployment",
                                                (json_int_t)deployment));
}

int api_device_retry(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r, "SELECT deployment_id FROM devices WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                               ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "device");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such device");
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM progress WHERE device_id = ? AND state = 'failed'",
                                   ID(req->ids[1]));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "device.retry", "device %s", ID(req->ids[1]));
        if (tx_finish(o, req, q, "device") < 0)
                return 0;
        orbit_waiters_wake(o->waiters, orbit_db_cell_int(&r, 0, 0));
        return orbit_answer(req, 200, json_pack("{s:I}", "id", (json_int_t)req->ids[1]));
}

int api_deployment_retry(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        uint64_t retried;
        int q;

        if (!deployment_in_org(o, req, req->ids[1]))
                return 0;
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "DELETE FROM progress WHERE state = 'failed' AND device_id IN"
                                   " (SELECT id FROM devices WHERE deployment_id = ? AND org_id = ?)",
                                   ID(req->ids[1]), ID(req->org_id));
        retried = r.changes;
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "deployment.retry", "failed devices of deployment %s retried: %" PRIu64,
                                ID(req->ids[1]), retried);
        if (tx_finish(o, req, q, "deployment") < 0)
                return 0;
        orbit_waiters_wake(o->waiters, req->ids[1]);
        return orbit_answer(req, 200, json_pack("{s:I,s:I}", "deployment", (json_int_t)req->ids[1], "retried",
                                                (json_int_t)retried));
}

static const char *const report_names[] = { "id", "release", "state", "reason", "at" };

int api_device_reports(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult d = { 0 }, r = { 0 };
        int q = orbit_db_query(o->db, &d, "SELECT id FROM devices WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                               ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "device");
        if (d.n_rows == 0)
                return orbit_fail(req, 404, "no such device");
        q = orbit_db_query(o->db, &r,
                           "SELECT id, release_id, state, reason, at FROM reports WHERE device_id = ? ORDER BY id",
                           ID(req->ids[1]));
        if (q < 0)
                return orbit_fail_db(o, req, q, "reports");
        return orbit_answer(req, 200, json_pack("{s:o}", "reports", orbit_rows_json(&r, report_names, "iissi")));
}

static const char *const audit_names[] = { "id", "user", "action", "detail", "at" };

int api_audit_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_query(o->db, &r,
                               "SELECT id, user_id, action, detail, at FROM audit WHERE org_id = ? ORDER BY id DESC LIMIT 1000",
                               ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "audit");
        return orbit_answer(req, 200, json_pack("{s:o}", "audit", orbit_rows_json(&r, audit_names, "iissi")));
}

static const char *const token_names[] = { "id", "name", "created", "expires", "revoked" };

int api_tokens_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        json_t *tokens;
        size_t i;
        int q;

        q = orbit_db_query(o->db, &r,
                           "SELECT id, name, created, expires, revoked FROM tokens WHERE user_id = ? ORDER BY id",
                           ID(req->who.user_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "tokens");
        tokens = orbit_rows_json(&r, token_names, "isiib");
        for (i = 0; tokens && i < r.n_rows; i++)
                json_object_set_new(json_array_get(tokens, i), "current",
                                    json_boolean(orbit_db_cell_int(&r, i, 0) == req->who.token_id));
        return orbit_answer(req, 200, json_pack("{s:o}", "tokens", tokens));
}

int api_token_revoke(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        /* another user's token is not found: a user manages only their own */
        q = orbit_db_query(o->db, &r, "UPDATE tokens SET revoked = 1 WHERE id = ? AND user_id = ?", ID(req->ids[0]),
                           ID(req->who.user_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "token");
        if (r.changes == 0)
                return orbit_fail(req, 404, "no such token");
        return orbit_answer(req, 200, json_pack("{s:I,s:b}", "id", (json_int_t)req->ids[0], "revoked", 1));
}

int api_member_remove(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 }, owners = { 0 };
        int q;

        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r, "SELECT role FROM members WHERE org_id = ? AND user_id = ?",
                                   ID(req->org_id), ID(req->ids[1]));
        if (q >= 0 && r.n_rows == 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail(req, 404, "no such member");
        }
        if (q >= 0 && strcmp(orbit_db_cell(&r, 0, 0), "owner") == 0) {
                q = orbit_db_query(o->db, &owners, "SELECT COUNT(*) FROM members WHERE org_id = ? AND role = 'owner'",
                                   ID(req->org_id));
                if (q >= 0 && orbit_db_cell_int(&owners, 0, 0) <= 1) {
                        (void)orbit_db_rollback(o->db);
                        return orbit_fail(req, 409, "the last owner of an organisation cannot be removed");
                }
        }
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM members WHERE org_id = ? AND user_id = ?", ID(req->org_id),
                                   ID(req->ids[1]));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "member.remove", "user %s", ID(req->ids[1]));
        if (tx_finish(o, req, q, "member") < 0)
                return 0;
        return orbit_answer(req, 200, json_pack("{s:I,s:b}", "user", (json_int_t)req->ids[1], "removed", 1));
}

int api_deployment_delete(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "SELECT (SELECT COUNT(*) FROM devices WHERE deployment_id = e.id) FROM deployments e"
                                   " WHERE e.id = ? AND e.org_id = ?", ID(req->ids[1]), ID(req->org_id));
        if (q >= 0 && r.n_rows == 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail(req, 404, "no such deployment");
        }
        if (q >= 0 && orbit_db_cell_int(&r, 0, 0) > 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail(req, 409, "the deployment still has %" PRId64 " device%s: move or delete %s first",
                                  orbit_db_cell_int(&r, 0, 0), orbit_db_cell_int(&r, 0, 0) == 1 ? "" : "s",
                                  orbit_db_cell_int(&r, 0, 0) == 1 ? "it" : "them");
        }
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM enrolment_tokens WHERE deployment_id = ?", ID(req->ids[1]));
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM deployments WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                                   ID(req->org_id));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "deployment.delete", "deployment %s", ID(req->ids[1]));
        if (tx_finish(o, req, q, "deployment") < 0)
                return 0;
        return orbit_answer(req, 200, json_pack("{s:I,s:b}", "id", (json_int_t)req->ids[1], "deleted", 1));
}

/* What a device owns besides its row, deleted with it (its traces' bytes stay in the
 * store, shared by digest). */
static const char *const device_delete_sql[] = {
        "DELETE FROM device_nonces WHERE device_id = ?",
        "DELETE FROM progress WHERE device_id = ?",
        "DELETE FROM reports WHERE device_id = ?",
        "DELETE FROM traces WHERE device_id = ?",
        "DELETE FROM commands WHERE device_id = ?",
        "DELETE FROM devices WHERE id = ?",
};

int api_device_delete(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r, "SELECT deployment_id, name FROM devices WHERE id = ? AND org_id = ?",
                                   ID(req->ids[1]), ID(req->org_id));
        if (q >= 0 && r.n_rows == 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail(req, 404, "no such device");
        }
        for (size_t i = 0; q >= 0 && i < ELEMENTSOF(device_delete_sql); i++)
                q = orbit_db_query(o->db, NULL, device_delete_sql[i], ID(req->ids[1]));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "device.delete", "device %s \"%s\"", ID(req->ids[1]),
                                orbit_db_cell(&r, 0, 1));
        if (tx_finish(o, req, q, "device") < 0)
                return 0;
        /* a long poll of the deleted device ends now (its check-in finds no device) */
        orbit_waiters_wake(o->waiters, orbit_db_cell_int(&r, 0, 0));
        return orbit_answer(req, 200, json_pack("{s:I,s:b}", "id", (json_int_t)req->ids[1], "deleted", 1));
}
