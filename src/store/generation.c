// SPDX-License-Identifier: Apache-2.0
/*
 * Generations: the text format, listing, durable saves, and committing a manifest.
 *
 * Invariants: a commit makes its objects durable first (they are published before), then
 * creates generations/N in one rename, then moves the ref; a crash between leaves either
 * no new generation (garbage objects only) or a complete pending one. Generation numbers
 * are never reused, because gc never removes the newest generation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/signature.h"
#include "manifest/manifest.h"
#include "store/dir.h"
#include "store/state-file.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define STORE_GENERATION_FILE_MAX 4096

static const char *const store_generation_state_names[_STORE_GENERATION_STATE_MAX] = {
        [STORE_GENERATION_PENDING] = "pending",
        [STORE_GENERATION_GOOD] = "good",
        [STORE_GENERATION_BAD] = "bad",
};

const char *store_generation_state_to_string(StoreGenerationState state) {
        if ((unsigned)state >= _STORE_GENERATION_STATE_MAX)
                return "invalid";
        return store_generation_state_names[state];
}

int store_generation_parse(const char *text, size_t size, StoreGeneration *genp) {
        StoreGeneration gen = {};
        unsigned seen = 0, version = 0;
        StoreStateFileReader reader;
        const char *key, *value;
        int r;

        enum { M = 1, S = 2, V = 4, ST = 8, T = 16, B = 32 };

        store_state_file_reader_init(&reader, text, size);
        while ((r = store_state_file_reader_next(&reader, &key, &value)) > 0) {
                if (strcmp(key, "manifest") == 0 && !(seen & M)) {
                        if (store_state_file_parse_digest(value, &gen.manifest) < 0)
                                return -EBADMSG;
                        seen |= M;
                } else if (strcmp(key, "signatures") == 0 && !(seen & S)) {
                        if (store_state_file_parse_digest(value, &gen.signatures) < 0)
                                return -EBADMSG;
                        gen.has_signatures = true;
                        seen |= S;
                } else if (strcmp(key, "version") == 0 && !(seen & V)) {
                        if (store_state_file_parse_unsigned(value, 0, UINT32_MAX, &version) < 0)
                                return -EBADMSG;
                        gen.version = version;
                        seen |= V;
                } else if (strcmp(key, "state") == 0 && !(seen & ST)) {
                        unsigned i;
                        for (i = 0; i < _STORE_GENERATION_STATE_MAX; i++)
                                if (strcmp(value, store_generation_state_names[i]) == 0)
                                        break;
                        if (i == _STORE_GENERATION_STATE_MAX)
                                return -EBADMSG;
                        gen.state = (StoreGenerationState)i;
                        seen |= ST;
                } else if (strcmp(key, "tries") == 0 && !(seen & T)) {
                        if (store_state_file_parse_unsigned(value, 0, STORE_TRIES_MAX, &gen.tries) < 0)
                                return -EBADMSG;
                        seen |= T;
                } else if (strcmp(key, "boots") == 0 && !(seen & B)) {
                        if (store_state_file_parse_unsigned(value, 0, STORE_BOOTS_MAX, &gen.boots) < 0)
                                return -EBADMSG;
                        seen |= B;
                } else
                        return -EBADMSG;
        }
        if (r < 0)
                return r;
        if ((seen & (M | V | ST | T)) != (M | V | ST | T))
                return -EBADMSG;
        *genp = gen;
        return 0;
}

int store_generation_format(const StoreGeneration *gen, char **textp) {
        char m[SHA256_HEX_LEN + 1], s[SHA256_HEX_LEN + 1], sigline[16 + SHA256_HEX_LEN] = "", bootsline[32] = "";
        char *text;

        sha256_to_hex(&gen->manifest, m);
        if (gen->has_signatures) {
                sha256_to_hex(&gen->signatures, s);
                snprintf(sigline, sizeof(sigline), "signatures %s\n", s);
        }
        /* Written only when not 0, so a generation file that never counted a boot reads the same. */
        if (gen->boots > 0)
                snprintf(bootsline, sizeof(bootsline), "boots %u\n", gen->boots);
        if (asprintf(&text, "manifest %s\n%sversion %u\nstate %s\ntries %u\n%s", m, sigline,
                     (unsigned)gen->version, store_generation_state_to_string(gen->state),
                     gen->tries, bootsline) < 0)
                return -ENOMEM;
        *textp = text;
        return 0;
}

