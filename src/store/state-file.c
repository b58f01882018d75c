// SPDX-License-Identifier: Apache-2.0
/*
 * Reader of the store's state files, "key value" lines (see state-file.h).
 *
 * Invariant: never reads outside [text, text+size); never accepts what state-file.h refuses.
 */
#include <errno.h>
#include <string.h>

#include "store/state-file.h"
#include "util/hex.h"

void store_state_file_reader_init(StoreStateFileReader *reader, const char *text, size_t size) {
        *reader = (StoreStateFileReader){ .p = text, .end = text + size };
}

int store_state_file_reader_next(StoreStateFileReader *reader, const char **keyp, const char **valuep) {
        const char *line = reader->p, *nl, *space;
        size_t len, klen, vlen;

        if (line >= reader->end)
                return 0;
        nl = memchr(line, '\n', (size_t)(reader->end - line));
        len = nl ? (size_t)(nl - line) : (size_t)(reader->end - line);
        reader->p = nl ? nl + 1 : reader->end;
        if (len == 0 || len >= STORE_STATE_FILE_LINE_MAX)
                return -EBADMSG;

        space = memchr(line, ' ', len);
        if (!space)
                return -EBADMSG;
        klen = (size_t)(space - line);
        vlen = len - klen - 1;
        if (klen == 0 || klen >= sizeof(reader->key) || vlen == 0)
                return -EBADMSG;
        for (size_t i = 0; i < klen; i++)
                if (!((line[i] >= 'a' && line[i] <= 'z') || line[i] == '-'))
                        return -EBADMSG;
        for (size_t i = 0; i < vlen; i++) {
                unsigned char c = (unsigned char)space[1 + i];
                if (c < 0x21 || c == 0x7f)
                        return -EBADMSG;
        }
        memcpy(reader->key, line, klen);
        reader->key[klen] = '\0';
        memcpy(reader->value, space + 1, vlen);
        reader->value[vlen] = '\0';
        *keyp = reader->key;
        *valuep = reader->value;
        return 1;
}

int store_state_file_parse_digest(const char *value, Sha256Digest *digestp) {
        if (!hex_is_sha256(value))
                return -EBADMSG;
        return sha256_from_hex(value, digestp) < 0 ? -EBADMSG : 0;
}

int store_state_file_parse_unsigned(const char *value, unsigned min, unsigned long max, unsigned *valuep) {
        unsigned long n = 0;
        size_t len = strlen(value);

        if (len == 0 || len > 10 || (len > 1 && value[0] == '0'))
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                if (value[i] < '0' || value[i] > '9')
                        return -EBADMSG;
                n = n * 10 + (unsigned long)(value[i] - '0');
        }
        if (n < min || n > max)
                return -EBADMSG;
        *valuep = (unsigned)n;
        return 0;
}
