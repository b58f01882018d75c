// SPDX-License-Identifier: Apache-2.0
/*
 * Orbit's storage: backend choice, the schema's migrations, transactions.
 *
 * Invariants (db.h): 3. each migration runs in its own transaction together with the
 * update of schema_version, so the stored version always names the schema in place.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orbit/db.h"
#include "util/cleanup.h"

#define ORBIT_DB_POOL_MAX 64

/*
 * A pool of connections: orbit_db_lock() binds one to the calling thread until
 * orbit_db_unlock(). SQLite has one (one writer at a time anyway), PostgreSQL one per
 * request thread, so its commits from several threads overlap (and group).
 *
 * Group commit (SQLite): a commit is written to the WAL but not synced under the lock; the
 * thread syncs (or waits for another's sync that covers it) after orbit_db_unlock()
 * released the connection, so one fdatasync makes every commit made meanwhile durable.
 * A request is answered only after that (invariant 2 holds at the answer, not the COMMIT).
 */
struct OrbitDb {
        const OrbitDbBackend *backend;
        void *handles[ORBIT_DB_POOL_MAX]; /* owned */
        bool busy[ORBIT_DB_POOL_MAX];
        size_t n_handles;
        unsigned version;
        pthread_mutex_t mutex; /* the pool */
        pthread_cond_t freed;
        /* group commit */
        pthread_mutex_t sync_mutex;
        pthread_cond_t synced_cond;
        uint64_t committed, synced;
        bool syncing;
};

/* The connection this thread holds (orbit_db_lock()), and its last commit to sync. */
static __thread struct {
        OrbitDb *db;
        size_t index;
        uint64_t commit;
} orbit_db_bound;

static void *orbit_db_handle(OrbitDb *db) {
        if (orbit_db_bound.db == db)
                return db->handles[orbit_db_bound.index];
        return db->handles[0]; /* single-threaded use: admin, migrations, start-up */
}

/*
 * The schema, one migration per step; never edit a released step, add one. "@ID@" is the
 * backend's auto-numbered primary key. Times are seconds since the epoch.
 */
