// SPDX-License-Identifier: Apache-2.0
/*
 * Enrolment by token: an owner makes an enrolment token for a deployment; a device asks
 * to join with it, proving it holds its key; an owner accepts the device. (An owner may
 * also register a device's public key directly: api-org.c.)
 *
 *     (no device) --enrol with a valid token--> pending --owner accepts--> enrolled
 *
 * Invariants:
 *  1. Enrolment tokens are 256 random bits stored as SHA-256, valid until they expire
 *     (default 7 days); one token may enrol several devices.
 *  2. An enrolment proves possession of the key: "proof" is the device key's Ed25519
 *     signature of "kos-orbit-enrol-v1\nTOKEN\nNAME".
 *  3. A pending device's requests are refused (auth.c) until an owner accepts it; it is
 *     never offered a release before.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/key.h"
#include "orbit/api.h"
#include "orbit/auth.h"
#include "util/hex.h"

#define ENROLMENT_TOKEN_SECONDS (7 * 24 * 3600)

int api_enrolment_token_create(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult d = { 0 };
        char token[ORBIT_TOKEN_HEX + 1], hash[65];
        json_t *ttl = json_object_get(req->body, "expires_in");
        int64_t expires = orbit_now() + (ttl ? json_integer_value(ttl) : ENROLMENT_TOKEN_SECONDS);
        int q;

        q = orbit_db_query(o->db, &d, "SELECT id FROM deployments WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                           ID(req->org_id));
        if (q < 0)
                return orbit_fail_db(o, req, q, "deployment");
        if (d.n_rows == 0)
                return orbit_fail(req, 404, "no such deployment");
        q = orbit_token_generate(token, hash);
        if (q < 0)
                return orbit_fail(req, 500, "cannot make a token");
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, NULL,
                                   "INSERT INTO enrolment_tokens (hash, org_id, deployment_id, expires) VALUES (?, ?, ?, ?)",
                                   hash, ID(req->org_id), ID(req->ids[1]), ID(expires));
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "enrolment-token.create", "for deployment %s, until %s",
                                ID(req->ids[1]), ID(expires));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "enrolment token");
        }
        orbit_answer(req, 201, json_pack("{s:s,s:I,s:I}", "token", token, "deployment", (json_int_t)req->ids[1],
                                         "expires", (json_int_t)expires));
        OPENSSL_cleanse(token, sizeof(token));
        return 0;
}

int api_device_enrol(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult t = { 0 }, r = { 0 };
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ char *message = NULL;
        const char *token = json_string_value(json_object_get(req->body, "token"));
        const char *name = json_string_value(json_object_get(req->body, "name"));
        const char *pem = json_string_value(json_object_get(req->body, "public_key"));
        const char *proof = json_string_value(json_object_get(req->body, "proof"));
        uint8_t sig[ED25519_SIGNATURE_SIZE];
        char hash[65], key_hex[65];
        Sha256Digest id;
        BIO *bio;
        int q;

        orbit_token_hash(token, hash);
        q = orbit_db_query(o->db, &t, "SELECT org_id, deployment_id FROM enrolment_tokens WHERE hash = ? AND expires > ?",
                           hash, ID(orbit_now()));
        if (q < 0)
                return orbit_fail_db(o, req, q, "enrolment");
        if (t.n_rows == 0)
                return orbit_fail(req, 401, "unknown or expired enrolment token");
        bio = BIO_new_mem_buf(pem, -1);
        key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 || key_id(key, &id) < 0)
                return orbit_fail(req, 400, "field \"public_key\" is not an Ed25519 public key in PEM");
        if (strlen(proof) != 128 || hex_decode(sig, sizeof(sig), proof) < 0)
                return orbit_fail(req, 400, "field \"proof\" must be 128 hex digits");
        if (asprintf(&message, "kos-orbit-enrol-v1\n%s\n%s", token, name) < 0)
                return orbit_fail(req, 500, "out of memory");
        if (!key_verify(key, message, strlen(message), sig))
                return orbit_fail(req, 401, "the proof is not the key's signature of the enrolment");
        sha256_to_hex(&id, key_hex);
        q = orbit_db_begin(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, &r,
                                   "INSERT INTO devices (org_id, deployment_id, name, key_id, public_key, created, accepted)"
                                   " VALUES (?, ?, ?, ?, ?, ?, 0) RETURNING id", orbit_db_cell(&t, 0, 0),
                                   orbit_db_cell(&t, 0, 1), name, key_hex, pem, ID(orbit_now()));
        if (q >= 0)
                q = orbit_audit(o, req, orbit_db_cell_int(&t, 0, 0), "device.enrol",
                                "device %s key %s asks to join deployment %s", orbit_db_cell(&r, 0, 0), key_hex,
                                orbit_db_cell(&t, 0, 1));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "enrolment");
        }
        return orbit_answer(req, 202, json_pack("{s:I,s:s,s:s}", "device", (json_int_t)orbit_db_cell_int(&r, 0, 0),
                                                "key_id", key_hex, "state", "pending"));
}

int api_device_accept(Orbit *o, OrbitRequest *req) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int q = orbit_db_begin(o->db);

        if (q >= 0)
                q = orbit_db_query(o->db, &r, "UPDATE devices SET accepted = 1 WHERE id = ? AND org_id = ?", ID(req->ids[1]),
                                   ID(req->org_id));
        if (q >= 0 && r.changes == 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail(req, 404, "no such device");
        }
        if (q >= 0)
                q = orbit_audit(o, req, req->org_id, "device.accept", "device %s", ID(req->ids[1]));
        if (q >= 0)
                q = orbit_db_commit(o->db);
        if (q < 0) {
                (void)orbit_db_rollback(o->db);
                return orbit_fail_db(o, req, q, "accept");
        }
        return orbit_answer(req, 200, json_pack("{s:I,s:s}", "id", (json_int_t)req->ids[1], "state", "enrolled"));
}
