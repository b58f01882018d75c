// SPDX-License-Identifier: Apache-2.0
/*
 * Orbit storage backend: SQLite, the default (one file, no server).
 *
 * Invariants: the database runs in WAL mode with synchronous=NORMAL: a COMMIT is written
 * to the WAL (it survives a crash of orbit) and sqlite_sync() makes it survive a crash of
 * the machine (db.c calls it, once for many commits); foreign keys are enforced;
 * a writer waits for another (orbit admin beside a running orbit) instead of failing;
 * statements are prepared once per SQL text and reset after each use.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orbit/db.h"

#define SQLITE_STATEMENT_CACHE 128
#define SQLITE_BUSY_MS 10000

typedef struct SqliteDb {
        sqlite3 *db; /* owned */
        struct {
                const char *sql; /* a constant of the caller's (db.h invariant 1) */
                sqlite3_stmt *stmt; /* owned */
        } cache[SQLITE_STATEMENT_CACHE];
        char error[256];
        char *wal_path; /* owned */
        int wal_fd;     /* opened by the first sync */
} SqliteDb;

static int sqlite_error(SqliteDb *s, int rc) {
        snprintf(s->error, sizeof(s->error), "%s", sqlite3_errmsg(s->db));
        switch (rc & 0xff) {
        case SQLITE_CONSTRAINT:
                return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) ? -EEXIST : -EINVAL;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        default:
                return -EIO;
        }
}

static int sqlite_script(void *handle, const char *sql) {
        SqliteDb *s = handle;
        char *msg = NULL;
        int rc;

        if (strcmp(sql, "BEGIN") == 0)
                sql = "BEGIN IMMEDIATE"; /* take the write lock now: no upgrade deadlock later */
        rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
        sqlite3_free(msg);
        return rc == SQLITE_OK ? 0 : sqlite_error(s, sqlite3_extended_errcode(s->db));
}

static int sqlite_open(void **handlep, const char *path, char **errorp) {
        SqliteDb *s = calloc(1, sizeof(*s));
        int rc;

        if (!s)
                return -ENOMEM;
        rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                if (errorp && asprintf(errorp, "cannot open SQLite database %s: %s", path,
                                       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc)) < 0)
                        *errorp = NULL;
                sqlite3_close(s->db);
                free(s);
                return -EIO;
        }
        sqlite3_extended_result_codes(s->db, 1);
        sqlite3_busy_timeout(s->db, SQLITE_BUSY_MS);
        rc = sqlite_script(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
        if (rc < 0) {
                if (errorp && asprintf(errorp, "cannot set up SQLite database %s: %s", path, s->error) < 0)
                        *errorp = NULL;
                sqlite3_close(s->db);
                free(s);
                return rc;
        }
        s->wal_fd = -1;
        if (asprintf(&s->wal_path, "%s-wal", path) < 0) {
                sqlite3_close(s->db);
                free(s);
                return -ENOMEM;
        }
        *handlep = s;
        return 0;
}

static int sqlite_sync(void *handle) {
        SqliteDb *s = handle;

        if (s->wal_fd < 0)
                s->wal_fd = open(s->wal_path, O_RDONLY | O_CLOEXEC);
        if (s->wal_fd < 0)
                return -errno;
        return fdatasync(s->wal_fd) < 0 ? -errno : 0;
}

static bool sqlite_in_transaction(void *handle) {
        return !sqlite3_get_autocommit(((SqliteDb *)handle)->db);
}

static void sqlite_close(void *handle) {
        SqliteDb *s = handle;

        for (size_t i = 0; i < SQLITE_STATEMENT_CACHE; i++)
                sqlite3_finalize(s->cache[i].stmt);
        sqlite3_close(s->db);
        if (s->wal_fd >= 0)
                close(s->wal_fd);
        free(s->wal_path);
        free(s);
}

static int sqlite_statement(SqliteDb *s, const char *sql, sqlite3_stmt **stmtp) {
        size_t slot = ((uintptr_t)sql >> 3) % SQLITE_STATEMENT_CACHE;
        sqlite3_stmt *stmt = NULL;
        int rc;

        if (s->cache[slot].sql == sql && s->cache[slot].stmt) {
                *stmtp = s->cache[slot].stmt;
                return 0;
        }
        rc = sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL);
        if (rc != SQLITE_OK)
                return sqlite_error(s, sqlite3_extended_errcode(s->db));
        sqlite3_finalize(s->cache[slot].stmt);
        s->cache[slot].sql = sql;
        s->cache[slot].stmt = stmt;
        *stmtp = stmt;
        return 0;
}

static int sqlite_query(void *handle, const char *sql, const char *const *params, size_t n_params,
                        OrbitDbResult *result) {
        SqliteDb *s = handle;
        sqlite3_stmt *stmt = NULL;
        size_t allocated = 0;
        int r, rc;

        *result = (OrbitDbResult){ 0 };
        r = sqlite_statement(s, sql, &stmt);
        if (r < 0)
                return r;
        if ((size_t)sqlite3_bind_parameter_count(stmt) != n_params) {
                snprintf(s->error, sizeof(s->error), "statement takes %d parameters, given %zu",
                         sqlite3_bind_parameter_count(stmt), n_params);
                return -EINVAL;
        }
        for (size_t i = 0; i < n_params; i++) {
                rc = params[i] ? sqlite3_bind_text(stmt, (int)i + 1, params[i], -1, SQLITE_TRANSIENT)
                               : sqlite3_bind_null(stmt, (int)i + 1);
                if (rc != SQLITE_OK) {
                        r = sqlite_error(s, rc);
                        goto out;
                }
        }
        result->n_columns = (size_t)sqlite3_column_count(stmt);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
                size_t need = (result->n_rows + 1) * result->n_columns;
                if (need > allocated) {
                        size_t n = allocated ? allocated * 2 : result->n_columns * 8;
                        while (n < need)
                                n *= 2;
                        char **cells = realloc(result->cells, n * sizeof(char *));
                        if (!cells) {
                                r = -ENOMEM;
                                goto out;
                        }
                        result->cells = cells;
                        allocated = n;
                }
                for (size_t c = 0; c < result->n_columns; c++) {
                        const unsigned char *text = sqlite3_column_text(stmt, (int)c);
                        char *cell = NULL;
                        if (text && !(cell = strdup((const char *)text))) {
                                r = -ENOMEM;
                                goto out;
                        }
                        result->cells[result->n_rows * result->n_columns + c] = cell;
                }
                result->n_rows++;
        }
        if (rc != SQLITE_DONE) {
                r = sqlite_error(s, sqlite3_extended_errcode(s->db));
                goto out;
        }
        result->changes = (uint64_t)sqlite3_changes64(s->db);
        r = 0;
out:
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        if (r < 0)
                orbit_db_result_clear(result);
        return r;
}

static const char *sqlite_last_error(void *handle) {
        return ((SqliteDb *)handle)->error;
}

const OrbitDbBackend orbit_db_sqlite = {
        .name = "sqlite",
        .id_column = "INTEGER PRIMARY KEY AUTOINCREMENT",
        .open = sqlite_open,
        .close = sqlite_close,
        .query = sqlite_query,
        .script = sqlite_script,
        .last_error = sqlite_last_error,
        .in_transaction = sqlite_in_transaction,
        .sync = sqlite_sync,
        .pooled = false,
};
