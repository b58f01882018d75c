// SPDX-License-Identifier: Apache-2.0
/*
 * Garbage collection (see gc.h).
 *
 * Invariants: generation files go before the objects only they needed, so a crash can
 * leave unreferenced objects, never a kept generation with a missing object; the newest
 * generation is always kept, so generation numbers are never reused; only "store.*" files
 * in tmp/ are removed (others belong to kos upgrade's resumable downloads).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/dir.h"
#include "store/chunk-index.h"
#include "store/gc.h"
#include "store/needed.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/strv.h"

static unsigned store_gc_ref_generation(const Store *store, const char *name) {
        StoreRef ref;

        if (store_ref_read(store, name, &ref) < 0)
                return 0;
        return ref.generation;
}

/* Leftovers of crashed writers in tmp/: "store.*" files (never directories). */
static bool store_gc_is_stale_tmp(const struct dirent *de) {
        return strncmp(de->d_name, "store.", 6) == 0 && de->d_type != DT_DIR;
}

static int store_gc_tmp(Store *store) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = store_dir_list_at(store_dirfd(store), "tmp", store_gc_is_stale_tmp, &names);
        if (r < 0)
                return r;
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *rel = NULL;

                if (asprintf(&rel, "tmp/%s", *n) < 0)
                        return -ENOMEM;
                r = store_remove_file(store, rel);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int store_gc_chunk_indexes(Store *store) {
        _cleanup_strv_free_ char **indexed = NULL;
        int r;

        r = store_chunk_index_list(store, &indexed);
        if (r < 0)
                return r;
        for (char **d = indexed; *d; d++) {
                if (store_object_exists(store, *d))
                        continue;
                r = store_chunk_index_remove(store, *d);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_gc(Store *store, unsigned keep, StoreGcStats *statsp) {
        _cleanup_free_ StoreGeneration *gens = NULL;
        _cleanup_free_ bool *kept = NULL;
        _cleanup_strv_free_ char **refs = NULL, **digests = NULL;
        StoreNeedSet need = {};
        StoreGcStats stats = {};
        unsigned current, booted, good_seen = 0;
        size_t n_gens;
        int r;

        r = store_generation_list(store, &gens, &n_gens);
        if (r < 0)
                return r;
        r = store_ref_list(store, &refs);
        if (r < 0)
                return r;
        current = store_gc_ref_generation(store, STORE_REF_CURRENT);
        booted = store_gc_ref_generation(store, STORE_REF_BOOTED);

        kept = calloc(n_gens + 1, sizeof(bool));
        if (!kept)
                return -ENOMEM;
        for (size_t i = n_gens; i-- > 0;) {
                const StoreGeneration *g = &gens[i];

                if (i == n_gens - 1 || (g->state == STORE_GENERATION_PENDING && g->number > current) ||
                    g->number == current || g->number == booted)
                        kept[i] = true;
                if (g->state == STORE_GENERATION_GOOD && g->number != current && good_seen++ < keep)
                        kept[i] = true;
        }

        /* 1. Generations no longer kept. */
        for (size_t i = 0; i < n_gens; i++) {
                if (kept[i])
                        continue;
                r = store_generation_remove(store, gens[i].number);
                if (r < 0)
                        return r;
                stats.n_generations_removed++;
        }

        /* 2. Objects nothing kept needs. */
        r = store_need_set_build(&need, store, gens, n_gens, kept, refs);
        if (r < 0)
                goto finish;

        r = store_object_list(store, &digests);
        if (r < 0)
                goto finish;
        for (char **d = digests; *d; d++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (store_need_set_find(&need, *d))
                        continue;
                if (store_object_path(store, *d, &path) >= 0 && stat(path, &st) == 0)
                        stats.n_bytes_freed += (uint64_t)st.st_size;
                r = store_object_remove(store, *d);
                if (r < 0)
                        goto finish;
                stats.n_objects_removed++;
        }

        /* 3. Chunk indexes of objects no longer here (indexes follow their objects). */
        r = store_gc_chunk_indexes(store);
        if (r < 0)
                goto finish;

        /* 4. Leftovers of crashed writers (we hold the lock: no writer is running). */
        r = store_gc_tmp(store);
        if (r < 0)
                goto finish;

        if (statsp)
                *statsp = stats;
finish:
        store_need_set_done(&need);
        return r;
}
