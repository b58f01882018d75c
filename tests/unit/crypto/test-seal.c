// SPDX-License-Identifier: Apache-2.0
/* Sealed key blobs, wrapped data keys and root key files: round trips and every refusal. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/seal.h"
#include "util/fileio.h"
#include "util/hex.h"
#include "util/secret.h"
#include "test.h"

static char dir[] = "/tmp/kos-test-seal.XXXXXX";

static const uint8_t root_bytes[SEAL_ROOT_KEY_SIZE] = {
        1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};
static const uint8_t secret_bytes[32] = "0123456789abcdef0123456789ABCDE";

static SealRootKey *root_key(uint8_t first) {
        uint8_t bytes[SEAL_ROOT_KEY_SIZE];
        SealRootKey *root = NULL;

        memcpy(bytes, root_bytes, sizeof(bytes));
        bytes[0] = first;
        CHECK_OK(seal_root_key_new(&root, bytes));
        return root;
}

static SealKeyInfo info_of(const char *name, SealKeyType type, unsigned use) {
        SealKeyInfo info = {.type = type, .use = use};

        snprintf(info.name, sizeof(info.name), "%s", name);
        return info;
}

/* A blob sealing secret_bytes as aes-256 key "disk" (wrap, unwrap) under root. */
static uint8_t *seal_disk(const SealRootKey *root, size_t *sizep) {
        SealKeyInfo info = info_of("disk", SEAL_KEY_AES256, SEAL_USE_WRAP | SEAL_USE_UNWRAP);
        uint8_t *blob = NULL;

        CHECK_EQ_INT(seal_blob_create(root, &info, secret_bytes, sizeof(secret_bytes), &blob, sizep), 0);
        return blob;
}

static int open_as(const SealRootKey *root, const uint8_t *blob, size_t size, const char *name, SealKeyType type) {
        uint8_t secret[SEAL_SECRET_MAX];
        size_t secret_size = 0;
        int r;

        memset(secret, 0xaa, sizeof(secret));
        r = seal_blob_open(root, blob, size, name, type, NULL, secret, &secret_size);
        if (r != 0)
                for (size_t i = 0; i < sizeof(secret); i++)
                        CHECK_EQ_INT(secret[i], 0); /* a refusal leaves nothing in the buffer */
        return r;
}

TEST(blob_round_trip) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = root_key(1);
        _cleanup_free_ uint8_t *blob = NULL, *again = NULL;
        uint8_t secret[SEAL_SECRET_MAX];
        size_t size, size2, secret_size;
        SealKeyInfo info;
        SealBlob parsed;

        blob = seal_disk(root, &size);
        CHECK(size <= SEAL_BLOB_MAX);
        CHECK(memmem(blob, size, secret_bytes, sizeof(secret_bytes)) == NULL);
        CHECK_EQ_INT(seal_blob_open(root, blob, size, "disk", SEAL_KEY_AES256, &info, secret, &secret_size), 0);
        CHECK_EQ_INT(secret_size, 32);
        CHECK(memcmp(secret, secret_bytes, 32) == 0);
        CHECK_EQ_STR(info.name, "disk");
        CHECK_EQ_INT(info.type, SEAL_KEY_AES256);
        CHECK_EQ_INT(info.use, SEAL_USE_WRAP | SEAL_USE_UNWRAP);
        CHECK_EQ_INT(seal_blob_open(root, blob, size, "disk", SEAL_KEY_ANY, NULL, secret, &secret_size), 0);

        CHECK_EQ_INT(seal_blob_parse(blob, size, &parsed), 0);
        CHECK_EQ_STR(parsed.info.name, "disk");
        CHECK_EQ_INT(parsed.ciphertext_size, 32);
        CHECK(parsed.tag + SEAL_TAG_SIZE == blob + size);

        /* A fresh nonce each time: the same key sealed twice gives other bytes. */
        again = seal_disk(root, &size2);
        CHECK_EQ_INT(size2, size);
        CHECK(memcmp(blob, again, size) != 0);
}

TEST(blob_flipped_byte_is_refused) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = root_key(1);
        _cleanup_free_ uint8_t *blob = NULL;
        SealBlob parsed;
        size_t size;

        blob = seal_disk(root, &size);
        CHECK_EQ_INT(seal_blob_parse(blob, size, &parsed), 0);
        /* Every byte of nonce, ciphertext and tag: each flip fails authentication. */
        for (size_t i = (size_t)(parsed.nonce - blob); i < size; i++) {
                blob[i] ^= 0x01;
                CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), SEAL_E_AUTH);
                blob[i] ^= 0x01;
        }
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), 0);
}

