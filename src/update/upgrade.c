// SPDX-License-Identifier: Apache-2.0
/*
 * kos upgrade: a release from a source store becomes a pending generation here.
 *
 * The upgrade is a state machine; each state's step returns the next state:
 *
 *   RESOLVE ──▶ RELEASE ──▶ VERIFY ──▶ PLAN ──▶ FETCH ──▶ PUBLISH ──▶ COMMIT ──▶ DONE
 *                              │
 *                              └── (already a pending or good generation) ──▶ DONE
 *   any step ── error ──▶ FAILED
 *
 *   RESOLVE  open this store (read-only, no lock), the trusted keys, the source;
 *            read refs/NAME at the source (bounded, parsed as untrusted text)
 *   RELEASE  the manifest and signature objects the ref names: from this store if present,
 *            else downloaded into tmp/ and checked against their digests
 *   VERIFY   signature by a trusted key; manifest parses; version not below the floor;
 *            not a release this store already has, or already rejected
 *   PLAN     the release's objects (manifest, signatures, every object the manifest
 *            references): which this store lacks; sweep stale download files
 *   FETCH    download each lacking object into tmp/, checked: from chunks this store
 *            has plus byte ranges of it when the source serves its chunk index
 *            (chunked.c), else whole (download.c); either resumable
 *   PUBLISH  take the store's write lock; fetch anything a concurrent gc removed since
 *            PLAN; count what was fetched and what was already here; publish every
 *            download (a rename into objects/)
 *   COMMIT   store_commit_objects(): the new pending generation and refs/NAME, durably
 *
 * Invariants:
 *  - Nothing reaches objects/ before VERIFY passed, and only bytes that hashed to their
 *    digest; generations and refs change only in COMMIT, in one store call. So a refusal
 *    or crash anywhere before COMMIT leaves every generation as it was, and the boot
 *    decision picks what it picked before.
 *  - Trust comes only from opts->trust_path, never from the source or the store.
 *  - Every name used to build a path (ref name, digests) is validated first; the source's
 *    answers are bounded (ref STORE_REF_FILE_MAX, manifest MANIFEST_MAX_SIZE, signatures
 *    SIGNATURE_FILE_MAX, objects UPDATE_OBJECT_MAX_SIZE).
 *  - On a refusal (trust, floor, corrupt bytes) and on a full disk, the download files of
 *    this run are removed; on a broken transfer they stay for a rerun to resume.
 *  - The figures in UpdateResult are counted in PUBLISH, under the write lock, from what
 *    happened: each object of the release is counted once, as fetched (a download of
 *    this run) or as already here (in objects/ then, when no gc can remove it any more).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/signature.h"
#include "manifest/manifest.h"
#include "store/resolve.h"
#include "store/store.h"
#include "store/chunk-index.h"
#include "update/chunked.h"
#include "update/download.h"
#include "update/progress.h"
#include "update/source.h"
#include "update/upgrade.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/strv.h"

typedef enum UpgradeState {
        UPGRADE_RESOLVE,
        UPGRADE_RELEASE,
        UPGRADE_VERIFY,
        UPGRADE_PLAN,
        UPGRADE_FETCH,
        UPGRADE_PUBLISH,
        UPGRADE_COMMIT,
        UPGRADE_DONE,
        UPGRADE_FAILED,
} UpgradeState;

typedef struct Upgrade {
        const UpdateOptions *opts;
        const char *ref_name;   /* at the source */
        const char *local_ref;  /* the ref the commit points here */
        Store *store;           /* owned */
        UpdateSource *source;   /* owned */
        TrustStore *trust;      /* owned */
        StoreRef ref;
        char manifest_hex[SHA256_HEX_LEN + 1];
        char signatures_hex[SHA256_HEX_LEN + 1];
        char *manifest_dtb; /* owned */
        size_t manifest_size;
        char *signatures_text; /* owned */
        size_t signatures_size;
        Manifest *manifest; /* owned */
        char **objects;     /* owned: every object the manifest references */
        char **release;     /* owned: the manifest, the signatures and the objects */
        char **missing;     /* owned: of the release, what this store lacks */
        char **touched;     /* owned: digests whose download file this run opened */
        UpdateDownload *downloads; /* owned: verified files in tmp/, to publish */
        size_t n_downloads;
        UpdateSeeds *seeds; /* owned: chunks of this store's objects, cut when first needed */
        UpdateProgress progress;
        UpdateResult result;
        int error; /* why FAILED */
} Upgrade;

