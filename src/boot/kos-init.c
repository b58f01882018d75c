// SPDX-License-Identifier: Apache-2.0
/*
 * kos-init: PID 1 of the System Kernel's initrd. Checks again the manifest kos-boot
 * kexec'd for, mounts its components read-only (encrypted ones through dm-crypt, their keys
 * unsealed from the DataFS) under a tmpfs read-write layer with OverlayFS, adds the DataFS,
 * switches root and executes the manifest's init.
 *
 * Invariants: 1. Trust comes only from the initrd's /etc/kos/trust; the command line only
 * says which generation to check: its generation file must name the manifest the command
 * line names, a trusted key must have signed it, its version must not be below the floor,
 * and every object it references must hash to its name, but for a dm-verity image, which is
 * checked block by block as it is read against its signed root hash. 2. A component is
 * mounted from the descriptor its bytes (or its hash tree's) were checked through
 * (component.h). 3. Components stack in manifest
 * order, the first at the bottom (overlay.h). 4. The program never exits: a fatal error
 * reboots, so a pending generation's tries run out. 5. Every console line is one line with
 * the prefix "kos-init: ". 6. An encrypted component's data key and the device key that
 * unwraps it live only in secret memory (util/secret.h) and are wiped as soon as its
 * dm-crypt device is set up; the root key is wiped once the components are mounted.
 * 7. A hardware watchdog, if the kernel has one, is armed as soon as its module is loaded
 * (BOOT_WATCHDOG_BOOT_S, so a hang of kos-init itself resets the machine), given the
 * manifest's node-manager watchdog-timeout-ms once the manifest is verified (or stopped if
 * that is 0), and left running when the root's init is executed: kosd or systemd keeps it
 * alive from then on (docs/boot.md, "The watchdog").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "boot/boot.h"
#include "boot/cmdline.h"
#include "boot/component.h"
#include "boot/overlay.h"
#include "boot/pid1.h"
#include "boot/stage.h"
#include "boot/switchroot.h"
#include "boot/unlock.h"
#include "boot/verify.h"
#include "boot/watchdog.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "store/object.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/strv.h"

#define KOS_INIT_IMAGEFS "/run/kos/imagefs"
#define KOS_INIT_STORE KOS_INIT_IMAGEFS "/store"
#define KOS_INIT_COMPONENTS "/run/kos/components"
#define KOS_INIT_RW "/run/kos/rw"
#define KOS_INIT_DATA "/run/kos/data"
#define KOS_INIT_ROOT "/root"
#define KOS_INIT_TRUST "/etc/kos/trust"

#define fatal(...) boot_pid1_fatal(BOOT_PID1_REBOOT, __VA_ARGS__)

typedef struct KosInit {
        BootCmdline *cmdline; /* owned */
        Sha256Digest manifest;
        unsigned generation;
        const char *imagefs, *datafs; /* specs, from cmdline */
        uint64_t deadline_ms;
        Store *store;    /* owned */
        Manifest *m;     /* owned */
        BootComponentFiles *components; /* owned: one per component, checked (invariant 2) */
        bool datafs_early; /* the DataFS is mounted at KOS_INIT_DATA, for encrypted components' keys */
        int watchdog_fd; /* the armed watchdog, or -1 (invariant 7) */
} KosInit;

/* The timeout kos-init arms the watchdog with before it has read the manifest. */
#define BOOT_WATCHDOG_BOOT_S 60

/* Arms the watchdog, if there is one, for kos-init's own work (invariant 7). */
static void kos_init_watchdog_arm(KosInit *k) {
        bool timeout_set;
        int fd = boot_watchdog_open(BOOT_WATCHDOG_DEVICE, BOOT_WATCHDOG_BOOT_S, &timeout_set);

        k->watchdog_fd = -1;
        if (fd == -ENOENT) {
                log_info("watchdog: none (no %s): a hang will not reset this machine", BOOT_WATCHDOG_DEVICE);
                return;
        }
        if (fd < 0) {
                log_warning("watchdog: %s: %s: a hang will not reset this machine", BOOT_WATCHDOG_DEVICE,
                            strerror(-fd));
                return;
        }
        k->watchdog_fd = fd;
}

