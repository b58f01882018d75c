// SPDX-License-Identifier: Apache-2.0
/*
 * kos upgrade: fetch a signed release from another store into this one.
 *
 * Invariants: the arguments are checked in full (the ref name too) before the store is
 * touched; on any failure the exit is 1, the store's state as it was (only resumable
 * downloads stay in tmp/: update/upgrade.h) and the reason logged by update_upgrade(),
 * and nothing is printed to stdout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"
#include "update/upgrade.h"
#include "util/log.h"

static const char upgrade_usage[] =
        "usage: kos upgrade DIR --from SOURCE --trust KEYDIR [--ref NAME] [--tries N] [--ca FILE]\n"
        "\n"
        "Fetches the release refs/NAME (default latest) names at SOURCE, another store as a\n"
        "directory or an http:// or https:// URL, into the store DIR as a new pending\n"
        "generation. The manifest must be signed by a key in KEYDIR (*.pub, or one .pub file)\n"
        "and not be below DIR's version floor. Only objects DIR lacks are transferred, each\n"
        "checked against its digest; where SOURCE publishes chunk indexes ('kos store\n"
        "index'), only their chunks DIR lacks, as byte ranges, each chunk checked too. An\n"
        "interrupted transfer resumes where it stopped.\n"
        "Progress is shown when stderr is a terminal. An https server must present a\n"
        "certificate the system's CAs (or, with --ca, those in FILE) vouch for.\n"
        "\n"
        "Prints the generation, the bytes received from SOURCE, the objects fetched and their\n"
        "bytes as received, and the bytes saved: objects of the release already in DIR,\n"
        "bytes an interrupted earlier run left that SOURCE did not send again, and bytes\n"
        "reused from chunks of DIR's objects, with the share of the chunked objects that\n"
        "crossed (see docs/upgrade.md). Exit 1 and nothing changed if anything is refused.\n";

static int upgrade_parse_tries(const char *s, unsigned *triesp) {
        char *end;
        unsigned long n;

        if (!s || !*s || *s == '-')
                return -EINVAL;
        n = strtoul(s, &end, 10);
        if (*end || n == 0 || n > STORE_TRIES_MAX)
                return -EINVAL;
        *triesp = (unsigned)n;
        return 0;
}

int cli_upgrade(int argc, char **argv) {
        UpdateOptions opts = { .progress_fd = STDERR_FILENO };
        UpdateResult result;
        int r;

        if (cli_wants_help(argc, argv)) {
                fputs(upgrade_usage, stdout);
                return CLI_EXIT_OK;
        }
        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];
                const char *value = i + 1 < argc ? argv[i + 1] : NULL;

                if (strcmp(arg, "--from") == 0 || strcmp(arg, "--trust") == 0 ||
                    strcmp(arg, "--ref") == 0 || strcmp(arg, "--tries") == 0 || strcmp(arg, "--ca") == 0) {
                        if (!value)
                                return cli_usage_error("upgrade: %s needs a value", arg);
                        i++;
                        if (strcmp(arg, "--from") == 0)
                                opts.source = value;
                        else if (strcmp(arg, "--trust") == 0)
                                opts.trust_path = value;
                        else if (strcmp(arg, "--ref") == 0)
                                opts.ref_name = value;
                        else if (strcmp(arg, "--ca") == 0)
                                opts.ca_path = value;
                        else if (upgrade_parse_tries(value, &opts.tries) < 0)
                                return cli_usage_error("upgrade: --tries: \"%s\" is not a number from 1 to %u",
                                                       value, STORE_TRIES_MAX);
                } else if (arg[0] == '-' && arg[1])
                        return cli_usage_error("upgrade: unknown option \"%s\"; see 'kos upgrade --help'", arg);
                else if (!opts.store_path)
                        opts.store_path = arg;
                else
                        return cli_usage_error("upgrade: unexpected argument \"%s\"", arg);
        }
        if (!opts.store_path || !opts.source || !opts.trust_path)
                return cli_usage_error("upgrade: expected DIR --from SOURCE --trust KEYDIR; see 'kos upgrade --help'");
        if (opts.ref_name && !store_ref_name_is_valid(opts.ref_name))
                return cli_usage_error("upgrade: --ref: \"%s\" is not a valid ref name", opts.ref_name);

        r = update_upgrade(&opts, &result);
        if (r < 0)
                return CLI_EXIT_FAILURE;

        if (result.up_to_date) {
                /* Nothing was brought in: only the bytes it took to find that out. */
                printf("up to date: generation %u, manifest %s, version %" PRIu32 "\n", result.generation,
                       result.manifest, result.version);
                printf("transferred %" PRIu64 " bytes\n", result.bytes_transferred);
                return CLI_EXIT_OK;
        }
        printf("generation %u pending: manifest %s, version %" PRIu32 "\n", result.generation, result.manifest,
               result.version);
        printf("transferred %" PRIu64 " bytes; fetched %zu objects (%" PRIu64 " bytes)\n", result.bytes_transferred,
               result.n_fetched, result.bytes_fetched);
        printf("saved %" PRIu64 " bytes: %zu of %zu objects already here (%" PRIu64 " bytes), %" PRIu64
               " bytes resumed",
               result.bytes_cached + result.bytes_resumed + result.bytes_reused, result.n_cached, result.n_objects,
               result.bytes_cached, result.bytes_resumed);
        if (result.n_chunked > 0)
                printf(", %" PRIu64 " bytes reused from chunks here", result.bytes_reused);
        printf("\n");
        if (result.n_chunked > 0)
                printf("chunked %zu objects (%" PRIu64 " bytes): %" PRIu64 " bytes reused from chunks here, %" PRIu64
                       " bytes fetched as ranges; transferred %.3f of their size\n",
                       result.n_chunked, result.bytes_chunked, result.bytes_reused, result.bytes_chunked_fetched,
                       result.bytes_chunked ? (double)result.bytes_transferred / (double)result.bytes_chunked : 0.0);
        return CLI_EXIT_OK;
}
