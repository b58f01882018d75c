// SPDX-License-Identifier: Apache-2.0
/*
 * Orbit storage backend: PostgreSQL through libpq, for fleets one disk no longer holds.
 *
 * Invariants: statements go to the server with their parameters apart (extended query
 * protocol, PQexecParams), never spliced into the text; "?" placeholders outside quoted
 * literals become $1, $2, … in order; a lost connection is re-established once before a
 * statement outside a transaction fails. Each connection prepares a statement the first
 * time its SQL text is run (keyed by the text's address: a constant, db.h invariant 1) and
 * executes the prepared statement from then on, so the server parses and plans it once.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orbit/db.h"

#define PG_STATEMENT_CACHE 512

typedef struct PgDb {
        PGconn *conn; /* owned */
        bool in_transaction;
        char error[256];
        /* statements prepared on conn, by SQL text address (open addressing) */
        const char *prepared[PG_STATEMENT_CACHE];
        size_t n_prepared;
} PgDb;

static void pg_notice(void *arg, const char *message) {
        /* "relation already exists, skipping" and the like: not for the log */
}

static int pg_open(void **handlep, const char *location, char **errorp) {
        PgDb *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        p->conn = PQconnectdb(location);
        if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
                const char *why = p->conn ? PQerrorMessage(p->conn) : "out of memory";
                size_t n = strcspn(why, "\n");
                if (errorp && asprintf(errorp, "cannot connect to PostgreSQL: %.*s", (int)n, why) < 0)
                        *errorp = NULL;
                PQfinish(p->conn);
                free(p);
                return -ECONNREFUSED;
        }
        PQsetNoticeProcessor(p->conn, pg_notice, NULL);
        *handlep = p;
        return 0;
}

static void pg_close(void *handle) {
        PgDb *p = handle;

        PQfinish(p->conn);
        free(p);
}

static int pg_error(PgDb *p, PGresult *res) {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *message = res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn);

        snprintf(p->error, sizeof(p->error), "%.*s", (int)strcspn(message, "\n"), message);
        if (!state)
                return -EIO;
        if (strcmp(state, "23505") == 0)
                return -EEXIST;
        if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
                return -EINVAL;
        if (strcmp(state, "53100") == 0)
                return -ENOSPC;
        return -EIO;
}

/* "… ? …" to "… $1 …", leaving quoted literals alone. */
static char *pg_number_placeholders(const char *sql) {
        char *out = malloc(strlen(sql) * 6 + 1), *o = out;
        unsigned n = 0;
        char quote = 0;

        if (!out)
                return NULL;
        for (const char *s = sql; *s; s++) {
                if (quote) {
                        if (*s == quote)
                                quote = 0;
                        *o++ = *s;
                } else if (*s == '\'' || *s == '"') {
                        quote = *s;
                        *o++ = *s;
                } else if (*s == '?')
                        o += sprintf(o, "$%u", ++n);
                else
                        *o++ = *s;
        }
        *o = '\0';
        return out;
}

static void pg_track_transaction(PgDb *p, const char *sql) {
        if (strncmp(sql, "BEGIN", 5) == 0)
                p->in_transaction = true;
        else if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
                p->in_transaction = false;
}

/* A connection lost outside a transaction is re-established (the server restarted); its
 * prepared statements are gone with the old session. */
static bool pg_reconnect(PgDb *p) {
        if (PQstatus(p->conn) == CONNECTION_OK || p->in_transaction)
                return false;
        PQreset(p->conn);
        memset(p->prepared, 0, sizeof(p->prepared));
        p->n_prepared = 0;
        return PQstatus(p->conn) == CONNECTION_OK;
}

/*
 * The name of sql's prepared statement on p's connection ("s" and its slot), preparing it
 * first if needed. -ENOSPC when the cache is full: the caller runs the text unprepared.
 */
