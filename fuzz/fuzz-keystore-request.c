// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the key store's request parser and the server's decisions on what apps
 * send.
 *
 * Input: [app selector u8][request bytes]. The bytes go through keystore_request_parse(),
 * then through keystore_server_handle() as if app (selector % 3: "admin", "tunnel",
 * "loner") sent them, against a manifest with one key of each type and a real key
 * directory (sealed under a fixed root key in a temporary directory). Every reply must
 * parse as a reply to the request, and a refusal's reason must be one line.
 */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include "keystore/server.h"
#include "keystore/wire.h"
#include "util/fileio.h"
#include "util/log.h"

static Manifest *f_manifest;
static KeystoreVault *f_vault;
static KeystoreServer *f_server;
static const char *const f_apps[3] = { "admin", "tunnel", "loner" };

static void f_key(void *fdt, const char *name, const char *type, const char *app, const char *ops, int ops_size) {
        fdt_begin_node(fdt, name);
        fdt_property_string(fdt, "type", type);
        fdt_property_string(fdt, "apps", app);
        if (ops)
                fdt_property(fdt, "operations", ops, ops_size);
        if (ops && memmem(ops, (size_t)ops_size, "import", 7))
                fdt_property_string(fdt, "origin", "import");
        fdt_end_node(fdt);
}

static void f_app(void *fdt, const char *name) {
        fdt_begin_node(fdt, name);
        fdt_property_string(fdt, "path", "/bin/true");
        fdt_end_node(fdt);
}

static char f_dir[] = "/tmp/kos-fuzz-keystore.XXXXXX";

/* The temporary directory goes at exit: key files, the key directory, the root key. */
static void f_cleanup(void) {
        char path[PATH_MAX];
        struct dirent *e;
        DIR *d;

        f_server = keystore_server_free(f_server);
        f_vault = keystore_vault_free(f_vault);
        f_manifest = manifest_free(f_manifest);
        snprintf(path, sizeof(path), "%s/keys", f_dir);
        d = opendir(path);
        while (d && (e = readdir(d)))
                if (e->d_name[0] != '.') {
                        snprintf(path, sizeof(path), "%s/keys/%s", f_dir, e->d_name);
                        (void)unlink(path);
                }
        if (d)
                closedir(d);
        snprintf(path, sizeof(path), "%s/keys", f_dir);
        (void)rmdir(path);
        snprintf(path, sizeof(path), "%s/root.key", f_dir);
        (void)unlink(path);
        (void)rmdir(f_dir);
}

static void f_setup(void) {
        char *dir = f_dir;
        static const char ops[] = "sign\0public-key\0import";
        char path[64], keys[64];
        uint8_t root[32];
        size_t size = 4096;
        void *fdt = calloc(1, size);
        KeystoreVaultError err;
        ManifestError merr;

        log_set_max_level(LOG_LEVEL_ERROR - 1); /* quiet: refusals are the point */
        if (!fdt || !mkdtemp(dir))
                abort();
        fdt_create(fdt, (int)size);
        fdt_finish_reservemap(fdt);
        fdt_begin_node(fdt, "");
        fdt_property_string(fdt, "compatible", "kos,manifest-v1");
        fdt_property_u32(fdt, "version", 1);
        fdt_begin_node(fdt, "apps");
        for (size_t i = 0; i < 3; i++)
                f_app(fdt, f_apps[i]);
        fdt_end_node(fdt);
        fdt_begin_node(fdt, "key_store");
        f_key(fdt, "orbit-identity", "ed25519", "admin", ops, sizeof(ops));
        f_key(fdt, "vpn", "x25519", "tunnel", NULL, 0);
        f_key(fdt, "disk", "aes-256", "admin", NULL, 0);
        fdt_end_node(fdt);
        fdt_end_node(fdt);
        fdt_finish(fdt);
        if (manifest_parse(&f_manifest, fdt, fdt_totalsize(fdt), &merr) < 0)
                abort();
        free(fdt);
        memset(root, 0x5a, sizeof(root));
        snprintf(path, sizeof(path), "%s/root.key", dir);
        snprintf(keys, sizeof(keys), "%s/keys", dir);
        if (write_file_atomic(path, root, sizeof(root), 0600) < 0 ||
            keystore_vault_open(&f_vault, keys, path, &err) != 0 ||
            keystore_server_new(&f_server, f_manifest, f_vault) < 0)
                abort();
        atexit(f_cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static uint8_t reply[KEYSTORE_REPLY_MAX];
        KeystoreRequest req;
        const uint8_t *payload;
        size_t payload_size, n;
        uint32_t status;
        char why[160];

        if (!f_server)
                f_setup();
        if (size < 1 || size - 1 > KEYSTORE_REQUEST_MAX)
                return 0;
        (void)keystore_request_parse(data + 1, size - 1, &req, why, sizeof(why));
        n = keystore_server_handle(f_server, f_apps[data[0] % 3], data + 1, size - 1, reply);
        if (n < KEYSTORE_REPLY_HEADER_SIZE || n > KEYSTORE_REPLY_MAX)
                abort();
        if (keystore_reply_parse(reply, n, size >= 3 ? data[2] : 0, keystore_request_serial(data + 1, size - 1),
                                 &status, &payload, &payload_size) < 0)
                abort();
        if (status != KEYSTORE_STATUS_OK && memchr(payload, '\n', payload_size))
                abort();
        return 0;
}
