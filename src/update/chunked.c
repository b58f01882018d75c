// SPDX-License-Identifier: Apache-2.0
/*
 * Chunked downloads (see chunked.h).
 *
 *   open tmp/upgrade.<digest>.part (create or reuse), flock it
 *     │
 *     ▼
 *   KEEP    each chunk the file already holds whole and intact (hashed again) is done
 *     ▼
 *   SEED    each other chunk found among this store's chunks: read, hashed, written
 *     ▼
 *   FETCH   the rest: runs of missing chunks as ranges (closer than the coalescing gap:
 *           one range), up to UPDATE_SOURCE_RANGES_MAX per request; each chunk hashed
 *           when its last byte arrives, written only if it matches
 *     ▼
 *   CHECK   every chunk done (else the source sent less than asked: refused); the whole
 *           file hashes to the digest (else refused, file removed); fsync ──▶ done
 *
 * Invariants:
 *  1. No byte reaches the file before the chunk it belongs to hashed to its digest in the
 *     index; the index itself is never trusted beyond saying where to look.
 *  2. A file is reported complete only when its bytes hashed to the object's digest in
 *     this process (so a lying index can waste bytes, never make a wrong object).
 *  3. Every write and the fsync pass a crash point (util/fault.h), in chunk order: seeds
 *     first, then fetched chunks, so the points of a run are the same on every run.
 *  4. What a crash or a broken transfer leaves is only ever chunks that matched; a rerun
 *     keeps those it finds intact (KEEP) and fetches none of them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/resolve.h"
#include "store/store.h"
#include "update/chunked.h"
#include "update/source-backend.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/strv.h"

/* ---- seeds ---- */

typedef struct SeedEntry {
        Sha256Digest digest;
        uint32_t object; /* index into objects */
        uint32_t size;
        uint64_t offset;
} SeedEntry;

struct UpdateSeeds {
        char *const *skip;     /* objects not to cut */
        char **objects;        /* owned: this store's objects, when first needed */
        size_t n_objects;
        SeedEntry *entries;    /* owned: open addressing, capacity a power of two */
        size_t capacity, n_entries;
        StoreChunkParams *done; /* owned: the parameters already cut with */
        size_t n_done;
        uint64_t bytes_read;
};

UpdateSeeds *update_seeds_new(char *const *skip) {
        UpdateSeeds *seeds = calloc(1, sizeof(UpdateSeeds));

        if (seeds)
                seeds->skip = skip;
        return seeds;
}

UpdateSeeds *update_seeds_free(UpdateSeeds *seeds) {
        if (!seeds)
                return NULL;
        for (size_t i = 0; i < seeds->n_objects; i++)
                free(seeds->objects[i]);
        free(seeds->objects);
        free(seeds->entries);
        free(seeds->done);
        free(seeds);
        return NULL;
}

uint64_t update_seeds_bytes_read(const UpdateSeeds *seeds) {
        return seeds->bytes_read;
}

static uint64_t digest_key(const Sha256Digest *d) {
        uint64_t k;

        memcpy(&k, d->bytes, sizeof(k));
        return k;
}

static const SeedEntry *seeds_find(const UpdateSeeds *seeds, const Sha256Digest *d) {
        if (seeds->capacity == 0)
                return NULL;
        for (size_t i = digest_key(d) & (seeds->capacity - 1);; i = (i + 1) & (seeds->capacity - 1)) {
                const SeedEntry *e = &seeds->entries[i];

                if (e->size == 0)
                        return NULL;
                if (sha256_equal(&e->digest, d))
                        return e;
        }
}

static int seeds_grow(UpdateSeeds *seeds) {
        size_t capacity = seeds->capacity ? seeds->capacity * 2 : 1024;
        SeedEntry *entries = calloc(capacity, sizeof(*entries));

        if (!entries)
                return -ENOMEM;
        for (size_t j = 0; j < seeds->capacity; j++) {
                const SeedEntry *e = &seeds->entries[j];
                size_t i;

                if (e->size == 0)
                        continue;
                for (i = digest_key(&e->digest) & (capacity - 1); entries[i].size; i = (i + 1) & (capacity - 1))
                        ;
                entries[i] = *e;
        }
        free(seeds->entries);
        seeds->entries = entries;
        seeds->capacity = capacity;
        return 0;
}