static int upgrade_fail(Upgrade *u, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int upgrade_fail(Upgrade *u, int r, const char *fmt, ...) {
        va_list ap;

        update_progress_clear(&u->progress);
        va_start(ap, fmt);
        log_msgv(LOG_LEVEL_ERROR, fmt, ap);
        va_end(ap);
        u->error = r;
        return UPGRADE_FAILED;
}

static bool error_is_transfer(int r) {
        return r == -ECONNABORTED || r == -ECONNREFUSED || r == -EIO;
}

/* One line for a failed fetch of what (a ref, an object) from the source. */
static int upgrade_fail_fetch(Upgrade *u, int r, const char *what) {
        const char *detail = update_source_last_error(u->source);

        if (r == -ENOENT)
                return upgrade_fail(u, r, "upgrade: %s: %s is not at the source", update_source_location(u->source), what);
        if (r == -EBADMSG)
                return upgrade_fail(u, r, "upgrade: refusing: %s from %s: its bytes do not match its digest; nothing changed",
                                    what, update_source_location(u->source));
        if (r == -EFBIG)
                return upgrade_fail(u, r, "upgrade: refusing: %s from %s: larger than allowed", what, update_source_location(u->source));
        if (r == -ENOSPC || r == -EDQUOT)
                return upgrade_fail(u, -ENOSPC, "upgrade: %s: no space left on the store's file system while fetching %s; nothing changed",
                                    u->opts->store_path, what);
        if (r == -EBUSY)
                return upgrade_fail(u, r, "upgrade: %s: another upgrade is fetching %s into this store", u->opts->store_path, what);
        if (r == -EPROTO && *detail)
                return upgrade_fail(u, r, "upgrade: refusing %s from the source: %s", what, detail);
        if (error_is_transfer(r) && *detail)
                return upgrade_fail(u, -ECONNABORTED,
                                    "upgrade: source %s disappeared midway (fetching %s): %s; nothing changed, a rerun resumes",
                                    update_source_location(u->source), what, *detail ? detail : strerror(-r));
        return upgrade_fail(u, r, "upgrade: fetching %s from %s: %s", what, update_source_location(u->source),
                            *detail ? detail : strerror(-r));
}

static int upgrade_remember_touched(Upgrade *u, const char *digest) {
        if (strv_contains(u->touched, digest))
                return 0;
        return strv_extend(&u->touched, digest);
}

static int upgrade_add_download(Upgrade *u, UpdateDownload *d) {
        UpdateDownload *p = reallocarray(u->downloads, u->n_downloads + 1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        u->downloads = p;
        u->downloads[u->n_downloads++] = *d;
        *d = (UpdateDownload){};
        return 0;
}

static bool upgrade_has_download(const Upgrade *u, const char *path) {
        for (size_t i = 0; i < u->n_downloads; i++)
                if (strcmp(u->downloads[i].path, path) == 0)
                        return true;
        return false;
}

/* True if this run downloaded digest; -ENOMEM. */
static int upgrade_has_download_of(const Upgrade *u, const char *digest) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = update_download_path(u->store, digest, &path);
        if (r < 0)
                return r;
        return upgrade_has_download(u, path);
}

/*
 * Downloads one object into tmp/ and queues it for PUBLISH: from chunks here and ranges
 * of the object if chunked and the source has its chunk index, else whole. Returns 0 or a
 * state.
 */
static int upgrade_download(Upgrade *u, const char *digest, uint64_t max_size, const char *what, bool chunked) {
        _cleanup_(store_chunk_index_freep) StoreChunkIndex *index = NULL;
        UpdateDownload d = {};
        int r;

        r = upgrade_remember_touched(u, digest);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: out of memory");
        if (chunked) {
                char index_what[sizeof("the chunk index of object ") + SHA256_HEX_LEN];

                if (!u->seeds) {
                        u->seeds = update_seeds_new(u->release);
                        if (!u->seeds)
                                return upgrade_fail(u, -ENOMEM, "upgrade: out of memory");
                }
                snprintf(index_what, sizeof(index_what), "the chunk index of object %s", digest);
                r = update_chunked_fetch_index(u->store, u->source, digest, u->seeds, &index);
                if (r < 0)
                        return upgrade_fail_fetch(u, r, index_what);
        }
        if (index) {
                r = update_chunked_download(u->store, u->source, digest, index, max_size, u->seeds, &u->progress, &d);
        } else
                r = update_download_object(u->store, u->source, digest, max_size, &u->progress, &d);
        if (r < 0)
                return upgrade_fail_fetch(u, r, what);
        if (upgrade_has_download(u, d.path)) {
                update_download_done(&d);
                return 0;
        }
        r = upgrade_add_download(u, &d);
        if (r < 0) {
                update_download_done(&d);
                return upgrade_fail(u, r, "upgrade: out of memory");
        }
        return 0;
}

/* A small object (manifest, signatures) into memory: from the store, or fetched. */
static int upgrade_load_small(Upgrade *u, const char *digest, size_t max_size, const char *what,
                              char **bufp, size_t *sizep) {
        int r;

        r = store_object_read(u->store, digest, max_size, bufp, sizep);
        if (r == STORE_OK)
                return 0;
        if (r < 0 && r != -EFBIG)
                return upgrade_fail(u, r, "upgrade: %s: reading %s: %s", u->opts->store_path, what, strerror(-r));

        /* Missing, corrupt or too large here: fetch it (publishing replaces a bad copy). */
        r = upgrade_download(u, digest, max_size, what, false);
        if (r != 0)
                return r;
        r = read_file_full(u->downloads[u->n_downloads - 1].path, max_size, bufp, sizep);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: reading the downloaded %s: %s", what, strerror(-r));
        return 0;
}

static int step_resolve(Upgrade *u) {
        _cleanup_free_ char *bad_file = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        if (!store_ref_name_is_valid(u->ref_name))
                return upgrade_fail(u, -EINVAL, "upgrade: \"%s\" is not a valid ref name", u->ref_name);

        r = store_open(&u->store, u->opts->store_path, STORE_OPEN_READ);
        if (r == -ENOENT || r == -EMEDIUMTYPE || r == -ENOTDIR)
                return upgrade_fail(u, r, "upgrade: %s: not a store (create one with 'kos store init')", u->opts->store_path);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: %s: %s", u->opts->store_path, store_strerror(r));

        r = trust_store_load(&u->trust, u->opts->trust_path, &bad_file);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: trusted keys %s: %s%s%s", u->opts->trust_path,
                                    bad_file ? bad_file : "", bad_file ? ": " : "", key_strerror(r));
        if (trust_store_size(u->trust) == 0)
                return upgrade_fail(u, -EKEYREJECTED, "upgrade: %s: no trusted keys (*.pub)", u->opts->trust_path);

        r = update_source_open(&u->source, u->opts->source);
        if (r < 0) {
                _cleanup_free_ char *shown = NULL;

                if (update_source_location_shown(u->opts->source, &shown) < 0)
                        return upgrade_fail(u, -ENOMEM, "upgrade: out of memory");
                if (r == -EINVAL)
                        return upgrade_fail(u, r, "upgrade: %s: not a source (a store directory or an http:// or https:// URL)",
                                            shown);
                return upgrade_fail(u, r, "upgrade: source %s: %s", shown, strerror(-r));
        }
        if (u->opts->ca_path) {
                r = update_source_set_ca_file(u->source, u->opts->ca_path);
                if (r < 0)
                        return upgrade_fail(u, r, "upgrade: --ca %s: %s", u->opts->ca_path, strerror(-r));
        }

        {
                char path[sizeof("refs/") + STORE_REF_NAME_MAX];

                snprintf(path, sizeof(path), "refs/%s", u->ref_name);
                r = update_source_read(u->source, path, STORE_REF_FILE_MAX, &text, &size);
                if (r == -ENOENT)
                        return upgrade_fail(u, r, "upgrade: %s: no ref \"%s\"", update_source_location(u->source),
                                            u->ref_name);
                if (r == -ECONNREFUSED)
                        return upgrade_fail(u, r, "upgrade: cannot reach %s: %s", update_source_location(u->source),
                                            update_source_last_error(u->source));
                if (r < 0)
                        return upgrade_fail_fetch(u, r, path);
        }
        r = store_ref_parse(text, size, &u->ref);
        if (r < 0)
                return upgrade_fail(u, -EBADMSG, "upgrade: refusing: %s: refs/%s is malformed",
                                    update_source_location(u->source), u->ref_name);
        if (!u->ref.has_signatures)
                return upgrade_fail(u, -EKEYREJECTED, "upgrade: refusing: %s: refs/%s names no signatures",
                                    update_source_location(u->source), u->ref_name);
        sha256_to_hex(&u->ref.manifest, u->manifest_hex);
        sha256_to_hex(&u->ref.signatures, u->signatures_hex);
        return UPGRADE_RELEASE;
}

