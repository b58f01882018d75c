// SPDX-License-Identifier: Apache-2.0
/*
 * The key store's key directory (src/keystore/vault.c) on a real temporary directory:
 * one that is not the key store's own is refused (invariant 4), and a key whose file is
 * gone while its record is there is refused, not made anew (invariant 5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keystore/vault.h"
#include "test.h"
#include "util/fileio.h"

typedef struct Dir {
        char top[64];
        char keys[96];
        char root[96];
} Dir;

static void dir_setup(Dir *d) {
        uint8_t root[32];

        snprintf(d->top, sizeof(d->top), "/tmp/kos-test-vault.XXXXXX");
        CHECK(mkdtemp(d->top));
        snprintf(d->keys, sizeof(d->keys), "%s/keys", d->top);
        snprintf(d->root, sizeof(d->root), "%s/root.key", d->top);
        memset(root, 0x5a, sizeof(root));
        CHECK_OK(write_file_atomic(d->root, root, sizeof(root), 0600));
}

static void dir_cleanup(Dir *d) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->top);
        CHECK_EQ_INT(system(cmd), 0);
}

static int path_exists(const char *dir, const char *file) {
        char path[160];

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        return access(path, F_OK) == 0;
}

TEST(directory_group_or_others_may_write_is_refused) {
        static const mode_t bad[] = { 0720, 0702, 0770, 0777, 0722 };
        KeystoreVaultError err = { { 0 } };
        KeystoreVault *v = NULL;
        Dir d;

        dir_setup(&d);
        CHECK_EQ_INT(mkdir(d.keys, 0700), 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char want[200];

                CHECK_EQ_INT(chmod(d.keys, bad[i]), 0);
                CHECK_EQ_INT(keystore_vault_open(&v, d.keys, d.root, &err), -EPERM);
                CHECK(v == NULL);
                snprintf(want, sizeof(want),
                         "%s: the key directory has mode %04o: group or others may write to it (want 0700)",
                         d.keys, (unsigned)bad[i]);
                CHECK_EQ_STR(err.message, want);
        }
        /* Nothing was changed by a refusal. */
        {
                struct stat st;
                CHECK_EQ_INT(stat(d.keys, &st), 0);
                CHECK_EQ_INT(st.st_mode & 07777, 0722);
        }
        CHECK_EQ_INT(chmod(d.keys, 0700), 0);
        CHECK_OK(keystore_vault_open(&v, d.keys, d.root, &err));
        v = keystore_vault_free(v);
        dir_cleanup(&d);
}

/* Only readable by group or others (a build host's mkdir): closed, not refused. */
TEST(directory_group_or_others_may_read_is_made_0700) {
        static const mode_t readable[] = { 0755, 0750, 0705, 0711, 0740 };
        KeystoreVaultError err = { { 0 } };
        KeystoreVault *v = NULL;
        struct stat st;
        Dir d;

        dir_setup(&d);
        CHECK_EQ_INT(mkdir(d.keys, 0700), 0);
        for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++) {
                CHECK_EQ_INT(chmod(d.keys, readable[i]), 0);
                CHECK_OK(keystore_vault_open(&v, d.keys, d.root, &err));
                v = keystore_vault_free(v);
                CHECK_EQ_INT(stat(d.keys, &st), 0);
                CHECK_EQ_INT(st.st_mode & 07777, 0700);
        }
        dir_cleanup(&d);
}

