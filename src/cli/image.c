// SPDX-License-Identifier: Apache-2.0
/*
 * kos image: component images made on the build host. encrypt writes an encrypted
 * component (image/encrypt.h) and prints the manifest properties that let a device read it:
 * a fresh data key wrapped under the device's aes-256 key (crypto/seal.h).
 *
 * Invariants: the data key and the aes-256 key live only in secret memory and are wiped
 * after use; neither is printed or logged, only the wrapped key; OUT is written whole or not
 * at all, and never over IN.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "cli/cli.h"
#include "crypto/seal.h"
#include "image/encrypt.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/secret.h"

static const char image_usage[] =
        "usage: kos image encrypt --key KEYFILE --key-name NAME --component COMPONENT\n"
        "                         [--sector-size N] IN OUT\n"
        "\n"
        "encrypt  writes OUT, the image IN encrypted for dm-crypt (plain mode, aes-xts-plain64,\n"
        "         a fresh random 64-byte key, sectors of N bytes: 512, 1024, 2048 or 4096, the\n"
        "         default), zero-padded to whole sectors. Prints the manifest properties of the\n"
        "         component COMPONENT: encryption-key = NAME, the cipher, the sector size and\n"
        "         the data key wrapped under KEYFILE (the 32 bytes of the device's aes-256 key\n"
        "         NAME, mode 0400 or 0600) for \"component:COMPONENT\". The component's sha256\n"
        "         is the digest of OUT. Without the wrapping key OUT reads as noise;\n"
        "         `cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512\n"
        "         --sector-size N` reads it with the unwrapped key.\n";

enum {
        OPT_KEY = 0x100,
        OPT_KEY_NAME,
        OPT_COMPONENT,
        OPT_SECTOR_SIZE,
};

static const struct option image_options[] = {
        { "key", required_argument, NULL, OPT_KEY },
        { "key-name", required_argument, NULL, OPT_KEY_NAME },
        { "component", required_argument, NULL, OPT_COMPONENT },
        { "sector-size", required_argument, NULL, OPT_SECTOR_SIZE },
        {},
};

static int image_encrypt_verb(int argc, char **argv) {
        const char *key_path = NULL, *key_name = NULL, *component = NULL;
        _cleanup_secret_ uint8_t *key = NULL, *data_key = NULL;
        _cleanup_free_ uint8_t *wrapped = NULL;
        char purpose[SEAL_PURPOSE_MAX + 1], whatbuf[512] = "";
        unsigned long sector_size = 4096;
        size_t wrapped_size;
        uint64_t size;
        char *end;
        int c, r;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, ":", image_options, NULL)) != -1) {
                switch (c) {
                case OPT_KEY:
                        key_path = optarg;
                        break;
                case OPT_KEY_NAME:
                        key_name = optarg;
                        break;
                case OPT_COMPONENT:
                        component = optarg;
                        break;
                case OPT_SECTOR_SIZE:
                        errno = 0;
                        sector_size = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || sector_size > 4096 ||
                            !image_encrypt_sector_size_is_valid((unsigned)sector_size))
                                return cli_usage_error("image encrypt: --sector-size \"%s\": expected 512, 1024, 2048 or 4096",
                                                       optarg);
                        break;
                default:
                        return cli_option_error("image encrypt", c, argv);
                }
        }
        if (argc - optind != 2 || !key_path || !key_name || !component)
                return cli_usage_error("image encrypt: expected --key KEYFILE --key-name NAME --component COMPONENT IN OUT");
        if (!seal_key_name_is_valid(key_name))
                return cli_usage_error("image encrypt: --key-name \"%s\": use 1-63 of A-Z a-z 0-9 _ - . + , starting with a letter or digit",
                                       key_name);
        if (!seal_key_name_is_valid(component))
                return cli_usage_error("image encrypt: --component \"%s\": use 1-63 of A-Z a-z 0-9 _ - . + , starting with a letter or digit",
                                       component);
        if (cli_output_is_input(argv[optind + 1], argv[optind])) {
                log_error("image encrypt: %s: the output would replace the input", argv[optind + 1]);
                return CLI_EXIT_FAILURE;
        }

        r = seal_key_file_load(&key, key_path, SEAL_AES256_KEY_SIZE);
        if (r != 0) {
                log_error("%s: %s", key_path, r == SEAL_E_KEY_FILE_SIZE ? "an aes-256 key file holds 32 bytes" : seal_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        r = secret_alloc((void **)&data_key, IMAGE_ENCRYPT_KEY_SIZE);
        if (r < 0) {
                log_error("image encrypt: %s", strerror(-r));
                return CLI_EXIT_FAILURE;
        }
        if (RAND_bytes(data_key, IMAGE_ENCRYPT_KEY_SIZE) != 1) {
                ERR_clear_error();
                log_error("image encrypt: no random bytes for the data key");
                return CLI_EXIT_FAILURE;
        }
        snprintf(purpose, sizeof(purpose), "component:%s", component);
        r = seal_data_key_wrap(key, purpose, data_key, IMAGE_ENCRYPT_KEY_SIZE, &wrapped, &wrapped_size);
        if (r != 0) {
                log_error("image encrypt: cannot wrap the data key: %s", seal_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        r = image_encrypt(argv[optind], argv[optind + 1], data_key, (unsigned)sector_size, &size, whatbuf,
                          sizeof(whatbuf));
        if (r < 0) {
                log_error("image encrypt: %s", whatbuf[0] ? whatbuf : strerror(-r));
                return CLI_EXIT_FAILURE;
        }

        printf("encryption-key = \"%s\"; encryption-cipher = \"aes-xts-plain64\"; encryption-sector-size = <%lu>; "
               "encryption-wrapped-key = [",
               key_name, sector_size);
        for (size_t i = 0; i < wrapped_size; i++)
                printf("%s%02x", i ? " " : "", wrapped[i]);
        printf("];\n");
        return CLI_EXIT_OK;
}

int cli_image(int argc, char **argv) {
        if (cli_wants_help(argc, argv)) {
                fputs(image_usage, stdout);
                return CLI_EXIT_OK;
        }
        if (argc < 2)
                return cli_usage_error("image: expected a command; see 'kos image --help'");
        if (strcmp(argv[1], "encrypt") == 0)
                return image_encrypt_verb(argc - 1, argv + 1);
        return cli_usage_error("image: unknown command \"%s\"; see 'kos image --help'", argv[1]);
}
