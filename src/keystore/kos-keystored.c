// SPDX-License-Identifier: Apache-2.0
/*
 * kos-keystored: the key store, started by kosd before the apps.
 *
 *   kos-keystored --instance keystore (--manifest-fd N | --manifest FILE.dtb)
 *                 [--control-fd N] [--dir DIR] [--root-key FILE | --tpm-root-key PREFIX [--tpm-tcti TCTI]]
 *
 * kosd's control connection is fd 3 unless --control-fd says otherwise; over it kosd hands
 * over one connection per app the manifest's key_store node grants a key (server.h).
 * Keys are sealed in DIR (default /data/kos/keystore) under the root key FILE (default
 * /etc/kos/keystore/root.key), or, in the hardware tier, under the root key a TPM 2.0
 * unseals from PREFIX.pub and PREFIX.priv (tpm.h). Exits 0 when kosd closes the control
 * connection, and on SIGTERM.
 *
 * Invariants (the hardening; docs/keystore.md argues each):
 *  1. Before it reads a secret, the process is not dumpable (PR_SET_DUMPABLE 0: no core
 *     file, no ptrace attach by anything short of CAP_SYS_PTRACE, /proc/PID/ owned by
 *     root), its core size limit is 0, and OpenSSL keeps private keys in its secure heap.
 *  2. Key memory is locked, excluded from core dumps (MADV_DONTDUMP) and from a child's
 *     copy (MADV_WIPEONFORK, on the secret mappings it makes) and wiped after use.
 *  3. No key byte is ever logged: log lines carry names, types, operations and reasons.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "ipc/handover.h"
#include "keystore/key.h"
#include "keystore/server.h"
#include "keystore/tpm.h"
#include "keystore/vault.h"
#include "manifest/load.h"
#include "manifest/manifest.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/number.h"

#define KEYSTORED_EXIT_TERMINATED 1

static int keystored_on_sigterm(EventSource *source, const struct signalfd_siginfo *info, void *userdata) {
        event_loop_exit(userdata, KEYSTORED_EXIT_TERMINATED);
        return 0;
}

static void keystored_usage(FILE *f) {
        fprintf(f, "usage: kos-keystored --instance " MANIFEST_KEY_STORE_SERVICE
                   " (--manifest-fd N | --manifest FILE.dtb) [--control-fd N]\n"
                   "                     [--dir DIR] [--root-key FILE | --tpm-root-key PREFIX [--tpm-tcti TCTI]]\n"
                   "  --dir DIR              sealed keys (default " KEYSTORE_DEFAULT_DIR ")\n"
                   "  --root-key FILE        the device root key (default " KEYSTORE_DEFAULT_ROOT_KEY ")\n"
                   "  --tpm-root-key PREFIX  the root key sealed by the TPM: PREFIX.pub, PREFIX.priv\n"
                   "  --tpm-tcti TCTI        how to reach the TPM (default " KEYSTORE_TPM_DEFAULT_TCTI ")\n");
}

/* Invariant 1, first thing: nothing secret exists yet. */
static int keystored_harden(void) {
        struct rlimit none = { 0, 0 };

        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return log_error_errno(-errno, "cannot make the process undumpable: %s", strerror(errno));
        if (setrlimit(RLIMIT_CORE, &none) < 0)
                return log_error_errno(-errno, "cannot disable core dumps: %s", strerror(errno));
        if (keystore_key_init_secure_heap() < 0)
                return log_error_errno(-ENOMEM, "cannot set up OpenSSL's secure heap");
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "instance", required_argument, NULL, 'i' },
                { "manifest", required_argument, NULL, 'm' },
                { "manifest-fd", required_argument, NULL, 'f' },
                { "control-fd", required_argument, NULL, 'c' },
                { "dir", required_argument, NULL, 'd' },
                { "root-key", required_argument, NULL, 'k' },
                { "tpm-root-key", required_argument, NULL, 't' },
                { "tpm-tcti", required_argument, NULL, 'T' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_(keystore_vault_freep) KeystoreVault *vault = NULL;
        _cleanup_(keystore_server_freep) KeystoreServer *s = NULL;
        const char *instance = NULL, *manifest_path = NULL;
        const char *dir = KEYSTORE_DEFAULT_DIR, *root_key = NULL, *tpm_root_key = NULL;
        const char *tpm_tcti = KEYSTORE_TPM_DEFAULT_TCTI;
        int control_fd = 3, manifest_fd = -1, c, r;
        char fd_name[32];
        KeystoreVaultError verr = { { 0 } };

        log_set_program("kos-keystored");
        if (getenv("JOURNAL_STREAM"))
                log_set_priority_prefix(true);
        if (keystored_harden() < 0)
                return 1;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'i': instance = optarg; break;
                case 'm': manifest_path = optarg; break;
                case 'd': dir = optarg; break;
                case 'k': root_key = optarg; break;
                case 't': tpm_root_key = optarg; break;
                case 'T': tpm_tcti = optarg; break;
                case 'c':
                        if (number_parse_fd_option("control-fd", optarg, &control_fd) < 0)
                                return 2;
                        break;
                case 'f':
                        if (number_parse_fd_option("manifest-fd", optarg, &manifest_fd) < 0)
                                return 2;
                        break;
                case 'h': keystored_usage(stdout); return 0;
                default: keystored_usage(stderr); return 2;
                }
        }
        if (!instance || !manifest_path == (manifest_fd < 0) || optind != argc || (root_key && tpm_root_key)) {
                keystored_usage(stderr);
                return 2;
        }
        if (strcmp(instance, MANIFEST_KEY_STORE_SERVICE) != 0) {
                log_error("--instance: the key store has one instance, \"" MANIFEST_KEY_STORE_SERVICE "\", not \"%s\"",
                          instance);
                return 2;
        }

        /* From kosd: the sealed bytes it validated, never a file to read again. */
        if (manifest_load_handed(manifest_path, manifest_fd, &m) < 0)
                return 1;
        if (manifest_fd >= 0) {
                snprintf(fd_name, sizeof(fd_name), "manifest fd %d", manifest_fd);
                manifest_path = fd_name;
        }

        if (tpm_root_key) {
                _cleanup_free_ char *pub = NULL, *priv = NULL;
                SealRootKey *root = NULL;
                char why[256];

                if (asprintf(&pub, "%s.pub", tpm_root_key) < 0 || asprintf(&priv, "%s.priv", tpm_root_key) < 0)
                        return log_error_errno(-ENOMEM, "out of memory"), 1;
                r = keystore_tpm_unseal_root(tpm_tcti, pub, priv, &root, why, sizeof(why));
                if (r < 0) {
                        log_error("root key %s: %s", tpm_root_key, why);
                        return 1;
                }
                r = keystore_vault_new(&vault, dir, root, &verr);
        } else
                r = keystore_vault_open(&vault, dir, root_key ? root_key : KEYSTORE_DEFAULT_ROOT_KEY, &verr);
        if (r != 0) {
                log_error("%s", verr.message);
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        r = keystore_server_new(&s, m, vault);
        if (r < 0)
                return log_error_errno(r, "cannot start: %s", strerror(-r)), 1;
        r = keystore_server_set_control(s, control_fd);
        if (r < 0)
                return log_error_errno(r, "control fd %d: %s", control_fd, strerror(-r)), 1;
        EventLoop *loop = keystore_server_get_event_loop(s);
        r = event_loop_add_signal(loop, NULL, SIGTERM, keystored_on_sigterm, loop);
        if (r < 0)
                return log_error_errno(r, "cannot watch SIGTERM: %s", strerror(-r)), 1;
        log_info("serving %zu key%s from %s (root key %s)", m->n_keys, m->n_keys == 1 ? "" : "s", dir,
                 tpm_root_key ? "sealed by the TPM" : "from its file");
        r = keystore_server_run(s);
        if (r < 0)
                return log_error_errno(r, "%s", strerror(-r)), 1;
        log_info(r == KEYSTORED_EXIT_TERMINATED ? "terminated: exiting" : "control connection closed: exiting");
        return 0;
}
