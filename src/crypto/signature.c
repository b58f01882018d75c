// SPDX-License-Identifier: Apache-2.0
/*
 * Detached signature files and trust stores.
 *
 * Invariants:
 *  1. A SignatureList holds at most one signature per key id and at most SIGNATURE_LIST_MAX
 *     entries.
 *  2. The parser accepts exactly the format signature_list_format() writes (plus blank
 *     lines) and nothing else, and reads no byte past size. Text naming one key twice is
 *     refused, never merged: which line would win would depend on their order.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/signature.h"
#include "util/fileio.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/strv.h"

#define SIGNATURE_ALGORITHM "ed25519"
/* "ed25519 " + 64 hex + " " + 128 hex */
#define SIGNATURE_LINE_LEN (sizeof(SIGNATURE_ALGORITHM) + SHA256_HEX_LEN + 1 + 2 * ED25519_SIGNATURE_SIZE)

int signature_list_new(SignatureList **listp) {
        SignatureList *list = calloc(1, sizeof(SignatureList));

        if (!list)
                return -ENOMEM;
        *listp = list;
        return 0;
}

SignatureList *signature_list_free(SignatureList *list) {
        if (list) {
                free(list->items);
                free(list);
        }
        return NULL;
}

int signature_list_add(SignatureList *list, const Signature *sig) {
        Signature *items;

        for (size_t i = 0; i < list->n_items; i++)
                if (sha256_equal(&list->items[i].key_id, &sig->key_id)) {
                        list->items[i] = *sig;
                        return 0;
                }
        if (list->n_items >= SIGNATURE_LIST_MAX)
                return -E2BIG;
        items = realloc(list->items, (list->n_items + 1) * sizeof(Signature));
        if (!items)
                return -ENOMEM;
        items[list->n_items++] = *sig;
        list->items = items;
        return 0;
}

