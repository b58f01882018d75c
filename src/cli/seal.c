// SPDX-License-Identifier: Apache-2.0
/*
 * kos seal: device keys sealed at manufacturing (crypto/seal.h, docs/sealing.md).
 *
 * Invariants: no secret byte is printed or logged; secrets are read only into secret memory
 * (util/secret.h) and wiped after use; an output file is written whole or not at all and
 * never replaces a file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "cli/cli.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/secret.h"

static const char seal_usage[] =
        "usage: kos seal generate FILE\n"
        "       kos seal create --root-key FILE --name NAME --type TYPE [--use USES] KEYFILE -o OUT\n"
        "       kos seal show FILE\n"
        "       kos seal check --root-key FILE [--name NAME] [--type TYPE] FILE\n"
        "\n"
        "generate  writes 32 random bytes to a new FILE of mode 0400: a device root key, or an\n"
        "          aes-256 key (kos image encrypt --key).\n"
        "create    seals the key in KEYFILE for the key store under the root key: OUT is what\n"
        "          the device keeps at <DataFS>/kos/keystore/NAME.sealed. TYPE is ed25519, x25519\n"
        "          or aes-256; KEYFILE holds the raw 32-byte private key (mode 0400 or 0600), or\n"
        "          for ed25519 a PEM private key of 'kos key generate'. USES (comma-separated:\n"
        "          sign, agree, wrap, unwrap) default to all the type allows.\n"
        "show      prints what a sealed key says it is: name, type, uses. Needs no key.\n"
        "check     opens a sealed key under the root key as the device would, for NAME (by\n"
        "          default the file's name without .sealed), and says whether it opens.\n"
        "\n"
        "A root key or key file is refused unless it is a regular file of exactly 32 bytes\n"
        "that neither group nor others may read or write.\n";

enum {
        OPT_ROOT_KEY = 0x100,
        OPT_NAME,
        OPT_TYPE,
        OPT_USE,
};

static const struct option seal_options[] = {
        { "root-key", required_argument, NULL, OPT_ROOT_KEY },
        { "name", required_argument, NULL, OPT_NAME },
        { "type", required_argument, NULL, OPT_TYPE },
        { "use", required_argument, NULL, OPT_USE },
        { "output", required_argument, NULL, 'o' },
        {},
};

typedef struct SealArgs {
        const char *root_key, *name, *type, *use, *out;
        char **files;
        int n_files;
} SealArgs;

static int seal_parse(int argc, char **argv, const char *verb, SealArgs *a) {
        int c;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, ":o:", seal_options, NULL)) != -1) {
                switch (c) {
                case OPT_ROOT_KEY:
                        a->root_key = optarg;
                        break;
                case OPT_NAME:
                        a->name = optarg;
                        break;
                case OPT_TYPE:
                        a->type = optarg;
                        break;
                case OPT_USE:
                        a->use = optarg;
                        break;
                case 'o':
                        a->out = optarg;
                        break;
                default:
                        return cli_option_error(verb, c, argv);
                }
        }
        a->files = argv + optind;
        a->n_files = argc - optind;
        return 0;
}

static int seal_load_root(const char *path, SealRootKey **rootp) {
        int r = seal_root_key_load(rootp, path);

        if (r != 0) {
                log_error("%s: %s", path, seal_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        return 0;
}

static int seal_generate(SealArgs *a) {
        int r;

        if (a->n_files != 1 || a->root_key || a->name || a->type || a->use || a->out)
                return cli_usage_error("seal generate: expected one FILE and no options");
        r = seal_key_file_generate(a->files[0], SEAL_ROOT_KEY_SIZE);
        if (r != 0) {
                log_error("%s: %s", a->files[0], r == -EEXIST ? "exists; refusing to overwrite it" : seal_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        printf("%s: 32-byte key (keep it secret)\n", a->files[0]);
        return CLI_EXIT_OK;
}

/*
 * The secret bytes of KEYFILE for a key of type: 32 raw bytes, or for ed25519 a PEM
 * private key. Into secret memory at *secretp.
 */