static int seeds_add(UpdateSeeds *seeds, const SeedEntry *e) {
        size_t i;
        int r;

        if (seeds_find(seeds, &e->digest))
                return 0;
        if ((seeds->n_entries + 1) * 2 > seeds->capacity) {
                r = seeds_grow(seeds);
                if (r < 0)
                        return r;
        }
        for (i = digest_key(&e->digest) & (seeds->capacity - 1); seeds->entries[i].size;
             i = (i + 1) & (seeds->capacity - 1))
                ;
        seeds->entries[i] = *e;
        seeds->n_entries++;
        return 0;
}

static bool params_equal(const StoreChunkParams *a, const StoreChunkParams *b) {
        return a->min == b->min && a->average == b->average && a->max == b->max;
}

/* Cuts every object of the store with params, once per set of parameters. An object that
 * cannot be read or is damaged only gives no seeds: chunks are checked again on use. */
static int seeds_prepare(UpdateSeeds *seeds, const Store *store, const StoreChunkParams *params) {
        StoreChunkParams *done;
        int r;

        for (size_t i = 0; i < seeds->n_done; i++)
                if (params_equal(&seeds->done[i], params))
                        return 0;
        if (!seeds->objects) {
                r = store_object_list(store, &seeds->objects);
                if (r < 0)
                        return r;
                while (seeds->objects[seeds->n_objects])
                        seeds->n_objects++;
        }
        for (size_t o = 0; o < seeds->n_objects; o++) {
                _cleanup_(store_chunk_index_freep) StoreChunkIndex *index = NULL;
                char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];
                _cleanup_close_ int fd = -1;

                if (seeds->skip && strv_contains(seeds->skip, seeds->objects[o]))
                        continue;
                if (store_object_relative_path(seeds->objects[o], rel) < 0 || fault_read_check(rel) < 0)
                        continue;
                fd = store_resolve_open(store_dirfd(store), rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
                if (fd < 0)
                        continue;
                if (store_chunk_index_build_fd(fd, params, STORE_CHUNK_INDEX_BUILD_NO_OBJECT_DIGEST, &index) < 0)
                        continue;
                seeds->bytes_read += index->object_size;
                for (size_t c = 0; c < index->n_chunks; c++) {
                        SeedEntry e = {
                                .digest = index->chunks[c].digest,
                                .object = (uint32_t)o,
                                .size = index->chunks[c].size,
                                .offset = index->chunks[c].offset,
                        };

                        r = seeds_add(seeds, &e);
                        if (r < 0)
                                return r;
                }
        }
        done = reallocarray(seeds->done, seeds->n_done + 1, sizeof(*done));
        if (!done)
                return -ENOMEM;
        seeds->done = done;
        seeds->done[seeds->n_done++] = *params;
        return 0;
}

/* ---- assembling ---- */

typedef struct Assembly {
        const StoreChunkIndex *index;
        UpdateSource *source;
        const char *source_path;
        int fd;
        const char *path;  /* for crash-point logs */
        bool *done;        /* owned: per chunk */
        uint8_t *buf;      /* owned: one chunk, params.max bytes */
        size_t current;    /* the chunk being received, n_chunks if none */
        uint32_t filled;   /* its bytes in buf */
        UpdateProgress *progress;
        uint64_t received; /* bytes of the object the source sent */
} Assembly;

static void assembly_done(Assembly *a) {
        free(a->done);
        free(a->buf);
}

/* Writes a checked chunk at its offset. */
static int assembly_write(Assembly *a, size_t c, const void *data) {
        const StoreChunk *chunk = &a->index->chunks[c];
        int r;

        if (lseek(a->fd, (off_t)chunk->offset, SEEK_SET) < 0)
                return -errno;
        r = fault_write(a->fd, data, chunk->size, a->path);
        if (r < 0)
                return r;
        a->done[c] = true;
        return 0;
}

static bool chunk_matches(const StoreChunk *chunk, const void *data) {
        Sha256Digest got;

        return sha256_buffer(data, chunk->size, &got) == 0 && sha256_equal(&got, &chunk->digest);
}

/* The chunk holding offset (the index's chunks are contiguous and sorted). */
static size_t chunk_at(const StoreChunkIndex *index, uint64_t offset) {
        size_t lo = 0, hi = index->n_chunks;

        while (lo + 1 < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (index->chunks[mid].offset <= offset)
                        lo = mid;
                else
                        hi = mid;
        }
        return lo;
}

/* Bytes of the object from the source, at offset: collected chunk by chunk, each written
 * once whole and matching. Bytes of chunks already done, or of a chunk whose start did not
 * come first, are dropped (invariant 1). */
