// SPDX-License-Identifier: Apache-2.0
/*
 * kos-test-keystore-pubkey KEY: prints the key store's public key of KEY, in hex, as the app
 * that runs it (KOS_KEYSTORE). Static, for the example device's probe app, which has no
 * kos command in its root; the system test compares the key across boots.
 */
#include <stdio.h>
#include <string.h>

#include "kos/keystore.h"

int main(int argc, char **argv) {
        uint8_t pub[KOS_KEYSTORE_PUBLIC_KEY_SIZE];
        int r;

        if (argc != 2)
                return 2;
        r = kos_keystore_public_key(argv[1], pub);
        if (r < 0) {
                const char *why = kos_keystore_error();
                fprintf(stderr, "keystore-pubkey: %s: %s\n", argv[1], why ? why : strerror(-r));
                return 1;
        }
        for (size_t i = 0; i < sizeof(pub); i++)
                printf("%02x", pub[i]);
        printf("\n");
        return 0;
}
