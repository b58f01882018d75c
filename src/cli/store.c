// SPDX-License-Identifier: Apache-2.0
/*
 * kos store: init, add, commit, list, verify and gc a content-addressed store.
 *
 * Invariants: every command that changes the store opens it for writing (taking its
 * lock); arguments that name things inside the store (ref names) are validated before
 * use; errors are one "kos: " line naming the store or file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "boot/boot.h"
#include "cli/cli.h"
#include "cli/store.h"
#include "crypto/signature.h"
#include "manifest/manifest.h"
#include "store/chunk-index.h"
#include "store/fsck.h"
#include "store/gc.h"
#include "store/store.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/strv.h"

static const char store_usage[] =
        "usage: kos store COMMAND DIR ...\n"
        "\n"
        "  init DIR                           create a store (idempotent)\n"
        "  add DIR FILE...                    import files as objects; prints \"<sha256>  FILE\"\n"
        "  commit DIR MANIFEST.dtb [--sig SIG] [--tries N] [--ref NAME]\n"
        "                                     new pending generation (N boot tries, default 3)\n"
        "                                     pointed at by refs/NAME (default latest); SIG\n"
        "                                     defaults to MANIFEST.dtb.sig if it exists\n"
        "  list DIR [--json]                  generations, their state, which is current\n"
        "  verify DIR [--jobs N]              re-hash every object; exit 1 naming each bad one\n"
        "  gc DIR [--keep N]                  delete what no kept generation needs (keep 2 good)\n"
        "  index DIR [--average BYTES] [DIGEST...]\n"
        "                                     publish chunk indexes (chunks/DIGEST.idx) of the\n"
        "                                     given objects, or of all, for chunked upgrades;\n"
        "                                     BYTES: average chunk size, a power of two\n"
        "                                     (default: by the object's size, docs/store.md)\n";

static int cli_store_parse_unsigned(const char *verb, const char *cmd, const char *name, const char *value,
                                 unsigned min, unsigned max, unsigned *out) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(value, &end, 10);
        if (errno || *end || !*value || value[0] == '-' || v < min || v > max)
                return cli_usage_error("%s %s: %s must be a number from %u to %u, not \"%s\"",
                                       verb, cmd, name, min, max, value);
        *out = (unsigned)v;
        return 0;
}

/* Parses argv (argv[0] is the command) for the options in allowed (CliStoreOption). */
static int cli_store_parse_options(const char *verb, int argc, char **argv, unsigned allowed, CliStoreOptions *o) {
        static const struct option options[] = {
                { "sig", required_argument, NULL, CLI_STORE_OPTION_SIG },
                { "tries", required_argument, NULL, CLI_STORE_OPTION_TRIES },
                { "ref", required_argument, NULL, CLI_STORE_OPTION_REF },
                { "json", no_argument, NULL, CLI_STORE_OPTION_JSON },
                { "keep", required_argument, NULL, CLI_STORE_OPTION_KEEP },
                { "jobs", required_argument, NULL, CLI_STORE_OPTION_JOBS },
                { "trust", required_argument, NULL, CLI_STORE_OPTION_TRUST },
                { "average", required_argument, NULL, CLI_STORE_OPTION_AVERAGE },
                {},
        };
        const char *cmd = argv[0];
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", options, NULL)) >= 0) {
                if (c == '?')
                        return cli_usage_error("%s %s: unknown option \"%s\"", verb, cmd, argv[optind - 1]);
                if (c == ':')
                        return cli_usage_error("%s %s: option \"%s\" needs a value", verb, cmd, argv[optind - 1]);
                if (!(allowed & (unsigned)c))
                        return cli_usage_error("%s %s: option \"%s\" does not apply", verb, cmd, argv[optind - 1]);
                r = 0;
                switch (c) {
                case CLI_STORE_OPTION_SIG:
                        o->sig = optarg;
                        break;
                case CLI_STORE_OPTION_REF:
                        o->ref = optarg;
                        break;
                case CLI_STORE_OPTION_TRUST:
                        o->trust = optarg;
                        break;
                case CLI_STORE_OPTION_JSON:
                        o->json = true;
                        break;
                case CLI_STORE_OPTION_TRIES:
                        r = cli_store_parse_unsigned(verb, cmd, "--tries", optarg, 1, STORE_TRIES_MAX, &o->tries);
                        break;
                case CLI_STORE_OPTION_KEEP:
                        r = cli_store_parse_unsigned(verb, cmd, "--keep", optarg, 0, 1000000, &o->keep);
                        break;
                case CLI_STORE_OPTION_JOBS:
                        r = cli_store_parse_unsigned(verb, cmd, "--jobs", optarg, 1, 16, &o->jobs);
                        break;
                case CLI_STORE_OPTION_AVERAGE:
                        r = cli_store_parse_unsigned(verb, cmd, "--average", optarg, 256, STORE_CHUNK_MAX_LIMIT / 4,
                                                     &o->average);
                        break;
                }
                if (r != 0)
                        return r;
        }
        return 0;
}

