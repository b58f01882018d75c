/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hardware tier's root key: the device root key sealed by a TPM 2.0.
 *
 * At manufacturing the 32-byte root key is sealed into a TPM data object under the TPM's
 * storage key at the persistent handle KEYSTORE_TPM_PARENT (tpm2_create -C 0x81000001 -i
 * root.key -u root.pub -r root.priv, then the clear root.key is destroyed). The object's
 * public and private parts (TPM2B structures; the private part is encrypted by the TPM's
 * storage key, so only that TPM can load it) are files on the device. At start the key
 * store has the TPM load and unseal it into secret memory.
 *
 * Invariants:
 *  1. The unsealed bytes go straight into a SealRootKey (secret memory); the TSS's copy is
 *     wiped before it is freed, and the loaded object is flushed from the TPM.
 *  2. Failure is one line in why, naming the step; nothing is left loaded in the TPM.
 */
#pragma once

#include <stddef.h>

#include "crypto/seal.h"

#define KEYSTORE_TPM_PARENT 0x81000001U /* the storage key's persistent handle */
#define KEYSTORE_TPM_DEFAULT_TCTI "device:/dev/tpmrm0"

/*
 * Unseals the root key from the sealed object in pub_path and priv_path, through the TPM
 * tcti names ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321"). Returns 0 and
 * *rootp, -ENOTSUP if this build has no TPM tier, or another negative errno with why
 * (why_size bytes) filled in.
 */
int keystore_tpm_unseal_root(const char *tcti, const char *pub_path, const char *priv_path, SealRootKey **rootp,
                             char *why, size_t why_size);
