/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generations: one per committed manifest, in <store>/generations/N (N = 1, 2, ...).
 *
 *     manifest <64 hex>
 *     signatures <64 hex>      (optional)
 *     version <u32>
 *     state pending|good|bad
 *     tries <n>
 *     boots <n>                (optional; absent means 0)
 *
 * Invariants: numbers only grow (a new generation is one above the highest ever
 * committed, recorded in the file names present); the manifest and signature objects a
 * generation names were durable before the generation file was created; a generation
 * file is only ever replaced whole (store_replace_file()). State moves
 * pending -> good or pending -> bad, never back (src/boot owns those transitions).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"

#define STORE_TRIES_DEFAULT 3U
#define STORE_TRIES_MAX 1000U
#define STORE_BOOTS_MAX 1000000U

typedef struct Store Store;

typedef enum StoreGenerationState {
        STORE_GENERATION_PENDING,
        STORE_GENERATION_GOOD,
        STORE_GENERATION_BAD,
        _STORE_GENERATION_STATE_MAX,
} StoreGenerationState;

typedef struct StoreGeneration {
        unsigned number;
        Sha256Digest manifest;
        bool has_signatures;
        Sha256Digest signatures;
        uint32_t version;
        StoreGenerationState state;
        unsigned tries; /* boot tries left (meaningful while pending) */
        unsigned boots; /* boots chosen since its last confirmation, at most STORE_BOOTS_MAX */
} StoreGeneration;

/* The state as generation files and `kos store list` spell it (a static string). */
const char *store_generation_state_to_string(StoreGenerationState state);

/* Parses generation file text; -EBADMSG if malformed. */
int store_generation_parse(const char *text, size_t size, StoreGeneration *genp);
/* Formats gen as generation file text. The caller owns *textp. Returns 0 or -ENOMEM. */
int store_generation_format(const StoreGeneration *gen, char **textp);

/*
 * Parses a generation file's name ("1", "2", ...; no sign or leading zero) into *numberp.
 * Returns 0, or -EBADMSG (numberp untouched) if name is not one.
 */
int store_generation_name_parse(const char *name, unsigned *numberp);

/* Loads generations/N: -ENOENT if absent, -EBADMSG if malformed. */
int store_generation_load(const Store *store, unsigned number, StoreGeneration *genp);

/*
 * Every generation, by ascending number. The caller owns *gensp (free()). Malformed
 * generation files are skipped (store_fsck() reports them), so one damaged file never
 * stops the others from booting.
 */
int store_generation_list(const Store *store, StoreGeneration **gensp, size_t *np);

/* Replaces generations/N with gen, durably. */
int store_generation_save(Store *store, const StoreGeneration *gen);

/* Removes generations/N durably (gc). */
int store_generation_remove(Store *store, unsigned number);

/*
 * Commits a manifest whose object (and signature object, if signatures is not NULL) is
 * already in the store: parses it, checks its version is not below the floor (-ERANGE)
 * and every object it references is present (-ENOENT, *missingp set to the first missing
 * digest, owned by the caller, if missingp is not NULL), writes a new pending generation
 * with tries boot tries, then points refs/ref_name at it. Writes the new number to
 * *numberp. Digests and ref_name are validated (-EINVAL).
 */
int store_commit_objects(Store *store, const char *manifest, const char *signatures,
                         unsigned tries, const char *ref_name, unsigned *numberp, char **missingp);

/*
 * Adds manifest_path (and sig_path, if not NULL; it must parse as a signature file) as
 * objects, then store_commit_objects(). -EBADMSG for an invalid manifest or signature file.
 */
int store_commit_files(Store *store, const char *manifest_path, const char *sig_path,
                       unsigned tries, const char *ref_name, unsigned *numberp, char **missingp);
