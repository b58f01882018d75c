/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Booting a boot image (bootfs.h) in QEMU: the machine of one architecture, its serial
 * console on our standard output, the disk, and networking only through user-mode
 * networking that cannot reach beyond the forwards to 127.0.0.1 it is given.
 */
#pragma once

#include <stdbool.h>

typedef struct ImageArch {
        const char *name;     /* "x86_64" */
        const char *qemu;     /* "qemu-system-x86_64" */
        const char *console;  /* the kernel's name for the first serial port */
        const char *machine;  /* -machine, NULL: QEMU's default */
        const char *cpu;      /* -cpu, NULL: QEMU's default */
        const char *net_device; /* the virtio network device */
        const char *watchdog; /* the watchdog device, which resets the machine when it fires;
                               * NULL: the machine has none */
} ImageArch;

/* The architecture called name, or NULL. */
const ImageArch *image_arch_find(const char *name);

typedef struct ImageSimulateOptions {
        const ImageArch *arch;
        const char *image_dir;   /* vmlinuz, initramfs.img, disk.img */
        const char *data_disk;   /* a second disk (DataFS), or NULL */
        const char *append;      /* more kernel command line, or NULL */
        const char *accel;       /* "auto", "tcg" or "kvm" */
        unsigned memory_mib;
        unsigned timeout_s;      /* 0: none */
        char **host_forwards;    /* "HOSTPORT:GUESTPORT": 127.0.0.1:HOSTPORT reaches the guest */
        char **guest_forwards;   /* "GUESTPORT:HOSTPORT": 10.0.2.2:GUESTPORT in the guest reaches 127.0.0.1:HOSTPORT */
        bool no_reboot;          /* a reboot of the guest ends QEMU */
} ImageSimulateOptions;

/* True if KVM can run a VM here (the device opens and creates a VM); false, never a hang. */
bool image_kvm_usable(void);

/*
 * The QEMU command line for o, as a strv the caller owns. -EINVAL with whatbuf set for a
 * malformed forward.
 */
int image_simulate_argv(const ImageSimulateOptions *o, char ***argvp, char *whatbuf, size_t whatsize);

/*
 * Runs QEMU and waits for it. Returns its exit status (>= 0), 124 if the timeout killed
 * it, or a negative errno if it could not start.
 */
int image_simulate_run(char *const *argv, unsigned timeout_s);