static int assembly_sink(uint64_t offset, const void *data, size_t size, void *userdata) {
        Assembly *a = userdata;
        const StoreChunkIndex *index = a->index;
        const uint8_t *p = data;
        int r;

        a->received += size;
        if (a->progress)
                update_progress_bytes(a->progress, size);
        while (size > 0) {
                const StoreChunk *chunk;
                size_t c, n;
                uint64_t within;

                if (offset >= index->object_size)
                        return 0; /* past the end: nothing to do with it */
                if (a->current < index->n_chunks &&
                    offset == index->chunks[a->current].offset + a->filled)
                        c = a->current;
                else {
                        c = chunk_at(index, offset);
                        a->current = c;
                        a->filled = 0;
                }
                chunk = &index->chunks[c];
                within = offset - chunk->offset;
                n = chunk->size - within < size ? (size_t)(chunk->size - within) : size;
                if (a->done[c] || within != a->filled) {
                        /* Done already, or joined midway: not ours to check. */
                        a->current = index->n_chunks;
                        a->filled = 0;
                } else {
                        memcpy(a->buf + a->filled, p, n);
                        a->filled += (uint32_t)n;
                        if (a->filled == chunk->size) {
                                if (!chunk_matches(chunk, a->buf))
                                        return update_source_fail(a->source, -EPROTO,
                                                                  "%s: bytes %" PRIu64 "-%" PRIu64
                                                                  " do not match their chunk's digest in the chunk index",
                                                                  a->source_path, chunk->offset,
                                                                  chunk->offset + chunk->size - 1);
                                r = assembly_write(a, c, a->buf);
                                if (r < 0)
                                        return r;
                                a->current = c + 1;
                                a->filled = 0;
                        }
                }
                offset += n;
                p += n;
                size -= n;
        }
        return 0;
}

/* KEEP: marks the chunks the file already holds intact; returns their bytes in *keptp. */
static int assembly_keep(Assembly *a, uint64_t file_size, uint64_t *keptp) {
        uint64_t kept = 0;

        for (size_t c = 0; c < a->index->n_chunks; c++) {
                const StoreChunk *chunk = &a->index->chunks[c];
                ssize_t n;

                if (chunk->offset + chunk->size > file_size)
                        break;
                n = pread(a->fd, a->buf, chunk->size, (off_t)chunk->offset);
                if (n < 0)
                        return -errno;
                if ((size_t)n == chunk->size && chunk_matches(chunk, a->buf)) {
                        a->done[c] = true;
                        kept += chunk->size;
                }
        }
        *keptp = kept;
        return 0;
}

/* SEED: copies the chunks found among this store's objects; returns their bytes. */
static int assembly_seed(Assembly *a, const Store *store, UpdateSeeds *seeds, uint64_t *reusedp) {
        _cleanup_close_ int fd = -1;
        uint32_t open_object = UINT32_MAX;
        uint64_t reused = 0;
        int r;

        r = seeds_prepare(seeds, store, &a->index->params);
        if (r < 0)
                return r;
        for (size_t c = 0; c < a->index->n_chunks; c++) {
                const StoreChunk *chunk = &a->index->chunks[c];
                const SeedEntry *e;
                ssize_t n;

                if (a->done[c])
                        continue;
                e = seeds_find(seeds, &chunk->digest);
                if (!e || e->size != chunk->size)
                        continue;
                if (e->object != open_object) {
                        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];

                        if (fd >= 0)
                                close(fd);
                        fd = -1;
                        open_object = e->object;
                        if (store_object_relative_path(seeds->objects[e->object], rel) < 0 || fault_read_check(rel) < 0)
                                continue;
                        fd = store_resolve_open(store_dirfd(store), rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
                }
                if (fd < 0)
                        continue; /* gone since: fetched instead */
                n = pread(fd, a->buf, chunk->size, (off_t)e->offset);
                if (n != (ssize_t)chunk->size || !chunk_matches(chunk, a->buf))
                        continue; /* changed or damaged since: fetched instead */
                r = assembly_write(a, c, a->buf);
                if (r < 0)
                        return r;
                reused += chunk->size;
        }
        *reusedp = reused;
        return 0;
}

