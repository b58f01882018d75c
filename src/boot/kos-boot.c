// SPDX-License-Identifier: Apache-2.0
/*
 * kos-boot: PID 1 of the Boot Kernel's initramfs. Finds the ImageFS, runs the boot
 * decision over its store with the keys of the boot image, and kexecs the System Kernel
 * the chosen manifest names (docs/boot.md, the boot chain).
 *
 * Invariants: 1. Trust comes only from the initramfs's /etc/kos/trust. 2. The kernel and
 * initrd kexec loads are the bytes hashed against the signed manifest's digests (kexec.h).
 * 3. The program never exits: with nothing that can boot it powers off; any other fatal
 * error reboots, so a pending generation's tries run out and the decision falls back.
 * 4. Every console line is one line with the prefix "kos-boot: " (pid1.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <openssl/crypto.h>

#include "boot/boot.h"
#include "boot/cmdline.h"
#include "boot/kexec.h"
#include "boot/pid1.h"
#include "boot/report.h"
#include "boot/stage.h"
#include "boot/verify.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

#define KOS_BOOT_IMAGEFS "/imagefs"
#define KOS_BOOT_STORE KOS_BOOT_IMAGEFS "/store"
#define KOS_BOOT_TRUST "/etc/kos/trust"

typedef struct KosBootTimes {
        uint64_t start, modules, mount, decision, hashing, kexec;
} KosBootTimes;

/* Finds and mounts the ImageFS; returns the time taken. */
static uint64_t kos_boot_imagefs(const BootCmdline *cmdline, const char *spec_text, uint64_t deadline_ms) {
        uint64_t start = now_ms();
        BootBlockdevSpec spec;
        char dev[64], how[64];
        int r;

        if (boot_blockdev_spec_parse(spec_text, &spec) < 0)
                boot_pid1_fatal(BOOT_PID1_POWER_OFF, "kos.imagefs=%s: expected LABEL=<label> or /dev/<name>",
                                spec_text);
        r = boot_stage_mount_ext4(&spec, deadline_ms, KOS_BOOT_IMAGEFS, MS_NOSUID | MS_NODEV | MS_NOEXEC, dev, how);
        if (r == -ETIMEDOUT)
                boot_pid1_fatal(BOOT_PID1_POWER_OFF, "imagefs: %s: not found within %u s", spec_text,
                                boot_stage_timeout(cmdline));
        if (r < 0)
                boot_pid1_fatal(BOOT_PID1_POWER_OFF, "imagefs: %s: cannot mount: %s", dev, strerror(-r));
        log_info("imagefs: %s (%s)", dev, how);
        return now_ms() - start;
}

static TrustStore *kos_boot_trust(void) {
        _cleanup_free_ char *bad_file = NULL;
        TrustStore *trust = NULL;
        int r;

        r = trust_store_load(&trust, KOS_BOOT_TRUST, &bad_file);
        if (r < 0)
                boot_pid1_fatal(BOOT_PID1_POWER_OFF, "trust: %s: %s", bad_file ? bad_file : KOS_BOOT_TRUST,
                                key_strerror(r));
        if (trust_store_size(trust) == 0)
                boot_pid1_fatal(BOOT_PID1_POWER_OFF, "trust: %s: no trusted keys (*.pub)", KOS_BOOT_TRUST);
        return trust;
}

