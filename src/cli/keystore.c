// SPDX-License-Identifier: Apache-2.0
/*
 * kos keystore: use the key store from a shell-script app, through the same client library
 * (include/kos/keystore.h) C apps use, and check its signatures anywhere.
 *
 *   kos keystore list                           the keys this app may use
 *   kos keystore pubkey KEY                     its public key, hex
 *   kos keystore sign KEY [FILE|-] [--context]  an Ed25519 signature of FILE, hex
 *   kos keystore import KEY FILE                put a private key in, once (manufacturing)
 *   kos keystore verify PUBKEY SIGNATURE [FILE|-] [--context APP/KEY]
 *
 * The app's identity is its connection (KOS_KEYSTORE, handed over by kosd), so these verbs
 * act as the app that runs them. verify needs no connection: it checks a signature with a
 * public key, as any peer would.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/cli.h"
#include "kos/keystore.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/secret.h"

/* Largest input to sign or verify: what one request carries. */
#define CLI_KEYSTORE_INPUT_MAX KOS_KEYSTORE_DATA_MAX

static const char *cli_keystore_strerror(int r) {
        switch (-r) {
        case EACCES: return "denied by the manifest's key_store grants";
        case ENOENT: return "no such key in the manifest";
        case EOPNOTSUPP: return "the key's type has no such operation";
        case EEXIST: return "the key exists already";
        case EKEYREJECTED: return "the key's sealed file was refused";
        case ENOKEY: return "the key is not imported yet";
        case ENXIO: return "denied: no connection to the key store (the manifest grants this app no key)";
        case ECONNRESET: return "the key store has gone";
        case ETIMEDOUT: return "timed out";
        default: return strerror(-r);
        }
}

/* One line: the verb, the key, and the key store's own reason when it gave one. */
static int cli_keystore_fail(const char *verb, const char *key, int r) {
        const char *why = kos_keystore_error();

        if (r == -EINVAL && why)
                log_error("keystore %s: %s", verb, why);
        else if (why && r != -ENXIO && r != -ECONNRESET && r != -ETIMEDOUT)
                log_error("keystore %s \"%s\": %s", verb, key, why);
        else
                log_error("keystore %s \"%s\": %s", verb, key, cli_keystore_strerror(r));
        return CLI_EXIT_FAILURE;
}

/* Reads FILE, or stdin for "-" or no FILE, up to CLI_KEYSTORE_INPUT_MAX bytes. */
static int cli_keystore_read_input(const char *verb, const char *path, char **datap, size_t *sizep) {
        int r;

        if (!path || strcmp(path, "-") == 0)
                r = read_fd_full(STDIN_FILENO, CLI_KEYSTORE_INPUT_MAX, datap, sizep);
        else
                r = read_file_full(path, CLI_KEYSTORE_INPUT_MAX, datap, sizep);
        if (r == -EFBIG)
                log_error("keystore %s: %s: larger than %d bytes", verb, path ? path : "stdin", CLI_KEYSTORE_INPUT_MAX);
        else if (r < 0)
                log_error("keystore %s: %s: %s", verb, path ? path : "stdin", strerror(-r));
        return r;
}

/* Parses --context (sign: a flag; verify: APP/KEY); returns the first operand's index or -1. */
static int cli_keystore_options(int argc, char **argv, bool takes_value, bool *contextp, const char **valuep) {
        static const struct option flag_options[] = { { "context", no_argument, NULL, 'c' }, {} };
        static const struct option value_options[] = { { "context", required_argument, NULL, 'c' }, {} };
        char what[64];
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":", takes_value ? value_options : flag_options, NULL)) >= 0) {
                if (c == 'c') {
                        if (contextp)
                                *contextp = true;
                        if (valuep)
                                *valuep = optarg;
                        continue;
                }
                snprintf(what, sizeof(what), "keystore %s", argv[0]);
                cli_option_error(what, c, argv);
                return -1;
        }
        return optind;
}

