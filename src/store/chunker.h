/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Content-defined chunking: where a file is cut into chunks, by its content alone.
 *
 * A gear hash (FastCDC, Xia et al. 2016/2020) rolls over the bytes; a cut falls where
 * its top bits are all zero. Since the hash depends only on the last 64 bytes, an edit
 * moves the cuts near it and no others: two versions of a file that share a region share
 * the chunks inside it, wherever that region sits in either file. Normalised chunking
 * (a stricter mask before the average size, a looser one after it) keeps the sizes
 * close to the average.
 *
 * Invariants:
 *  1. Cuts are a pure function of the bytes and the parameters: the same bytes chunk the
 *     same way on every machine and in every build (the gear table is fixed, generated
 *     by splitmix64 from STORE_CHUNKER_GEAR_SEED; changing it is a new index version).
 *  2. Every chunk but a file's last is at least min and at most max bytes long; the last
 *     is 1 to max bytes long. An empty file has no chunks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_CHUNKER_GEAR_SEED 0x6b6f732d67656172ULL /* "kos-gear" */

/* Bounds any parameters must keep (index files from a source are checked against them). */
#define STORE_CHUNK_MIN_LIMIT 64U
#define STORE_CHUNK_MAX_LIMIT (4U * 1024U * 1024U)

/* Bounds of the average store_chunk_params_for_size() picks. */
#define STORE_CHUNK_AVERAGE_FLOOR (4U * 1024U)
#define STORE_CHUNK_AVERAGE_CEILING (256U * 1024U)

typedef struct StoreChunkParams {
        uint32_t min;     /* no cut before this many bytes */
        uint32_t average; /* a power of two: the size the masks aim at */
        uint32_t max;     /* a cut here at the latest */
} StoreChunkParams;

/* min = average / 4, max = average * 4. -EINVAL unless average is a power of two whose
 * derived bounds are within the limits. */
int store_chunk_params_from_average(uint32_t average, StoreChunkParams *paramsp);

/*
 * The parameters for an object of size bytes, chosen by measurement (docs/store.md,
 * "Chunk indexes"): the average is the power of two nearest sqrt(size / 16), within
 * STORE_CHUNK_AVERAGE_FLOOR..STORE_CHUNK_AVERAGE_CEILING. An edit costs a chunk or two
 * beyond the edited bytes; the index a device fetches costs 36 bytes per group of some 64
 * chunks, plus the groups an edit touched: the square root balances the two (up to
 * 200 MB: 4 KiB chunks; 1 GB: 8 KiB; 16 GB: 32 KiB).
 */
void store_chunk_params_for_size(uint64_t size, StoreChunkParams *paramsp);

/* True if params are usable: average a power of two, STORE_CHUNK_MIN_LIMIT <= min <=
 * average <= max <= STORE_CHUNK_MAX_LIMIT. */
bool store_chunk_params_are_valid(const StoreChunkParams *params);

/*
 * Length of the next chunk of data[0..size): where the first cut falls, or size if none
 * falls before it (size <= params->max: that is the file's last chunk, and only the last
 * may be cut short by the end of the data). Give at least params->max bytes, or all that
 * is left of the file. params must be valid.
 */
size_t store_chunker_next(const StoreChunkParams *params, const uint8_t *data, size_t size);
