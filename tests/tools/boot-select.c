// SPDX-License-Identifier: Apache-2.0
/*
 * kos-test-boot-select: the boot decision as a fully static program (cmake/KosStatic.cmake),
 * built from the boot-path modules alone: boot, store, the manifest core, crypto, util.
 *
 *   usage: kos-test-boot-select STORE TRUSTDIR
 *
 * Prints "generation N manifest HEX", as `kos boot select` does, and exits 0; exits 1 if
 * nothing can boot, 2 on a usage error. Like `kos boot select` it takes a try from a pending
 * generation, so tests run it on a copy of their store.
 *
 * Invariants: 1. OpenSSL is initialised before anything else with its configuration file
 * left unread (docs/development.md, "Static programs"): nothing at run time reaches
 * OpenSSL's module loading (dlopen), so the program needs no file but its arguments.
 * 2. Nothing here resolves a user, host or service name (no NSS).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "boot/boot.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "util/log.h"

int main(int argc, char **argv) {
        _cleanup_store_close_ Store *store = NULL;
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        _cleanup_free_ char *bad_file = NULL;
        char hex[SHA256_HEX_LEN + 1];
        BootDecision d;
        int r, ret;

        log_set_program("kos-test-boot-select");
        if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
                log_error("cannot initialise libcrypto");
                return 1;
        }
        if (argc != 3) {
                fprintf(stderr, "usage: kos-test-boot-select STORE TRUSTDIR\n");
                return 2;
        }

        r = trust_store_load(&trust, argv[2], &bad_file);
        if (r < 0) {
                log_error("%s: %s", bad_file ? bad_file : argv[2], key_strerror(r));
                return 1;
        }
        r = store_open(&store, argv[1], STORE_OPEN_WRITE);
        if (r < 0) {
                log_error("%s: cannot open store: %s", argv[1], strerror(-r));
                return 1;
        }
        r = boot_select(store, trust, &d);
        if (r < 0) {
                log_error("%s: boot decision failed: %s", argv[1], strerror(-r));
                return 1;
        }
        if (d.found) {
                sha256_to_hex(&d.chosen.manifest, hex);
                printf("generation %u manifest %s\n", d.chosen.number, hex);
        } else {
                log_error("%s: no generation can boot (%zu rejected)", argv[1], d.n_rejected);
        }
        ret = d.found ? 0 : 1;
        boot_decision_done(&d);
        return fflush(stdout) == 0 ? ret : 1;
}