static int step_release(Upgrade *u) {
        int r;

        r = upgrade_load_small(u, u->signatures_hex, SIGNATURE_FILE_MAX, "the signature file",
                               &u->signatures_text, &u->signatures_size);
        if (r != 0)
                return r;
        r = upgrade_load_small(u, u->manifest_hex, MANIFEST_MAX_SIZE, "the manifest", &u->manifest_dtb,
                               &u->manifest_size);
        if (r != 0)
                return r;
        return UPGRADE_VERIFY;
}

static int step_verify(Upgrade *u) {
        _cleanup_(signature_list_freep) SignatureList *signatures = NULL;
        _cleanup_free_ StoreGeneration *gens = NULL;
        ManifestError err = {};
        char where[512];
        SignatureParseError perr = {};
        uint32_t floor = 0;
        size_t n_gens = 0;
        int r;

        r = signature_list_parse(&signatures, u->signatures_text, u->signatures_size, &perr);
        if (r == -ENOTUNIQ) {
                sha256_to_hex(&perr.key_id, where);
                return upgrade_fail(u, -EKEYREJECTED,
                                    "upgrade: refusing: signatures of manifest %s: "
                                    "line %u is a second signature by key %s",
                                    u->manifest_hex, perr.line, where);
        }
        if (r < 0)
                return upgrade_fail(u, -EKEYREJECTED, "upgrade: refusing: signatures of manifest %s: malformed at line %u",
                                    u->manifest_hex, perr.line);
        r = signature_list_verify(signatures, u->trust, u->manifest_dtb, u->manifest_size, NULL);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: verifying manifest %s: %s", u->manifest_hex, strerror(-r));
        if (r != SIGNATURE_VALID)
                return upgrade_fail(u, -EKEYREJECTED, "upgrade: refusing: manifest %s: %s (trusted keys: %s); nothing changed",
                                    u->manifest_hex, signature_verdict_to_string(r), u->opts->trust_path);

        r = manifest_parse(&u->manifest, u->manifest_dtb, u->manifest_size, &err);
        if (r < 0) {
                manifest_error_format(&err, where, sizeof(where));
                return upgrade_fail(u, -EBADMSG, "upgrade: refusing: manifest %s: %s", u->manifest_hex,
                                    r == -EBADMSG ? where : strerror(-r));
        }
        u->result.version = u->manifest->version;

        r = store_floor_get(u->store, &floor);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: %s: reading the version floor: %s", u->opts->store_path, strerror(-r));
        if (u->manifest->version < floor)
                return upgrade_fail(u, -ERANGE,
                                    "upgrade: refusing: manifest %s has version %" PRIu32 ", below this device's floor %" PRIu32 "; nothing changed",
                                    u->manifest_hex, u->manifest->version, floor);

        r = store_generation_list(u->store, &gens, &n_gens);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: %s: listing generations: %s", u->opts->store_path, strerror(-r));
        for (size_t i = n_gens; i-- > 0;) {
                if (!sha256_equal(&gens[i].manifest, &u->ref.manifest))
                        continue;
                if (gens[i].state == STORE_GENERATION_BAD)
                        return upgrade_fail(u, -ESTALE,
                                            "upgrade: refusing: manifest %s was already tried here as generation %u and marked bad",
                                            u->manifest_hex, gens[i].number);
                u->result.up_to_date = true;
                u->result.generation = gens[i].number;
                return UPGRADE_DONE;
        }
        return UPGRADE_PLAN;
}