static int cli_keystore_list(int argc, char **argv) {
        _cleanup_free_ char *list = NULL;
        int i = cli_keystore_options(argc, argv, false, NULL, NULL), r;

        if (i < 0)
                return CLI_EXIT_USAGE;
        if (i != argc)
                return cli_usage_error("keystore list takes no operands");
        r = kos_keystore_list(&list);
        if (r < 0)
                return cli_keystore_fail("list", "-", r);
        fputs(list, stdout);
        return CLI_EXIT_OK;
}

static int cli_keystore_pubkey(int argc, char **argv) {
        uint8_t pub[KOS_KEYSTORE_PUBLIC_KEY_SIZE];
        char hex[2 * sizeof(pub) + 1];
        int i = cli_keystore_options(argc, argv, false, NULL, NULL), r;

        if (i < 0)
                return CLI_EXIT_USAGE;
        if (argc - i != 1)
                return cli_usage_error("usage: kos keystore pubkey KEY");
        r = kos_keystore_public_key(argv[i], pub);
        if (r < 0)
                return cli_keystore_fail("pubkey", argv[i], r);
        hex_encode(hex, pub, sizeof(pub));
        printf("%s\n", hex);
        return CLI_EXIT_OK;
}

static int cli_keystore_sign(int argc, char **argv) {
        uint8_t sig[KOS_KEYSTORE_SIGNATURE_SIZE];
        char hex[2 * sizeof(sig) + 1];
        _cleanup_free_ char *data = NULL;
        bool context = false;
        size_t size;
        int i = cli_keystore_options(argc, argv, false, &context, NULL), r;

        if (i < 0)
                return CLI_EXIT_USAGE;
        if (argc - i < 1 || argc - i > 2)
                return cli_usage_error("usage: kos keystore sign KEY [FILE|-] [--context]");
        if (cli_keystore_read_input("sign", argc - i == 2 ? argv[i + 1] : NULL, &data, &size) < 0)
                return CLI_EXIT_FAILURE;
        r = kos_keystore_sign(argv[i], context ? KOS_KEYSTORE_SIGN_CONTEXT : 0, data, size, sig);
        if (r < 0)
                return cli_keystore_fail("sign", argv[i], r);
        hex_encode(hex, sig, sizeof(sig));
        printf("%s\n", hex);
        return CLI_EXIT_OK;
}

