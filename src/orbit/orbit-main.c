// SPDX-License-Identifier: Apache-2.0
/*
 * orbit: the fleet server, and its administration on the server's command line.
 *
 *     orbit --db DB --store DIR [--listen ADDR] [--port N] [--port-file FILE] [--threads N]
 *                                (request threads, default 8; PostgreSQL: as many connections)
 *     orbit admin --db DB create-user EMAIL          (password: first line of stdin)
 *     orbit admin --db DB create-org NAME --owner EMAIL
 *     orbit admin --db DB create-token EMAIL [--expires-in SECONDS]
 *
 * DB is sqlite:PATH (created on first start) or postgresql://…; DIR is the KOS store that
 * keeps release objects (created if absent).
 *
 * Invariants: the server listens where it is told, 127.0.0.1 unless --listen says
 * otherwise; --port-file is written (atomically) only once the server accepts
 * connections; SIGTERM and SIGINT stop it after answering what is in flight.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orbit/api.h"
#include "orbit/auth.h"
#include "orbit/orbit.h"
#include "store/store.h"
#include "util/fileio.h"
#include "util/log.h"

static int usage(void) {
        fprintf(stderr, "usage: orbit --db DB --store DIR [--listen ADDR] [--port N] [--port-file FILE] [--threads N]\n"
                        "       orbit admin --db DB create-user EMAIL   (password on stdin)\n"
                        "       orbit admin --db DB create-org NAME --owner EMAIL\n"
                        "       orbit admin --db DB create-token EMAIL [--expires-in SECONDS]\n"
                        "DB is sqlite:PATH or postgresql://...\n");
        return 2;
}

static int open_db(OrbitDb **dbp, const char *location, size_t connections) {
        _cleanup_free_ char *error = NULL;
        int r = orbit_db_open_pool(dbp, location, connections, &error);

        if (r < 0)
                log_error("%s", error ? error : strerror(-r));
        return r;
}

static int64_t user_id_by_email(OrbitDb *db, const char *email) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };

        if (orbit_db_query(db, &r, "SELECT id FROM users WHERE email = ?", email) < 0 || r.n_rows == 0)
                return -1;
        return orbit_db_cell_int(&r, 0, 0);
}

static int admin_create_user(OrbitDb *db, const char *email) {
        _cleanup_free_ char *line = NULL, *encoded = NULL;
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        size_t n = 0;
        ssize_t len;
        int q;

        if (!*email || strlen(email) > 254 || !strchr(email, '@'))
                return log_error("create-user: \"%s\" is not an email address", email), 2;
        len = getline(&line, &n, stdin);
        if (len <= 0)
                return log_error("create-user: give the password as the first line of standard input"), 1;
        line[strcspn(line, "\n")] = '\0';
        if (strlen(line) < 8)
                return log_error("create-user: the password must have at least 8 characters"), 1;
        q = orbit_password_hash(line, &encoded);
        memset(line, 0, strlen(line));
        if (q < 0)
                return log_error("create-user: cannot hash the password: %s", strerror(-q)), 1;
        q = orbit_db_query(db, &r, "INSERT INTO users (email, password, created) VALUES (?, ?, ?) RETURNING id", email,
                           encoded, ID(orbit_now()));
        if (q == -EEXIST)
                return log_error("create-user: %s already exists", email), 1;
        if (q < 0)
                return log_error("create-user: %s", orbit_db_last_error(db)), 1;
        printf("user %s %s\n", orbit_db_cell(&r, 0, 0), email);
        return 0;
}

static int admin_create_org(OrbitDb *db, const char *name, const char *owner) {
        _cleanup_db_result_ OrbitDbResult r = { 0 };
        int64_t user;
        int q;

        if (!orbit_name_is_valid(name))
                return log_error("create-org: \"%s\" is not a valid name (A-Z a-z 0-9 . _ -)", name), 2;
        user = user_id_by_email(db, owner);
        if (user < 0)
                return log_error("create-org: no user %s", owner), 1;
        q = orbit_db_begin(db);
        if (q >= 0)
                q = orbit_db_query(db, &r, "INSERT INTO orgs (name, created) VALUES (?, ?) RETURNING id", name,
                                   ID(orbit_now()));
        if (q >= 0)
                q = orbit_db_query(db, NULL, "INSERT INTO members (org_id, user_id, role) VALUES (?, ?, 'owner')",
                                   orbit_db_cell(&r, 0, 0), ID(user));
        if (q >= 0)
                q = orbit_db_query(db, NULL, "INSERT INTO audit (org_id, user_id, action, detail, at) VALUES (?, ?, ?, ?, ?)",
                                   orbit_db_cell(&r, 0, 0), ID(user), "org.create", "created by orbit admin",
                                   ID(orbit_now()));
        if (q >= 0)
                q = orbit_db_commit(db);
        if (q < 0) {
                (void)orbit_db_rollback(db);
                if (q == -EEXIST)
                        return log_error("create-org: %s already exists", name), 1;
                return log_error("create-org: %s", orbit_db_last_error(db)), 1;
        }
        printf("org %s %s\n", orbit_db_cell(&r, 0, 0), name);
        return 0;
}

static int admin_create_token(OrbitDb *db, const char *email, const char *expires_in) {
        char token[ORBIT_TOKEN_HEX + 1];
        int64_t user = user_id_by_email(db, email), expires = 0;
        int q;

        if (user < 0)
                return log_error("create-token: no user %s", email), 1;
        if (expires_in) {
                char *end;
                long long s = strtoll(expires_in, &end, 10);
                if (*end || s < 0)
                        return log_error("create-token: --expires-in takes seconds (0 or more)"), 2;
                expires = orbit_now() + s;
                if (s == 0)
                        expires = orbit_now(); /* valid until now: already expired */
        }
        q = orbit_token_create(db, user, "admin", expires, token);
        if (q < 0)
                return log_error("create-token: %s", orbit_db_last_error(db)), 1;
        printf("%s\n", token);
        return 0;
}