int store_generation_load(const Store *store, unsigned number, StoreGeneration *genp) {
        _cleanup_free_ char *text = NULL;
        StoreGeneration gen;
        char rel[32];
        size_t size;
        int r;

        if (number == 0)
                return -EINVAL;
        snprintf(rel, sizeof(rel), "generations/%u", number);
        r = store_read_file(store, rel, STORE_GENERATION_FILE_MAX, &text, &size);
        if (r < 0)
                return r;
        r = store_generation_parse(text, size, &gen);
        if (r < 0)
                return r;
        gen.number = number;
        *genp = gen;
        return 0;
}

static int store_generation_cmp(const void *a, const void *b) {
        unsigned x = ((const StoreGeneration *)a)->number, y = ((const StoreGeneration *)b)->number;
        return x < y ? -1 : x > y;
}

int store_generation_name_parse(const char *name, unsigned *numberp) {
        return store_state_file_parse_unsigned(name, 1, UINT32_MAX, numberp);
}

static bool store_generation_is_name(const struct dirent *de) {
        unsigned number;

        return store_generation_name_parse(de->d_name, &number) >= 0;
}

int store_generation_list(const Store *store, StoreGeneration **gensp, size_t *np) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ StoreGeneration *gens = NULL;
        size_t n = 0;
        int r;

        r = store_dir_list_at(store_dirfd(store), "generations", store_generation_is_name, &names);
        if (r < 0)
                return r;
        gens = calloc(strv_length(names) + 1, sizeof(*gens));
        if (!gens)
                return -ENOMEM;
        for (char **name = names; *name; name++) {
                unsigned number;

                (void)store_generation_name_parse(*name, &number);
                r = store_generation_load(store, number, &gens[n]);
                if (r == -EBADMSG)
                        continue; /* unreadable as a generation: never a candidate; fsck reports it */
                if (r == -ENOENT)
                        continue; /* removed since it was listed (a reader holds no lock) */
                if (r < 0)
                        return r;
                n++;
        }
        qsort(gens, n, sizeof(*gens), store_generation_cmp);
        *gensp = steal_ptr(&gens);
        *np = n;
        return 0;
}

/*
 * One above the highest generation file name present, malformed files included: a
 * damaged generation's number is never handed out again (its file is never overwritten).
 */
static int store_generation_next_number(const Store *store, unsigned *numberp) {
        _cleanup_strv_free_ char **names = NULL;
        unsigned highest = 0;
        int r;

        r = store_dir_list_at(store_dirfd(store), "generations", store_generation_is_name, &names);
        if (r < 0)
                return r;
        for (char **name = names; *name; name++) {
                unsigned number;

                (void)store_generation_name_parse(*name, &number);
                if (number > highest)
                        highest = number;
        }
        if (highest == UINT32_MAX)
                return -EOVERFLOW;
        *numberp = highest + 1;
        return 0;
}

int store_generation_save(Store *store, const StoreGeneration *gen) {
        _cleanup_free_ char *text = NULL;
        char rel[32];
        int r;

        if (gen->number == 0)
                return -EINVAL;
        r = store_generation_format(gen, &text);
        if (r < 0)
                return r;
        snprintf(rel, sizeof(rel), "generations/%u", gen->number);
        return store_replace_file(store, rel, text, strlen(text));
}

int store_generation_remove(Store *store, unsigned number) {
        char rel[32];

        if (number == 0)
                return -EINVAL;
        snprintf(rel, sizeof(rel), "generations/%u", number);
        return store_remove_file(store, rel);
}

/*
 * Reads an object a commit needs: 0 with the bytes; -ENOENT with *missingp (if not NULL)
 * set to its digest if it is absent; -EUCLEAN if it does not hash to its name.
 */
static int store_commit_read(const Store *store, const char *digest, size_t max_size, char **bufp,
                             size_t *sizep, char **missingp) {
        int r = store_object_read(store, digest, max_size, bufp, sizep);

        if (r == STORE_E_MISSING) {
                if (missingp)
                        *missingp = strdup(digest);
                return -ENOENT;
        }
        if (r == STORE_E_CORRUPT)
                return -EUCLEAN;
        return r;
}

/*
 * What every commit checks of a manifest before it changes anything: its version is not
 * below the floor (-ERANGE) and every object it references is present (-ENOENT, with
 * *missingp set to the first missing digest if missingp is not NULL).
 */
