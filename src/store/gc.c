// SPDX-License-Identifier: Apache-2.0
/*
 * Garbage collection (see gc.h).
 *
 * Invariants: generation files go before the objects only they needed, so a crash can
 * leave unreferenced objects, never a kept generation with a missing object; the newest
 * generation is always kept, so generation numbers are never reused; only "store.*" files
 * in tmp/ are removed (others belong to kos upgrade's resumable downloads).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int store_gc_tmp(Store *store) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int fd = -1;
        struct dirent *de;
        DIR *d;
        int r = 0;

        fd = openat(store_dirfd(store), "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        steal_fd(&fd);
        while ((de = readdir(d))) {
                char *rel;

                if (strncmp(de->d_name, "store.", 6) != 0 || de->d_type == DT_DIR)
                        continue;
                if (asprintf(&rel, "tmp/%s", de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = strv_push(&names, rel);
                if (r < 0)
                        break;
        }
        closedir(d);
        for (char **n = names; n && *n && r >= 0; n++)
                r = store_remove_file(store, *n);
        return r;
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
        for (size_t i = 0; i < n_gens && r >= 0; i++)
                if (kept[i])
                        r = store_need_set_add_generation(&need, store, &gens[i]);
        for (char **n = refs; *n && r >= 0; n++)
                r = store_need_set_add_ref(&need, store, *n);
        if (r < 0)
                goto finish;
        store_need_set_sort(&need);

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

        /* 3. Leftovers of crashed writers (we hold the lock: no writer is running). */
        r = store_gc_tmp(store);
        if (r < 0)
                goto finish;

        if (statsp)
                *statsp = stats;
finish:
        store_need_set_done(&need);
        return r;
}
