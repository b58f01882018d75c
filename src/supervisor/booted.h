/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kosd on a booted device (kosd --booted): what the boot chain handed over, and what
 * kosd owes its own init.
 */
#pragma once

#include "crypto/sha256.h"

/* Where kos-init mounted the ImageFS's store, and the keys of the root file system. */
#define KOSD_BOOTED_STORE "/run/kos/imagefs/store"
#define KOSD_BOOTED_TRUST "/etc/kos/trust"

typedef struct KosdBooted {
        unsigned generation;                 /* kos.generation= */
        char manifest[SHA256_HEX_LEN + 1];   /* kos.manifest= */
} KosdBooted;

/* Reads kos.generation and kos.manifest from /proc/cmdline; logs what is wrong. */
int kosd_booted_read(KosdBooted *b);

/* As PID 1: what an init provides and kos-init did not (cgroup2 at /sys/fs/cgroup). */
int kosd_booted_setup(void);

/*
 * The service manager's watchdog (systemd's WatchdogSec: WATCHDOG_USEC, for this process
 * if WATCHDOG_PID says so): a socket connected to NOTIFY_SOCKET to send WATCHDOG=1 on,
 * every half of the period (*intervalp), or -1 if there is none. Call it before
 * kosd_notify_ready(); it removes both variables, so apps never see them.
 */
int kosd_service_watchdog(unsigned *intervalp);

/* Tells the service manager that started kosd (NOTIFY_SOCKET) that it is ready, once. */
void kosd_notify_ready(void);