static int store_commit_check(const Store *store, const Manifest *m, char **missingp) {
        _cleanup_strv_free_ char **objects = NULL;
        uint32_t floor_version;
        int r;

        r = store_floor_get(store, &floor_version);
        if (r < 0)
                return r;
        if (m->version < floor_version)
                return -ERANGE;
        r = manifest_objects(m, &objects);
        if (r < 0)
                return r;
        for (char **o = objects; *o; o++)
                if (!store_object_exists(store, *o)) {
                        if (missingp)
                                *missingp = strdup(*o);
                        return -ENOENT;
                }
        return 0;
}

/* -EINVAL for an invalid ref name, -EPERM for one only the boot decision may write. */
static int store_commit_check_ref(const char *ref_name) {
        if (!store_ref_name_is_valid(ref_name))
                return -EINVAL;
        if (store_ref_name_is_reserved(ref_name))
                return -EPERM;
        return 0;
}

int store_commit_objects(Store *store, const char *manifest, const char *signatures,
                         unsigned tries, const char *ref_name, unsigned *numberp, char **missingp) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_(signature_list_freep) SignatureList *sigs = NULL;
        _cleanup_free_ char *dtb = NULL;
        StoreGeneration gen = {};
        StoreRef ref = {};
        size_t size;
        int r;

        if (!hex_is_sha256(manifest) || (signatures && !hex_is_sha256(signatures)))
                return -EINVAL;
        if (!ref_name)
                ref_name = STORE_REF_DEFAULT;
        r = store_commit_check_ref(ref_name);
        if (r < 0)
                return r;
        if (tries == 0 || tries > STORE_TRIES_MAX)
                return -EINVAL;

        r = store_commit_read(store, manifest, MANIFEST_MAX_SIZE, &dtb, &size, missingp);
        if (r < 0)
                return r;
        r = manifest_parse(&m, dtb, size, NULL);
        if (r < 0)
                return r;
        if (signatures) {
                _cleanup_free_ char *text = NULL;

                r = store_commit_read(store, signatures, SIGNATURE_FILE_MAX, &text, &size, missingp);
                if (r < 0)
                        return r;
                r = signature_list_parse(&sigs, text, size, NULL);
                if (r < 0)
                        return r;
        }
        r = store_commit_check(store, m, missingp);
        if (r < 0)
                return r;

        r = store_generation_next_number(store, &gen.number);
        if (r < 0)
                return r;
        (void)sha256_from_hex(manifest, &gen.manifest);
        if (signatures) {
                gen.has_signatures = true;
                (void)sha256_from_hex(signatures, &gen.signatures);
        }
        gen.version = m->version;
        gen.state = STORE_GENERATION_PENDING;
        gen.tries = tries;
        r = store_generation_save(store, &gen);
        if (r < 0)
                return r;

        ref.manifest = gen.manifest;
        ref.has_signatures = gen.has_signatures;
        ref.signatures = gen.signatures;
        ref.generation = gen.number;
        r = store_ref_write(store, ref_name, &ref);
        if (r < 0)
                return r;
        *numberp = gen.number;
        return 0;
}

int store_commit_files(Store *store, const char *manifest_path, const char *sig_path,
                       unsigned tries, const char *ref_name, unsigned *numberp, char **missingp) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        char mhex[SHA256_HEX_LEN + 1], shex[SHA256_HEX_LEN + 1];
        Sha256Digest md, sd;
        int r;

        r = store_commit_check_ref(ref_name ? ref_name : STORE_REF_DEFAULT);
        if (r < 0)
                return r;
        if (sig_path) {
                _cleanup_(signature_list_freep) SignatureList *sigs = NULL;

                r = signature_list_load(&sigs, sig_path, NULL);
                if (r < 0)
                        return r;
        }
        /* Refuse before adding anything, so a failed commit leaves no garbage. */
        r = manifest_load(&m, manifest_path, NULL);
        if (r < 0)
                return r;
        r = store_commit_check(store, m, missingp);
        if (r < 0)
                return r;

        r = store_object_add_file(store, manifest_path, NULL, &md);
        if (r < 0)
                return r;
        sha256_to_hex(&md, mhex);
        if (sig_path) {
                r = store_object_add_file(store, sig_path, NULL, &sd);
                if (r < 0)
                        return r;
                sha256_to_hex(&sd, shex);
        }
        return store_commit_objects(store, mhex, sig_path ? shex : NULL, tries, ref_name,
                                    numberp, missingp);
}
