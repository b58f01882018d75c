// SPDX-License-Identifier: Apache-2.0
/*
 * API handlers: release objects, releases, attach.
 *
 * Invariants:
 *  1. An organisation has an object only after it uploaded those bytes itself and they
 *     hashed to the name (objects table); another organisation's upload of the same bytes
 *     does not count, so "missing" answers reveal nothing about other organisations.
 *  2. A release exists only if its signature file verifies the manifest with one of the
 *     project's trusted keys, the manifest parses and validates, and every object it
 *     references is the organisation's and is in the store with matching bytes.
 *  3. Attach changes the deployment's target and wakes its long-polling devices only after
 *     the change committed.
 */
#include <errno.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/key.h"
#include "crypto/signature.h"
#include "manifest/manifest.h"
#include "manifest/render.h"
#include "orbit/api.h"
#include "orbit/rollout.h"
#include "store/store.h"
#include "util/strv.h"

int api_objects_missing(Orbit *o, OrbitRequest *req) {
        json_t *digests = json_object_get(req->body, "digests"), *missing = json_array(), *item;
        size_t i;

        json_array_foreach(digests, i, item) {
                _cleanup_db_result_ OrbitDbResult r = { 0 };
                const char *d = json_string_value(item);
                int q = orbit_db_query(o->db, &r, "SELECT size FROM objects WHERE org_id = ? AND digest = ?",
                                       ID(req->org_id), d);
                if (q < 0) {
                        json_decref(missing);
                        return orbit_fail_db(o, req, q, "objects");
                }
                if (r.n_rows == 0 || !store_object_exists(o->store, d))
                        json_array_append_new(missing, json_string(d));
        }
        return orbit_answer(req, 200, json_pack("{s:o}", "missing", missing));
}

int api_object_put(Orbit *o, OrbitRequest *req) {
        Sha256Digest digest;
        int q;

        q = store_object_publish(o->store, req->object_path, req->digest, &digest);
        if (q == -EBADMSG)
                return orbit_fail(req, 400, "the uploaded bytes do not hash to %s", req->digest);
        if (q < 0)
                return orbit_fail(req, 500, "cannot store object %s: %s", req->digest, strerror(-q));
        /* published: the file is gone from tmp/ */
        free(req->object_path);
        req->object_path = NULL;
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM objects WHERE org_id = ? AND digest = ?", ID(req->org_id),
                                   req->digest);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "INSERT INTO objects (org_id, digest, size) VALUES (?, ?, ?)",
                                   ID(req->org_id), req->digest, ID((int64_t)req->object_size));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "object");
        }
        return orbit_answer(req, 201, json_pack("{s:s,s:I}", "digest", req->digest, "size",
                                                (json_int_t)req->object_size));
}

static EVP_PKEY *release_key(const char *pem) {
        BIO *bio = BIO_new_mem_buf(pem, -1);
        EVP_PKEY *key;

        if (!bio)
                return NULL;
        key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
        return key;
}

static bool release_object_is_orgs(Orbit *o, OrbitRequest *req, const char *digest) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };

        if (orbit_db_query(o->db, &r, "SELECT size FROM objects WHERE org_id = ? AND digest = ?", ID(req->org_id),
                           digest) < 0)
                return false;
        return r.n_rows > 0;
}