/* The manifest's timeout, from now until kosd or systemd takes the watchdog over. */
static void kos_init_watchdog_manifest(KosInit *k) {
        unsigned ms = k->m->node_manager.watchdog_timeout_ms, s = ms / 1000 + (ms % 1000 != 0);
        int r;

        if (k->watchdog_fd < 0)
                return;
        if (ms == 0) {
                r = boot_watchdog_stop(k->watchdog_fd);
                k->watchdog_fd = -1;
                if (r < 0)
                        log_warning("watchdog: cannot stop it (watchdog-timeout-ms is 0): %s", strerror(-r));
                else
                        log_info("watchdog: stopped (the manifest's watchdog-timeout-ms is 0)");
                return;
        }
        if (s > 65535) {
                log_warning("watchdog: watchdog-timeout-ms %u is more than 65535 s; using 65535 s", ms);
                s = 65535;
        }
        r = boot_watchdog_set_timeout(k->watchdog_fd, s);
        if (r < 0)
                log_warning("watchdog: cannot set its timeout to %u s: %s; it keeps %u s", s, strerror(-r),
                            BOOT_WATCHDOG_BOOT_S);
        else
                log_info("watchdog: armed, %u s; the root's init keeps it alive", s);
}

/* Between steps: kos-init's own work takes what it takes (hashing large components), and
 * only a single step longer than the timeout resets the machine. */
static void kos_init_watchdog_keepalive(const KosInit *k) {
        if (k->watchdog_fd >= 0)
                (void)boot_watchdog_keepalive(k->watchdog_fd);
}

static const char *kos_init_store_error(int r) {
        return r == STORE_E_MISSING ? "missing" : r == STORE_E_CORRUPT ? "does not match its digest" : strerror(-r);
}

static void kos_init_parse_cmdline(KosInit *k) {
        const char *hex, *number;
        unsigned long n;
        char *end;
        int r;

        r = boot_stage_cmdline(&k->cmdline);
        if (r < 0)
                fatal("/proc/cmdline: %s", strerror(-r));
        hex = boot_cmdline_value(k->cmdline, "kos.manifest");
        number = boot_cmdline_value(k->cmdline, "kos.generation");
        if (!hex || sha256_from_hex(hex, &k->manifest) < 0)
                fatal("kos.manifest: %s", hex ? "expected 64 hex digits" : "missing");
        errno = 0;
        n = number ? strtoul(number, &end, 10) : 0;
        if (!number || errno != 0 || end == number || *end || number[0] == '-' || n == 0 || n > UINT32_MAX)
                fatal("kos.generation: %s", number ? "expected a generation number" : "missing");
        k->generation = (unsigned)n;
        k->imagefs = boot_cmdline_value(k->cmdline, "kos.imagefs") ?: BOOT_STAGE_IMAGEFS_DEFAULT;
        k->datafs = boot_cmdline_value(k->cmdline, "kos.datafs") ?: BOOT_STAGE_DATAFS_DEFAULT;
}

static void kos_init_imagefs(KosInit *k) {
        BootBlockdevSpec spec;
        char dev[64], how[64];
        int r;

        if (boot_blockdev_spec_parse(k->imagefs, &spec) < 0)
                fatal("kos.imagefs=%s: expected LABEL=<label> or /dev/<name>", k->imagefs);
        r = boot_stage_mount_ext4(&spec, k->deadline_ms, KOS_INIT_IMAGEFS, MS_NOSUID | MS_NODEV | MS_NOEXEC, dev, how);
        if (r == -ETIMEDOUT)
                fatal("imagefs: %s: not found within %u s", k->imagefs, boot_stage_timeout(k->cmdline));
        if (r < 0)
                fatal("imagefs: %s: cannot mount: %s", dev, strerror(-r));
        r = store_open(&k->store, KOS_INIT_STORE, STORE_OPEN_READ);
        if (r < 0)
                fatal("%s: cannot open the store: %s", KOS_INIT_STORE, store_strerror(r));
}

static TrustStore *kos_init_trust(void) {
        _cleanup_free_ char *bad_file = NULL;
        TrustStore *trust = NULL;
        int r;

        r = trust_store_load(&trust, KOS_INIT_TRUST, &bad_file);
        if (r < 0)
                fatal("trust: %s: %s", bad_file ? bad_file : KOS_INIT_TRUST, key_strerror(r));
        if (trust_store_size(trust) == 0)
                fatal("trust: %s: no trusted keys (*.pub)", KOS_INIT_TRUST);
        return trust;
}

