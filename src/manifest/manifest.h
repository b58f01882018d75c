/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Manifest v1: the typed, read-only model of a signed KOS manifest.
 *
 * A manifest is a DTB; its identity is the SHA-256 of the DTB bytes. manifest_parse() is
 * the only place in KOS that reads a DTB: it checks the blob with fdt_check_full(), walks
 * it once, validates every node, property and cross-reference, and builds this model.
 * A Manifest that exists is valid: every name it references is defined, every digest is 64
 * lowercase hex, apps are in manifest order. Nothing in it changes after parsing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"
#include "util/cleanup.h"

#define MANIFEST_COMPATIBLE "kos,manifest-v1"
#define MANIFEST_MAX_SIZE (1024U * 1024U)
/* An encrypted component's data key: aes-xts-plain64 with AES-256, two 32-byte keys. */
#define MANIFEST_XTS_KEY_SIZE 64U

typedef enum ManifestRestart {
        MANIFEST_RESTART_PERMANENT, /* always restarted */
        MANIFEST_RESTART_TRANSIENT, /* restarted only after an abnormal exit */
        MANIFEST_RESTART_TEMPORARY, /* never restarted */
} ManifestRestart;

typedef enum ManifestReady {
        MANIFEST_READY_STARTED, /* ready once exec succeeded */
        MANIFEST_READY_NOTIFY,  /* ready when it sends READY=1 on NOTIFY_SOCKET */
} ManifestReady;

typedef struct ManifestBoot {
        char kernel[SHA256_HEX_LEN + 1];
        char initrd[SHA256_HEX_LEN + 1]; /* "" if none */
        char *cmdline;                   /* owned; "" if none */
        char **init; /* owned strv: an absolute path, then its arguments ({"/sbin/init"}) */
} ManifestBoot;

/* A property's bytes, as written ([01 02 ...] in DTS). */
typedef struct ManifestBytes {
        uint8_t *data; /* owned; NULL if absent */
        size_t size;
} ManifestBytes;

typedef struct ManifestComponent {
        char *name; /* owned */
        char sha256[SHA256_HEX_LEN + 1];
        char *format;         /* owned: "squashfs", "erofs" or "ext4" */
        /*
         * dm-crypt (all or none): the image is read through a dm-crypt device whose data key
         * the aes-256 device key encryption_key unwraps (docs/sealing.md). The wrapped key
         * parses and is wrapped for "component:<name>"; the cipher is "aes-xts-plain64".
         */
        char *encryption_key;                 /* owned; NULL if not encrypted */
        ManifestBytes encryption_wrapped_key; /* the wrapped data key */
        char *encryption_cipher;              /* owned: "aes-xts-plain64"; NULL if not encrypted */
        uint32_t encryption_sector_size;      /* 512, 1024, 2048 or 4096; 0 if not encrypted */
        /* dm-verity (all or none): the image is checked block by block as it is read. */
        char verity_hash_tree[SHA256_HEX_LEN + 1]; /* the hash tree object; "" if none */
        char *verity_root_hash;                    /* owned: 64 lowercase hex; NULL if none */
        char *verity_salt;                         /* owned: lowercase hex, may be ""; NULL if none */
} ManifestComponent;

typedef struct ManifestApp {
        char *name;  /* owned */
        size_t index; /* position in manifest order */
        char *path;  /* owned; NULL if image is set */
        char image[SHA256_HEX_LEN + 1]; /* "" if path is set */
        char **args;        /* owned strv, never NULL */
        char **env;         /* owned strv of "NAME=value", never NULL */
        char **msg_servers; /* owned strv of instance names, never NULL */
        ManifestRestart restart;
        ManifestReady ready;
        char *aux_device_setup_script; /* owned; NULL if none */
        /* owned strv: {MANIFEST_KEY_STORE_SERVICE} if the key_store node grants the app a
         * key, else empty: the key store connection kosd hands it. Never NULL. */
        char **key_store;
} ManifestApp;

/* One property of the supervision node: when app faults, dependents restart with it. */
typedef struct ManifestSupervision {
        char *app;         /* owned */
        char **dependents; /* owned strv, in the order written */
} ManifestSupervision;

/* Who may publish and who may look up one protocol name on one message server instance. */
typedef struct ManifestAccess {
        char *protocol; /* owned */
        char **publish; /* owned strv of app names, never NULL */
        char **lookup;  /* owned strv of app names, never NULL */
} ManifestAccess;

typedef struct ManifestMsgServer {
        char *name;             /* owned */
        ManifestAccess *access; /* owned array */
        size_t n_access;
} ManifestMsgServer;

/* The name of the key store's one service instance, as apps' connections name it. */
#define MANIFEST_KEY_STORE_SERVICE "keystore"

typedef struct ManifestKey {
        char *name;        /* owned */
        char *type;        /* owned: "ed25519", "x25519" or "aes-256" */
        char **apps;       /* owned strv, never NULL */
        char **operations; /* owned strv: what the apps may do with it; never empty (the
                            * type's default operations when the manifest names none) */
        char *origin;      /* owned: "generate" (the default: the key store makes it on first
                            * need) or "import" (made once by the import operation, at
                            * manufacturing; never generated). Only an "import" key may be
                            * granted the "import" operation, and it must be. */
} ManifestKey;

/*
 * The trace server (kos-traced), from the optional trace_server node. It reaches the
 * message server instances it lists under the name MANIFEST_TRACE_SERVER_NAME, which the
 * access matrices name as the publisher of kos_trace_protocol and kos_trace_admin_protocol.
 */
