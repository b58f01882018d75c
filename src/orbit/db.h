/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Orbit's storage: one interface, two backends (SQLite, PostgreSQL), chosen by the
 * location's scheme: "sqlite:PATH" or "postgresql://…" (also "postgres://…").
 *
 * Every statement is a prepared statement whose parameters are bound, never spliced into
 * the text: SQL is written with "?" placeholders, which the PostgreSQL backend numbers
 * ($1, $2, …) before preparing. Parameters and result cells are text (NULL for SQL NULL);
 * both backends compare and store them by the column's type.
 *
 * Invariants:
 *  1. SQL text given to orbit_db_query() is a constant of Orbit's source, never built from
 *     request data; request data only ever reaches the database as a bound parameter.
 *  2. A committed transaction is durable before orbit_db_unlock() returns (SQLite: WAL
 *     with group commit, db.c; PostgreSQL: its default synchronous_commit), and before
 *     orbit_db_commit() returns when no lock is held (admin, start-up); except one begun
 *     with orbit_db_begin_lazy(), durable within a second.
 *  3. The schema is versioned: orbit_db_open() applies each migration above the stored
 *     version in its own transaction, so a crash leaves a database at one version.
 *  4. A thread uses the database only between orbit_db_lock() and orbit_db_unlock(),
 *     which bind one of the pool's connections to it (single-threaded programs may skip
 *     them). Answers that depend on a commit are sent after orbit_db_unlock().
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"

/* Rows of text cells: cell (row, column) is cells[row * n_columns + column]. */
typedef struct OrbitDbResult {
        size_t n_rows;
        size_t n_columns;
        char **cells; /* owned, each owned; NULL for SQL NULL */
        uint64_t changes; /* rows an INSERT, UPDATE or DELETE changed */
} OrbitDbResult;

/* The table of backend functions. Each returns 0 or a negative errno; -EEXIST for a
 * uniqueness violation, so callers can answer 409. */
typedef struct OrbitDbBackend {
        const char *name; /* "sqlite", "postgresql" */
        /* the text a migration's "@ID@" becomes: an auto-numbered primary key */
        const char *id_column;
        int (*open)(void **handlep, const char *location, char **errorp);
        void (*close)(void *handle);
        int (*query)(void *handle, const char *sql, const char *const *params, size_t n_params,
                     OrbitDbResult *result);
        int (*script)(void *handle, const char *sql); /* several statements, no parameters */
        const char *(*last_error)(void *handle);
        bool (*in_transaction)(void *handle);
        /* makes written commits durable (SQLite: fdatasync of the WAL); NULL if COMMIT already
         * is durable */
        int (*sync)(void *handle);
        /* what begins a transaction whose commit need not be durable when COMMIT returns
         * (orbit_db_begin_lazy()); NULL: "BEGIN" */
        const char *begin_lazy;
        bool pooled; /* several connections may work at once */
} OrbitDbBackend;

extern const OrbitDbBackend orbit_db_sqlite;
extern const OrbitDbBackend orbit_db_postgresql;

typedef struct OrbitDb OrbitDb;

/*
 * Opens the database at location, creating (SQLite) and migrating it as needed. On
 * failure *errorp (owned, may be NULL) says why in one line.
 */
int orbit_db_open(OrbitDb **dbp, const char *location, char **errorp);
/* The same with up to connections connections for concurrent threads (if the backend pools). */
int orbit_db_open_pool(OrbitDb **dbp, const char *location, size_t connections, char **errorp);
OrbitDb *orbit_db_close(OrbitDb *db);
const char *orbit_db_backend_name(const OrbitDb *db);
/* The schema version the database is at. */
unsigned orbit_db_schema_version(const OrbitDb *db);

void orbit_db_lock(OrbitDb *db);
void orbit_db_unlock(OrbitDb *db);

/* Runs one statement with parameters (NULL-terminated list of strings; a NULL entry before
 * the end is not possible, so use orbit_db_queryv for SQL NULLs). */
int orbit_db_queryv(OrbitDb *db, OrbitDbResult *result, const char *sql, const char *const *params,
                    size_t n_params);
#define orbit_db_query(db, result, sql, ...)                                                      \
        orbit_db_queryv((db), (result), (sql), (const char *const[]){ NULL, ##__VA_ARGS__ } + 1,  \
                        sizeof((const char *const[]){ NULL, ##__VA_ARGS__ }) / sizeof(const char *) - 1)

int orbit_db_begin(OrbitDb *db);
int orbit_db_commit(OrbitDb *db);
/*
 * A transaction whose commit the caller does not wait to be durable: it survives a crash
 * of orbit at once, and a crash of the machine once synced (SQLite: by the next sync any
 * thread waits for, or by orbit_db_sync(); PostgreSQL: by its WAL writer, within
 * wal_writer_delay). For what no answer promises (auth.h invariant 3).
 */
int orbit_db_begin_lazy(OrbitDb *db);
int orbit_db_commit_lazy(OrbitDb *db);
/* Makes every commit so far durable (orbit calls it every second). */
void orbit_db_sync(OrbitDb *db);
int orbit_db_rollback(OrbitDb *db);

/* The last backend error, for logs (never sent to a client). */
const char *orbit_db_last_error(OrbitDb *db);

void orbit_db_result_clear(OrbitDbResult *result);
static inline const char *orbit_db_cell(const OrbitDbResult *r, size_t row, size_t column) {
        return r->cells[row * r->n_columns + column];
}
/* The cell as an integer (0 for NULL or non-numbers). */
int64_t orbit_db_cell_int(const OrbitDbResult *r, size_t row, size_t column);

DEFINE_CLEANUP_FUNC(OrbitDb, orbit_db_close)
#define _cleanup_db_result_ _cleanup_(orbit_db_result_clear)