int cli_store_dispatch(const char *verb, const char *usage, const CliStoreCommand *commands,
                       size_t n_commands, int argc, char **argv) {
        CliStoreOptions o = { .keep = STORE_GC_KEEP_DEFAULT };

        if (argc < 2 || cli_wants_help(argc, argv)) {
                fputs(usage, argc < 2 ? stderr : stdout);
                return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
        }
        for (size_t i = 0; i < n_commands; i++) {
                int r;

                if (strcmp(argv[1], commands[i].name) != 0)
                        continue;
                r = cli_store_parse_options(verb, argc - 1, argv + 1, commands[i].options, &o);
                if (r != 0)
                        return r;
                return commands[i].run(argv + 1 + optind, (size_t)(argc - 1 - optind), &o);
        }
        return cli_usage_error("%s: unknown command \"%s\"; see 'kos %s --help'", verb, argv[1], verb);
}

/* Opens a store, reporting errors as "kos: DIR: ...". Shared with kos boot. */
int cli_store_open(Store **storep, const char *dir, StoreOpenFlags flags) {
        int r = store_open(storep, dir, flags);

        if (r == -ENOENT)
                return log_error_errno(r, "%s: no such store", dir);
        if (r == -EMEDIUMTYPE)
                return log_error_errno(r, "%s: not a store (no valid %s marker; see 'kos store init')",
                                       dir, STORE_MARKER);
        if (r == -EPROTONOSUPPORT)
                return log_error_errno(r, "%s: store format version is not %d", dir, STORE_FORMAT_VERSION);
        if (r == -ELOOP || r == -ENOTDIR)
                return log_error_errno(r, "%s: %s", dir, store_strerror(r));
        if (r < 0)
                return log_error_errno(r, "%s: cannot open store: %s", dir, strerror(-r));
        return 0;
}

static int cli_store_init(char **args, size_t n, const CliStoreOptions *o) {
        int r;

        if (n != 1)
                return cli_usage_error("store init: expected DIR");
        r = store_init(args[0]);
        if (r == -ENOTEMPTY)
                return log_error("%s: not empty and not a store; refusing to turn it into one", args[0]),
                       CLI_EXIT_FAILURE;
        if (r == -EPROTONOSUPPORT)
                return log_error("%s: store format version is not %d", args[0], STORE_FORMAT_VERSION),
                       CLI_EXIT_FAILURE;
        if (r < 0)
                return log_error("%s: cannot create store: %s", args[0], store_strerror(r)), CLI_EXIT_FAILURE;
        return CLI_EXIT_OK;
}