TEST(blob_renamed_is_refused) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = root_key(1);
        _cleanup_free_ uint8_t *blob = NULL;
        size_t size;

        blob = seal_disk(root, &size);
        /* Asked for under another name: the blob says whose it is. */
        CHECK_EQ_INT(open_as(root, blob, size, "vpn", SEAL_KEY_AES256), SEAL_E_NAME);
        /* Its name edited to another key's: the name is authenticated data. */
        CHECK(memcmp(blob + 14, "disk", 4) == 0);
        memcpy(blob + 14, "dusk", 4);
        CHECK_EQ_INT(open_as(root, blob, size, "dusk", SEAL_KEY_AES256), SEAL_E_AUTH);
}

TEST(blob_other_type_or_use_is_refused) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = root_key(1);
        _cleanup_free_ uint8_t *blob = NULL;
        size_t size;

        blob = seal_disk(root, &size);
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_ED25519), SEAL_E_TYPE);
        /* Its type edited to x25519 with a use x25519 allows: it parses, but does not open. */
        blob[9] = SEAL_KEY_X25519;
        blob[10] = SEAL_USE_AGREE;
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_X25519), SEAL_E_AUTH);
        /* Its use narrowed to unwrap only: does not open either. */
        blob[9] = SEAL_KEY_AES256;
        blob[10] = SEAL_USE_UNWRAP;
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), SEAL_E_AUTH);
        /* A use the type does not allow is malformed. */
        blob[10] = SEAL_USE_SIGN;
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), SEAL_E_MALFORMED);
}

TEST(blob_other_root_key_is_refused) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = root_key(1), *other = root_key(2);
        _cleanup_free_ uint8_t *blob = NULL;
        size_t size;

        blob = seal_disk(root, &size);
        CHECK_EQ_INT(open_as(other, blob, size, "disk", SEAL_KEY_AES256), SEAL_E_AUTH);
}

TEST(blob_truncated_or_malformed_is_refused) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = root_key(1);
        _cleanup_free_ uint8_t *blob = NULL, *longer = NULL;
        size_t size;

        blob = seal_disk(root, &size);
        for (size_t n = 0; n < size; n++)
                CHECK_EQ_INT(open_as(root, blob, n, "disk", SEAL_KEY_AES256), SEAL_E_TRUNCATED);

        longer = malloc(size + 1);
        CHECK(longer);
        memcpy(longer, blob, size);
        longer[size] = 0;
        CHECK_EQ_INT(open_as(root, longer, size + 1, "disk", SEAL_KEY_AES256), SEAL_E_MALFORMED);

        blob[8] = 2;
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), SEAL_E_VERSION);
        blob[8] = 1;
        blob[0] = 'K';
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), SEAL_E_MAGIC);
        blob[0] = 'k';
        blob[11] = 0; /* name length */
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), SEAL_E_MALFORMED);
        blob[11] = 4;
        blob[14] = '-'; /* a name starting with '-' */
        CHECK_EQ_INT(open_as(root, blob, size, "-isk", SEAL_KEY_AES256), SEAL_E_MALFORMED);
        blob[14] = 'd';
        blob[9] = 9; /* unknown type */
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_ANY), SEAL_E_MALFORMED);
        blob[9] = SEAL_KEY_AES256;
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), 0);
        CHECK_EQ_INT(open_as(root, (const uint8_t *)"", 0, "disk", SEAL_KEY_AES256), SEAL_E_TRUNCATED);
}

TEST(create_refuses_bad_input) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = root_key(1);
        uint8_t *blob = NULL;
        size_t size = 0;
        SealKeyInfo info;

        info = info_of("disk", SEAL_KEY_AES256, SEAL_USE_SIGN);
        CHECK_EQ_INT(seal_blob_create(root, &info, secret_bytes, 32, &blob, &size), SEAL_E_INVALID);
        info = info_of("disk", SEAL_KEY_AES256, 0);
        CHECK_EQ_INT(seal_blob_create(root, &info, secret_bytes, 32, &blob, &size), SEAL_E_INVALID);
        info = info_of("../disk", SEAL_KEY_AES256, SEAL_USE_WRAP);
        CHECK_EQ_INT(seal_blob_create(root, &info, secret_bytes, 32, &blob, &size), SEAL_E_INVALID);
        info = info_of("disk", SEAL_KEY_AES256, SEAL_USE_WRAP);
        CHECK_EQ_INT(seal_blob_create(root, &info, secret_bytes, 31, &blob, &size), SEAL_E_INVALID);
        info = info_of("vpn", SEAL_KEY_ANY, SEAL_USE_WRAP);
        CHECK_EQ_INT(seal_blob_create(root, &info, secret_bytes, 32, &blob, &size), SEAL_E_INVALID);
        CHECK(blob == NULL);
}

