// SPDX-License-Identifier: Apache-2.0
/*
 * Who is asking (auth.h): passwords, tokens, device signatures.
 */
#include <argon2.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/key.h"
#include "crypto/sha256.h"
#include "orbit/api.h"
#include "orbit/auth.h"
#include "orbit/request.h"
#include "util/hex.h"

/* OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. */
#define PASSWORD_T_COST 2
#define PASSWORD_M_COST (19 * 1024)
#define PASSWORD_PARALLELISM 1
#define PASSWORD_SALT 16
#define PASSWORD_HASH 32

int orbit_password_hash(const char *password, char **encodedp) {
        uint8_t salt[PASSWORD_SALT];
        size_t n = argon2_encodedlen(PASSWORD_T_COST, PASSWORD_M_COST, PASSWORD_PARALLELISM, PASSWORD_SALT,
                                     PASSWORD_HASH, Argon2_id);
        char *encoded;

        if (RAND_bytes(salt, sizeof(salt)) != 1)
                return -EIO;
        encoded = malloc(n);
        if (!encoded)
                return -ENOMEM;
        if (argon2id_hash_encoded(PASSWORD_T_COST, PASSWORD_M_COST, PASSWORD_PARALLELISM, password, strlen(password),
                                  salt, sizeof(salt), PASSWORD_HASH, encoded, n) != ARGON2_OK) {
                free(encoded);
                return -EINVAL;
        }
        *encodedp = encoded;
        return 0;
}

bool orbit_password_verify(const char *encoded, const char *password) {
        return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

void orbit_token_hash(const char *token, char hash[65]) {
        Sha256Digest d;

        if (sha256_buffer(token, strlen(token), &d) < 0)
                memset(&d, 0, sizeof(d));
        sha256_to_hex(&d, hash);
}

int orbit_token_generate(char token[ORBIT_TOKEN_HEX + 1], char hash[65]) {
        uint8_t bytes[32];

        if (RAND_bytes(bytes, sizeof(bytes)) != 1)
                return -EIO;
        hex_encode(token, bytes, sizeof(bytes));
        OPENSSL_cleanse(bytes, sizeof(bytes));
        orbit_token_hash(token, hash);
        return 0;
}

int orbit_token_create(OrbitDb *db, int64_t user_id, const char *name, int64_t expires,
                       char token[ORBIT_TOKEN_HEX + 1]) {
        char hash[65], user[24], exp[24], now[24];
        int r;

        r = orbit_token_generate(token, hash);
        if (r < 0)
                return r;
        snprintf(user, sizeof(user), "%" PRId64, user_id);
        snprintf(exp, sizeof(exp), "%" PRId64, expires);
        snprintf(now, sizeof(now), "%" PRId64, orbit_now());
        return orbit_db_query(db, NULL, "INSERT INTO tokens (hash, user_id, name, expires, created) VALUES (?, ?, ?, ?, ?)",
                              hash, user, name, exp, now);
}

static unsigned auth_user(Orbit *o, OrbitRequest *req, const char *authorization) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        const char *token = authorization + 7;
        char hash[65];
        int q;

        if (strlen(token) != ORBIT_TOKEN_HEX || strspn(token, "0123456789abcdef") != ORBIT_TOKEN_HEX)
                return orbit_fail(req, 401, "malformed bearer token"), 401;
        orbit_token_hash(token, hash);
        orbit_db_lock(o->db);
        q = orbit_db_query(o->db, &r, "SELECT id, user_id, expires, revoked FROM tokens WHERE hash = ?", hash);
        orbit_db_unlock(o->db);
        if (q < 0)
                return orbit_fail_db(o, req, q, "token lookup"), 500;
        if (r.n_rows == 0)
                return orbit_fail(req, 401, "unknown token"), 401;
        if (orbit_db_cell_int(&r, 0, 3) != 0)
                return orbit_fail(req, 401, "token revoked"), 401;
        if (orbit_db_cell_int(&r, 0, 2) != 0 && orbit_now() >= orbit_db_cell_int(&r, 0, 2))
                return orbit_fail(req, 401, "token expired"), 401;
        req->who.kind = ORBIT_PRINCIPAL_USER;
        req->who.token_id = orbit_db_cell_int(&r, 0, 0);
        req->who.user_id = orbit_db_cell_int(&r, 0, 1);
        return 0;
}

static EVP_PKEY *auth_public_key(const char *pem) {
        BIO *bio = BIO_new_mem_buf(pem, -1);
        EVP_PKEY *key;

        if (!bio)
                return NULL;
        key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
        return key;
}