static int cli_store_add(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;

        if (n < 2)
                return cli_usage_error("store add: expected DIR FILE...");
        if (cli_store_open(&store, args[0], STORE_OPEN_WRITE) < 0)
                return CLI_EXIT_FAILURE;
        for (size_t i = 1; i < n; i++) {
                char hex[SHA256_HEX_LEN + 1];
                Sha256Digest d;
                int r;

                r = store_object_add_file(store, args[i], NULL, &d);
                if (r < 0)
                        return log_error("%s: cannot add: %s", args[i], strerror(-r)), CLI_EXIT_FAILURE;
                sha256_to_hex(&d, hex);
                printf("%s  %s\n", hex, args[i]);
        }
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/* True if the store at dir has an entry named name (for telling missing from malformed). */
static bool cli_store_has_file(const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        return asprintf(&path, "%s/%s", dir, name) >= 0 && lstat(path, &st) == 0;
}

static int cli_store_commit(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *default_sig = NULL, *missing = NULL;
        const char *dir, *path, *sig, *ref = o->ref ? o->ref : STORE_REF_DEFAULT;
        ManifestError err = {};
        unsigned number;
        uint32_t floor_version;
        int r;

        if (n != 2)
                return cli_usage_error("store commit: expected DIR MANIFEST.dtb");
        dir = args[0];
        path = args[1];
        if (!store_ref_name_is_valid(ref))
                return cli_usage_error("store commit: invalid ref name \"%s\" (letters, digits, '.', '_', '-'; not starting with '.')", ref);
        if (store_ref_name_is_reserved(ref))
                return cli_usage_error("store commit: ref \"%s\" is reserved for the boot decision", ref);

        sig = o->sig;
        if (!sig) {
                if (asprintf(&default_sig, "%s.sig", path) < 0)
                        return log_error("out of memory"), CLI_EXIT_FAILURE;
                if (access(default_sig, F_OK) == 0)
                        sig = default_sig;
        }

        r = manifest_load(&m, path, &err);
        if (r == -EBADMSG || r == -EFBIG) {
                char what[600];
                manifest_error_format(&err, what, sizeof(what));
                return log_error("%s: %s", path, what), CLI_EXIT_FAILURE;
        }
        if (r < 0)
                return log_error("%s: %s", path, strerror(-r)), CLI_EXIT_FAILURE;
        if (sig) {
                _cleanup_(signature_list_freep) SignatureList *list = NULL;
                SignatureParseError perr = {};
                char hex[SHA256_HEX_LEN + 1];

                r = signature_list_load(&list, sig, &perr);
                if (r == -EBADMSG)
                        return log_error("%s:%u: malformed signature line", sig, perr.line), CLI_EXIT_FAILURE;
                if (r == -ENOTUNIQ) {
                        sha256_to_hex(&perr.key_id, hex);
                        return log_error("%s:%u: a second signature by key %s; "
                                         "a signature file holds one line per key", sig, perr.line, hex),
                               CLI_EXIT_FAILURE;
                }
                if (r < 0)
                        return log_error("%s: %s", sig, strerror(-r)), CLI_EXIT_FAILURE;
        }

        if (cli_store_open(&store, dir, STORE_OPEN_WRITE) < 0)
                return CLI_EXIT_FAILURE;
        r = store_commit_files(store, path, sig, o->tries ? o->tries : STORE_TRIES_DEFAULT, ref,
                               &number, &missing);
        if (r == -ENOENT && missing)
                return log_error("%s: references object %s, which is not in the store %s",
                                 path, missing, dir), CLI_EXIT_FAILURE;
        if (r == -ERANGE && store_floor_get(store, &floor_version) >= 0)
                return log_error("%s: version %u is below the store's version floor %u",
                                 path, (unsigned)m->version, (unsigned)floor_version), CLI_EXIT_FAILURE;
        if (r == -EBADMSG && store_floor_get(store, &floor_version) == -EBADMSG)
                return log_error("%s: cannot commit: %s/floor is %s (boot confirm rewrites it)",
                                 path, dir, cli_store_has_file(dir, "floor") ? "malformed" : "missing"),
                       CLI_EXIT_FAILURE;
        if (r < 0)
                return log_error("%s: cannot commit to %s: %s", path, dir, strerror(-r)), CLI_EXIT_FAILURE;
        printf("%u\n", number);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int cli_store_list(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;
        _cleanup_free_ StoreGeneration *gens = NULL;
        unsigned current = 0, booted = 0;
        uint32_t floor_version;
        size_t n_gens;
        int r;

        if (n != 1)
                return cli_usage_error("store list: expected DIR");
        if (cli_store_open(&store, args[0], STORE_OPEN_READ) < 0)
                return CLI_EXIT_FAILURE;
        r = store_generation_list(store, &gens, &n_gens);
        if (r >= 0)
                r = boot_ref_generation(store, STORE_REF_CURRENT, &current);
        if (r >= 0)
                r = boot_ref_generation(store, STORE_REF_BOOTED, &booted);
        if (r >= 0)
                r = boot_floor_get(store, current, &floor_version);
        if (r < 0)
                return log_error("%s: cannot read store: %s", args[0], strerror(-r)), CLI_EXIT_FAILURE;

        if (o->json) {
                json_t *root = json_object(), *list = json_array();

                for (size_t i = 0; i < n_gens; i++) {
                        char m[SHA256_HEX_LEN + 1], s[SHA256_HEX_LEN + 1];
                        sha256_to_hex(&gens[i].manifest, m);
                        sha256_to_hex(&gens[i].signatures, s);
                        json_array_append_new(list, json_pack(
                                "{s:I, s:s, s:s?, s:I, s:s, s:I, s:I, s:b, s:b}",
                                "generation", (json_int_t)gens[i].number, "manifest", m,
                                "signatures", gens[i].has_signatures ? s : NULL,
                                "version", (json_int_t)gens[i].version,
                                "state", store_generation_state_to_string(gens[i].state),
                                "tries", (json_int_t)gens[i].tries,
                                "unconfirmed_boots", (json_int_t)gens[i].boots,
                                "current", gens[i].number == current, "booted", gens[i].number == booted));
                }
                json_object_set_new(root, "generations", list);
                json_object_set_new(root, "current", current ? json_integer(current) : json_null());
                json_object_set_new(root, "booted", booted ? json_integer(booted) : json_null());
                json_object_set_new(root, "floor", json_integer(floor_version));
                r = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                json_decref(root);
                putchar('\n');
        } else {
                printf("%-5s %-8s %-5s %-8s %-64s %s\n", "GEN", "STATE", "TRIES", "VERSION", "MANIFEST", "");
                for (size_t i = 0; i < n_gens; i++) {
                        char m[SHA256_HEX_LEN + 1];
                        sha256_to_hex(&gens[i].manifest, m);
                        printf("%-5u %-8s %-5u %-8u %s %s%s\n", gens[i].number,
                               store_generation_state_to_string(gens[i].state), gens[i].tries,
                               (unsigned)gens[i].version, m,
                               gens[i].number == current ? "current" : "",
                               gens[i].number == booted ? (gens[i].number == current ? ",booted" : "booted") : "");
                }
        }
        return fflush(stdout) == 0 && r >= 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int cli_store_verify(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;
        StoreFsckReport report;
        unsigned jobs = o->jobs;
        int r;

        if (n != 1)
                return cli_usage_error("store verify: expected DIR");
        if (cli_store_open(&store, args[0], STORE_OPEN_CONSISTENT) < 0)
                return CLI_EXIT_FAILURE;
        if (jobs == 0) {
                long cpus = sysconf(_SC_NPROCESSORS_ONLN);
                jobs = cpus > 0 ? (unsigned)(cpus > 4 ? 4 : cpus) : 1;
        }
        r = store_fsck(store, jobs, &report);
        if (r < 0)
                return log_error("%s: cannot verify: %s", args[0], strerror(-r)), CLI_EXIT_FAILURE;
        for (size_t i = 0; i < report.n_problems; i++) {
                const StoreFsckProblem *p = &report.problems[i];
                if (p->verdict == STORE_E_MALFORMED) {
                        log_error("%s: %s is malformed", args[0], p->needed_by);
                        continue;
                }
                log_error("%s: object %s %s%s%s%s", args[0], p->digest,
                          p->verdict == STORE_E_MISSING ? "is missing" :
                          p->verdict == STORE_E_CORRUPT ? "is corrupt" : "cannot be read: ",
                          p->verdict < 0 ? strerror(-p->verdict) : "",
                          p->needed_by ? ", needed by " : "", p->needed_by ? p->needed_by : "");
        }
        if (report.n_problems == 0)
                printf("%zu objects, %llu bytes: all match their digests\n", report.n_objects,
                       (unsigned long long)report.n_bytes);
        r = report.n_problems == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
        store_fsck_report_done(&report);
        return r;
}

static int cli_store_gc(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;
        StoreGcStats stats;
        int r;

        if (n != 1)
                return cli_usage_error("store gc: expected DIR");
        if (cli_store_open(&store, args[0], STORE_OPEN_WRITE) < 0)
                return CLI_EXIT_FAILURE;
        r = store_gc(store, o->keep, &stats);
        if (r < 0)
                return log_error("%s: gc failed: %s", args[0], strerror(-r)), CLI_EXIT_FAILURE;
        printf("removed %zu generations, %zu objects, %llu bytes\n", stats.n_generations_removed,
               stats.n_objects_removed, (unsigned long long)stats.n_bytes_freed);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

static int cli_store_index(char **args, size_t n, const CliStoreOptions *o) {
        _cleanup_store_close_ Store *store = NULL;
        _cleanup_strv_free_ char **all = NULL;
        StoreChunkParams params;
        const StoreChunkParams *chosen = NULL;
        size_t written = 0, kept = 0;
        char **digests;
        int r;

        if (n < 1)
                return cli_usage_error("store index: expected DIR [DIGEST...]");
        if (o->average) {
                if (store_chunk_params_from_average(o->average, &params) < 0)
                        return cli_usage_error("store index: --average: %u is not a power of two from 256 to %u",
                                               o->average, STORE_CHUNK_MAX_LIMIT / 4);
                chosen = &params;
        }
        for (size_t i = 1; i < n; i++)
                if (!hex_is_sha256(args[i]))
                        return cli_usage_error("store index: \"%s\" is not an object digest (64 lowercase hex digits)",
                                               args[i]);
        if (cli_store_open(&store, args[0], STORE_OPEN_WRITE) < 0)
                return CLI_EXIT_FAILURE;
        if (n > 1)
                digests = args + 1;
        else {
                r = store_object_list(store, &all);
                if (r < 0)
                        return log_error("%s: listing objects: %s", args[0], strerror(-r)), CLI_EXIT_FAILURE;
                digests = all;
        }
        for (char **d = digests; *d; d++) {
                r = store_chunk_index_publish(store, *d, chosen);
                if (r == -ENOENT)
                        return log_error("%s: no object %s", args[0], *d), CLI_EXIT_FAILURE;
                if (r == -EBADMSG)
                        return log_error("%s: object %s is corrupt (its bytes do not hash to its name)", args[0], *d),
                               CLI_EXIT_FAILURE;
                if (r < 0)
                        return log_error("%s: indexing object %s: %s", args[0], *d, strerror(-r)), CLI_EXIT_FAILURE;
                if (r > 0)
                        written++;
                else
                        kept++;
        }
        printf("indexed %zu objects (%zu already indexed)\n", written, kept);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

int cli_store(int argc, char **argv) {
        static const CliStoreCommand commands[] = {
                { "init", 0, cli_store_init },
                { "add", 0, cli_store_add },
                { "commit", CLI_STORE_OPTION_SIG | CLI_STORE_OPTION_TRIES | CLI_STORE_OPTION_REF, cli_store_commit },
                { "list", CLI_STORE_OPTION_JSON, cli_store_list },
                { "verify", CLI_STORE_OPTION_JOBS, cli_store_verify },
                { "gc", CLI_STORE_OPTION_KEEP, cli_store_gc },
                { "index", CLI_STORE_OPTION_AVERAGE, cli_store_index },
        };

        return cli_store_dispatch("store", store_usage, commands, ELEMENTSOF(commands), argc, argv);
}
