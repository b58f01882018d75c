// SPDX-License-Identifier: Apache-2.0
/*
 * The TPM tier in a build without the TSS (the static kos-keystored): not available.
 */
#include <errno.h>
#include <stdio.h>

#include "keystore/tpm.h"

int keystore_tpm_unseal_root(const char *tcti, const char *pub_path, const char *priv_path, SealRootKey **rootp,
                             char *why, size_t why_size) {
        snprintf(why, why_size, "TPM: this build of the key store has no TPM tier");
        return -ENOTSUP;
}