/* A private key file: 32 raw bytes, or 64 hex digits and an optional newline. */
static int cli_keystore_import(int argc, char **argv) {
        _cleanup_secret_ char *file = NULL;
        _cleanup_secret_ uint8_t *key = NULL;
        size_t size;
        int i = cli_keystore_options(argc, argv, false, NULL, NULL), r;

        if (i < 0)
                return CLI_EXIT_USAGE;
        if (argc - i != 2)
                return cli_usage_error("usage: kos keystore import KEY FILE");
        r = secret_read_file(argv[i + 1], 256, &file, &size);
        if (r < 0) {
                log_error("keystore import: %s: %s", argv[i + 1], r == -EFBIG ? "not a private key file" : strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        r = secret_alloc((void **)&key, 32);
        if (r < 0)
                return log_error("keystore import: %s", strerror(-r)), CLI_EXIT_FAILURE;
        if (size == 32)
                memcpy(key, file, 32);
        else if ((size == 64 || (size == 65 && file[64] == '\n')) && hex_decode(key, 32, file) == 0)
                ;
        else {
                log_error("keystore import: %s: not a private key (32 bytes, or 64 hex digits)", argv[i + 1]);
                return CLI_EXIT_FAILURE;
        }
        r = kos_keystore_import(argv[i], key, 32);
        if (r < 0)
                return cli_keystore_fail("import", argv[i], r);
        printf("imported %s\n", argv[i]);
        return CLI_EXIT_OK;
}

static int cli_keystore_verify(int argc, char **argv) {
        uint8_t pub[KOS_KEYSTORE_PUBLIC_KEY_SIZE], sig[KOS_KEYSTORE_SIGNATURE_SIZE];
        _cleanup_free_ char *data = NULL;
        _cleanup_free_ uint8_t *message = NULL;
        const char *context = NULL;
        char app[KOS_KEYSTORE_NAME_MAX + 1], key_name[KOS_KEYSTORE_NAME_MAX + 1];
        size_t size, message_size;
        EVP_PKEY *key = NULL;
        EVP_MD_CTX *ctx = NULL;
        bool valid = false;
        int i = cli_keystore_options(argc, argv, true, NULL, &context);

        if (i < 0)
                return CLI_EXIT_USAGE;
        if (argc - i < 2 || argc - i > 3)
                return cli_usage_error("usage: kos keystore verify PUBKEY SIGNATURE [FILE|-] [--context APP/KEY]");
        if (strlen(argv[i]) != 2 * sizeof(pub) || hex_decode(pub, sizeof(pub), argv[i]) < 0)
                return cli_usage_error("keystore verify: PUBKEY is not 64 hex digits");
        if (strlen(argv[i + 1]) != 2 * sizeof(sig) || hex_decode(sig, sizeof(sig), argv[i + 1]) < 0)
                return cli_usage_error("keystore verify: SIGNATURE is not 128 hex digits");
        if (context) {
                const char *slash = strchr(context, '/');
                size_t n = slash ? (size_t)(slash - context) : 0;

                if (!slash || n == 0 || n > KOS_KEYSTORE_NAME_MAX || strlen(slash + 1) > KOS_KEYSTORE_NAME_MAX)
                        return cli_usage_error("keystore verify: --context: expected APP/KEY, got \"%s\"", context);
                memcpy(app, context, n);
                app[n] = '\0';
                strcpy(key_name, slash + 1);
        }
        if (cli_keystore_read_input("verify", argc - i == 3 ? argv[i + 2] : NULL, &data, &size) < 0)
                return CLI_EXIT_FAILURE;
        if (context) {
                if (kos_keystore_context_message(app, key_name, data, size, &message, &message_size) < 0)
                        return cli_usage_error("keystore verify: --context: invalid app or key name in \"%s\"",
                                               context);
        } else {
                message = (uint8_t *)steal_ptr(&data);
                message_size = size;
        }
        key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, sizeof(pub));
        ctx = EVP_MD_CTX_new();
        if (key && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1)
                valid = EVP_DigestVerify(ctx, sig, sizeof(sig), message_size ? message : (const uint8_t *)"",
                                         message_size) == 1;
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(key);
        if (!valid) {
                log_error("keystore verify: the signature does not verify with that public key%s",
                          context ? " and context" : "");
                return CLI_EXIT_FAILURE;
        }
        printf("signature valid\n");
        return CLI_EXIT_OK;
}

static void cli_keystore_help(FILE *f) {
        fprintf(f, "usage: kos keystore list\n"
                   "       kos keystore pubkey KEY\n"
                   "       kos keystore sign KEY [FILE|-] [--context]\n"
                   "       kos keystore import KEY FILE\n"
                   "       kos keystore verify PUBKEY SIGNATURE [FILE|-] [--context APP/KEY]\n"
                   "\n"
                   "Use this app's keys in the key store (KOS_KEYSTORE, set by kosd); no private\n"
                   "key ever leaves it. sign prints an Ed25519 signature (hex) of FILE or stdin;\n"
                   "--context binds it to this app and key (verify with --context APP/KEY).\n"
                   "import puts a 32-byte private key (raw or 64 hex digits) in, once.\n");
}

int cli_keystore(int argc, char **argv) {
        static const CliVerb verbs[] = {
                { "list", NULL, cli_keystore_list },     { "pubkey", NULL, cli_keystore_pubkey },
                { "sign", NULL, cli_keystore_sign },     { "import", NULL, cli_keystore_import },
                { "verify", NULL, cli_keystore_verify },
        };

        if (argc < 2)
                return cli_keystore_help(stderr), CLI_EXIT_USAGE;
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                cli_keystore_help(stdout);
                return CLI_EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);
        return cli_usage_error("keystore: unknown verb \"%s\"; see 'kos keystore --help'", argv[1]);
}
