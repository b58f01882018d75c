// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the device signature headers (orbit_device_auth_parse()). The input is
 * split at newlines into the four header values (missing ones are absent headers). What
 * it accepts has a key id of 64 lowercase hex and a nonce of 16 to 64; what it refuses
 * says why in printable text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orbit/request.h"
#include "util/hex.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), *values[4] = { NULL }, *p;
        OrbitDeviceAuth auth;
        char error[256];
        size_t n = 0;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        for (p = text; n < 4 && p; n++) {
                values[n] = p;
                p = strchr(p, '\n');
                if (p)
                        *p++ = '\0';
        }
        if (orbit_device_auth_parse(&auth, values[0], values[1], values[2], values[3], error, sizeof(error)) < 0) {
                if (!error[0] || !utf8_is_printable(error))
                        abort();
        } else {
                size_t nonce = strlen(auth.nonce);
                if (!hex_is_sha256(auth.key_id) || nonce < 16 || nonce > 64 || auth.timestamp < 0)
                        abort();
        }
        free(text);
        return 0;
}