static int signature_parse_line(const char *line, size_t len, Signature *sigp) {
        const size_t alg = sizeof(SIGNATURE_ALGORITHM) - 1;
        Signature sig;

        if (len != SIGNATURE_LINE_LEN || memcmp(line, SIGNATURE_ALGORITHM, alg) != 0 ||
            line[alg] != ' ' || line[alg + 1 + SHA256_HEX_LEN] != ' ')
                return -EBADMSG;
        for (size_t i = alg + 1; i < len; i++)
                if (line[i] != ' ' && !((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')))
                        return -EBADMSG;
        if (hex_decode(sig.key_id.bytes, SHA256_DIGEST_SIZE, line + alg + 1) < 0 ||
            hex_decode(sig.bytes, ED25519_SIGNATURE_SIZE, line + alg + 2 + SHA256_HEX_LEN) < 0)
                return -EBADMSG;
        *sigp = sig;
        return 0;
}

static bool signature_list_has_key(const SignatureList *list, const Sha256Digest *key_id) {
        for (size_t i = 0; i < list->n_items; i++)
                if (sha256_equal(&list->items[i].key_id, key_id))
                        return true;
        return false;
}

int signature_list_parse(SignatureList **listp, const char *text, size_t size, SignatureParseError *errp) {
        _cleanup_(signature_list_freep) SignatureList *list = NULL;
        unsigned line_no = 0;
        size_t pos = 0;
        int r;

        r = signature_list_new(&list);
        if (r < 0)
                return r;
        if (size > SIGNATURE_FILE_MAX)
                return -EFBIG;

        while (pos < size) {
                const char *line = text + pos;
                const char *nl = memchr(line, '\n', size - pos);
                size_t len = nl ? (size_t)(nl - line) : size - pos;
                Signature sig;

                line_no++;
                pos += len + (nl ? 1 : 0);
                if (len == 0)
                        continue;
                r = signature_parse_line(line, len, &sig);
                if (r == 0 && signature_list_has_key(list, &sig.key_id))
                        r = -ENOTUNIQ;
                if (r == 0)
                        r = signature_list_add(list, &sig);
                if (r < 0) {
                        if (errp) {
                                errp->line = line_no;
                                if (r == -ENOTUNIQ)
                                        errp->key_id = sig.key_id;
                        }
                        return r == -E2BIG || r == -ENOTUNIQ || r == -ENOMEM ? r : -EBADMSG;
                }
        }
        *listp = steal_ptr(&list);
        return 0;
}

int signature_list_load(SignatureList **listp, const char *path, SignatureParseError *errp) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = read_file_full(path, SIGNATURE_FILE_MAX, &text, &size);
        if (r < 0)
                return r;
        return signature_list_parse(listp, text, size, errp);
}

int signature_list_format(const SignatureList *list, char **textp, size_t *sizep) {
        size_t size = list->n_items * (SIGNATURE_LINE_LEN + 1);
        char *text = malloc(size + 1), *p = text;

        if (!text)
                return -ENOMEM;
        for (size_t i = 0; i < list->n_items; i++) {
                memcpy(p, SIGNATURE_ALGORITHM " ", sizeof(SIGNATURE_ALGORITHM));
                p += sizeof(SIGNATURE_ALGORITHM);
                hex_encode(p, list->items[i].key_id.bytes, SHA256_DIGEST_SIZE);
                p += SHA256_HEX_LEN;
                *p++ = ' ';
                hex_encode(p, list->items[i].bytes, ED25519_SIGNATURE_SIZE);
                p += 2 * ED25519_SIGNATURE_SIZE;
                *p++ = '\n';
        }
        *p = '\0';
        *textp = text;
        *sizep = size;
        return 0;
}

int signature_create(EVP_PKEY *key, const void *data, size_t size, Signature *sigp) {
        Signature sig;
        int r;

        r = key_id(key, &sig.key_id);
        if (r < 0)
                return r;
        r = key_sign(key, data, size, sig.bytes);
        if (r < 0)
                return r;
        *sigp = sig;
        return 0;
}

struct TrustStore {
        EVP_PKEY **keys; /* owned */
        Sha256Digest *ids;
        size_t n_keys;
};

int trust_store_new(TrustStore **trustp) {
        TrustStore *trust = calloc(1, sizeof(TrustStore));

        if (!trust)
                return -ENOMEM;
        *trustp = trust;
        return 0;
}

TrustStore *trust_store_free(TrustStore *trust) {
        if (trust) {
                for (size_t i = 0; i < trust->n_keys; i++)
                        EVP_PKEY_free(trust->keys[i]);
                free(trust->keys);
                free(trust->ids);
                free(trust);
        }
        return NULL;
}

size_t trust_store_size(const TrustStore *trust) {
        return trust->n_keys;
}

int trust_store_add_file(TrustStore *trust, const char *path) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        Sha256Digest id;
        EVP_PKEY **keys;
        Sha256Digest *ids;
        int r;

        r = key_load_public(&key, path);
        if (r < 0)
                return r;
        r = key_id(key, &id);
        if (r < 0)
                return r;
        for (size_t i = 0; i < trust->n_keys; i++)
                if (sha256_equal(&trust->ids[i], &id))
                        return 0;

        keys = realloc(trust->keys, (trust->n_keys + 1) * sizeof(*keys));
        if (!keys)
                return -ENOMEM;
        trust->keys = keys;
        ids = realloc(trust->ids, (trust->n_keys + 1) * sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        trust->ids = ids;
        trust->keys[trust->n_keys] = steal_ptr(&key);
        trust->ids[trust->n_keys] = id;
        trust->n_keys++;
        return 0;
}

static bool has_pub_suffix(const char *name) {
        size_t len = strlen(name);

        return len > 4 && strcmp(name + len - 4, ".pub") == 0;
}

/*
 * Adds every *.pub in dir. A public key of another algorithm (RSA, EC, X25519...) is
 * skipped, with a warning once the directory is known to hold a usable key: one unrelated
 * key must not stop every verification. If it holds no usable key, the first skipped one is
 * the error. Anything else that is not a public key is an error.
 */
static int trust_store_add_dir(TrustStore *trust, const char *dir, char **bad_filep) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        _cleanup_strv_free_ char **skipped = NULL;
        struct dirent *de;
        int r;

        if (!d)
                return -errno;
        while ((errno = 0, de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (de->d_name[0] == '.' || !has_pub_suffix(de->d_name))
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
                        return -ENOMEM;
                r = trust_store_add_file(trust, path);
                if (r == -EKEYREJECTED) {
                        r = strv_push(&skipped, steal_ptr(&path));
                        if (r < 0)
                                return r;
                        continue;
                }
                if (r < 0) {
                        if (bad_filep)
                                *bad_filep = steal_ptr(&path);
                        return r;
                }
        }
        if (errno != 0)
                return -errno;
        if (skipped && trust->n_keys == 0) {
                if (bad_filep)
                        *bad_filep = strdup(skipped[0]);
                return -EKEYREJECTED;
        }
        for (size_t i = 0; skipped && skipped[i]; i++)
                log_warning("warning: %s: %s; skipped", skipped[i], key_strerror(-EKEYREJECTED));
        return 0;
}

int trust_store_load(TrustStore **trustp, const char *path, char **bad_filep) {
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        struct stat st;
        int r;

        r = trust_store_new(&trust);
        if (r < 0)
                return r;
        if (stat(path, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                r = trust_store_add_dir(trust, path, bad_filep);
        else {
                r = trust_store_add_file(trust, path);
                if (r < 0 && bad_filep)
                        *bad_filep = strdup(path);
        }
        if (r < 0)
                return r;
        *trustp = steal_ptr(&trust);
        return 0;
}

int signature_list_verify(const SignatureList *list, const TrustStore *trust,
                          const void *data, size_t size, Sha256Digest *key_idp) {
        int verdict = SIGNATURE_E_NONE;

        for (size_t i = 0; i < list->n_items; i++) {
                const Signature *sig = &list->items[i];

                for (size_t k = 0; k < trust->n_keys; k++) {
                        if (!sha256_equal(&trust->ids[k], &sig->key_id))
                                continue;
                        if (key_verify(trust->keys[k], data, size, sig->bytes)) {
                                if (key_idp)
                                        *key_idp = sig->key_id;
                                return SIGNATURE_VALID;
                        }
                        verdict = SIGNATURE_E_BAD;
                }
                if (verdict == SIGNATURE_E_NONE)
                        verdict = SIGNATURE_E_UNKNOWN_KEY;
        }
        return verdict;
}

const char *signature_verdict_to_string(int verdict) {
        switch (verdict) {
        case SIGNATURE_VALID:
                return "valid signature";
        case SIGNATURE_E_NONE:
                return "no signature";
        case SIGNATURE_E_UNKNOWN_KEY:
                return "no signature by a trusted key";
        case SIGNATURE_E_BAD:
                return "bad signature";
        default:
                return "unknown verdict";
        }
}