TEST(names_types_and_uses) {
        SealKeyType type;
        unsigned use;
        char buf[32];

        CHECK(seal_key_name_is_valid("orbit-identity"));
        CHECK(seal_key_name_is_valid("a"));
        CHECK(!seal_key_name_is_valid(""));
        CHECK(!seal_key_name_is_valid(".hidden"));
        CHECK(!seal_key_name_is_valid("a/b"));
        CHECK(!seal_key_name_is_valid("0123456789012345678901234567890123456789012345678901234567890123"));
        CHECK(seal_key_name_is_valid("012345678901234567890123456789012345678901234567890123456789012"));

        CHECK_EQ_INT(seal_key_type_from_string("aes-256", &type), 0);
        CHECK_EQ_INT(type, SEAL_KEY_AES256);
        CHECK_EQ_INT(seal_key_type_from_string("rsa", &type), SEAL_E_INVALID);
        CHECK_EQ_STR(seal_key_type_to_string(SEAL_KEY_X25519), "x25519");
        CHECK(seal_key_type_to_string((SealKeyType)7) == NULL);

        CHECK_EQ_INT(seal_key_use_from_string("wrap,unwrap", &use), 0);
        CHECK_EQ_INT(use, SEAL_USE_WRAP | SEAL_USE_UNWRAP);
        CHECK_EQ_INT(seal_key_use_from_string("wrap,", &use), SEAL_E_INVALID);
        CHECK_EQ_INT(seal_key_use_from_string("wrapx", &use), SEAL_E_INVALID);
        CHECK_EQ_INT(seal_key_use_to_string(SEAL_USE_SIGN | SEAL_USE_UNWRAP, buf, sizeof(buf)), 0);
        CHECK_EQ_STR(buf, "sign,unwrap");
        CHECK_EQ_INT(seal_key_use_to_string(SEAL_USE_SIGN | SEAL_USE_UNWRAP, buf, 5), SEAL_E_INVALID);
}

TEST(wrap_round_trip_and_refusals) {
        uint8_t key[32], other[32], data_key[64], out[SEAL_DATA_KEY_MAX];
        _cleanup_free_ uint8_t *w = NULL;
        size_t size, out_size = 0;
        SealWrapped parsed;

        memset(key, 0x11, sizeof(key));
        memset(other, 0x12, sizeof(other));
        for (size_t i = 0; i < sizeof(data_key); i++)
                data_key[i] = (uint8_t)(i * 7 + 3);

        CHECK_EQ_INT(seal_data_key_wrap(key, "component:site", data_key, sizeof(data_key), &w, &size), 0);
        CHECK(size <= SEAL_WRAPPED_MAX);
        CHECK(memmem(w, size, data_key, 16) == NULL);
        CHECK_EQ_INT(seal_wrapped_parse(w, size, &parsed), 0);
        CHECK_EQ_STR(parsed.purpose, "component:site");
        CHECK_EQ_INT(seal_data_key_unwrap(key, "component:site", w, size, out, &out_size), 0);
        CHECK_EQ_INT(out_size, 64);
        CHECK(memcmp(out, data_key, 64) == 0);

        CHECK_EQ_INT(seal_data_key_unwrap(key, "component:base", w, size, out, &out_size), SEAL_E_PURPOSE);
        CHECK_EQ_INT(seal_data_key_unwrap(other, "component:site", w, size, out, &out_size), SEAL_E_AUTH);
        for (size_t i = 0; i < sizeof(out); i++)
                CHECK_EQ_INT(out[i], 0);
        for (size_t i = 0; i < size; i++) {
                int want = i < 8 ? SEAL_E_MAGIC : i == 8 ? SEAL_E_VERSION : SEAL_E_AUTH;

                w[i] ^= 0x01;
                if (i >= 9 && i < 12)
                        want = -1; /* a length: truncated or malformed */
                else if (i >= 12 && i < 12 + 14)
                        want = SEAL_E_PURPOSE; /* the purpose itself */
                if (want == -1) {
                        int r = seal_data_key_unwrap(key, "component:site", w, size, out, &out_size);
                        CHECK(r == SEAL_E_TRUNCATED || r == SEAL_E_MALFORMED);
                } else
                        CHECK_EQ_INT(seal_data_key_unwrap(key, "component:site", w, size, out, &out_size), want);
                w[i] ^= 0x01;
        }
        for (size_t n = 0; n < size; n++)
                CHECK_EQ_INT(seal_data_key_unwrap(key, "component:site", w, n, out, &out_size), SEAL_E_TRUNCATED);

        CHECK_EQ_INT(seal_data_key_wrap(key, "with space", data_key, 64, &w, &size), SEAL_E_INVALID);
        CHECK_EQ_INT(seal_data_key_wrap(key, "x", data_key, 15, &w, &size), SEAL_E_INVALID);
        CHECK_EQ_INT(seal_data_key_wrap(key, "x", data_key, 65, &w, &size), SEAL_E_INVALID);
}