static int admin(int argc, char **argv) {
        _cleanup_(orbit_db_closep) OrbitDb *db = NULL;
        const char *location = NULL, *owner = NULL, *expires_in = NULL;
        static const struct option options[] = {
                { "db", required_argument, NULL, 'd' },
                { "owner", required_argument, NULL, 'o' },
                { "expires-in", required_argument, NULL, 'e' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'd': location = optarg; break;
                case 'o': owner = optarg; break;
                case 'e': expires_in = optarg; break;
                default: return usage();
                }
        }
        if (!location || argc - optind != 2)
                return usage();
        if (open_db(&db, location, 1) < 0)
                return 1;
        if (strcmp(argv[optind], "create-user") == 0 && !owner && !expires_in)
                return admin_create_user(db, argv[optind + 1]);
        if (strcmp(argv[optind], "create-org") == 0 && owner && !expires_in)
                return admin_create_org(db, argv[optind + 1], owner);
        if (strcmp(argv[optind], "create-token") == 0 && !owner)
                return admin_create_token(db, argv[optind + 1], expires_in);
        return usage();
}

static int serve(int argc, char **argv) {
        const char *location = NULL, *store_dir = NULL, *listen = "127.0.0.1", *port_file = NULL;
        static const struct option options[] = {
                { "db", required_argument, NULL, 'd' },
                { "store", required_argument, NULL, 's' },
                { "listen", required_argument, NULL, 'l' },
                { "port", required_argument, NULL, 'p' },
                { "port-file", required_argument, NULL, 'f' },
                { "threads", required_argument, NULL, 't' },
                {},
        };
        Orbit o = { 0 };
        unsigned threads = 8;
        uint16_t port = 0, bound = 0;
        sigset_t mask;
        int c, r, sig, status = 1;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'd': location = optarg; break;
                case 's': store_dir = optarg; break;
                case 'l': listen = optarg; break;
                case 'p': port = (uint16_t)strtoul(optarg, NULL, 10); break;
                case 'f': port_file = optarg; break;
                case 't': threads = (unsigned)strtoul(optarg, NULL, 10); break;
                default: return usage();
                }
        }
        if (!location || !store_dir || optind != argc || threads == 0 || threads > 64)
                return usage();

        /* signals are taken by sigwait() below, in this thread; every other thread blocks them */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);

        orbit_key_cache_init(&o);
        if (open_db(&o.db, location, threads) < 0) {
                orbit_key_cache_clear(&o);
                return 1;
        }
        r = orbit_download_secret_load(&o);
        if (r < 0) {
                log_error("cannot load the download secret: %s", orbit_db_last_error(o.db));
                goto out;
        }
        r = store_init(store_dir);
        if (r >= 0)
                r = store_open(&o.store, store_dir, STORE_OPEN_READ);
        if (r < 0) {
                log_error("store %s: %s", store_dir, store_strerror(r));
                goto out;
        }
        r = orbit_waiters_new(&o.waiters);
        if (r < 0)
                goto out;
        r = orbit_serve_start(&o, listen, port, &bound, threads);
        if (r < 0) {
                log_error("cannot listen on %s:%u", listen, port);
                goto out;
        }
        if (asprintf(&o.public_url, "http://%s:%u", listen, bound) < 0)
                goto out;
        log_notice("serving on %s (database %s, schema version %u, store %s)", o.public_url,
                   orbit_db_backend_name(o.db), orbit_db_schema_version(o.db), store_dir);
        if (port_file) {
                char text[16];
                int n = snprintf(text, sizeof(text), "%u\n", bound);
                if (write_file_atomic(port_file, text, (size_t)n, 0644) < 0) {
                        log_error("cannot write %s", port_file);
                        goto out;
                }
        }
        sigdelset(&mask, SIGPIPE);
        /* lazy commits (device nonces, auth.h invariant 3) are synced at least every second */
        for (;;) {
                struct timespec second = { .tv_sec = 1 };
                sig = sigtimedwait(&mask, NULL, &second);
                if (sig > 0)
                        break;
                orbit_db_sync(o.db);
        }
        status = 0;
out:
        orbit_serve_stop(&o);
        orbit_waiters_free(o.waiters);
        store_close(o.store);
        orbit_db_close(o.db);
        free(o.public_url);
        OPENSSL_cleanse(o.download_secret, sizeof(o.download_secret));
        orbit_key_cache_clear(&o);
        return status;
}

int main(int argc, char **argv) {
        log_set_program("orbit");
        if (argc >= 2 && strcmp(argv[1], "admin") == 0)
                return admin(argc - 1, argv + 1);
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
                return usage(), 0;
        return serve(argc, argv);
}
