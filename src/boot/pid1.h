/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a PID 1 in an initramfs needs first and last: the kernel's file systems, the
 * console, and an end that is never an exit.
 *
 * Invariants: 1. Every line reaches the console whole and at once: log lines are single
 * write(2)s to stderr, which is /dev/console. 2. PID 1 never exits (the kernel would
 * panic): a fatal error prints one line, syncs, and powers off or reboots; if even that
 * fails, it waits forever.
 */
#pragma once

#include <stdbool.h>

typedef enum BootPid1End {
        BOOT_PID1_POWER_OFF, /* nothing can ever boot: do not loop */
        BOOT_PID1_REBOOT,    /* try again: a pending generation's tries run out */
} BootPid1End;

#define BOOT_PID1_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * Replaces the environment the kernel gave (its command line's unknown words) with PATH
 * (BOOT_PID1_PATH) and TERM=linux alone, names the program for log lines, mounts /proc,
 * /sys, /dev (devtmpfs) and, if run, /run
 * (tmpfs), each only if not mounted yet, and points stdin, stdout and stderr at
 * /dev/console. Returns 0 or a negative errno (the console may not work then).
 */
int boot_pid1_setup(const char *program, bool run);

/* Mounts a file system of type at target, making target first. Returns 0 or -errno. */
int boot_pid1_mount(const char *source, const char *target, const char *type, unsigned long flags,
                    const char *data);

/* Logs "<program>: <fmt...>" at error level, syncs, and ends the system as end says. */
_Noreturn void boot_pid1_fatal(BootPid1End end, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* mkdir -p with mode 0755. Returns 0 or a negative errno. */
int boot_pid1_mkdir_p(const char *path);
