/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kos upgrade: bring a release from a source store into this store as a pending generation.
 *
 * Reads refs/NAME at the source, fetches the manifest and its signature file, checks the
 * signature against trusted keys from outside the store and the version against this
 * device's floor, fetches only the objects this store lacks (each checked against its
 * digest, resumably), then publishes them and commits a pending generation under the
 * store's write lock. A refusal or failure at any step leaves the store's state (objects,
 * generations, refs, floor) as it was; only download files in tmp/ may remain, so that a
 * rerun resumes instead of starting over.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hex.h"

/* The largest object an upgrade accepts from a source (kernels, initrds, fs images). */
#define UPDATE_OBJECT_MAX_SIZE (8ULL * 1024 * 1024 * 1024)

typedef struct UpdateOptions {
        const char *store_path;
        const char *source;     /* a store directory, or an http:// or https:// URL */
        const char *trust_path; /* a directory of *.pub, or one .pub file */
        const char *ref_name;   /* NULL: "latest" */
        const char *ca_path;    /* NULL: the system's CAs verify an https source */
        unsigned tries;         /* boot tries of the new generation; 0: the store's default */
        int progress_fd;        /* progress is drawn here if it is a terminal; -1: never */
} UpdateOptions;

/*
 * What an upgrade did. Once a new generation is committed, n_fetched + n_cached ==
 * n_objects; an up-to-date run stops before counting objects, so only up_to_date,
 * generation, manifest, version and bytes_transferred say anything then.
 */
typedef struct UpdateResult {
        bool up_to_date; /* the release already is a pending or good generation here */
        unsigned generation;
        char manifest[SHA256_HEX_LEN + 1];
        uint32_t version;
        size_t n_objects; /* objects of the release: manifest, signatures and all it references */
        size_t n_cached;  /* of them, in this store when the upgrade took its write lock */
        size_t n_fetched; /* of them, brought in by this run (downloaded, or completed from tmp/) */
        uint64_t bytes_transferred; /* everything received from the source, HTTP headers too */
        uint64_t bytes_fetched;     /* bytes of objects received from the source in this run */
        uint64_t bytes_cached;      /* size of the n_cached objects: never transferred */
        uint64_t bytes_resumed;     /* bytes left in tmp/ by an earlier run that the source
                                     * did not send again */
        uint64_t bytes_reused;      /* bytes of fetched objects copied from chunks of objects
                                     * already here (chunked downloads): never transferred */
        size_t n_chunked;           /* of the n_fetched, those built from a chunk index */
        uint64_t bytes_chunked;     /* their size */
        uint64_t bytes_chunked_fetched; /* their bytes received from the source (ranges) */
} UpdateResult;

/*
 * Runs one upgrade. Reports every failure itself, as one line on stderr, and returns a
 * negative errno: -EKEYREJECTED (signature), -ERANGE (below the floor), -EBADMSG (bytes
 * that do not match their digest, a malformed ref, manifest or signature file),
 * -ECONNABORTED (the source went away midway), -ENOSPC, -ESTALE (the release was already
 * tried here and marked bad), ... On success *resultp is filled.
 */
int update_upgrade(const UpdateOptions *opts, UpdateResult *resultp);