static int seal_read_secret(const char *path, SealKeyType type, uint8_t **secretp) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
        _cleanup_secret_ uint8_t *secret = NULL;
        size_t size = 32;
        int r;

        r = seal_key_file_load(&secret, path, 32);
        if (r == SEAL_E_KEY_FILE_SIZE && type == SEAL_KEY_ED25519) {
                r = key_load_private(&pkey, path);
                if (r < 0) {
                        log_error("%s: neither 32 raw bytes nor an Ed25519 private key: %s", path, key_strerror(r));
                        return CLI_EXIT_FAILURE;
                }
                r = secret_alloc((void **)&secret, 32);
                if (r < 0) {
                        log_error("%s", strerror(-r));
                        return CLI_EXIT_FAILURE;
                }
                if (EVP_PKEY_get_raw_private_key(pkey, secret, &size) != 1 || size != 32) {
                        ERR_clear_error();
                        log_error("%s: cannot read the Ed25519 private key", path);
                        return CLI_EXIT_FAILURE;
                }
        } else if (r != 0) {
                log_error("%s: %s", path, r == SEAL_E_KEY_FILE_SIZE ? "a key file of this type holds 32 bytes" : seal_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        *secretp = steal_ptr(&secret);
        return 0;
}

static int seal_create(SealArgs *a) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = NULL;
        _cleanup_secret_ uint8_t *secret = NULL;
        _cleanup_free_ uint8_t *blob = NULL;
        SealKeyInfo info = {};
        size_t size;
        int r;

        if (a->n_files != 1 || !a->root_key || !a->name || !a->type || !a->out)
                return cli_usage_error("seal create: expected --root-key FILE --name NAME --type TYPE KEYFILE -o OUT");
        if (!seal_key_name_is_valid(a->name))
                return cli_usage_error("seal create: --name \"%s\": use 1-63 of A-Z a-z 0-9 _ - . + , starting with a letter or digit",
                                       a->name);
        if (seal_key_type_from_string(a->type, &info.type) != 0)
                return cli_usage_error("seal create: --type \"%s\": expected ed25519, x25519 or aes-256", a->type);
        info.use = seal_key_type_uses(info.type);
        if (a->use && seal_key_use_from_string(a->use, &info.use) != 0)
                return cli_usage_error("seal create: --use \"%s\": expected sign, agree, wrap or unwrap, comma-separated",
                                       a->use);
        if ((info.use & ~seal_key_type_uses(info.type)) != 0)
                return cli_usage_error("seal create: --use \"%s\": not a use of an %s key", a->use, a->type);
        snprintf(info.name, sizeof(info.name), "%s", a->name);

        r = seal_load_root(a->root_key, &root);
        if (r != 0)
                return r;
        r = seal_read_secret(a->files[0], info.type, &secret);
        if (r != 0)
                return r;
        r = seal_blob_create(root, &info, secret, 32, &blob, &size);
        if (r != 0) {
                log_error("seal create: %s", seal_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        r = write_file_new(a->out, blob, size, 0600);
        if (r < 0) {
                log_error("%s: %s", a->out, r == -EEXIST ? "exists; refusing to overwrite it" : strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        return CLI_EXIT_OK;
}

static void seal_print_info(const char *path, const SealKeyInfo *info) {
        char uses[64];

        (void)seal_key_use_to_string(info->use, uses, sizeof(uses));
        printf("%s: key \"%s\", %s, use %s\n", path, info->name, seal_key_type_to_string(info->type), uses);
}

static int seal_read_blob(const char *path, uint8_t **datap, size_t *sizep) {
        int r = seal_blob_read_file(path, datap, sizep);

        if (r < 0) {
                log_error("%s: %s", path,
                          r == -EFBIG ? "too large for a sealed key" : r == -EINVAL ? "not a regular file" : strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        return 0;
}

static int seal_show(SealArgs *a) {
        _cleanup_free_ uint8_t *data = NULL;
        SealBlob blob;
        size_t size;
        int r;

        if (a->n_files != 1 || a->root_key || a->name || a->type || a->use || a->out)
                return cli_usage_error("seal show: expected one FILE and no options");
        r = seal_read_blob(a->files[0], &data, &size);
        if (r != 0)
                return r;
        r = seal_blob_parse(data, size, &blob);
        if (r != 0) {
                log_error("%s: %s", a->files[0], seal_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        seal_print_info(a->files[0], &blob.info);
        return CLI_EXIT_OK;
}

/* NAME.sealed's NAME, or "" when the file is named otherwise. */
static void seal_name_of_file(const char *path, char name[SEAL_KEY_NAME_MAX + 1]) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t n = strlen(base);

        name[0] = '\0';
        if (n > strlen(".sealed") && strcmp(base + n - strlen(".sealed"), ".sealed") == 0 &&
            n - strlen(".sealed") <= SEAL_KEY_NAME_MAX) {
                memcpy(name, base, n - strlen(".sealed"));
                name[n - strlen(".sealed")] = '\0';
        }
}

static int seal_check(SealArgs *a) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = NULL;
        _cleanup_secret_ uint8_t *secret = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        SealKeyType type = SEAL_KEY_ANY;
        char name[SEAL_KEY_NAME_MAX + 1];
        size_t size, secret_size;
        SealKeyInfo info;
        int r;

        if (a->n_files != 1 || !a->root_key || a->use || a->out)
                return cli_usage_error("seal check: expected --root-key FILE [--name NAME] [--type TYPE] FILE");
        if (a->type && seal_key_type_from_string(a->type, &type) != 0)
                return cli_usage_error("seal check: --type \"%s\": expected ed25519, x25519 or aes-256", a->type);
        if (a->name)
                snprintf(name, sizeof(name), "%s", a->name);
        else
                seal_name_of_file(a->files[0], name);
        if (!seal_key_name_is_valid(name))
                return cli_usage_error("seal check: %s: name the key with --name (the file is not NAME.sealed)",
                                       a->files[0]);
        r = seal_load_root(a->root_key, &root);
        if (r != 0)
                return r;
        r = seal_read_blob(a->files[0], &data, &size);
        if (r != 0)
                return r;
        r = secret_alloc((void **)&secret, SEAL_SECRET_MAX);
        if (r < 0) {
                log_error("%s", strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        r = seal_blob_open(root, data, size, name, type, &info, secret, &secret_size);
        if (r != 0) {
                log_error("%s: key \"%s\": %s", a->files[0], name, seal_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        seal_print_info(a->files[0], &info);
        return CLI_EXIT_OK;
}

int cli_seal(int argc, char **argv) {
        SealArgs a = {};
        int r;

        if (cli_wants_help(argc, argv)) {
                fputs(seal_usage, stdout);
                return CLI_EXIT_OK;
        }
        if (argc < 2)
                return cli_usage_error("seal: expected a command; see 'kos seal --help'");
        char what[64];

        snprintf(what, sizeof(what), "seal %s", argv[1]);
        r = seal_parse(argc - 1, argv + 1, what, &a);
        if (r != 0)
                return r;
        if (strcmp(argv[1], "generate") == 0)
                return seal_generate(&a);
        if (strcmp(argv[1], "create") == 0)
                return seal_create(&a);
        if (strcmp(argv[1], "show") == 0)
                return seal_show(&a);
        if (strcmp(argv[1], "check") == 0)
                return seal_check(&a);
        return cli_usage_error("seal: unknown command \"%s\"; see 'kos seal --help'", argv[1]);
}