static bool download_name_digest(const char *name, char digest[SHA256_HEX_LEN + 1]) {
        size_t prefix = strlen(UPDATE_DOWNLOAD_PREFIX), suffix = strlen(UPDATE_DOWNLOAD_SUFFIX);

        if (strlen(name) != prefix + SHA256_HEX_LEN + suffix)
                return false;
        if (strncmp(name, UPDATE_DOWNLOAD_PREFIX, prefix) != 0 ||
            strcmp(name + prefix + SHA256_HEX_LEN, UPDATE_DOWNLOAD_SUFFIX) != 0)
                return false;
        memcpy(digest, name + prefix, SHA256_HEX_LEN);
        digest[SHA256_HEX_LEN] = '\0';
        return hex_is_sha256(digest);
}

/* Removes tmp/<name> if no other upgrade holds it open for writing. */
static void remove_download_file(int dirfd, const char *name) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                return;
        (void)unlinkat(dirfd, name, 0);
}

/* Removes download files of other releases, left by upgrades that never finished, so
 * tmp/ holds at most one release's worth of partial downloads. */
static void upgrade_sweep_stale(Upgrade *u) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int tmpfd;

        tmpfd = store_tmp_open_dir(u->store);
        if (tmpfd < 0)
                return;
        d = fdopendir(tmpfd);
        if (!d) {
                close(tmpfd);
                return;
        }
        while ((de = readdir(d))) {
                char digest[SHA256_HEX_LEN + 1];

                if (!download_name_digest(de->d_name, digest))
                        continue;
                if (strv_contains(u->release, digest))
                        continue;
                remove_download_file(dirfd(d), de->d_name);
        }
}