static const char *const orbit_db_migrations[] = {
        /* 1: organisations, users, roles, tokens, projects, deployments, devices */
        "CREATE TABLE users (id @ID@, email TEXT NOT NULL UNIQUE, password TEXT NOT NULL,"
        "  created BIGINT NOT NULL);"
        "CREATE TABLE orgs (id @ID@, name TEXT NOT NULL UNIQUE, created BIGINT NOT NULL);"
        "CREATE TABLE members (org_id BIGINT NOT NULL REFERENCES orgs(id),"
        "  user_id BIGINT NOT NULL REFERENCES users(id),"
        "  role TEXT NOT NULL CHECK (role IN ('owner', 'user')), PRIMARY KEY (org_id, user_id));"
        "CREATE TABLE tokens (id @ID@, hash TEXT NOT NULL UNIQUE,"
        "  user_id BIGINT NOT NULL REFERENCES users(id), name TEXT NOT NULL,"
        "  expires BIGINT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, created BIGINT NOT NULL);"
        "CREATE TABLE projects (id @ID@, org_id BIGINT NOT NULL REFERENCES orgs(id),"
        "  name TEXT NOT NULL, created BIGINT NOT NULL, UNIQUE (org_id, name));"
        "CREATE TABLE project_keys (id @ID@, project_id BIGINT NOT NULL REFERENCES projects(id),"
        "  key_id TEXT NOT NULL, public_key TEXT NOT NULL, UNIQUE (project_id, key_id));"
        "CREATE TABLE deployments (id @ID@, org_id BIGINT NOT NULL REFERENCES orgs(id),"
        "  project_id BIGINT NOT NULL REFERENCES projects(id), name TEXT NOT NULL,"
        "  target BIGINT, created BIGINT NOT NULL, UNIQUE (project_id, name));"
        "CREATE TABLE devices (id @ID@, org_id BIGINT NOT NULL REFERENCES orgs(id),"
        "  deployment_id BIGINT NOT NULL REFERENCES deployments(id), name TEXT NOT NULL,"
        "  key_id TEXT NOT NULL UNIQUE, public_key TEXT NOT NULL, manifest TEXT,"
        "  last_seen BIGINT NOT NULL DEFAULT 0, created BIGINT NOT NULL);"
        "CREATE TABLE device_nonces (device_id BIGINT NOT NULL REFERENCES devices(id),"
        "  nonce TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (device_id, nonce));"
        "CREATE TABLE audit (id @ID@, org_id BIGINT, user_id BIGINT, action TEXT NOT NULL,"
        "  detail TEXT NOT NULL, at BIGINT NOT NULL);",
        /* 2: releases, their objects, device progress */
        "CREATE TABLE objects (org_id BIGINT NOT NULL REFERENCES orgs(id), digest TEXT NOT NULL,"
        "  size BIGINT NOT NULL, PRIMARY KEY (org_id, digest));"
        "CREATE TABLE releases (id @ID@, org_id BIGINT NOT NULL REFERENCES orgs(id),"
        "  project_id BIGINT NOT NULL REFERENCES projects(id), manifest TEXT NOT NULL,"
        "  signatures TEXT NOT NULL, version BIGINT NOT NULL, description TEXT NOT NULL,"
        "  created BIGINT NOT NULL, UNIQUE (project_id, manifest));"
        "CREATE TABLE release_objects (release_id BIGINT NOT NULL REFERENCES releases(id),"
        "  digest TEXT NOT NULL, PRIMARY KEY (release_id, digest));"
        "CREATE TABLE progress (device_id BIGINT NOT NULL REFERENCES devices(id),"
        "  release_id BIGINT NOT NULL REFERENCES releases(id), state TEXT NOT NULL,"
        "  reason TEXT NOT NULL, updated BIGINT NOT NULL, PRIMARY KEY (device_id, release_id));"
        "CREATE TABLE reports (id @ID@, device_id BIGINT NOT NULL REFERENCES devices(id),"
        "  release_id BIGINT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,"
        "  at BIGINT NOT NULL);"
        "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
        /* 3: phased rollouts (rollout.h); nonces pruned by age; enrolment by token; the
         * manifests devices run; the command queue and traces */
        "ALTER TABLE deployments ADD COLUMN rollout_phases TEXT;"
        "ALTER TABLE deployments ADD COLUMN rollout_phase INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE deployments ADD COLUMN rollout_state TEXT NOT NULL DEFAULT 'running';"
        "ALTER TABLE deployments ADD COLUMN rollout_success INTEGER NOT NULL DEFAULT 100;"
        "CREATE INDEX device_nonces_at ON device_nonces (at);"
        "ALTER TABLE devices ADD COLUMN accepted INTEGER NOT NULL DEFAULT 1;"
        "CREATE TABLE enrolment_tokens (hash TEXT PRIMARY KEY, org_id BIGINT NOT NULL REFERENCES orgs(id),"
        "  deployment_id BIGINT NOT NULL REFERENCES deployments(id), expires BIGINT NOT NULL);"
        "CREATE TABLE device_manifests (org_id BIGINT NOT NULL REFERENCES orgs(id), digest TEXT NOT NULL,"
        "  PRIMARY KEY (org_id, digest));"
        "CREATE TABLE commands (id @ID@, org_id BIGINT NOT NULL REFERENCES orgs(id),"
        "  device_id BIGINT NOT NULL REFERENCES devices(id), kind TEXT NOT NULL, app TEXT NOT NULL,"
        "  state TEXT NOT NULL, reason TEXT NOT NULL, created BIGINT NOT NULL, updated BIGINT NOT NULL);"
        "CREATE INDEX commands_device ON commands (device_id, state);"
        "CREATE TABLE traces (id @ID@, org_id BIGINT NOT NULL REFERENCES orgs(id),"
        "  device_id BIGINT NOT NULL REFERENCES devices(id), command_id BIGINT NOT NULL REFERENCES commands(id),"
        "  digest TEXT NOT NULL, size BIGINT NOT NULL, created BIGINT NOT NULL);",
        /* 4: what a device last reported of its generations and apps (api-device.c): JSON
         * arrays as the server re-encoded them after checking each item */
        "ALTER TABLE devices ADD COLUMN generations TEXT; ALTER TABLE devices ADD COLUMN apps TEXT;",
        /* 5: the id of the trusted key whose signature verified a release at upload (NULL
         * for releases uploaded before: the page then lists the project's keys) */
        "ALTER TABLE releases ADD COLUMN signed_by TEXT;",
};

