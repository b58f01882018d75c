// SPDX-License-Identifier: Apache-2.0
/*
 * kos key: generate Ed25519 signing keys and print key ids.
 *
 * Invariants: a private key is never printed or logged, only its id; generate never
 * replaces an existing key file (key_generate() refuses, and the error names the file).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/key.h"
#include "util/log.h"

static const char key_usage[] =
        "usage: kos key generate NAME   write NAME.key (private, mode 0600) and NAME.pub\n"
        "       kos key id FILE         print the key id of a public or private key file\n"
        "\n"
        "The key id is the lowercase hex SHA-256 of the raw 32-byte Ed25519 public key.\n";

/* Prints the key id of a public key file, or of a private key file. */
static int key_print_id(const char *path) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        char hex[SHA256_HEX_LEN + 1];
        Sha256Digest id;
        int r;

        r = key_load_public(&key, path);
        if (r == -EBADMSG)
                r = key_load_private(&key, path);
        if (r < 0) {
                log_error("%s: %s", path, key_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        r = key_id(key, &id);
        if (r < 0) {
                log_error("%s: cannot compute key id: %s", path, strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        sha256_to_hex(&id, hex);
        printf("%s\n", hex);
        return CLI_EXIT_OK;
}

int cli_key(int argc, char **argv) {
        if (cli_wants_help(argc, argv)) {
                fputs(key_usage, stdout);
                return CLI_EXIT_OK;
        }
        /* "kos key generate -- -odd-name": after "--", nothing is an option. */
        if (argc == 4 && strcmp(argv[2], "--") == 0) {
                argv[2] = argv[3];
                argc = 3;
        } else if (argc >= 3 && argv[2][0] == '-' && argv[2][1] != '\0')
                return cli_usage_error("key %s: unknown option \"%s\"; see 'kos key --help'", argv[1], argv[2]);
        if (argc != 3 || argv[2][0] == '\0')
                return cli_usage_error("key: expected a command and one argument; see 'kos key --help'");

        if (strcmp(argv[1], "generate") == 0) {
                char public_path[4096];
                int r = key_generate(argv[2]);

                if (r < 0) {
                        log_error("%s.key: %s", argv[2], key_strerror(r));
                        return CLI_EXIT_FAILURE;
                }
                snprintf(public_path, sizeof(public_path), "%s.pub", argv[2]);
                printf("%s.key: private key (keep it secret)\n%s: public key, id ", argv[2], public_path);
                fflush(stdout);
                return key_print_id(public_path);
        }
        if (strcmp(argv[1], "id") == 0)
                return key_print_id(argv[2]);
        return cli_usage_error("key: unknown command \"%s\"; see 'kos key --help'", argv[1]);
}
