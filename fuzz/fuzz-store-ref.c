// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the store's ref and generation file parsers, which read what remote stores
 * serve. The first byte picks the parser; whatever parses must format back to text that
 * parses to the same value.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;

        if (size < 1)
                return 0;
        if (data[0] & 1) {
                StoreRef a, b;
                if (store_ref_parse((const char *)data + 1, size - 1, &a) < 0)
                        return 0;
                if (store_ref_format(&a, &text) < 0 || store_ref_parse(text, strlen(text), &b) < 0 ||
                    !sha256_equal(&a.manifest, &b.manifest) || a.has_signatures != b.has_signatures ||
                    (a.has_signatures && !sha256_equal(&a.signatures, &b.signatures)) ||
                    a.generation != b.generation)
                        abort();
        } else {
                StoreGeneration a, b;
                if (store_generation_parse((const char *)data + 1, size - 1, &a) < 0)
                        return 0;
                if (store_generation_format(&a, &text) < 0 ||
                    store_generation_parse(text, strlen(text), &b) < 0 ||
                    !sha256_equal(&a.manifest, &b.manifest) || a.has_signatures != b.has_signatures ||
                    (a.has_signatures && !sha256_equal(&a.signatures, &b.signatures)) ||
                    a.version != b.version || a.state != b.state || a.tries != b.tries ||
                    a.boots != b.boots)
                        abort();
        }
        return 0;
}