static int orbit_db_set_error(char **errorp, const char *fmt, const char *a, const char *b) {
        if (errorp) {
                char *text = NULL;
                if (asprintf(&text, fmt, a, b) < 0)
                        text = NULL;
                free(*errorp);
                *errorp = text;
        }
        return 0;
}

static int orbit_db_migrate(OrbitDb *db, char **errorp) {
        OrbitDbResult r = { 0 };
        int q;

        q = db->backend->script(orbit_db_handle(db), "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        if (q < 0)
                return orbit_db_set_error(errorp, "cannot create schema_version: %s%s", orbit_db_last_error(db), ""), q;
        q = orbit_db_query(db, &r, "SELECT version FROM schema_version");
        if (q < 0)
                return orbit_db_set_error(errorp, "cannot read schema_version: %s%s", orbit_db_last_error(db), ""), q;
        if (r.n_rows == 0) {
                orbit_db_result_clear(&r);
                q = orbit_db_query(db, &r, "INSERT INTO schema_version (version) VALUES (0)");
                if (q < 0)
                        return q;
                db->version = 0;
        } else
                db->version = (unsigned)orbit_db_cell_int(&r, 0, 0);
        orbit_db_result_clear(&r);

        if (db->version > ELEMENTSOF(orbit_db_migrations)) {
                char have[16], know[16];
                snprintf(have, sizeof(have), "%u", db->version);
                snprintf(know, sizeof(know), "%zu", ELEMENTSOF(orbit_db_migrations));
                orbit_db_set_error(errorp, "database schema version %s is newer than this orbit's %s", have, know);
                return -EPROTONOSUPPORT;
        }
        for (unsigned v = db->version; v < ELEMENTSOF(orbit_db_migrations); v++) {
                _cleanup_free_ char *sql = NULL;
                const char *m = orbit_db_migrations[v];
                size_t n = 0;
                char version[16];

                /* expand @ID@ */
                sql = malloc(strlen(m) * 4 + 1);
                if (!sql)
                        return -ENOMEM;
                for (const char *p = m; *p;) {
                        if (strncmp(p, "@ID@", 4) == 0) {
                                n += (size_t)sprintf(sql + n, "%s", db->backend->id_column);
                                p += 4;
                        } else
                                sql[n++] = *p++;
                }
                sql[n] = '\0';
                q = orbit_db_begin(db);
                if (q >= 0)
                        q = db->backend->script(orbit_db_handle(db), sql);
                snprintf(version, sizeof(version), "%u", v + 1);
                if (q >= 0)
                        q = orbit_db_query(db, &r, "UPDATE schema_version SET version = ?", version);
                orbit_db_result_clear(&r);
                if (q >= 0)
                        q = orbit_db_commit(db);
                if (q < 0) {
                        orbit_db_set_error(errorp, "migration to schema version %s failed: %s", version,
                                           orbit_db_last_error(db));
                        (void)orbit_db_rollback(db);
                        return q;
                }
                db->version = v + 1;
        }
        return 0;
}

int orbit_db_open(OrbitDb **dbp, const char *location, char **errorp) {
        return orbit_db_open_pool(dbp, location, 1, errorp);
}

int orbit_db_open_pool(OrbitDb **dbp, const char *location, size_t connections, char **errorp) {
        const OrbitDbBackend *backend;
        const char *target;
        OrbitDb *db;
        int r;

        if (strncmp(location, "sqlite:", 7) == 0) {
                backend = &orbit_db_sqlite;
                target = location + 7;
        } else if (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0) {
                backend = &orbit_db_postgresql;
                target = location;
        } else {
                orbit_db_set_error(errorp, "unknown database \"%s\"%s: use sqlite:PATH or postgresql://…", location, "");
                return -EINVAL;
        }
        if (!*target) {
                orbit_db_set_error(errorp, "database \"%s\" names no file%s", location, "");
                return -EINVAL;
        }
        db = calloc(1, sizeof(*db));
        if (!db)
                return -ENOMEM;
        db->backend = backend;
        pthread_mutex_init(&db->mutex, NULL);
        pthread_cond_init(&db->freed, NULL);
        pthread_mutex_init(&db->sync_mutex, NULL);
        pthread_cond_init(&db->synced_cond, NULL);
        if (connections < 1 || !backend->pooled)
                connections = 1;
        if (connections > ORBIT_DB_POOL_MAX)
                connections = ORBIT_DB_POOL_MAX;
        r = backend->open(&db->handles[0], target, errorp);
        if (r < 0) {
                orbit_db_close(db);
                return r;
        }
        db->n_handles = 1;
        r = orbit_db_migrate(db, errorp);
        while (r >= 0 && db->n_handles < connections) {
                r = backend->open(&db->handles[db->n_handles], target, errorp);
                if (r >= 0)
                        db->n_handles++;
        }
        if (r < 0) {
                orbit_db_close(db);
                return r;
        }
        *dbp = db;
        return 0;
}

static void orbit_db_wait_durable(OrbitDb *db, uint64_t seq);

/* Counts a commit that is written but not yet synced; unlocking (or closing) syncs it. */
static void orbit_db_note_commit(OrbitDb *db) {
        pthread_mutex_lock(&db->sync_mutex);
        db->committed++;
        if (orbit_db_bound.db == db)
                orbit_db_bound.commit = db->committed;
        pthread_mutex_unlock(&db->sync_mutex);
        if (orbit_db_bound.db != db) /* not under orbit_db_lock(): durable before returning */
                orbit_db_wait_durable(db, db->committed);
}

/* Makes every commit up to seq durable: syncs, or waits for a sync that covers it. */
static void orbit_db_wait_durable(OrbitDb *db, uint64_t seq) {
        pthread_mutex_lock(&db->sync_mutex);
        while (db->synced < seq) {
                if (db->syncing) {
                        pthread_cond_wait(&db->synced_cond, &db->sync_mutex);
                        continue;
                }
                uint64_t target = db->committed;
                db->syncing = true;
                pthread_mutex_unlock(&db->sync_mutex);
                (void)db->backend->sync(db->handles[0]);
                pthread_mutex_lock(&db->sync_mutex);
                db->syncing = false;
                if (target > db->synced)
                        db->synced = target;
                pthread_cond_broadcast(&db->synced_cond);
        }
        pthread_mutex_unlock(&db->sync_mutex);
}

OrbitDb *orbit_db_close(OrbitDb *db) {
        if (!db)
                return NULL;
        if (db->backend->sync && db->n_handles > 0)
                orbit_db_wait_durable(db, db->committed);
        for (size_t i = 0; i < db->n_handles; i++)
                db->backend->close(db->handles[i]);
        pthread_cond_destroy(&db->freed);
        pthread_mutex_destroy(&db->sync_mutex);
        pthread_cond_destroy(&db->synced_cond);
        pthread_mutex_destroy(&db->mutex);
        free(db);
        return NULL;
}

const char *orbit_db_backend_name(const OrbitDb *db) {
        return db->backend->name;
}

unsigned orbit_db_schema_version(const OrbitDb *db) {
        return db->version;
}

void orbit_db_lock(OrbitDb *db) {
        size_t i;

        pthread_mutex_lock(&db->mutex);
        for (;;) {
                for (i = 0; i < db->n_handles && db->busy[i]; i++)
                        ;
                if (i < db->n_handles)
                        break;
                pthread_cond_wait(&db->freed, &db->mutex);
        }
        db->busy[i] = true;
        pthread_mutex_unlock(&db->mutex);
        orbit_db_bound.db = db;
        orbit_db_bound.index = i;
        orbit_db_bound.commit = 0;
}

void orbit_db_unlock(OrbitDb *db) {
        uint64_t commit = orbit_db_bound.commit;

        pthread_mutex_lock(&db->mutex);
        db->busy[orbit_db_bound.index] = false;
        pthread_cond_signal(&db->freed);
        pthread_mutex_unlock(&db->mutex);
        orbit_db_bound.db = NULL;
        orbit_db_bound.commit = 0;
        if (commit > 0)
                orbit_db_wait_durable(db, commit);
}

int orbit_db_queryv(OrbitDb *db, OrbitDbResult *result, const char *sql, const char *const *params,
                    size_t n_params) {
        OrbitDbResult scratch = { 0 };
        int r;

        if (!result)
                result = &scratch;
        r = db->backend->query(orbit_db_handle(db), sql, params, n_params, result);
        /* an autocommitted change; a statement that changed no row wrote nothing to sync */
        if (r >= 0 && db->backend->sync && result->changes > 0 && strncmp(sql, "SELECT", 6) != 0 &&
            !db->backend->in_transaction(orbit_db_handle(db)))
                orbit_db_note_commit(db);
        orbit_db_result_clear(&scratch);
        return r;
}

int orbit_db_begin(OrbitDb *db) {
        return db->backend->script(orbit_db_handle(db), "BEGIN");
}

int orbit_db_commit(OrbitDb *db) {
        int r = db->backend->script(orbit_db_handle(db), "COMMIT");

        if (r >= 0 && db->backend->sync)
                orbit_db_note_commit(db);
        return r;
}

int orbit_db_begin_lazy(OrbitDb *db) {
        return db->backend->script(orbit_db_handle(db), db->backend->begin_lazy ? db->backend->begin_lazy : "BEGIN");
}

int orbit_db_commit_lazy(OrbitDb *db) {
        int r = db->backend->script(orbit_db_handle(db), "COMMIT");

        if (r >= 0 && db->backend->sync) {
                pthread_mutex_lock(&db->sync_mutex);
                db->committed++;
                pthread_mutex_unlock(&db->sync_mutex);
        }
        return r;
}

void orbit_db_sync(OrbitDb *db) {
        uint64_t committed;

        if (!db->backend->sync)
                return;
        pthread_mutex_lock(&db->sync_mutex);
        committed = db->committed;
        pthread_mutex_unlock(&db->sync_mutex);
        orbit_db_wait_durable(db, committed);
}

int orbit_db_rollback(OrbitDb *db) {
        return db->backend->script(orbit_db_handle(db), "ROLLBACK");
}

const char *orbit_db_last_error(OrbitDb *db) {
        return db->backend->last_error(orbit_db_handle(db));
}

void orbit_db_result_clear(OrbitDbResult *result) {
        if (!result)
                return;
        for (size_t i = 0; i < result->n_rows * result->n_columns; i++)
                free(result->cells[i]);
        free(result->cells);
        *result = (OrbitDbResult){ 0 };
}

int64_t orbit_db_cell_int(const OrbitDbResult *r, size_t row, size_t column) {
        const char *c = orbit_db_cell(r, row, column);
        return c ? strtoll(c, NULL, 10) : 0;
}