void orbit_key_cache_init(Orbit *o) {
        pthread_mutex_init(&o->key_cache_mutex, NULL);
}

void orbit_key_cache_clear(Orbit *o) {
        for (size_t i = 0; i < ORBIT_KEY_CACHE; i++) {
                EVP_PKEY_free(o->key_cache[i].key);
                o->key_cache[i].key = NULL;
        }
        pthread_mutex_destroy(&o->key_cache_mutex);
}

static size_t auth_key_slot(const char *key_id) {
        return strtoul((char[9]){ key_id[0], key_id[1], key_id[2], key_id[3], key_id[4], key_id[5], key_id[6],
                                  key_id[7], '\0' }, NULL, 16) % ORBIT_KEY_CACHE;
}

/* The cached key of key_id and the device last enrolled with it; NULL if not cached. The
 * caller owns a reference. */
static EVP_PKEY *auth_device_key_cached(Orbit *o, const char *key_id, int64_t *devicep) {
        size_t slot = auth_key_slot(key_id);
        EVP_PKEY *key = NULL;

        pthread_mutex_lock(&o->key_cache_mutex);
        if (o->key_cache[slot].key && strcmp(o->key_cache[slot].key_id, key_id) == 0 &&
            EVP_PKEY_up_ref(o->key_cache[slot].key)) {
                key = o->key_cache[slot].key;
                *devicep = o->key_cache[slot].device_id;
        }
        pthread_mutex_unlock(&o->key_cache_mutex);
        return key;
}

/* The device key of key_id (pem its stored text), parsed and cached with device. The
 * caller owns a reference. */
static EVP_PKEY *auth_device_key(Orbit *o, const char *key_id, const char *pem, int64_t device) {
        size_t slot = auth_key_slot(key_id);
        EVP_PKEY *key;

        key = auth_public_key(pem);
        if (!key)
                return NULL;
        pthread_mutex_lock(&o->key_cache_mutex);
        if (EVP_PKEY_up_ref(key)) {
                EVP_PKEY_free(o->key_cache[slot].key);
                o->key_cache[slot].key = key;
                o->key_cache[slot].device_id = device;
                memcpy(o->key_cache[slot].key_id, key_id, 65);
        }
        pthread_mutex_unlock(&o->key_cache_mutex);
        return key;
}

/*
 * The one transaction of a signed request (invariant 3): spends the nonce and records
 * last_seen, for device if it still has key_id. *rowp gets org_id, deployment_id and
 * accepted; 0 rows if the device is gone (deleted, or enrolled again under another id).
 */