/* FETCH: the missing chunks as ranges, a batch of requests. */
static int assembly_fetch(Assembly *a) {
        const StoreChunkIndex *index = a->index;
        UpdateRange ranges[UPDATE_SOURCE_RANGES_MAX];
        size_t n = 0;
        int r;

        for (size_t c = 0; c <= index->n_chunks; c++) {
                bool flush = c == index->n_chunks;

                if (!flush && !a->done[c]) {
                        const StoreChunk *chunk = &index->chunks[c];
                        uint64_t last = chunk->offset + chunk->size - 1;

                        if (n > 0 && chunk->offset <= ranges[n - 1].last + 1 + UPDATE_CHUNKED_COALESCE_GAP)
                                ranges[n - 1].last = last;
                        else {
                                if (n == UPDATE_SOURCE_RANGES_MAX) {
                                        r = update_source_fetch_ranges(a->source, a->source_path, ranges, n,
                                                                       index->object_size, assembly_sink, a);
                                        a->current = index->n_chunks;
                                        if (r < 0)
                                                return r;
                                        n = 0;
                                }
                                ranges[n++] = (UpdateRange){ chunk->offset, last };
                        }
                }
                if (flush && n > 0) {
                        r = update_source_fetch_ranges(a->source, a->source_path, ranges, n, index->object_size,
                                                       assembly_sink, a);
                        a->current = index->n_chunks;
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int file_hashes_to(int fd, const Sha256Digest *expected, uint64_t size) {
        Sha256Digest got;
        uint64_t hashed = 0;
        int r;

        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        r = sha256_fd(fd, &got, &hashed);
        if (r < 0)
                return r;
        return hashed == size && sha256_equal(&got, expected);
}

int update_chunked_download(const Store *store, UpdateSource *source, const char *digest, const StoreChunkIndex *index,
                            uint64_t max_size, UpdateSeeds *seeds, UpdateProgress *progress, UpdateDownload *downloadp) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int tmpfd = -1, fd = -1;
        _cleanup_(assembly_done) Assembly a = {};
        char source_path[STORE_OBJECT_RELATIVE_PATH_SIZE];
        const char *name;
        Sha256Digest expected;
        uint64_t kept = 0, reused = 0;
        struct stat st;
        int r;

        r = sha256_from_hex(digest, &expected);
        if (r < 0)
                return r;
        r = store_object_relative_path(digest, source_path);
        if (r < 0)
                return r;
        if (!sha256_equal(&index->object, &expected))
                return update_source_fail(source, -EPROTO, "%s: its chunk index describes another object", source_path);
        if (index->object_size > max_size)
                return update_source_fail(source, -EFBIG, "%s: its chunk index names %" PRIu64 " bytes, more than allowed",
                                          source_path, index->object_size);
        r = update_download_path(store, digest, &path);
        if (r < 0)
                return r;

        tmpfd = store_tmp_open_dir(store);
        if (tmpfd < 0)
                return tmpfd;
        name = strrchr(path, '/') + 1;
        fd = fault_openat_create(tmpfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return fd;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EPROTO;

        a = (Assembly){
                .index = index,
                .source = source,
                .source_path = source_path,
                .fd = fd,
                .path = path,
                .done = calloc(index->n_chunks ? index->n_chunks : 1, sizeof(bool)),
                .buf = malloc(index->params.max),
                .current = index->n_chunks,
                .progress = progress,
        };
        if (!a.done || !a.buf)
                return -ENOMEM;

        if ((uint64_t)st.st_size > index->object_size) {
                if (ftruncate(fd, 0) < 0)
                        return -errno;
                st.st_size = 0;
        }
        r = assembly_keep(&a, (uint64_t)st.st_size, &kept);
        if (r < 0)
                return r;
        if (progress)
                progress->object_bytes = kept;
        r = assembly_seed(&a, store, seeds, &reused);
        if (r < 0)
                return r;
        if (progress)
                update_progress_bytes(progress, reused);
        r = assembly_fetch(&a);
        if (r == -ERANGE)
                return update_source_fail(source, -EPROTO, "%s: the source's file is shorter than its chunk index says",
                                          source_path);
        if (r < 0)
                return r;

        for (size_t c = 0; c < index->n_chunks; c++)
                if (!a.done[c])
                        return update_source_fail(source, -EPROTO,
                                                  "%s: the source did not send bytes %" PRIu64 "-%" PRIu64 " it was asked for",
                                                  source_path, index->chunks[c].offset,
                                                  index->chunks[c].offset + index->chunks[c].size - 1);
        if (ftruncate(fd, (off_t)index->object_size) < 0) /* an empty object has no chunk to write */
                return -errno;
        r = file_hashes_to(fd, &expected, index->object_size);
        if (r < 0)
                return r;
        if (r == 0) {
                (void)unlinkat(tmpfd, name, 0);
                return -EBADMSG;
        }
        r = fault_fsync(fd, path);
        if (r < 0)
                return r;
        *downloadp = (UpdateDownload){
                .path = steal_ptr(&path),
                .size = index->object_size,
                .resumed = kept,
                .received = a.received,
                .reused = reused,
                .chunked = true,
        };
        return 0;
}