/* The generation file, the signature, the floor (invariant 1, first part). */
static void kos_init_verify_manifest(KosInit *k, const TrustStore *trust) {
        StoreGeneration gen;
        BootCandidate c;
        int r;

        r = boot_verify_named(k->store, trust, k->generation, &k->manifest, "kos.manifest", &gen, &c, &k->m, NULL,
                              NULL);
        if (r == -ENOENT)
                fatal("generation %u: no such generation", k->generation);
        if (r < 0)
                fatal("generation %u: %s", k->generation, strerror(-r));
        if (r > 0)
                fatal("generation %u rejected: %s%s%s", k->generation, boot_rejection_to_string(c.reason),
                      c.detail[0] ? ": " : "", c.detail);
        if (!k->m->boot)
                fatal("generation %u: the manifest has no boot node", k->generation);
}

/*
 * True if opening the components checks hex: a plain image or a hash tree, hashed through
 * the descriptor it mounts from, or a dm-verity image that nothing else references.
 */
static bool kos_init_component_checks(const Manifest *m, const char *hex) {
        if (manifest_object_is_verity_image(m, hex))
                return true;
        for (size_t i = 0; i < m->n_components; i++) {
                const ManifestComponent *c = &m->components[i];

                if ((!c->verity_hash_tree[0] && strcmp(c->sha256, hex) == 0) || strcmp(c->verity_hash_tree, hex) == 0)
                        return true;
        }
        return false;
}

/* Every object hashes to its name; components through the descriptors they mount from. */
static void kos_init_verify_objects(KosInit *k) {
        _cleanup_strv_free_ char **objects = NULL;
        char hex[SHA256_HEX_LEN + 1];
        int r;

        k->components = calloc(k->m->n_components + 1, sizeof(BootComponentFiles));
        if (!k->components || manifest_objects(k->m, &objects) < 0)
                fatal("%s", strerror(ENOMEM));
        for (size_t i = 0; i < k->m->n_components; i++) {
                r = boot_component_open(k->store, &k->m->components[i], &k->components[i], hex);
                if (r != 0)
                        fatal("component %s: %s: %s", k->m->components[i].name, hex, kos_init_store_error(r));
                kos_init_watchdog_keepalive(k);
        }
        for (char **o = objects; *o; o++) {
                if (kos_init_component_checks(k->m, *o))
                        continue;
                r = store_object_verify(k->store, *o, NULL);
                kos_init_watchdog_keepalive(k);
                if (r != 0)
                        fatal("object %s: %s", *o, kos_init_store_error(r));
        }
        sha256_to_hex(&k->manifest, hex);
        log_info("manifest %s generation %u: verified", hex, k->generation);
}

/* The paths of the components, /run/kos/components/<name>, in manifest order. */
static char **kos_init_component_paths(KosInit *k) {
        _cleanup_strv_free_ char **paths = NULL;
        int r;

        for (size_t i = 0; i < k->m->n_components; i++) {
                char *path = NULL;

                if (asprintf(&path, "%s/%s", KOS_INIT_COMPONENTS, k->m->components[i].name) < 0 ||
                    strv_push(&paths, path) < 0)
                        fatal("%s", strerror(ENOMEM));
                r = boot_pid1_mkdir_p(path);
                if (r < 0)
                        fatal("component %s: %s: %s", k->m->components[i].name, path, strerror(-r));
        }
        if (!paths)
                fatal("the manifest has no components: there is no root file system");
        return steal_ptr(&paths);
}

/*
 * The device root key, from the topmost plain component that has /etc/kos/keystore/root.key:
 * the file the root shows there once the overlay is up (an encrypted component cannot hold
 * the key that opens it).
 */
static SealRootKey *kos_init_root_key(KosInit *k, char **paths) {
        for (size_t i = k->m->n_components; i-- > 0;) {
                _cleanup_free_ char *path = NULL;
                SealRootKey *root = NULL;
                int r;

                if (k->m->components[i].encryption_key)
                        continue;
                if (asprintf(&path, "%s/%s", paths[i], BOOT_UNLOCK_ROOT_KEY) < 0)
                        fatal("%s", strerror(ENOMEM));
                r = seal_root_key_load(&root, path);
                if (r == -ENOENT)
                        continue;
                if (r != 0)
                        fatal("root key: /%s in component %s: %s", BOOT_UNLOCK_ROOT_KEY, k->m->components[i].name,
                              seal_strerror(r));
                log_info("root key: /%s of component %s", BOOT_UNLOCK_ROOT_KEY, k->m->components[i].name);
                return root;
        }
        fatal("root key: no component has /%s, so no encrypted component can be unlocked", BOOT_UNLOCK_ROOT_KEY);
}

