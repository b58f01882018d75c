// SPDX-License-Identifier: Apache-2.0
/*
 * Unlocking an encrypted component's data key from a DataFS directory: the data key back on
 * success, and each failure with its reason and a zeroed buffer: no sealed key, a sealed
 * key renamed, one not granted unwrap, another root key, a key that does not unwrap, a
 * wrapped key of another component.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "boot/unlock.h"
#include "test.h"
#include "util/fileio.h"

static char dir[] = "/tmp/kos-test-unlock.XXXXXX";
static const uint8_t root_bytes[32] = "root key bytes, 32 of them.....";
static const uint8_t disk_bytes[32] = "the aes-256 key named disk.....";
static const uint8_t other_bytes[32] = "another aes-256 key: other.....";

/* Seals secret as aes-256 key name with use under root into <dir>/kos/keystore/file.sealed. */
static void put_sealed(const uint8_t root_key[32], const char *name, const char *file, const uint8_t secret[32],
                       unsigned use) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = NULL;
        _cleanup_free_ uint8_t *blob = NULL;
        _cleanup_free_ char *path = NULL;
        SealKeyInfo info = { .type = SEAL_KEY_AES256, .use = use };
        size_t size;

        snprintf(info.name, sizeof(info.name), "%s", name);
        CHECK_OK(seal_root_key_new(&root, root_key));
        CHECK_EQ_INT(seal_blob_create(root, &info, secret, 32, &blob, &size), 0);
        CHECK(asprintf(&path, "%s/kos/keystore/%s.sealed", dir, file) > 0);
        (void)unlink(path);
        CHECK_OK(write_file_atomic(path, blob, size, 0600));
}

static int unlock(const char *key, const char *component, const uint8_t wrap_key[32], const char *wrap_for,
                  char *why, size_t why_size) {
        _cleanup_(seal_root_key_freep) SealRootKey *root = NULL;
        _cleanup_free_ uint8_t *wrapped = NULL;
        uint8_t data_key[64], out[SEAL_DATA_KEY_MAX];
        ManifestComponent c = { .name = (char *)component, .encryption_key = (char *)key };
        size_t wrapped_size, out_size = 0;
        int r;

        for (size_t i = 0; i < sizeof(data_key); i++)
                data_key[i] = (uint8_t)(0x80 + i);
        CHECK_EQ_INT(seal_data_key_wrap(wrap_key, wrap_for, data_key, 64, &wrapped, &wrapped_size), 0);
        c.encryption_wrapped_key = (ManifestBytes){ wrapped, wrapped_size };
        CHECK_OK(seal_root_key_new(&root, root_bytes));
        memset(out, 0xaa, sizeof(out));
        r = boot_unlock_data_key(root, dir, &c, out, &out_size, why, why_size);
        if (r == 0) {
                CHECK_EQ_INT(out_size, 64);
                CHECK(memcmp(out, data_key, 64) == 0);
        } else
                for (size_t i = 0; i < sizeof(out); i++)
                        CHECK_EQ_INT(out[i], 0);
        return r;
}

TEST(unlocks) {
        char why[512] = "";

        CHECK_EQ_INT(unlock("disk", "site", disk_bytes, "component:site", why, sizeof(why)), 0);
}

TEST(refusals_say_why) {
        uint8_t other_root[32];
        char why[512];

        CHECK_EQ_INT(unlock("missing", "site", disk_bytes, "component:site", why, sizeof(why)), -ENOENT);
        CHECK_EQ_STR(why, "key \"missing\": kos/keystore/missing.sealed on the DataFS: No such file or directory");

        /* other.sealed holds a real key, but not the one the data key was wrapped under. */
        CHECK_EQ_INT(unlock("other", "site", disk_bytes, "component:site", why, sizeof(why)), SEAL_E_AUTH);
        CHECK_EQ_STR(why, "key \"other\" does not unwrap the data key: does not authenticate (altered, or sealed "
                          "under another key)");

        /* The data key wrapped for another component. */
        CHECK_EQ_INT(unlock("disk", "site", disk_bytes, "component:base", why, sizeof(why)), SEAL_E_PURPOSE);
        CHECK_EQ_STR(why, "key \"disk\" does not unwrap the data key: wrapped for another purpose");

        /* disk's sealed blob copied to the name renamed. */
        put_sealed(root_bytes, "disk", "renamed", disk_bytes, SEAL_USE_UNWRAP);
        CHECK_EQ_INT(unlock("renamed", "site", disk_bytes, "component:site", why, sizeof(why)), SEAL_E_NAME);
        CHECK_EQ_STR(why, "key \"renamed\" does not unseal: sealed for another key name");

        /* Granted wrap only. */
        put_sealed(root_bytes, "wrap-only", "wrap-only", disk_bytes, SEAL_USE_WRAP);
        CHECK_EQ_INT(unlock("wrap-only", "site", disk_bytes, "component:site", why, sizeof(why)), SEAL_E_USE);
        CHECK_EQ_STR(why, "key \"wrap-only\": key not granted that use");

        /* Sealed under another root key. */
        memcpy(other_root, root_bytes, 32);
        other_root[0] ^= 1;
        put_sealed(other_root, "foreign", "foreign", disk_bytes, SEAL_USE_UNWRAP);
        CHECK_EQ_INT(unlock("foreign", "site", disk_bytes, "component:site", why, sizeof(why)), SEAL_E_AUTH);
        CHECK_EQ_STR(why, "key \"foreign\" does not unseal: does not authenticate (altered, or sealed under another key)");
}

static void cleanup_dir(void) {
        _cleanup_free_ char *cmd = NULL;

        CHECK(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        CHECK(system(cmd) == 0);
}

__attribute__((constructor)) static void setup(void) {
        char path[128];

        if (!mkdtemp(dir))
                abort();
        atexit(cleanup_dir);
        snprintf(path, sizeof(path), "%s/kos", dir);
        if (mkdir(path, 0700) < 0)
                abort();
        snprintf(path, sizeof(path), "%s/kos/keystore", dir);
        if (mkdir(path, 0700) < 0)
                abort();
        put_sealed(root_bytes, "disk", "disk", disk_bytes, SEAL_USE_WRAP | SEAL_USE_UNWRAP);
        put_sealed(root_bytes, "other", "other", other_bytes, SEAL_USE_UNWRAP);
}

TEST_MAIN()
