// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the signature-file parser. A parsed list must format back to text that
 * parses to the same list.
 */
#include <string.h>

#include "crypto/signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(signature_list_freep) SignatureList *list = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL;
        size_t text_size;
        unsigned line;

        if (signature_list_parse(&list, (const char *)data, size, &line) < 0)
                return 0;
        if (signature_list_format(list, &text, &text_size) < 0)
                abort();
        if (signature_list_parse(&again, text, text_size, &line) < 0)
                abort();
        if (again->n_items != list->n_items ||
            (list->n_items && memcmp(again->items, list->items, list->n_items * sizeof(Signature)) != 0))
                abort();
        return 0;
}