/*
 * Known answers, made by another AES-GCM implementation from docs/sealing.md's formats:
 * root key and wrapping key 32 bytes of 0x42, nonces fixed, secrets the bytes 0, 1, 2...
 */
static const char known_blob_hex[] =
        "6b6f732d7365616c01030c0400206469736b0101010101010101010101012da8b404905187cad75fe3c7eb1ab5c4"
        "ba92eed099b9c11450452a130e5bebcab16173f54e86016c6a61a3fe551ab711";
static const char known_wrapped_hex[] =
        "6b6f732d77726170010e0040636f6d706f6e656e743a73697465020202020202020202020202f2e40401d8f95184"
        "a5a3993ac6ebbdf0df0f03d69fbc7bc61f8a035da183763af127a82e348cfe76fb868494f58e0537684cbc75ee0f"
        "7e4d406e3211346fa1575139070da604ff38859ceb0b5764fbd5";

TEST(known_answers) {
        uint8_t blob[sizeof(known_blob_hex) / 2], wrapped[sizeof(known_wrapped_hex) / 2];
        uint8_t key42[32], secret[SEAL_SECRET_MAX], data_key[SEAL_DATA_KEY_MAX];
        _cleanup_(seal_root_key_freep) SealRootKey *root = NULL;
        size_t secret_size = 0, data_key_size = 0;
        SealKeyInfo info;

        memset(key42, 0x42, sizeof(key42));
        CHECK_OK(hex_decode(blob, sizeof(blob), known_blob_hex));
        CHECK_OK(hex_decode(wrapped, sizeof(wrapped), known_wrapped_hex));
        CHECK_OK(seal_root_key_new(&root, key42));
        CHECK_EQ_INT(seal_blob_open(root, blob, sizeof(blob), "disk", SEAL_KEY_AES256, &info, secret, &secret_size), 0);
        CHECK_EQ_INT(secret_size, 32);
        for (size_t i = 0; i < 32; i++)
                CHECK_EQ_INT(secret[i], i);
        CHECK_EQ_INT(info.use, SEAL_USE_WRAP | SEAL_USE_UNWRAP);
        CHECK_EQ_INT(seal_data_key_unwrap(key42, "component:site", wrapped, sizeof(wrapped), data_key, &data_key_size), 0);
        CHECK_EQ_INT(data_key_size, 64);
        for (size_t i = 0; i < 64; i++)
                CHECK_EQ_INT(data_key[i], i);
}

static char *write_root_file(const char *name, const void *data, size_t size, mode_t mode) {
        char *path;

        CHECK(asprintf(&path, "%s/%s", dir, name) > 0);
        CHECK_OK(write_file_atomic(path, data, size, 0600));
        CHECK(chmod(path, mode) == 0);
        return path;
}

