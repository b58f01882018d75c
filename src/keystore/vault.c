// SPDX-License-Identifier: Apache-2.0
/*
 * Sealed key files (see vault.h for invariants 1-3).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keystore/vault.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/secret.h"

struct KeystoreVault {
        char *dir; /* owned */
        SealRootKey *root; /* owned */
};

static int vault_error(KeystoreVaultError *err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int vault_error(KeystoreVaultError *err, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        return r;
}

int keystore_vault_new(KeystoreVault **vaultp, const char *dir, SealRootKey *root, KeystoreVaultError *err) {
        _cleanup_(seal_root_key_freep) SealRootKey *owned = root;
        _cleanup_(keystore_vault_freep) KeystoreVault *v = calloc(1, sizeof(KeystoreVault));
        struct stat st;

        if (!v)
                return -ENOMEM;
        v->dir = strdup(dir);
        if (!v->dir)
                return -ENOMEM;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return vault_error(err, -errno, "%s: cannot create the key directory: %s", dir, strerror(errno));
        if (stat(dir, &st) < 0)
                return vault_error(err, -errno, "%s: %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return vault_error(err, -ENOTDIR, "%s: not a directory", dir);
        /* Invariant 4. */
        if (st.st_uid != geteuid())
                return vault_error(err, -EPERM, "%s: the key directory is owned by uid %u, not by the key store (uid %u)",
                                   dir, (unsigned)st.st_uid, (unsigned)geteuid());
        if (st.st_mode & 022)
                return vault_error(err, -EPERM,
                                   "%s: the key directory has mode %04o: group or others may write to it (want 0700)",
                                   dir, (unsigned)(st.st_mode & 07777));
        if (st.st_mode & 077) {
                /* Only the key store could write here: closing it to readers loses nothing. */
                if (chmod(dir, 0700) < 0)
                        return vault_error(err, -errno,
                                           "%s: the key directory has mode %04o: group or others may read it, and it "
                                           "cannot be made 0700: %s",
                                           dir, (unsigned)(st.st_mode & 07777), strerror(errno));
                log_notice("%s: the key directory had mode %04o (group or others could read it): made 0700", dir,
                           (unsigned)(st.st_mode & 07777));
        }
        v->root = steal_ptr(&owned);
        *vaultp = steal_ptr(&v);
        return 0;
}

int keystore_vault_open(KeystoreVault **vaultp, const char *dir, const char *root_key_path, KeystoreVaultError *err) {
        SealRootKey *root = NULL;
        int r;

        r = seal_root_key_load(&root, root_key_path);
        if (r != 0)
                return vault_error(err, r, "root key %s: %s", root_key_path, seal_strerror(r));
        return keystore_vault_new(vaultp, dir, root, err);
}

KeystoreVault *keystore_vault_free(KeystoreVault *vault) {
        if (!vault)
                return NULL;
        seal_root_key_free(vault->root);
        free(vault->dir);
        free(vault);
        return NULL;
}

static int vault_path(KeystoreVault *v, const char *name, const char *suffix, char **pathp) {
        if (!seal_key_name_is_valid(name))
                return -EINVAL;
        return asprintf(pathp, "%s/%s%s", v->dir, name, suffix) < 0 ? -ENOMEM : 0;
}

/* Invariant 5: writes key name's record unless it is there. */
static int vault_record(KeystoreVault *v, const char *name, SealKeyType type, KeystoreVaultError *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        int n, r;

        r = vault_path(v, name, KEYSTORE_RECORD_SUFFIX, &path);
        if (r < 0)
                return vault_error(err, r, "key \"%s\": invalid name", name);
        n = asprintf(&text, "%s %s\n", name, seal_key_type_to_string(type));
        if (n < 0)
                return vault_error(err, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
        r = write_file_new(path, text, (size_t)n, 0600);
        if (r < 0 && r != -EEXIST)
                return vault_error(err, r, "%s: cannot write: %s", path, strerror(-r));
        return 0;
}

bool keystore_vault_has_record(KeystoreVault *vault, const char *name) {
        _cleanup_free_ char *path = NULL;

        return vault_path(vault, name, KEYSTORE_RECORD_SUFFIX, &path) == 0 && access(path, F_OK) == 0;
}

int keystore_vault_load(KeystoreVault *vault, const char *name, SealKeyType type, KeystoreKey **keyp,
                        KeystoreVaultError *err) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(keystore_key_freep) KeystoreKey *key = NULL;
        _cleanup_free_ uint8_t *blob = NULL;
        _cleanup_secret_ uint8_t *secret = NULL;
        SealKeyInfo info;
        size_t size, secret_size;
        int r;

        r = vault_path(vault, name, KEYSTORE_FILE_SUFFIX, &path);
        if (r < 0)
                return vault_error(err, r, "key \"%s\": invalid name", name);
        r = seal_blob_read_file(path, &blob, &size);
        if (r == -ENOENT && keystore_vault_has_record(vault, name))
                return vault_error(err, -ESTALE,
                                   "%s: the key file is gone, but the key was made before (its record %s%s is "
                                   "there): refused, no new key is made in its place",
                                   path, name, KEYSTORE_RECORD_SUFFIX);
        if (r == -ENOENT)
                return vault_error(err, r, "%s: no such key file", path);
        if (r < 0)
                return vault_error(err, r, "%s: %s", path, strerror(-r));
        r = secret_alloc((void **)&secret, SEAL_SECRET_MAX);
        if (r < 0)
                return vault_error(err, r, "%s: %s", path, strerror(-r));
        r = seal_blob_open(vault->root, blob, size, name, type, &info, secret, &secret_size);
        if (r != 0)
                return vault_error(err, r, "%s: sealed key refused: %s", path, seal_strerror(r));
        r = keystore_key_new(&key, info.type, info.use, secret, secret_size);
        if (r < 0)
                return vault_error(err, r, "%s: %s", path, strerror(-r));
        /* A key made before records existed (a DataFS's initial keys), or cut off between
         * its file and its record. The key works without it; only its loss would go unseen. */
        if (vault_record(vault, name, type, err) < 0)
                log_warning("key \"%s\": %s: a later loss of its key file would not be noticed", name, err->message);
        *keyp = steal_ptr(&key);
        return 0;
}

int keystore_vault_create(KeystoreVault *vault, const char *name, SealKeyType type, unsigned use,
                          const uint8_t *secret, size_t size, KeystoreKey **keyp, KeystoreVaultError *err) {
        _cleanup_(keystore_key_freep) KeystoreKey *key = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ uint8_t *blob = NULL;
        SealKeyInfo info = { .type = type, .use = use };
        size_t blob_size;
        int r;

        r = vault_path(vault, name, KEYSTORE_FILE_SUFFIX, &path);
        if (r < 0)
                return vault_error(err, r, "key \"%s\": invalid name", name);
        if (keystore_vault_has_record(vault, name) && access(path, F_OK) < 0)
                return vault_error(err, -ESTALE,
                                   "%s: the key file is gone, but the key was made before (its record %s%s is "
                                   "there): refused, no new key is made in its place",
                                   path, name, KEYSTORE_RECORD_SUFFIX);
        snprintf(info.name, sizeof(info.name), "%s", name);
        /* The key first: bytes that do not make a key are never sealed. */
        r = keystore_key_new(&key, type, use, secret, size);
        if (r < 0)
                return vault_error(err, r, "key \"%s\": %s", name, strerror(-r));
        r = seal_blob_create(vault->root, &info, secret, size, &blob, &blob_size);
        if (r != 0)
                return vault_error(err, r > 0 ? -EINVAL : r, "key \"%s\": cannot seal: %s", name, seal_strerror(r));
        r = write_file_new(path, blob, blob_size, 0600);
        if (r == -EEXIST)
                return vault_error(err, r, "%s: exists", path);
        if (r < 0)
                return vault_error(err, r, "%s: cannot write: %s", path, strerror(-r));
        r = vault_record(vault, name, type, err);
        if (r < 0)
                return r;
        *keyp = steal_ptr(&key);
        return 0;
}