/* Mounts the encrypted component i: its data key unlocked, a dm-crypt device, the mount. */
static void kos_init_component_encrypted(KosInit *k, size_t i, const SealRootKey *root, const char *path) {
        const ManifestComponent *c = &k->m->components[i];
        _cleanup_secret_ uint8_t *data_key = NULL;
        char why[512], dev[64];
        size_t key_size = 0;
        int r;

        if (!k->datafs_early)
                fatal("component %s: no DataFS, so its key \"%s\" cannot be unsealed", c->name, c->encryption_key);
        r = secret_alloc((void **)&data_key, SEAL_DATA_KEY_MAX);
        if (r < 0)
                fatal("%s", strerror(-r));
        r = boot_unlock_data_key(root, KOS_INIT_DATA, c, data_key, &key_size, why, sizeof(why));
        if (r != 0)
                fatal("component %s: %s", c->name, why);
        r = boot_component_mount_encrypted(c, &k->components[i], data_key, key_size, path, dev, sizeof(dev));
        data_key = secret_free(data_key);
        if (r < 0)
                fatal("component %s: cannot mount %s with dm-crypt: %s", c->name, c->format, strerror(-r));
        log_info("component %s: dm-crypt %s (%s, key \"%s\")", c->name, dev, c->encryption_cipher, c->encryption_key);
}

/*
 * Each component at /run/kos/components/<name>: the plain ones first, then the encrypted
 * ones, whose keys need the root key from a plain one. Returns their paths, in manifest order.
 */
static char **kos_init_components(KosInit *k) {
        _cleanup_strv_free_ char **paths = kos_init_component_paths(k);
        _cleanup_(seal_root_key_freep) SealRootKey *root = NULL;
        char dev[64];
        int r;

        for (size_t i = 0; i < k->m->n_components; i++) {
                const ManifestComponent *c = &k->m->components[i];

                if (c->encryption_key)
                        continue;
                r = boot_component_mount(c, &k->components[i], paths[i], dev, sizeof(dev));
                if (r < 0)
                        fatal("component %s: cannot mount %s%s: %s", c->name, c->format,
                              c->verity_hash_tree[0] ? " with dm-verity" : "", strerror(-r));
                boot_component_files_close(&k->components[i]);
                kos_init_watchdog_keepalive(k);
                if (c->verity_hash_tree[0])
                        log_info("component %s: dm-verity %s (root hash %s)", c->name, dev, c->verity_root_hash);
                log_info("component %s: %s at %s", c->name, c->format, paths[i]);
        }
        for (size_t i = 0; i < k->m->n_components; i++) {
                const ManifestComponent *c = &k->m->components[i];

                if (!c->encryption_key)
                        continue;
                if (!root)
                        root = kos_init_root_key(k, paths);
                kos_init_component_encrypted(k, i, root, paths[i]);
                boot_component_files_close(&k->components[i]);
                kos_init_watchdog_keepalive(k);
                log_info("component %s: %s at %s", c->name, c->format, paths[i]);
        }
        return steal_ptr(&paths);
}