/* Runs the boot decision and says what it decided; powers off if nothing can boot. */
static void kos_boot_decide(Store *store, const TrustStore *trust, BootKexecFiles *files, BootDecision *d) {
        _cleanup_free_ char *why = NULL;
        char hex[SHA256_HEX_LEN + 1];
        LogLevel level = log_get_max_level();
        int r;

        /* The decision notes rejections as it goes; they are reported below, once. */
        if (level > LOG_LEVEL_WARNING)
                log_set_max_level(LOG_LEVEL_WARNING);
        r = boot_select_kexec(store, trust, files, d);
        log_set_max_level(level);
        if (r < 0)
                boot_pid1_fatal(BOOT_PID1_POWER_OFF, "boot decision: %s: %s", KOS_BOOT_STORE, strerror(-r));
        for (size_t i = 0; i < d->n_rejected; i++)
                boot_report_rejection(&d->rejected[i]);
        if (!d->found) {
                why = boot_report_rejections_text(d);
                boot_pid1_fatal(BOOT_PID1_POWER_OFF, "no generation can boot (%zu rejected%s%s)", d->n_rejected,
                                why ? ": " : "", why ? why : "");
        }
        boot_report_unrecorded(d, KOS_BOOT_STORE);
        if (d->last_resort)
                log_warning("warning: generation %u boots all the same: no other generation can boot", d->chosen.number);
        sha256_to_hex(&d->chosen.manifest, hex);
        log_info("chose generation %u (manifest %s)", d->chosen.number, hex);
}

/* The chosen generation's manifest, read and checked again (signature included). */
static Manifest *kos_boot_manifest(const Store *store, const TrustStore *trust, const StoreGeneration *gen) {
        Manifest *m = NULL;
        BootCandidate c;
        int r;

        /* The floor was checked by the decision a moment ago: the signature is what counts here. */
        r = boot_verify_manifest(store, trust, 0, gen, &c, &m, NULL, NULL);
        if (r < 0)
                boot_pid1_fatal(BOOT_PID1_REBOOT, "generation %u: %s", gen->number, strerror(-r));
        if (r > 0)
                boot_pid1_fatal(BOOT_PID1_REBOOT, "generation %u: %s%s%s", gen->number,
                                boot_rejection_to_string(c.reason), c.detail[0] ? ": " : "", c.detail);
        if (!m->boot)
                boot_pid1_fatal(BOOT_PID1_REBOOT, "generation %u: the manifest has no boot node", gen->number);
        return m;
}

/* True if the command line text names key (a malformed one counts as not naming it). */
static bool kos_boot_cmdline_has(const char *text, const char *key) {
        _cleanup_(boot_cmdline_freep) BootCmdline *c = NULL;

        return boot_cmdline_parse(&c, text, strlen(text)) >= 0 && boot_cmdline_value(c, key) != NULL;
}

/* "<manifest cmdline>[ panic=-1] kos.manifest=<hex> kos.generation=<N> kos.imagefs=<spec>
 * [ kos.datafs=<spec>][ kos.timeout=<s>]": a system kernel that panics reboots at once
 * (unless the manifest says otherwise), so its boot counts and the decision runs again. */
static char *kos_boot_system_cmdline(const Manifest *m, const StoreGeneration *gen, const char *imagefs,
                                     const char *datafs, const char *timeout) {
        char hex[SHA256_HEX_LEN + 1], number[16];
        char *text = strdup(m->boot->cmdline);
        int r;

        if (!text)
                boot_pid1_fatal(BOOT_PID1_REBOOT, "kexec: %s", strerror(ENOMEM));
        sha256_to_hex(&gen->manifest, hex);
        snprintf(number, sizeof(number), "%u", gen->number);
        r = kos_boot_cmdline_has(text, "panic") ? 0 : boot_cmdline_append(&text, "panic", "-1");
        if (r >= 0)
                r = boot_cmdline_append(&text, "kos.manifest", hex);
        if (r >= 0)
                r = boot_cmdline_append(&text, "kos.generation", number);
        if (r >= 0)
                r = boot_cmdline_append(&text, "kos.imagefs", imagefs);
        if (r >= 0 && datafs)
                r = boot_cmdline_append(&text, "kos.datafs", datafs);
        /* kos-init waits for its devices as long as kos-boot was told to. */
        if (r >= 0 && timeout)
                r = boot_cmdline_append(&text, "kos.timeout", timeout);
        if (r < 0)
                boot_pid1_fatal(BOOT_PID1_REBOOT, "kexec: cannot build the command line: %s", strerror(-r));
        return text;
}

