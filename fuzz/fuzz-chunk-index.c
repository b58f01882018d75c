// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the chunk index parser (store/chunk-index.c), which reads indexes a
 * source serves and nobody signed. Oracles: an accepted index keeps the invariants of
 * chunk-index.h (parameters valid, every chunk 1..max bytes, contiguous, adding up to
 * the object's size), and formatting it again gives bytes that parse to the same chunks
 * (not necessarily the input: a source may group chunks its own way); parsing never reads
 * past size (ASan, on an exact-size copy).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/chunk-index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        StoreChunkIndex *index = NULL;
        uint8_t *copy = malloc(size ? size : 1);
        void *again = NULL;
        size_t again_size = 0;
        uint64_t offset = 0;

        if (!copy)
                return 0;
        memcpy(copy, data, size);
        if (store_chunk_index_parse(copy, size, &index) == 0) {
                if (!store_chunk_params_are_valid(&index->params))
                        abort();
                for (size_t i = 0; i < index->n_chunks; i++) {
                        const StoreChunk *c = &index->chunks[i];

                        if (c->offset != offset || c->size == 0 || c->size > index->params.max)
                                abort();
                        offset += c->size;
                }
                if (offset != index->object_size)
                        abort();
                if (store_chunk_index_format(index, &again, &again_size) == 0) {
                        StoreChunkIndex *back = NULL;

                        if (store_chunk_index_parse(again, again_size, &back) < 0 || back->n_chunks != index->n_chunks ||
                            back->object_size != index->object_size)
                                abort();
                        for (size_t i = 0; i < back->n_chunks; i++)
                                if (back->chunks[i].size != index->chunks[i].size ||
                                    !sha256_equal(&back->chunks[i].digest, &index->chunks[i].digest))
                                        abort();
                        store_chunk_index_free(back);
                }
                free(again);
                store_chunk_index_free(index);
        }
        free(copy);
        return 0;
}