static void kos_init_rw(void) {
        int r;

        r = boot_pid1_mount("tmpfs", KOS_INIT_RW, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
        if (r >= 0)
                r = boot_pid1_mkdir_p(KOS_INIT_RW "/upper");
        if (r >= 0)
                r = boot_pid1_mkdir_p(KOS_INIT_RW "/work");
        if (r < 0)
                fatal("rw layer: %s: %s", KOS_INIT_RW, strerror(-r));
        log_info("rw layer: tmpfs at %s", KOS_INIT_RW);
}

/* Mounts the DataFS at target; false (with a warning) if there is none to mount. */
static bool kos_init_datafs_mount(KosInit *k, const char *target) {
        BootBlockdevSpec spec;
        char dev[64], how[64];
        int r;

        if (boot_blockdev_spec_parse(k->datafs, &spec) < 0) {
                log_warning("warning: kos.datafs=%s: expected LABEL=<label> or /dev/<name>; no /data", k->datafs);
                return false;
        }
        r = boot_stage_mount_ext4(&spec, k->deadline_ms, target, MS_NOSUID | MS_NODEV, dev, how);
        if (r == -ETIMEDOUT) {
                log_warning("warning: datafs: %s: not found; no /data", k->datafs);
                return false;
        }
        if (r < 0) {
                log_warning("warning: datafs: %s: cannot mount: %s; no /data", dev, strerror(-r));
                return false;
        }
        log_info("datafs: %s at /data", dev);
        return true;
}

/*
 * Before the components, if one is encrypted: the DataFS at /run/kos/data, where the sealed
 * keys are; it moves to /data in the root once the root is up.
 */
static void kos_init_datafs_early(KosInit *k) {
        bool encrypted = false;
        int r;

        for (size_t i = 0; i < k->m->n_components; i++)
                encrypted = encrypted || k->m->components[i].encryption_key;
        if (!encrypted)
                return;
        r = boot_pid1_mkdir_p(KOS_INIT_DATA);
        if (r < 0)
                fatal("datafs: %s: %s", KOS_INIT_DATA, strerror(-r));
        k->datafs_early = kos_init_datafs_mount(k, KOS_INIT_DATA);
}

static void kos_init_datafs(KosInit *k) {
        if (!k->datafs_early) {
                (void)kos_init_datafs_mount(k, KOS_INIT_ROOT "/data");
                return;
        }
        if (mount(KOS_INIT_DATA, KOS_INIT_ROOT "/data", NULL, MS_MOVE, NULL) < 0)
                fatal("datafs: cannot move %s to /data: %s", KOS_INIT_DATA, strerror(errno));
}

static void kos_init_root(KosInit *k, char **lower) {
        _cleanup_free_ char *options = NULL, *lowerdir = NULL;
        int r;

        r = boot_overlay_options(lower, strv_length(lower), KOS_INIT_RW "/upper", KOS_INIT_RW "/work", &options);
        if (r >= 0)
                r = boot_overlay_lowerdir(lower, strv_length(lower), &lowerdir);
        if (r >= 0)
                r = boot_pid1_mkdir_p(KOS_INIT_ROOT);
        if (r >= 0)
                r = boot_overlay_mount(options, KOS_INIT_ROOT);
        if (r < 0)
                fatal("root: cannot mount the overlay: %s", strerror(-r));
        kos_init_datafs(k);
        log_info("root: overlay (%s)", lowerdir);
}

static _Noreturn void kos_init_exec(KosInit *k, char **init) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        int r;

        for (size_t i = 0; f && init[i]; i++)
                fprintf(f, "%s%s", i ? " " : "", init[i]);
        if (!f || fclose(f) != 0)
                fatal("%s", strerror(ENOMEM));
        log_info("exec %s", text);
        r = boot_switch_root(KOS_INIT_ROOT);
        if (r < 0)
                fatal("switch_root: %s", strerror(-r));
        /* Running, and a full timeout left for the init to take it over (invariant 7). */
        boot_watchdog_release(k->watchdog_fd);
        k->watchdog_fd = -1;
        execv(init[0], init);
        fatal("exec %s: %s", init[0], strerror(errno));
}

int main(void) {
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        _cleanup_strv_free_ char **lower = NULL;
        KosInit k = { .watchdog_fd = -1 };
        int r;

        r = boot_pid1_setup("kos-init", true);
        if (r < 0)
                log_warning("cannot set up the initramfs: %s", strerror(-r));
        if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
                fatal("cannot initialise libcrypto");
        k.deadline_ms = now_ms();
        kos_init_parse_cmdline(&k);
        k.deadline_ms += boot_stage_timeout(k.cmdline) * 1000ULL;
        boot_stage_modules();
        kos_init_watchdog_arm(&k);
        kos_init_imagefs(&k);
        trust = kos_init_trust();
        kos_init_verify_manifest(&k, trust);
        kos_init_watchdog_manifest(&k);
        kos_init_verify_objects(&k);
        kos_init_datafs_early(&k);
        lower = kos_init_components(&k);
        kos_init_rw();
        kos_init_root(&k, lower);
        k.store = store_close(k.store);
        kos_init_exec(&k, k.m->boot->init);
}
