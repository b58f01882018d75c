/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is asking: user passwords (Argon2id), bearer tokens, device signatures.
 *
 * Invariants:
 *  1. Passwords are stored only as Argon2id encodings; tokens (session and API) are 256
 *     random bits shown once and stored only as their SHA-256.
 *  2. A token is valid while not revoked and (expires = 0 or now < expires).
 *  4. A download token is "EXPIRES-HMAC": HMAC-SHA256 under the server's download secret
 *     (kept in the database, made on first start) of the device id and the expiry, so
 *     handing one out writes nothing, and it names one device until it expires.
 *  3. A device request is valid only if its Ed25519 signature over
 *     orbit_device_auth_message() verifies with the enrolled key, its timestamp is within
 *     ORBIT_DEVICE_CLOCK_SKEW of the server's clock, and its nonce was never seen for that
 *     device within twice that window (the nonce is committed before the request does
 *     anything, so a replay is refused even across a restart of orbit; that commit is not
 *     waited for (orbit_db_begin_lazy()): it is synced within a second, so after a crash
 *     of the machine a replay is refused too unless the crash came within that second. A
 *     check-in that changes nothing waits for no disk).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "orbit/orbit.h"

#define ORBIT_TOKEN_HEX 64

int orbit_password_hash(const char *password, char **encodedp);
bool orbit_password_verify(const char *encoded, const char *password);

/* 256 random bits in hex, and their SHA-256 in hex. */
int orbit_token_generate(char token[ORBIT_TOKEN_HEX + 1], char hash[65]);
void orbit_token_hash(const char *token, char hash[65]);

/*
 * Makes a token for user_id (db locked by the caller). expires: 0 never, else an absolute
 * time in seconds. token gets the secret.
 */
int orbit_token_create(OrbitDb *db, int64_t user_id, const char *name, int64_t expires,
                       char token[ORBIT_TOKEN_HEX + 1]);

/* Sets up and frees o's cache of parsed device keys. */
void orbit_key_cache_init(Orbit *o);
void orbit_key_cache_clear(Orbit *o);

/* Loads (or makes, on first start) the download secret into o. */
int orbit_download_secret_load(Orbit *o);
/* A download token for device until expires: "EXPIRES-HEX" into token. */
#define ORBIT_DOWNLOAD_TOKEN_MAX 96
void orbit_download_token(const Orbit *o, int64_t device, int64_t expires, char token[ORBIT_DOWNLOAD_TOKEN_MAX]);

/*
 * Fills req->who from the request's Authorization or X-Kos-* headers, the body being
 * complete. Without credentials who stays NONE. Bad credentials answer 401 and return it.
 */
unsigned orbit_authenticate(Orbit *o, OrbitRequest *req, const void *body, size_t body_size);
