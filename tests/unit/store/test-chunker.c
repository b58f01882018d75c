// SPDX-License-Identifier: Apache-2.0
/* The content-defined chunker and the chunk index format: cuts follow content, sizes stay
 * within bounds, an insertion changes only the chunks around it, indexes round-trip and
 * the parser refuses what breaks the format. */
#include <fcntl.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/chunk-index.h"
#include "test.h"

static void fill_random(uint8_t *buf, size_t size, uint64_t seed) {
        for (size_t i = 0; i < size; i++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[i] = (uint8_t)(seed >> 56);
        }
}

/* Index of the bytes in buf, through a memfd. */
static StoreChunkIndex *index_of(const uint8_t *buf, size_t size, const StoreChunkParams *p) {
        StoreChunkIndex *index = NULL;
        int fd = memfd_create("chunks", MFD_CLOEXEC);

        if (fd < 0 || write(fd, buf, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0 ||
            store_chunk_index_build_fd(fd, p, STORE_CHUNK_INDEX_BUILD_DEFAULT, &index) < 0)
                index = NULL;
        if (fd >= 0)
                close(fd);
        return index;
}

static bool index_has(const StoreChunkIndex *index, const Sha256Digest *d) {
        for (size_t i = 0; i < index->n_chunks; i++)
                if (sha256_equal(&index->chunks[i].digest, d))
                        return true;
        return false;
}

TEST(params) {
        StoreChunkParams p;

        CHECK_OK(store_chunk_params_from_average(16384, &p));
        CHECK_EQ_INT(p.min, 4096);
        CHECK_EQ_INT(p.max, 65536);
        CHECK(store_chunk_params_from_average(3000, &p) < 0);
        CHECK(store_chunk_params_from_average(0, &p) < 0);
        store_chunk_params_for_size(131072, &p);
        CHECK_EQ_INT(p.average, 4096);
        store_chunk_params_for_size(100 * 1000 * 1000, &p);
        CHECK_EQ_INT(p.average, 4096);
        store_chunk_params_for_size(1000ULL * 1000 * 1000, &p);
        CHECK_EQ_INT(p.average, 8192);
        store_chunk_params_for_size(16ULL * 1000 * 1000 * 1000, &p);
        CHECK_EQ_INT(p.average, 32768);
        store_chunk_params_for_size(UINT64_MAX, &p);
        CHECK_EQ_INT(p.average, STORE_CHUNK_AVERAGE_CEILING);
        store_chunk_params_for_size(0, &p);
        CHECK_EQ_INT(p.average, STORE_CHUNK_AVERAGE_FLOOR);
}

TEST(sizes_within_bounds_and_stable_under_insertion) {
        const size_t size = 2 * 1024 * 1024;
        _cleanup_free_ uint8_t *a = malloc(size), *b = malloc(size + 100);
        _cleanup_(store_chunk_index_freep) StoreChunkIndex *ia = NULL, *ib = NULL;
        StoreChunkParams p;
        size_t shared = 0, new_bytes = 0;

        CHECK(a && b);
        fill_random(a, size, 1);
        /* b: a with 100 bytes inserted in the middle. */
        memcpy(b, a, size / 2);
        fill_random(b + size / 2, 100, 2);
        memcpy(b + size / 2 + 100, a + size / 2, size - size / 2);
        CHECK_OK(store_chunk_params_from_average(16384, &p));
        ia = index_of(a, size, &p);
        ib = index_of(b, size + 100, &p);
        CHECK(ia && ib);
        CHECK_EQ_INT(ia->object_size, size);
        for (size_t i = 0; i < ia->n_chunks; i++) {
                CHECK(ia->chunks[i].size <= p.max);
                CHECK(i == ia->n_chunks - 1 || ia->chunks[i].size >= p.min);
        }
        /* The average is near what was asked for. */
        CHECK(size / ia->n_chunks > p.average / 2 && size / ia->n_chunks < p.average * 2);
        for (size_t i = 0; i < ib->n_chunks; i++) {
                if (index_has(ia, &ib->chunks[i].digest))
                        shared++;
                else
                        new_bytes += ib->chunks[i].size;
        }
        /* Only the chunks around the insertion are new. */
        CHECK(new_bytes <= 100 + 2 * p.max);
        CHECK(shared + 3 >= ib->n_chunks);
}

TEST(format_round_trip_and_refusals) {
        const size_t size = 300000;
        _cleanup_free_ uint8_t *a = malloc(size);
        _cleanup_(store_chunk_index_freep) StoreChunkIndex *index = NULL, *again = NULL, *bad = NULL;
        _cleanup_free_ void *data = NULL;
        uint8_t *bytes;
        StoreChunkParams p;
        size_t n;

        CHECK(a);
        fill_random(a, size, 3);
        CHECK_OK(store_chunk_params_from_average(4096, &p));
        index = index_of(a, size, &p);
        CHECK(index);
        CHECK_OK(store_chunk_index_format(index, &data, &n));
        {
                _cleanup_free_ StoreChunkGroup *groups = NULL;
                size_t n_groups;

                CHECK_OK(store_chunk_groups_compute(index->chunks, index->n_chunks, &groups, &n_groups));
                CHECK(n_groups >= 1 && n_groups <= index->n_chunks);
                CHECK_EQ_INT(n, STORE_CHUNK_INDEX_HEADER_SIZE + (n_groups + index->n_chunks) * STORE_CHUNK_INDEX_ENTRY_SIZE);
        }
        CHECK_OK(store_chunk_index_parse(data, n, &again));
        CHECK_EQ_INT(again->n_chunks, index->n_chunks);
        CHECK(sha256_equal(&again->object, &index->object));
        for (size_t i = 0; i < index->n_chunks; i++) {
                CHECK_EQ_INT(again->chunks[i].offset, index->chunks[i].offset);
                CHECK_EQ_INT(again->chunks[i].size, index->chunks[i].size);
                CHECK(sha256_equal(&again->chunks[i].digest, &index->chunks[i].digest));
        }

        bytes = data;
        CHECK(store_chunk_index_parse(data, n - 1, &bad) == -EBADMSG);
        CHECK(store_chunk_index_parse(data, 10, &bad) == -EBADMSG);
        bytes[STORE_CHUNK_INDEX_HEADER_SIZE] ^= 1; /* first group's count */
        CHECK(store_chunk_index_parse(data, n, &bad) == -EBADMSG);
        bytes[STORE_CHUNK_INDEX_HEADER_SIZE] ^= 1;
        bytes[n - 1] ^= 1; /* last chunk's digest: its group no longer matches the table */
        CHECK(store_chunk_index_parse(data, n, &bad) == -EBADMSG);
        bytes[n - 1] ^= 1;
        bytes[8] = 2; /* version */
        CHECK(store_chunk_index_parse(data, n, &bad) == -EPROTONOSUPPORT);
        bytes[8] = 1;
        bytes[0] = 'X'; /* magic */
        CHECK(store_chunk_index_parse(data, n, &bad) == -EBADMSG);
        CHECK(bad == NULL);
}
TEST_MAIN()
