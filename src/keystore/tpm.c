// SPDX-License-Identifier: Apache-2.0
/*
 * The root key unsealed by a TPM 2.0 through the TSS's Enhanced System API (see tpm.h for
 * invariants 1-2). Linked into kos-keystored; the static build links tpm-none.c instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "keystore/tpm.h"
#include "util/cleanup.h"
#include "util/fileio.h"

static int tpm_fail(char *why, size_t why_size, int r, const char *step, TSS2_RC rc) {
        if (rc)
                snprintf(why, why_size, "TPM: %s: %s", step, Tss2_RC_Decode(rc));
        else
                snprintf(why, why_size, "TPM: %s", step);
        return r;
}

int keystore_tpm_unseal_root(const char *tcti, const char *pub_path, const char *priv_path, SealRootKey **rootp,
                             char *why, size_t why_size) {
        _cleanup_free_ char *pub_bytes = NULL, *priv_bytes = NULL;
        TSS2_TCTI_CONTEXT *tcti_ctx = NULL;
        ESYS_CONTEXT *esys = NULL;
        TPM2B_PUBLIC pub = { 0 };
        TPM2B_PRIVATE priv = { 0 };
        TPM2B_SENSITIVE_DATA *data = NULL;
        ESYS_TR parent = ESYS_TR_NONE, object = ESYS_TR_NONE;
        size_t pub_size, priv_size, off;
        TSS2_RC rc;
        int r;

        r = read_file_full(pub_path, sizeof(TPM2B_PUBLIC), &pub_bytes, &pub_size);
        if (r < 0)
                return snprintf(why, why_size, "TPM: %s: %s", pub_path, strerror(-r)), r;
        r = read_file_full(priv_path, sizeof(TPM2B_PRIVATE), &priv_bytes, &priv_size);
        if (r < 0)
                return snprintf(why, why_size, "TPM: %s: %s", priv_path, strerror(-r)), r;
        off = 0;
        if (Tss2_MU_TPM2B_PUBLIC_Unmarshal((uint8_t *)pub_bytes, pub_size, &off, &pub) != TSS2_RC_SUCCESS ||
            off != pub_size)
                return tpm_fail(why, why_size, -EBADMSG, "the sealed object's public part is malformed", 0);
        off = 0;
        if (Tss2_MU_TPM2B_PRIVATE_Unmarshal((uint8_t *)priv_bytes, priv_size, &off, &priv) != TSS2_RC_SUCCESS ||
            off != priv_size)
                return tpm_fail(why, why_size, -EBADMSG, "the sealed object's private part is malformed", 0);

        /* The TSS logs to stderr by default; the one line in why says what failed. */
        (void)setenv("TSS2_LOG", "all+NONE", 0);
        rc = Tss2_TctiLdr_Initialize(tcti, &tcti_ctx);
        if (rc != TSS2_RC_SUCCESS)
                return tpm_fail(why, why_size, -ENODEV, "cannot reach the TPM", rc);
        rc = Esys_Initialize(&esys, tcti_ctx, NULL);
        if (rc != TSS2_RC_SUCCESS) {
                r = tpm_fail(why, why_size, -ENODEV, "cannot start a TPM session", rc);
                goto out;
        }
        rc = Esys_TR_FromTPMPublic(esys, KEYSTORE_TPM_PARENT, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &parent);
        if (rc != TSS2_RC_SUCCESS) {
                r = tpm_fail(why, why_size, -ENOKEY, "no storage key at handle 0x81000001", rc);
                goto out;
        }
        rc = Esys_Load(esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &object);
        if (rc != TSS2_RC_SUCCESS) {
                r = tpm_fail(why, why_size, -EKEYREJECTED, "the sealed root key does not load (another TPM?)", rc);
                goto out;
        }
        rc = Esys_Unseal(esys, object, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data);
        if (rc != TSS2_RC_SUCCESS) {
                r = tpm_fail(why, why_size, -EKEYREJECTED, "unseal", rc);
                goto out;
        }
        if (data->size != SEAL_ROOT_KEY_SIZE) {
                r = tpm_fail(why, why_size, -EBADMSG, "the sealed root key is not 32 bytes", 0);
                goto out;
        }
        r = seal_root_key_new(rootp, data->buffer);
        if (r != 0) {
                snprintf(why, why_size, "TPM: root key: %s", seal_strerror(r));
                r = r > 0 ? -EINVAL : r;
        }
out:
        if (data) {
                explicit_bzero(data, sizeof(*data));
                Esys_Free(data);
        }
        if (object != ESYS_TR_NONE)
                (void)Esys_FlushContext(esys, object);
        if (esys)
                Esys_Finalize(&esys);
        Tss2_TctiLdr_Finalize(&tcti_ctx);
        explicit_bzero(&priv, sizeof(priv));
        return r;
}
