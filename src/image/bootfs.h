/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a KOS device boots from, made on the build host without root and without
 * mounting anything (docs/boot.md, "Disk layout"):
 *
 *   OUT/vmlinuz            the boot kernel
 *   OUT/initramfs.img      its initramfs: kos-boot as /init, the trusted keys, the modules
 *   OUT/disk.img           GPT disk: 1 ImageFS (ext4 "KOS-IMAGEFS", the store at /store),
 *                          2 DataFS (ext4 "KOS-DATAFS", empty or the files of a directory:
 *                            a device's sealed keys at manufacturing)
 *
 * and the system initrd a manifest names (kos-init as /init, trusted keys, modules).
 */
#pragma once

#include <stdint.h>

#define IMAGE_IMAGEFS_LABEL "KOS-IMAGEFS"
#define IMAGE_DATAFS_LABEL "KOS-DATAFS"

/* An unpacked kernel package: root/boot/vmlinuz-V and root/lib/modules/V/modules.dep. */
typedef struct ImageKernel {
        char *version; /* "6.1.0-57-amd64" */
        char *vmlinuz; /* path */
        char *moddir;  /* path */
} ImageKernel;

/* Finds the one kernel in root. -ENOENT if there is none, -ENOTUNIQ if several. */
int image_kernel_find(const char *root, ImageKernel *k);
void image_kernel_done(ImageKernel *k);

/* The modules the boot initramfs (kos-boot) and the system initrd (kos-init) carry, by
 * name; what they depend on comes with them. */
extern char *const image_boot_modules[];
extern char *const image_system_modules[];

/*
 * Writes an initramfs to out: program as /init, every *.pub of trust_dir under
 * /etc/kos/trust/, and the modules named with what they depend on and a modules.dep of
 * just them. On error whatbuf says what was wrong, and why.
 */
int image_initramfs_write(const char *out, const char *program, const char *trust_dir, const ImageKernel *k,
                          char *const *modules, char *whatbuf, size_t whatsize);

typedef struct ImageBootfsOptions {
        const char *store;       /* the store to copy into the ImageFS */
        const char *trust_dir;   /* keys the boot initramfs trusts */
        const char *kernel_root; /* unpacked kernel package */
        const char *boot_program; /* kos-boot */
        const char *out_dir;
        uint64_t imagefs_size; /* bytes; 0: twice the store plus 64 MiB */
        uint64_t datafs_size;  /* bytes; 0: 64 MiB */
        const char *datafs_dir; /* what the DataFS starts with (mkfs.ext4 -d); NULL: empty */
} ImageBootfsOptions;

/* Builds OUT (above). On error whatbuf says what failed. */
int image_bootfs_build(const ImageBootfsOptions *o, char *whatbuf, size_t whatsize);
