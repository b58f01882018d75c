// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the sealed key blob and wrapped data key parsers. The first byte picks the
 * format, the rest is the input. A parsed blob must lie within the input and describe a
 * valid key; opening it under the corpus's root key must either succeed with the type's
 * secret size, or refuse with a SealError and leave the secret buffer zeroed.
 */
#include <string.h>

#include "crypto/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The root key and aes-256 key the seed corpus was made with: 32 bytes of 0x42. */
static const uint8_t fuzz_key[32] = {
        0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
        0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

static void check_zero(const uint8_t *buf, size_t size) {
        for (size_t i = 0; i < size; i++)
                if (buf[i] != 0)
                        abort();
}

static void fuzz_blob(const SealRootKey *root, const uint8_t *data, size_t size) {
        uint8_t secret[SEAL_SECRET_MAX];
        size_t secret_size = 0;
        SealKeyInfo info;
        SealBlob blob;
        int r;

        r = seal_blob_parse(data, size, &blob);
        if (r < 0)
                abort();
        if (r == 0) {
                if (!seal_key_info_is_valid(&blob.info) || blob.tag + SEAL_TAG_SIZE != data + size ||
                    blob.ciphertext_size != seal_key_type_secret_size(blob.info.type) || size > SEAL_BLOB_MAX)
                        abort();
        }
        r = seal_blob_open(root, data, size, r == 0 ? blob.info.name : "disk", SEAL_KEY_ANY, &info, secret, &secret_size);
        if (r < 0)
                abort();
        if (r == 0 && secret_size != seal_key_type_secret_size(info.type))
                abort();
        if (r > 0)
                check_zero(secret, sizeof(secret));
        (void)seal_strerror(r);
}

static void fuzz_wrapped(const uint8_t *data, size_t size) {
        uint8_t key[SEAL_DATA_KEY_MAX];
        size_t key_size = 0;
        SealWrapped w;
        int r;

        r = seal_wrapped_parse(data, size, &w);
        if (r < 0)
                abort();
        if (r == 0 && (!seal_purpose_is_valid(w.purpose) || w.tag + SEAL_TAG_SIZE != data + size ||
                       w.ciphertext_size < SEAL_DATA_KEY_MIN || w.ciphertext_size > SEAL_DATA_KEY_MAX))
                abort();
        r = seal_data_key_unwrap(fuzz_key, r == 0 ? w.purpose : "component:site", data, size, key, &key_size);
        if (r < 0)
                abort();
        if (r == 0 && (key_size < SEAL_DATA_KEY_MIN || key_size > SEAL_DATA_KEY_MAX))
                abort();
        if (r > 0)
                check_zero(key, sizeof(key));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = NULL;

        if (size == 0)
                return 0;
        if (seal_root_key_new(&root, fuzz_key) < 0)
                abort();
        if (data[0] & 1)
                fuzz_wrapped(data + 1, size - 1);
        else
                fuzz_blob(root, data + 1, size - 1);
        return 0;
}