/* invariant 2; answers and returns false if the release does not check out */
static bool release_check(Orbit *o, OrbitRequest *req, const char *manifest_hex, const char *signatures_hex,
                          Manifest **manifestp, char ***objectsp, char signed_by[65]) {
        _cleanup_db_result_ OrbitDbResult keys = { 0 };
        _cleanup_(signature_list_freep) SignatureList *sigs = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *dtb = NULL, *sigtext = NULL;
        char **objects = NULL;
        size_t dtb_size, sig_size;
        bool trusted = false, bad = false;
        ManifestError merr;
        char why[300];
        int q;

        if (!release_object_is_orgs(o, req, manifest_hex) ||
            store_object_read(o->store, manifest_hex, MANIFEST_MAX_SIZE, &dtb, &dtb_size) != 0)
                return orbit_fail(req, 400, "manifest %s was not uploaded", manifest_hex), false;
        if (!release_object_is_orgs(o, req, signatures_hex) ||
            store_object_read(o->store, signatures_hex, SIGNATURE_FILE_MAX, &sigtext, &sig_size) != 0)
                return orbit_fail(req, 400, "signature file %s was not uploaded", signatures_hex), false;
        if (signature_list_parse(&sigs, sigtext, sig_size, NULL) < 0)
                return orbit_fail(req, 400, "signature file %s is malformed", signatures_hex), false;
        q = orbit_db_query(o->db, &keys, "SELECT key_id, public_key FROM project_keys WHERE project_id = ?",
                           ID(req->ids[1]));
        if (q < 0)
                return orbit_fail_db(o, req, q, "keys"), false;
        for (size_t i = 0; i < sigs->n_items; i++) {
                char id[65];
                sha256_to_hex(&sigs->items[i].key_id, id);
                for (size_t k = 0; k < keys.n_rows; k++) {
                        if (strcmp(orbit_db_cell(&keys, k, 0), id) != 0)
                                continue;
                        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = release_key(orbit_db_cell(&keys, k, 1));
                        if (key && key_verify(key, dtb, dtb_size, sigs->items[i].bytes)) {
                                if (!trusted)
                                        memcpy(signed_by, id, 65);
                                trusted = true;
                        } else
                                bad = true;
                }
        }
        if (bad)
                return orbit_fail(req, 400, "refusing release: bad signature by a trusted key of the project"), false;
        if (!trusted)
                return orbit_fail(req, 400, "refusing release: no signature by a trusted key of the project"), false;
        if (manifest_parse(&m, dtb, dtb_size, &merr) < 0) {
                manifest_error_format(&merr, why, sizeof(why));
                return orbit_fail(req, 400, "refusing release: invalid manifest: %s", why), false;
        }
        if (manifest_objects(m, &objects) < 0)
                return orbit_fail(req, 500, "out of memory"), false;
        for (char **d = objects; *d; d++) {
                if (!release_object_is_orgs(o, req, *d)) {
                        orbit_fail(req, 400, "refusing release: object %s is missing", *d);
                        strv_free(objects);
                        return false;
                }
                if (store_object_verify(o->store, *d, NULL) != STORE_OK) {
                        orbit_fail(req, 400, "refusing release: object %s does not match its digest", *d);
                        strv_free(objects);
                        return false;
                }
        }
        *manifestp = steal_ptr(&m);
        *objectsp = objects;
        return true;
}

static const char *const release_names[] = { "id", "project", "manifest", "signatures", "version", "description",
                                             "created", "signed_by" };
#define RELEASE_TYPES "iissisis"

int api_releases_list(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        if (!orbit_project_exists(o, req))
                return 0;
        q = orbit_db_query(o->db, &r,
                           "SELECT id, project_id, manifest, signatures, version, description, created, signed_by FROM releases"
                           " WHERE project_id = ? AND org_id = ? ORDER BY id", ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "releases");
        return orbit_answer(req, 200, json_pack("{s:o}", "releases", orbit_rows_json(&r, release_names, RELEASE_TYPES)));
}

int api_release_create(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult p = { 0 }, r = { 0 };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        const char *manifest = json_string_value(json_object_get(req->body, "manifest"));
        const char *signatures = json_string_value(json_object_get(req->body, "signatures"));
        char **objects = NULL, signed_by[65] = "";
        int q;

        q = orbit_db_query(o->db, &p, "SELECT id FROM projects WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                           ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "project");
        if (p.n_rows == 0)
                return orbit_fail(req, 404, "no such project");
        if (!release_check(o, req, manifest, signatures, &m, &objects, signed_by))
                return 0;
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "INSERT INTO releases (org_id, project_id, manifest, signatures, version, description,"
                                   " created, signed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", ID(req->org_id),
                                   ID(req->ids[1]), manifest, signatures, ID(m->version), m->description,
                                   ID(orbit_now()), signed_by);
        for (char **d = objects; q >= 0 && *d; d++)
                q = orbit_db_query(o->db, NULL, "INSERT INTO release_objects (release_id, digest) VALUES (?, ?)",
                                   orbit_db_cell(&r, 0, 0), *d);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL,
                                   "INSERT INTO release_objects (release_id, digest) VALUES (?, ?), (?, ?)",
                                   orbit_db_cell(&r, 0, 0), manifest, orbit_db_cell(&r, 0, 0), signatures);
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "release.create", "release %s manifest %s in project %s",
                                orbit_db_cell(&r, 0, 0), manifest, ID(req->ids[1]));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        strv_free(objects);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "release");
        }
        return orbit_answer(req, 201, json_pack("{s:I,s:s,s:I,s:s}", "id", (json_int_t)orbit_db_cell_int(&r, 0, 0),
                                                "manifest", manifest, "version", (json_int_t)m->version, "signed_by",
                                                signed_by));
}