static int auth_device_spend_nonce(Orbit *o, int64_t device, const char *key_id, const char *nonce, int64_t t,
                                   OrbitDbResult *rowp) {
        char cutoff[24];
        int q;

        snprintf(cutoff, sizeof(cutoff), "%" PRId64, t - 2 * ORBIT_DEVICE_CLOCK_SKEW);
        orbit_db_lock(o->db);
        q = orbit_db_begin_lazy(o->db);
        if (q >= 0)
                q = orbit_db_query(o->db, rowp,
                                   "UPDATE devices SET last_seen = ? WHERE id = ? AND key_id = ?"
                                   " RETURNING org_id, deployment_id, accepted", ID(t), ID(device), key_id);
        if (q >= 0 && rowp->n_rows == 1 && orbit_db_cell_int(rowp, 0, 2) != 0)
                q = orbit_db_query(o->db, NULL, "INSERT INTO device_nonces (device_id, nonce, at) VALUES (?, ?, ?)",
                                   ID(device), nonce, ID(t));
        /* nonces past twice the window can never be replayed: pruned at most once a second */
        int64_t pruned = __atomic_load_n(&o->nonces_pruned, __ATOMIC_RELAXED);
        if (q >= 0 && pruned != t &&
            __atomic_compare_exchange_n(&o->nonces_pruned, &pruned, t, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                (void)orbit_db_query(o->db, NULL, "DELETE FROM device_nonces WHERE at < ?", cutoff);
        }
        if (q >= 0 && rowp->n_rows == 1 && orbit_db_cell_int(rowp, 0, 2) != 0)
                q = orbit_db_commit_lazy(o->db);
        else
                (void)orbit_db_rollback(o->db);
        orbit_db_unlock(o->db);
        return q;
}

static unsigned auth_device(Orbit *o, OrbitRequest *req, const void *body, size_t body_size) {
        _cleanup_db_result_ OrbitDbResult r = { 0 }, row = { 0 };
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ char *message = NULL;
        struct MHD_Connection *c = req->connection;
        OrbitDeviceAuth a;
        char error[160];
        int64_t t = orbit_now(), device = 0;
        int q;

        if (orbit_device_auth_parse(&a, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Kos-Device"),
                                    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Kos-Time"),
                                    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Kos-Nonce"),
                                    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Kos-Signature"), error,
                                    sizeof(error)) < 0)
                return orbit_fail(req, 401, "%s", error), 401;
        if (a.timestamp < t - ORBIT_DEVICE_CLOCK_SKEW || a.timestamp > t + ORBIT_DEVICE_CLOCK_SKEW)
                return orbit_fail(req, 401, "device request time is more than %d seconds from the server's clock",
                                  ORBIT_DEVICE_CLOCK_SKEW), 401;
        q = orbit_device_auth_message(&message, req->method, req->path, a.timestamp, a.nonce, body, body_size);
        if (q < 0)
                return orbit_fail(req, 500, "out of memory"), 500;

        /* a key seen before: no lookup; the nonce's transaction checks the device still has it */
        key = auth_device_key_cached(o, a.key_id, &device);
        if (key) {
                if (!key_verify(key, message, strlen(message), a.signature))
                        return orbit_fail(req, 401, "bad device signature"), 401;
                q = auth_device_spend_nonce(o, device, a.key_id, a.nonce, t, &row);
                if (q >= 0 && row.n_rows == 1 && orbit_db_cell_int(&row, 0, 2) != 0)
                        goto accepted;
                if (q < 0 && q != -EEXIST)
                        return orbit_fail_db(o, req, q, "device nonce"), 500;
                if (q == -EEXIST)
                        return orbit_fail(req, 401, "replayed device request (nonce already used)"), 401;
                /* gone, enrolled again, or not accepted: look it up as if new */
                orbit_db_result_clear(&row);
                EVP_PKEY_free(key);
                key = NULL;
        }
        orbit_db_lock(o->db);
        q = orbit_db_query(o->db, &r, "SELECT id, public_key, accepted FROM devices WHERE key_id = ?", a.key_id);
        orbit_db_unlock(o->db);
        if (q < 0)
                return orbit_fail_db(o, req, q, "device lookup"), 500;
        if (r.n_rows == 0)
                return orbit_fail(req, 401, "unknown device key"), 401;
        if (orbit_db_cell_int(&r, 0, 2) == 0)
                return orbit_fail(req, 401, "the device awaits an owner's acceptance"), 401;
        device = orbit_db_cell_int(&r, 0, 0);
        key = auth_device_key(o, a.key_id, orbit_db_cell(&r, 0, 1), device);
        if (!key)
                return orbit_fail(req, 500, "the device's stored key does not load"), 500;
        if (!key_verify(key, message, strlen(message), a.signature))
                return orbit_fail(req, 401, "bad device signature"), 401;
        q = auth_device_spend_nonce(o, device, a.key_id, a.nonce, t, &row);
        if (q == -EEXIST)
                return orbit_fail(req, 401, "replayed device request (nonce already used)"), 401;
        if (q < 0)
                return orbit_fail_db(o, req, q, "device nonce"), 500;
        if (row.n_rows == 0)
                return orbit_fail(req, 401, "unknown device key"), 401;
        if (orbit_db_cell_int(&row, 0, 2) == 0)
                return orbit_fail(req, 401, "the device awaits an owner's acceptance"), 401;
accepted:
        req->who.kind = ORBIT_PRINCIPAL_DEVICE;
        req->who.device_id = device;
        req->who.device_org_id = orbit_db_cell_int(&row, 0, 0);
        req->who.device_deployment_id = orbit_db_cell_int(&row, 0, 1);
        return 0;
}

int orbit_download_secret_load(Orbit *o) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        uint8_t bytes[32];
        char hex[65];
        int q;

        if (RAND_bytes(bytes, sizeof(bytes)) != 1)
                return -EIO;
        hex_encode(hex, bytes, sizeof(bytes));
        OPENSSL_cleanse(bytes, sizeof(bytes));
        q = orbit_db_query(o->db, NULL, "INSERT INTO secrets (name, value) VALUES ('download', ?) ON CONFLICT (name) DO NOTHING",
                           hex);
        OPENSSL_cleanse(hex, sizeof(hex));
        if (q >= 0)
                q = orbit_db_query(o->db, &r, "SELECT value FROM secrets WHERE name = 'download'");
        if (q < 0)
                return q;
        if (r.n_rows != 1 || !orbit_db_cell(&r, 0, 0) || strlen(orbit_db_cell(&r, 0, 0)) != 64 ||
            hex_decode(o->download_secret, sizeof(o->download_secret), orbit_db_cell(&r, 0, 0)) < 0)
                return -EBADMSG;
        OPENSSL_cleanse(r.cells[0], 64); /* the secret's text: not left in freed memory */
        return 0;
}