TEST(root_key_file) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = NULL, *expect = root_key(1);
        _cleanup_free_ char *good = write_root_file("good.key", root_bytes, 32, 0400);
        _cleanup_free_ char *rw = write_root_file("rw.key", root_bytes, 32, 0600);
        _cleanup_free_ char *group = write_root_file("group.key", root_bytes, 32, 0440);
        _cleanup_free_ char *other = write_root_file("other.key", root_bytes, 32, 0404);
        _cleanup_free_ char *gw = write_root_file("group-write.key", root_bytes, 32, 0420);
        _cleanup_free_ char *short_key = write_root_file("short.key", root_bytes, 31, 0400);
        _cleanup_free_ char *long_key = NULL, *fifo = NULL, *missing = NULL;
        _cleanup_free_ uint8_t *blob = NULL;
        uint8_t longer[33] = {};
        size_t size;

        long_key = write_root_file("long.key", longer, sizeof(longer), 0400);
        CHECK_EQ_INT(seal_root_key_load(&root, good), 0);
        /* The loaded key opens what the same bytes sealed. */
        blob = seal_disk(expect, &size);
        CHECK_EQ_INT(open_as(root, blob, size, "disk", SEAL_KEY_AES256), 0);
        root = seal_root_key_free(root);
        CHECK_EQ_INT(seal_root_key_load(&root, rw), 0);
        root = seal_root_key_free(root);

        CHECK_EQ_INT(seal_root_key_load(&root, group), SEAL_E_ROOT_KEY_MODE);
        CHECK_EQ_INT(seal_root_key_load(&root, other), SEAL_E_ROOT_KEY_MODE);
        CHECK_EQ_INT(seal_root_key_load(&root, gw), SEAL_E_ROOT_KEY_MODE);
        CHECK_EQ_INT(seal_root_key_load(&root, short_key), SEAL_E_ROOT_KEY_SIZE);
        CHECK_EQ_INT(seal_root_key_load(&root, long_key), SEAL_E_ROOT_KEY_SIZE);
        CHECK_EQ_INT(seal_root_key_load(&root, dir), SEAL_E_ROOT_KEY_FILE);
        CHECK(asprintf(&fifo, "%s/fifo.key", dir) > 0);
        CHECK(mkfifo(fifo, 0400) == 0);
        CHECK_EQ_INT(seal_root_key_load(&root, fifo), SEAL_E_ROOT_KEY_FILE);
        CHECK(asprintf(&missing, "%s/missing.key", dir) > 0);
        CHECK_EQ_INT(seal_root_key_load(&root, missing), -ENOENT);
        CHECK(root == NULL);
        CHECK(strstr(seal_strerror(SEAL_E_ROOT_KEY_MODE), "group or others"));
        CHECK(strstr(seal_strerror(-ENOENT), "No such file"));
}

TEST(key_file_load_and_generate) {
        _cleanup_free_ char *path = NULL, *group = write_root_file("aes-group.key", root_bytes, 32, 0640);
        _cleanup_free_ char *wrong = write_root_file("aes-short.key", root_bytes, 16, 0400);
        _cleanup_secret_ uint8_t *a = NULL, *b = NULL;
        struct stat st;

        CHECK(asprintf(&path, "%s/generated.key", dir) > 0);
        CHECK_EQ_INT(seal_key_file_generate(path, 32), 0);
        CHECK(stat(path, &st) == 0);
        CHECK_EQ_INT(st.st_mode & 0777, 0400);
        CHECK_EQ_INT(st.st_size, 32);
        CHECK_EQ_INT(seal_key_file_generate(path, 32), -EEXIST);
        CHECK_EQ_INT(seal_key_file_load(&a, path, 32), 0);
        CHECK_EQ_INT(seal_key_file_load(&b, path, 64), SEAL_E_KEY_FILE_SIZE);
        CHECK(b == NULL);
        CHECK_EQ_INT(seal_key_file_load(&b, group, 32), SEAL_E_KEY_FILE_MODE);
        CHECK_EQ_INT(seal_key_file_load(&b, wrong, 32), SEAL_E_KEY_FILE_SIZE);
        CHECK_EQ_INT(seal_key_file_load(&b, dir, 32), SEAL_E_KEY_FILE);
        /* Two generated keys differ. */
        free(path);
        CHECK(asprintf(&path, "%s/generated2.key", dir) > 0);
        CHECK_EQ_INT(seal_key_file_generate(path, 32), 0);
        CHECK_EQ_INT(seal_key_file_load(&b, path, 32), 0);
        CHECK(memcmp(a, b, 32) != 0);
}

TEST(blob_read_file) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = root_key(1);
        _cleanup_free_ uint8_t *blob = NULL, *read_back = NULL;
        _cleanup_free_ char *path = NULL, *big = NULL;
        uint8_t too_long[SEAL_BLOB_MAX + 1] = {};
        size_t size, read_size;

        blob = seal_disk(root, &size);
        CHECK(asprintf(&path, "%s/disk.sealed", dir) > 0);
        CHECK_OK(write_file_atomic(path, blob, size, 0600));
        CHECK_EQ_INT(seal_blob_read_file(path, &read_back, &read_size), 0);
        CHECK_EQ_INT(read_size, size);
        CHECK(memcmp(read_back, blob, size) == 0);
        CHECK(asprintf(&big, "%s/big.sealed", dir) > 0);
        CHECK_OK(write_file_atomic(big, too_long, sizeof(too_long), 0600));
        CHECK_EQ_INT(seal_blob_read_file(big, &read_back, &read_size), -EFBIG);
        CHECK_EQ_INT(seal_blob_read_file(dir, &read_back, &read_size), -EINVAL);
}

static void cleanup_dir(void) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void)system(cmd);
}

__attribute__((constructor)) static void setup(void) {
        if (!mkdtemp(dir))
                abort();
        atexit(cleanup_dir);
}

TEST_MAIN()