/* Removes this run's download files: after a refusal, or to give back a full disk. */
static void upgrade_remove_downloads(Upgrade *u) {
        _cleanup_close_ int dirfd = -1;

        if (!u->store)
                return;
        dirfd = store_tmp_open_dir(u->store);
        if (dirfd < 0)
                return;
        for (char **d = u->touched; d && *d; d++) {
                char name[sizeof(UPDATE_DOWNLOAD_PREFIX UPDATE_DOWNLOAD_SUFFIX) + SHA256_HEX_LEN];

                snprintf(name, sizeof(name), UPDATE_DOWNLOAD_PREFIX "%s" UPDATE_DOWNLOAD_SUFFIX, *d);
                remove_download_file(dirfd, name);
        }
}

static int object_size(const Store *store, const char *digest, uint64_t *sizep) {
        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        r = store_object_relative_path(digest, rel);
        if (r < 0)
                return r;
        fd = store_resolve_open(store_dirfd(store), rel, O_PATH, 0);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        *sizep = (uint64_t)st.st_size;
        return 0;
}

/* Recomputes u->missing: the release's objects neither in the store nor downloaded. */
static int upgrade_find_missing(Upgrade *u) {
        u->missing = strv_free(u->missing);
        for (char **o = u->release; o && *o; o++) {
                int r;

                if (store_object_exists(u->store, *o))
                        continue;
                r = upgrade_has_download_of(u, *o);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = strv_extend(&u->missing, *o);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Counts each object of the release once: fetched by this run, or already here. Called
 * under the write lock with nothing missing, so what is here stays until the commit. */
static int upgrade_count(Upgrade *u) {
        UpdateResult *result = &u->result;

        for (size_t i = 0; i < u->n_downloads; i++) {
                result->n_fetched++;
                result->bytes_fetched += u->downloads[i].received;
                result->bytes_resumed += u->downloads[i].resumed;
                result->bytes_reused += u->downloads[i].reused;
                if (u->downloads[i].chunked) {
                        result->n_chunked++;
                        result->bytes_chunked += u->downloads[i].size;
                        result->bytes_chunked_fetched += u->downloads[i].received;
                }
        }
        for (char **o = u->release; o && *o; o++) {
                uint64_t size = 0;
                int r;

                result->n_objects++;
                r = upgrade_has_download_of(u, *o);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = object_size(u->store, *o, &size);
                if (r < 0)
                        return r;
                result->n_cached++;
                result->bytes_cached += size;
        }
        return 0;
}

static int step_plan(Upgrade *u) {
        int r;

        r = manifest_objects(u->manifest, &u->objects);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: manifest %s: listing objects: %s", u->manifest_hex, strerror(-r));
        r = strv_extend(&u->release, u->manifest_hex);
        if (r >= 0 && !strv_contains(u->release, u->signatures_hex))
                r = strv_extend(&u->release, u->signatures_hex);
        for (char **o = u->objects; r >= 0 && o && *o; o++)
                if (!strv_contains(u->release, *o))
                        r = strv_extend(&u->release, *o);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: out of memory");
        r = upgrade_find_missing(u);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: %s: %s", u->opts->store_path, store_strerror(r));
        upgrade_sweep_stale(u);
        return UPGRADE_FETCH;
}

static int upgrade_fetch_missing(Upgrade *u) {
        size_t n = strv_length(u->missing);

        for (size_t i = 0; i < n; i++) {
                char what[sizeof("object ") + SHA256_HEX_LEN];
                int r;

                snprintf(what, sizeof(what), "object %s", u->missing[i]);
                update_progress_object(&u->progress, i + 1, n, 0);
                r = upgrade_download(u, u->missing[i], UPDATE_OBJECT_MAX_SIZE, what, true);
                if (r != 0)
                        return r;
        }
        update_progress_clear(&u->progress);
        return 0;
}

static int step_fetch(Upgrade *u) {
        int r = upgrade_fetch_missing(u);

        return r != 0 ? r : UPGRADE_PUBLISH;
}

static int step_publish(Upgrade *u) {
        int r;

        /* From here on we hold the store's write lock: no gc, boot select or commit runs
         * between publishing the objects and committing the generation that needs them. */
        u->store = store_close(u->store);
        r = store_open(&u->store, u->opts->store_path, STORE_OPEN_WRITE);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: %s: opening for writing: %s", u->opts->store_path, store_strerror(r));

        r = upgrade_find_missing(u);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: %s: %s", u->opts->store_path, strerror(-r));
        r = upgrade_fetch_missing(u);
        if (r != 0)
                return r;
        r = upgrade_count(u);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: %s: counting objects: %s", u->opts->store_path, strerror(-r));

        for (size_t i = 0; i < u->n_downloads; i++) {
                const char *path = u->downloads[i].path;
                const char *name = strrchr(path, '/') + 1;
                char digest[SHA256_HEX_LEN + 1];

                if (!download_name_digest(name, digest))
                        return upgrade_fail(u, -EINVAL, "upgrade: %s: unexpected download file", path);
                r = store_object_publish(u->store, path, digest, NULL);
                if (r == -EBADMSG)
                        return upgrade_fail(u, r, "upgrade: %s: changed after it was checked; refusing", path);
                if (r == -ENOSPC || r == -EDQUOT)
                        return upgrade_fail(u, -ENOSPC, "upgrade: %s: no space left on the store's file system; nothing changed",
                                            u->opts->store_path);
                if (r < 0)
                        return upgrade_fail(u, r, "upgrade: publishing object %s: %s", digest, strerror(-r));
        }
        return UPGRADE_COMMIT;
}

static int step_commit(Upgrade *u) {
        _cleanup_free_ char *missing = NULL;
        int r;

        r = store_commit_objects(u->store, u->manifest_hex, u->signatures_hex, u->opts->tries ? u->opts->tries : STORE_TRIES_DEFAULT,
                                 u->local_ref, &u->result.generation, &missing);
        if (r == -ERANGE)
                return upgrade_fail(u, r, "upgrade: refusing: manifest %s is below this device's floor; nothing changed",
                                    u->manifest_hex);
        if (r == -ENOENT && missing)
                return upgrade_fail(u, r, "upgrade: object %s vanished before the commit; nothing changed", missing);
        if (r == -ENOSPC || r == -EDQUOT)
                return upgrade_fail(u, -ENOSPC, "upgrade: %s: no space left on the store's file system; nothing changed",
                                    u->opts->store_path);
        if (r < 0)
                return upgrade_fail(u, r, "upgrade: committing manifest %s: %s", u->manifest_hex, strerror(-r));
        return UPGRADE_DONE;
}

typedef int (*UpgradeStep)(Upgrade *u);

static const UpgradeStep upgrade_steps[] = {
        [UPGRADE_RESOLVE] = step_resolve,
        [UPGRADE_RELEASE] = step_release,
        [UPGRADE_VERIFY] = step_verify,
        [UPGRADE_PLAN] = step_plan,
        [UPGRADE_FETCH] = step_fetch,
        [UPGRADE_PUBLISH] = step_publish,
        [UPGRADE_COMMIT] = step_commit,
};

static void upgrade_done(Upgrade *u) {
        for (size_t i = 0; i < u->n_downloads; i++)
                update_download_done(&u->downloads[i]);
        free(u->downloads);
        update_seeds_free(u->seeds);
        strv_free(u->touched);
        strv_free(u->missing);
        strv_free(u->release);
        strv_free(u->objects);
        manifest_free(u->manifest);
        free(u->signatures_text);
        free(u->manifest_dtb);
        update_source_free(u->source);
        trust_store_free(u->trust);
        store_close(u->store);
}

int update_upgrade(const UpdateOptions *opts, UpdateResult *resultp) {
        _cleanup_(upgrade_done) Upgrade u = {
                .opts = opts,
                .ref_name = opts->ref_name ? opts->ref_name : STORE_REF_DEFAULT,
        };
        int state = UPGRADE_RESOLVE;

        /* The commit points the same ref here, so this store can serve it onwards; the
         * names the boot decision reserves stay its own. */
        u.local_ref = store_ref_name_is_reserved(u.ref_name) ? STORE_REF_DEFAULT : u.ref_name;
        update_progress_init(&u.progress, opts->progress_fd);

        while (state != UPGRADE_DONE && state != UPGRADE_FAILED)
                state = upgrade_steps[state](&u);

        if (state == UPGRADE_FAILED) {
                if (u.error != -ECONNABORTED && u.error != -EBUSY)
                        upgrade_remove_downloads(&u);
                return u.error < 0 ? u.error : -EIO;
        }
        if (u.result.up_to_date)
                upgrade_remove_downloads(&u); /* nothing of this run is needed */
        memcpy(u.result.manifest, u.manifest_hex, sizeof(u.result.manifest));
        if (u.source)
                u.result.bytes_transferred = update_source_bytes_received(u.source);
        *resultp = u.result;
        return 0;
}