/* The release ids[1] of the organisation, its manifest loaded; or an answer and false. */
static bool release_load(Orbit *o, OrbitRequest *req, OrbitDbResult *r, Manifest **mp) {
        _cleanup_free_ char *dtb = NULL;
        size_t size;
        int q = orbit_db_query(o->db, r,
                               "SELECT id, project_id, manifest, signatures, version, description, created, signed_by FROM releases"
                               " WHERE id = ? AND org_id = ?", ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "release"), false;
        if (r->n_rows == 0)
                return orbit_fail(req, 404, "no such release"), false;
        if (store_object_read(o->store, orbit_db_cell(r, 0, 2), MANIFEST_MAX_SIZE, &dtb, &size) != 0 ||
            manifest_parse(mp, dtb, size, NULL) < 0)
                return orbit_fail(req, 500, "the release's manifest cannot be read from the store"), false;
        return true;
}

int api_release_get(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        json_t *answer, *rendered = NULL;

        if (!release_load(o, req, &r, &m))
                return 0;
        if (manifest_render_json(m, &rendered) < 0)
                return orbit_fail(req, 500, "cannot render the manifest");
        answer = orbit_row_json(&r, 0, release_names, RELEASE_TYPES);
        json_object_set_new(answer, "manifest_content", rendered);
        return orbit_answer(req, 200, answer);
}

int api_release_graph(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        char *dot = NULL;
        size_t size = 0;
        FILE *f;

        if (!release_load(o, req, &r, &m))
                return 0;
        f = open_memstream(&dot, &size);
        if (!f)
                return orbit_fail(req, 500, "out of memory");
        if (manifest_render_dot(m, f) < 0) {
                fclose(f);
                free(dot);
                return orbit_fail(req, 500, "cannot render the manifest graph");
        }
        fclose(f);
        orbit_answer(req, 200, json_pack("{s:I,s:s}", "release", (json_int_t)req->ids[1], "dot", dot));
        free(dot);
        return 0;
}

int api_attach(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult d = { 0 }, r = { 0 };
        int64_t release = json_integer_value(json_object_get(req->body, "release")), success = 100;
        const char *phases;
        RolloutPhases parsed;
        char error[160];
        int q;

        q = orbit_db_query(o->db, &d, "SELECT id, project_id FROM deployments WHERE id = ? AND org_id = ?",
                           ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "deployment");
        if (d.n_rows == 0)
                return orbit_fail(req, 404, "no such deployment");
        q = orbit_db_query(o->db, &r, "SELECT id FROM releases WHERE id = ? AND org_id = ? AND project_id = ?",
                           ID(release), ID(req->org_id), orbit_db_cell(&d, 0, 1));
        if (q < 0)
                return orbit_fail_db(o, req, q, "release");
        if (r.n_rows == 0)
                return orbit_fail(req, 404, "no such release in the deployment's project");
        phases = json_string_value(json_object_get(req->body, "phases"));
        if (phases && rollout_phases_parse(phases, &parsed, error, sizeof(error)) < 0)
                return orbit_fail(req, 400, "%s", error);
        if (json_object_get(req->body, "success"))
                success = json_integer_value(json_object_get(req->body, "success"));
        if (success < 1)
                return orbit_fail(req, 400, "field \"success\" must be between 1 and 100");
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL,
                                   "UPDATE deployments SET target = ?, rollout_phases = ?, rollout_phase = 0,"
                                   " rollout_state = 'running', rollout_success = ? WHERE id = ? AND org_id = ?",
                                   ID(release), phases, ID(success), ID(req->ids[1]), ID(req->org_id));
        /* every device of the deployment is assigned the target now, in this one transaction;
         * a device that failed this release before keeps its failure until an owner retries */
        if (q >= 0)
                q = orbit_db_query(o->db, NULL,
                                   "INSERT INTO progress (device_id, release_id, state, reason, updated)"
                                   " SELECT id, ?, 'assigned', '', ? FROM devices WHERE deployment_id = ? AND org_id = ?"
                                   " ON CONFLICT (device_id, release_id) DO NOTHING",
                                   ID(release), ID(orbit_now()), ID(req->ids[1]), ID(req->org_id));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "deployment.attach", "release %s to deployment %s%s%s", ID(release),
                                ID(req->ids[1]), phases ? " in phases " : "", phases ? phases : "");
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "attach");
        }
        orbit_checkin_wake(o, req->ids[1]);
        return orbit_answer(req, 200, json_pack("{s:I,s:I}", "deployment", (json_int_t)req->ids[1], "release",
                                                (json_int_t)release));
}

