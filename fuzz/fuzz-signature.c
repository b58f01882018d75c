// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the signature-file parser. A parsed list must format back to text that
 * parses to the same list, and name each key once.
 */
#include <string.h>

#include "crypto/signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(signature_list_freep) SignatureList *list = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL;
        size_t text_size;
        SignatureParseError err;

        if (signature_list_parse(&list, (const char *)data, size, &err) < 0)
                return 0;
        if (signature_list_format(list, &text, &text_size) < 0)
                abort();
        if (signature_list_parse(&again, text, text_size, &err) < 0)
                abort();
        if (again->n_items != list->n_items ||
            (list->n_items && memcmp(again->items, list->items, list->n_items * sizeof(Signature)) != 0))
                abort();
        for (size_t i = 0; i < list->n_items; i++)
                for (size_t j = i + 1; j < list->n_items; j++)
                        if (sha256_equal(&list->items[i].key_id, &list->items[j].key_id))
                                abort();
        return 0;
}