TEST(directory_of_another_owner_is_refused) {
        KeystoreVaultError err = { { 0 } };
        KeystoreVault *v = NULL;
        char want[200];
        Dir d;

        dir_setup(&d);
        if (geteuid() == 0) {
                CHECK_EQ_INT(mkdir(d.keys, 0700), 0);
                CHECK_EQ_INT(chown(d.keys, 65534, 65534), 0);
                CHECK_EQ_INT(keystore_vault_open(&v, d.keys, d.root, &err), -EPERM);
                snprintf(want, sizeof(want),
                         "%s: the key directory is owned by uid 65534, not by the key store (uid 0)", d.keys);
        } else {
                /* Not root: "/" is a directory of another owner (root) that exists. */
                CHECK_EQ_INT(keystore_vault_open(&v, "/", d.root, &err), -EPERM);
                snprintf(want, sizeof(want), "/: the key directory is owned by uid 0, not by the key store (uid %u)",
                         (unsigned)geteuid());
        }
        CHECK(v == NULL);
        CHECK_EQ_STR(err.message, want);
        dir_cleanup(&d);
}

TEST(deleted_key_file_is_refused_not_made_anew) {
        KeystoreVaultError err = { { 0 } };
        KeystoreVault *v = NULL;
        KeystoreKey *key = NULL;
        uint8_t secret[SEAL_SECRET_MAX], first[KOS_KEYSTORE_PUBLIC_KEY_SIZE];
        char path[160];
        Dir d;

        dir_setup(&d);
        CHECK_OK(keystore_vault_open(&v, d.keys, d.root, &err));
        CHECK(!keystore_vault_has_record(v, "identity"));
        CHECK_EQ_INT(keystore_vault_load(v, "identity", SEAL_KEY_ED25519, &key, &err), -ENOENT);
        CHECK_OK(keystore_key_random(secret, 32));
        CHECK_OK(keystore_vault_create(v, "identity", SEAL_KEY_ED25519, SEAL_USE_SIGN, secret, 32, &key, &err));
        memcpy(first, key->public_key, sizeof(first));
        key = keystore_key_free(key);
        CHECK(keystore_vault_has_record(v, "identity"));
        CHECK(path_exists(d.keys, "identity.created"));

        /* The file goes: load and create both refuse; nothing is written. */
        snprintf(path, sizeof(path), "%s/identity" KEYSTORE_FILE_SUFFIX, d.keys);
        CHECK_EQ_INT(unlink(path), 0);
        CHECK_EQ_INT(keystore_vault_load(v, "identity", SEAL_KEY_ED25519, &key, &err), -ESTALE);
        CHECK(strstr(err.message, "the key file is gone, but the key was made before (its record identity.created"));
        CHECK_OK(keystore_key_random(secret, 32));
        CHECK_EQ_INT(keystore_vault_create(v, "identity", SEAL_KEY_ED25519, SEAL_USE_SIGN, secret, 32, &key, &err),
                     -ESTALE);
        CHECK(key == NULL);
        CHECK(!path_exists(d.keys, "identity" KEYSTORE_FILE_SUFFIX));
        v = keystore_vault_free(v);
        dir_cleanup(&d);
}

TEST(key_file_without_record_gets_one_when_loaded) {
        KeystoreVaultError err = { { 0 } };
        KeystoreVault *v = NULL;
        KeystoreKey *key = NULL;
        uint8_t secret[SEAL_SECRET_MAX];
        char path[160];
        Dir d;

        /* A directory from before records (or cut off between file and record). */
        dir_setup(&d);
        CHECK_OK(keystore_vault_open(&v, d.keys, d.root, &err));
        CHECK_OK(keystore_key_random(secret, 32));
        CHECK_OK(keystore_vault_create(v, "old", SEAL_KEY_AES256, SEAL_USE_WRAP, secret, 32, &key, &err));
        key = keystore_key_free(key);
        snprintf(path, sizeof(path), "%s/old" KEYSTORE_RECORD_SUFFIX, d.keys);
        CHECK_EQ_INT(unlink(path), 0);
        CHECK_OK(keystore_vault_load(v, "old", SEAL_KEY_AES256, &key, &err));
        key = keystore_key_free(key);
        CHECK(keystore_vault_has_record(v, "old"));
        v = keystore_vault_free(v);
        dir_cleanup(&d);
}

TEST_MAIN()
