// SPDX-License-Identifier: Apache-2.0
/*
 * Loading the System Kernel with kexec_file_load() (see kexec.h for the invariant).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot/kexec.h"
#include "crypto/sha256.h"
#include "store/object.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/memfd.h"

/* Copies in to out, hashing every byte that passes. */
static int kexec_copy_hashing(int in, int out, Sha256Digest *digestp) {
        _cleanup_(sha256_freep) Sha256 *ctx = sha256_new();
        char buf[64 * 1024];
        ssize_t n;
        int r;

        if (!ctx)
                return -ENOMEM;
        while ((n = read(in, buf, sizeof(buf))) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                r = sha256_update(ctx, buf, (size_t)n);
                if (r < 0)
                        return r;
                r = write_full(out, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
        return sha256_final(ctx, digestp);
}

/*
 * The kernel refuses to read a file anybody holds open for writing (deny_write_access),
 * sealed or not: what it loads is a read-only descriptor of the sealed file.
 */
static int kexec_reopen_read_only(int fd, int *fdp) {
        char path[64];
        int ro;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ro = open(path, O_RDONLY | O_CLOEXEC);
        if (ro < 0)
                return -errno;
        *fdp = ro;
        return 0;
}

int boot_kexec_object_open(const Store *store, const char *hex, int *fdp) {
        _cleanup_close_ int in = -1, out = -1;
        Sha256Digest want, got;
        int r;

        r = store_object_open(store, hex, &want, &in);
        if (r != 0)
                return r;
        r = memfd_new_sealable(hex, false, &out);
        if (r < 0)
                return r;
        r = kexec_copy_hashing(in, out, &got);
        if (r < 0)
                return r;
        if (!sha256_equal(&want, &got))
                return STORE_E_CORRUPT;
        r = memfd_seal(out);
        if (r < 0)
                return r;
        return kexec_reopen_read_only(out, fdp);
}

int boot_kexec_load(int kernel_fd, int initrd_fd, const char *cmdline) {
        unsigned long flags = initrd_fd < 0 ? KEXEC_FILE_NO_INITRAMFS : 0;

        if (syscall(SYS_kexec_file_load, kernel_fd, initrd_fd, strlen(cmdline) + 1, cmdline, flags) < 0)
                return -errno;
        return 0;
}

int boot_kexec_exec(void) {
        sync();
        if (reboot(LINUX_REBOOT_CMD_KEXEC) < 0)
                return -errno;
        return -EIO;
}