/* Loads the chosen kernel and initrd (the copies the decision hashed) into the kexec
 * slot; returns the time taken. */
static uint64_t kos_boot_load(const Manifest *m, const BootKexecFiles *files, const char *cmdline) {
        uint64_t start = now_ms();
        int r;

        if (files->kernel_fd < 0 || (m->boot->initrd[0] && files->initrd_fd < 0))
                boot_pid1_fatal(BOOT_PID1_REBOOT, "kexec: the decision kept no copy of the kernel or initrd");
        log_info("kexec: %s", cmdline);
        r = boot_kexec_load(files->kernel_fd, files->initrd_fd, cmdline);
        if (r < 0)
                boot_pid1_fatal(BOOT_PID1_REBOOT, "kexec: cannot load the kernel: %s", strerror(-r));
        return now_ms() - start;
}

int main(void) {
        _cleanup_(boot_cmdline_freep) BootCmdline *cmdline = NULL;
        _cleanup_(trust_store_freep) TrustStore *trust = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *system_cmdline = NULL;
        Store *store = NULL;
        KosBootTimes t = { .start = now_ms() };
        const char *imagefs, *datafs;
        BootKexecFiles files = { -1, -1 };
        BootDecision d;
        uint64_t start;
        int r;

        r = boot_pid1_setup("kos-boot", false);
        if (r < 0)
                log_warning("cannot set up the initramfs: %s", strerror(-r));
        if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
                boot_pid1_fatal(BOOT_PID1_REBOOT, "cannot initialise libcrypto");
        r = boot_stage_cmdline(&cmdline);
        if (r < 0)
                boot_pid1_fatal(BOOT_PID1_REBOOT, "/proc/cmdline: %s", strerror(-r));
        imagefs = boot_cmdline_value(cmdline, "kos.imagefs") ?: BOOT_STAGE_IMAGEFS_DEFAULT;
        datafs = boot_cmdline_value(cmdline, "kos.datafs");

        t.modules = boot_stage_modules();
        t.mount = kos_boot_imagefs(cmdline, imagefs, t.start + boot_stage_timeout(cmdline) * 1000ULL);
        trust = kos_boot_trust();
        r = store_open(&store, KOS_BOOT_STORE, STORE_OPEN_WRITE);
        if (r < 0)
                boot_pid1_fatal(BOOT_PID1_POWER_OFF, "%s: cannot open the store: %s", KOS_BOOT_STORE, store_strerror(r));

        start = now_ms();
        kos_boot_decide(store, trust, &files, &d);
        t.decision = now_ms() - start;
        t.hashing = d.hash_ns / 1000000U;

        m = kos_boot_manifest(store, trust, &d.chosen);
        system_cmdline = kos_boot_system_cmdline(m, &d.chosen, imagefs, datafs,
                                                 boot_cmdline_value(cmdline, "kos.timeout"));
        t.kexec = kos_boot_load(m, &files, system_cmdline);
        boot_kexec_files_done(&files);
        boot_decision_done(&d);
        store_close(store);
        log_info("times: modules %llu ms, mount %llu ms, decision %llu ms (hashing %llu ms), kexec load %llu ms, "
                 "total %llu ms",
                 (unsigned long long)t.modules, (unsigned long long)t.mount, (unsigned long long)t.decision,
                 (unsigned long long)t.hashing, (unsigned long long)t.kexec,
                 (unsigned long long)(now_ms() - t.start));
        if (umount(KOS_BOOT_IMAGEFS) < 0)
                log_warning("%s: cannot unmount: %s", KOS_BOOT_IMAGEFS, strerror(errno));
        r = boot_kexec_exec();
        boot_pid1_fatal(BOOT_PID1_REBOOT, "kexec: %s", strerror(-r));
}