static int pg_prepared(PgDb *p, const char *sql, const char *numbered, size_t n_params, char name[16]) {
        size_t slot = ((uintptr_t)sql >> 3) % PG_STATEMENT_CACHE;
        PGresult *res;
        int r = 0;

        for (size_t i = 0; i < PG_STATEMENT_CACHE; i++, slot = (slot + 1) % PG_STATEMENT_CACHE) {
                snprintf(name, 16, "s%zu", slot);
                if (p->prepared[slot] == sql)
                        return 0;
                if (!p->prepared[slot])
                        break;
        }
        if (p->prepared[slot] || p->n_prepared >= PG_STATEMENT_CACHE / 2)
                return -ENOSPC;
        res = PQprepare(p->conn, name, numbered, (int)n_params, NULL);
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
                r = pg_error(p, res);
        PQclear(res);
        if (r < 0)
                return r;
        p->prepared[slot] = sql;
        p->n_prepared++;
        return 0;
}

static PGresult *pg_execute(PgDb *p, const char *sql, const char *numbered, const char *const *params,
                            size_t n_params, int *errorp) {
        char name[16];
        int r = pg_prepared(p, sql, numbered, n_params, name);

        *errorp = 0;
        if (r == -ENOSPC)
                return PQexecParams(p->conn, numbered, (int)n_params, NULL, params, NULL, NULL, 0);
        if (r < 0) {
                *errorp = r;
                return NULL;
        }
        return PQexecPrepared(p->conn, name, (int)n_params, params, NULL, NULL, 0);
}

static int pg_script(void *handle, const char *sql) {
        PgDb *p = handle;
        PGresult *res;
        int r = 0;

        res = PQexec(p->conn, sql);
        if (!res && pg_reconnect(p))
                res = PQexec(p->conn, sql);
        if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
                r = pg_error(p, res);
        PQclear(res);
        if (r == 0 || strcmp(sql, "ROLLBACK") == 0)
                pg_track_transaction(p, sql);
        return r;
}

static int pg_query(void *handle, const char *sql, const char *const *params, size_t n_params,
                    OrbitDbResult *result) {
        PgDb *p = handle;
        char *numbered;
        PGresult *res;
        int r = 0;

        *result = (OrbitDbResult){ 0 };
        numbered = pg_number_placeholders(sql);
        if (!numbered)
                return -ENOMEM;
        res = pg_execute(p, sql, numbered, params, n_params, &r);
        if ((!res || PQstatus(p->conn) != CONNECTION_OK) && pg_reconnect(p)) {
                PQclear(res);
                res = pg_execute(p, sql, numbered, params, n_params, &r);
        }
        free(numbered);
        if (r < 0)
                return r;
        if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)) {
                r = pg_error(p, res);
                PQclear(res);
                return r;
        }
        result->n_rows = (size_t)PQntuples(res);
        result->n_columns = (size_t)PQnfields(res);
        result->changes = strtoull(PQcmdTuples(res), NULL, 10);
        if (result->n_rows * result->n_columns > 0) {
                result->cells = calloc(result->n_rows * result->n_columns, sizeof(char *));
                if (!result->cells)
                        r = -ENOMEM;
        }
        for (size_t row = 0; r == 0 && row < result->n_rows; row++)
                for (size_t c = 0; c < result->n_columns; c++) {
                        if (PQgetisnull(res, (int)row, (int)c))
                                continue;
                        char *cell = strdup(PQgetvalue(res, (int)row, (int)c));
                        if (!cell) {
                                r = -ENOMEM;
                                break;
                        }
                        result->cells[row * result->n_columns + c] = cell;
                }
        PQclear(res);
        if (r < 0)
                orbit_db_result_clear(result);
        return r;
}

static bool pg_in_transaction(void *handle) {
        return ((PgDb *)handle)->in_transaction;
}

static const char *pg_last_error(void *handle) {
        return ((PgDb *)handle)->error;
}

const OrbitDbBackend orbit_db_postgresql = {
        .name = "postgresql",
        .id_column = "BIGSERIAL PRIMARY KEY",
        .open = pg_open,
        .close = pg_close,
        .query = pg_query,
        .script = pg_script,
        .last_error = pg_last_error,
        .in_transaction = pg_in_transaction,
        .sync = NULL,
        .begin_lazy = "BEGIN; SET LOCAL synchronous_commit TO OFF",
        .pooled = true,
};