int api_rollout(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult d = { 0 };
        const char *action = json_string_value(json_object_get(req->body, "action"));
        RolloutEvent event;
        bool changed = false;
        int q;

        if (strcmp(action, "pause") == 0)
                event = ROLLOUT_PAUSE;
        else if (strcmp(action, "resume") == 0)
                event = ROLLOUT_RESUME;
        else if (strcmp(action, "abort") == 0)
                event = ROLLOUT_ABORT;
        else
                return orbit_fail(req, 400, "field \"action\" must be pause, resume or abort");
        q = orbit_db_query(o->db, &d, "SELECT id FROM deployments WHERE id = ? AND org_id = ? AND rollout_phases IS NOT NULL",
                           ID(req->ids[1]), ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "rollout");
        if (d.n_rows == 0)
                return orbit_fail(req, 404, "no such deployment with a phased rollout");
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = rollout_event(o, req->ids[1], event, &changed);
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "rollout.action", "%s deployment %s", action, ID(req->ids[1]));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "rollout");
        }
        if (changed)
                orbit_checkin_wake(o, req->ids[1]);
        orbit_db_result_clear(&d);
        q = orbit_db_query(o->db, &d, "SELECT rollout_state, rollout_phase FROM deployments WHERE id = ?", ID(req->ids[1]));
        if (q < 0 || d.n_rows == 0)
                return orbit_fail_db(o, req, q, "rollout");
        return orbit_answer(req, 200, json_pack("{s:I,s:s,s:I}", "deployment", (json_int_t)req->ids[1], "state",
                                                orbit_db_cell(&d, 0, 0), "phase", (json_int_t)orbit_db_cell_int(&d, 0, 1)));
}

int api_release_delete(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q;

        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "SELECT (SELECT COUNT(*) FROM deployments WHERE target = r.id), r.manifest"
                                   " FROM releases r WHERE r.id = ? AND r.org_id = ?", ID(req->ids[1]), ID(req->org_id));
        if (q >= 0 && r.n_rows == 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail(req, 404, "no such release");
        }
        if (q >= 0 && orbit_db_cell_int(&r, 0, 0) > 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail(req, 409, "the release is the target of %" PRId64 " deployment%s: attach another first",
                                  orbit_db_cell_int(&r, 0, 0), orbit_db_cell_int(&r, 0, 0) == 1 ? "" : "s");
        }
        /* its objects stay: the organisation's uploads, shared by digest with other releases */
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM release_objects WHERE release_id = ?", ID(req->ids[1]));
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM progress WHERE release_id = ?", ID(req->ids[1]));
        if (q >= 0)
                q = orbit_db_query(o->db, NULL, "DELETE FROM releases WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                                   ID(req->org_id));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "release.delete", "release %s manifest %s", ID(req->ids[1]),
                                orbit_db_cell(&r, 0, 1));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "release");
        }
        return orbit_answer(req, 200, json_pack("{s:I,s:b}", "id", (json_int_t)req->ids[1], "deleted", 1));
}
