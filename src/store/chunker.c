// SPDX-License-Identifier: Apache-2.0
/*
 * The gear-hash chunker (FastCDC with normalised chunking, level 2).
 *
 * Invariants: see chunker.h (1: cuts depend on bytes and parameters only; 2: chunk
 * lengths within min..max). The table is built once, from a fixed seed, before any use.
 */
#include <errno.h>
#include <pthread.h>

#include "store/chunker.h"

static uint64_t gear[256];
static pthread_once_t gear_once = PTHREAD_ONCE_INIT;

static uint64_t splitmix64(uint64_t *state) {
        uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static void gear_init(void) {
        uint64_t state = STORE_CHUNKER_GEAR_SEED;

        for (size_t i = 0; i < 256; i++)
                gear[i] = splitmix64(&state);
}

static unsigned log2_u32(uint32_t v) {
        unsigned n = 0;

        while (v >>= 1)
                n++;
        return n;
}

bool store_chunk_params_are_valid(const StoreChunkParams *p) {
        if (p->average == 0 || (p->average & (p->average - 1)) != 0)
                return false;
        return p->min >= STORE_CHUNK_MIN_LIMIT && p->min <= p->average && p->average <= p->max &&
               p->max <= STORE_CHUNK_MAX_LIMIT && log2_u32(p->average) >= 4;
}

int store_chunk_params_from_average(uint32_t average, StoreChunkParams *paramsp) {
        StoreChunkParams p = { .min = average / 4, .average = average, .max = average > UINT32_MAX / 4 ? 0 : average * 4 };

        if (!store_chunk_params_are_valid(&p))
                return -EINVAL;
        *paramsp = p;
        return 0;
}

void store_chunk_params_for_size(uint64_t size, StoreChunkParams *paramsp) {
        uint32_t average = STORE_CHUNK_AVERAGE_FLOOR;

        /* Nearest power of two to sqrt(size / 16): double while 2a <= sqrt(size / 16) *
         * sqrt(2), i.e. 4a^2 <= size / 8, without a square root or an overflow. */
        while (average < STORE_CHUNK_AVERAGE_CEILING && (uint64_t)average * 2 * average * 2 <= size / 8)
                average *= 2;
        (void)store_chunk_params_from_average(average, paramsp);
}

/* A mask of bits one-bits at the top of the word: the gear hash's high bits depend on the
 * most bytes (the last 64), so testing them gives the best spread of cuts. */
static uint64_t top_mask(unsigned bits) {
        return bits == 0 ? 0 : ~0ULL << (64 - bits);
}

size_t store_chunker_next(const StoreChunkParams *p, const uint8_t *data, size_t size) {
        unsigned bits = log2_u32(p->average);
        uint64_t strict = top_mask(bits + 2), loose = top_mask(bits - 2);
        size_t normal = p->average, end = size < p->max ? size : p->max, i;
        uint64_t h = 0;

        pthread_once(&gear_once, gear_init);
        if (size <= p->min)
                return size;
        if (normal > end)
                normal = end;
        for (i = p->min; i < normal; i++) {
                h = (h << 1) + gear[data[i]];
                if (!(h & strict))
                        return i + 1;
        }
        for (; i < end; i++) {
                h = (h << 1) + gear[data[i]];
                if (!(h & loose))
                        return i + 1;
        }
        return end;
}