static void download_mac(const Orbit *o, int64_t device, int64_t expires, char hex[65]) {
        uint8_t mac[32];
        size_t n = 0;
        char text[64];
        int len = snprintf(text, sizeof(text), "kos-orbit-download\n%" PRId64 "\n%" PRId64, device, expires);

        if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, o->download_secret, sizeof(o->download_secret),
                       (const unsigned char *)text, (size_t)len, mac, sizeof(mac), &n) || n != sizeof(mac))
                memset(mac, 0, sizeof(mac)); /* matches nothing a client can send: see below */
        hex_encode(hex, mac, sizeof(mac));
}

void orbit_download_token(const Orbit *o, int64_t device, int64_t expires, char token[ORBIT_DOWNLOAD_TOKEN_MAX]) {
        char mac[65];

        download_mac(o, device, expires, mac);
        snprintf(token, ORBIT_DOWNLOAD_TOKEN_MAX, "%" PRId64 "-%s", expires, mac);
}

/* "Basic base64(device-ID:EXPIRES-HMAC)": a download token check-in handed to device ID. */
static unsigned auth_download(Orbit *o, OrbitRequest *req, const char *credentials) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        unsigned char decoded[200];
        char expected[65], *end;
        long long device, expires;
        const char *p;
        int n, q;

        if (strlen(credentials) > 250)
                return orbit_fail(req, 401, "malformed download credentials"), 401;
        n = EVP_DecodeBlock(decoded, (const unsigned char *)credentials, (int)strlen(credentials));
        if (n <= 0)
                return orbit_fail(req, 401, "malformed download credentials"), 401;
        while (n > 0 && decoded[n - 1] == '\0') /* EVP_DecodeBlock counts the padding */
                n--;
        decoded[n] = '\0';
        p = (const char *)decoded;
        if (strncmp(p, "device-", 7) != 0 || p[7] < '1' || p[7] > '9')
                return orbit_fail(req, 401, "malformed download credentials"), 401;
        device = strtoll(p + 7, &end, 10);
        if (*end != ':' || end[1] < '1' || end[1] > '9')
                return orbit_fail(req, 401, "malformed download credentials"), 401;
        expires = strtoll(end + 1, &end, 10);
        if (*end != '-' || strlen(end + 1) != 64)
                return orbit_fail(req, 401, "malformed download credentials"), 401;
        download_mac(o, device, expires, expected);
        if (CRYPTO_memcmp(expected, end + 1, 64) != 0)
                return orbit_fail(req, 401, "unknown download token"), 401;
        if (expires <= orbit_now())
                return orbit_fail(req, 401, "download token expired"), 401;
        orbit_db_lock(o->db);
        q = orbit_db_query(o->db, &r, "SELECT id, org_id, deployment_id FROM devices WHERE id = ?", ID(device));
        orbit_db_unlock(o->db);
        if (q < 0)
                return orbit_fail_db(o, req, q, "device lookup"), 500;
        if (r.n_rows == 0)
                return orbit_fail(req, 401, "unknown device"), 401;
        req->who.kind = ORBIT_PRINCIPAL_DOWNLOAD;
        req->who.device_id = orbit_db_cell_int(&r, 0, 0);
        req->who.device_org_id = orbit_db_cell_int(&r, 0, 1);
        req->who.device_deployment_id = orbit_db_cell_int(&r, 0, 2);
        return 0;
}

unsigned orbit_authenticate(Orbit *o, OrbitRequest *req, const void *body, size_t body_size) {
        const char *authorization = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Authorization");
        bool device = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "X-Kos-Signature") ||
                      MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "X-Kos-Device");

        if (authorization && device)
                return orbit_fail(req, 401, "a request carries a bearer token or a device signature, not both"), 401;
        if (authorization && strncmp(authorization, "Basic ", 6) == 0)
                return auth_download(o, req, authorization + 6);
        if (authorization) {
                if (strncmp(authorization, "Bearer ", 7) != 0)
                        return orbit_fail(req, 401, "the Authorization header must be \"Bearer TOKEN\""), 401;
                return auth_user(o, req, authorization);
        }
        if (device)
                return auth_device(o, req, body, body_size);
        return 0;
}