#define MANIFEST_TRACE_SERVER_NAME "kos-traced"
typedef struct ManifestTraceServer {
        char **msg_servers;      /* owned strv of instance names, never NULL */
        bool admin;              /* also publish kos_trace_admin_protocol */
        uint32_t buffers;        /* rings per traced process, 1..1024 (default 16) */
        uint32_t buffer_records; /* records per ring, a power of two, 2..2^20 (default 2048) */
        uint32_t max_events;     /* events held per app between collects, 1..2^24 (default 65536) */
} ManifestTraceServer;

/* Settings of the node manager, from the optional node-manager node. */
typedef struct ManifestNodeManager {
        unsigned restart_intensity; /* more restarts than this ... (default 5) */
        unsigned restart_period_ms; /* ... within this many ms escalate (default 10000) */
        unsigned settle_time_ms;    /* all apps ready this long confirms the boot (10000) */
        unsigned stop_timeout_ms;   /* SIGTERM to SIGKILL (default 5000) */
        unsigned start_timeout_ms;  /* not ready this long after its start is a fault; 0: no limit (90000) */
        unsigned confirm_timeout_ms; /* a new generation not confirmed this long reboots (300000) */
        unsigned unconfirmed_boots;  /* a good generation this many boots unconfirmed in a row is
                                      * passed over by the boot decision; 0: never (3) */
        unsigned watchdog_timeout_ms; /* the hardware watchdog's timeout on a device: kos-init
                                       * arms it, kosd keeps it alive; 0: not armed (60000) */
} ManifestNodeManager;

typedef struct Manifest {
        Sha256Digest digest; /* SHA-256 of the DTB */
        uint32_t version;
        char *description; /* owned; "" if none */
        bool persistent_boot;
        ManifestBoot *boot; /* owned; NULL if the manifest has no boot node */
        ManifestComponent *components; /* owned array, overlay order (bottom first) */
        size_t n_components;
        ManifestApp *apps; /* owned array, manifest order */
        size_t n_apps;
        ManifestSupervision *supervision; /* owned array */
        size_t n_supervision;
        ManifestMsgServer *msg_servers; /* owned array */
        size_t n_msg_servers;
        ManifestKey *keys; /* owned array */
        size_t n_keys;
        ManifestNodeManager node_manager;
        ManifestTraceServer *trace_server; /* owned; NULL if the manifest has no trace_server node */
} Manifest;

/*
 * Where a validation error was found, for messages that say what and where. node is the
 * node path without the leading '/' ("" for the root), property is NULL for a node-level
 * error. A caller with the DTS source maps these to a file and line
 * (manifest_source_map_lookup()).
 */
typedef struct ManifestError {
        char node[256];
        char property[64];
        char message[256];
} ManifestError;

/*
 * Parses and validates a DTB. On success *manifestp is owned by the caller. Returns
 * -EBADMSG for any invalid manifest, with err (if not NULL) filled in; -ENOMEM on
 * allocation failure; -EFBIG if size exceeds MANIFEST_MAX_SIZE.
 */
int manifest_parse(Manifest **manifestp, const void *dtb, size_t size, ManifestError *err);

/* Reads a DTB file and parses it. File errors are returned as negative errno. */
int manifest_load(Manifest **manifestp, const char *path, ManifestError *err);

/* Frees m and everything it owns. Accepts NULL; returns NULL. */
Manifest *manifest_free(Manifest *m);

/* Lookups. Return NULL if absent. */
const ManifestApp *manifest_find_app(const Manifest *m, const char *name);
const ManifestMsgServer *manifest_find_msg_server(const Manifest *m, const char *name);
const ManifestSupervision *manifest_find_supervision(const Manifest *m, const char *app);
const ManifestAccess *manifest_msg_server_find_access(const ManifestMsgServer *s, const char *protocol);

/*
 * True if name reaches instance: an app that lists it, or the trace server
 * (MANIFEST_TRACE_SERVER_NAME) when its trace_server node lists it.
 */
bool manifest_name_reaches_instance(const Manifest *m, const char *name, const char *instance);

/*
 * True if app may publish (or look up) protocol on instance: the app lists the instance
 * and the instance's access matrix names the app for the protocol.
 */
bool manifest_app_may_publish(const Manifest *m, const char *instance, const char *protocol, const char *app);
bool manifest_app_may_lookup(const Manifest *m, const char *instance, const char *protocol, const char *app);

/* The key_store node's key name, or NULL. */
const ManifestKey *manifest_find_key(const Manifest *m, const char *name);

/*
 * The operations a key of type may be granted ("sign", "public-key" for ed25519; "agree",
 * "public-key" for x25519; "wrap", "unwrap" for aes-256; "import" for each), and those an
 * app gets when the manifest names none (all but "import"). NULL-terminated; NULL for an
 * unknown type.
 */
const char *const *manifest_key_type_operations(const char *type);
const char *const *manifest_key_type_default_operations(const char *type);

/* True if key is made by import only (origin "import"), never generated by the key store. */
bool manifest_key_is_imported(const ManifestKey *k);

/* True if the key_store node grants app the operation on key. */
bool manifest_app_may_use_key(const Manifest *m, const char *key, const char *app, const char *operation);

/*
 * Every object digest the manifest references (boot kernel and initrd, components, app
 * images), each once, in order of first appearance. The caller owns the strv.
 */
int manifest_objects(const Manifest *m, char ***objectsp);

/*
 * True if digest is the image of a component with dm-verity and nothing else in the
 * manifest references it: its bytes are checked block by block as they are read, against
 * the signed root hash, so the boot need not hash the whole image first (only that it is
 * present, and its hash tree).
 */
bool manifest_object_is_verity_image(const Manifest *m, const char *digest);

/* Formats err as "node/property: message" (or "node: message"). */
void manifest_error_format(const ManifestError *err, char *buf, size_t size);

DEFINE_CLEANUP_FUNC(Manifest, manifest_free)
