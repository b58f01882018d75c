/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hardware watchdog, through Linux's watchdog device (/dev/watchdog): armed by
 * kos-init for the system it starts, kept alive by kosd (docs/boot.md, "The watchdog").
 *
 * Invariants: 1. Nothing here stops a running watchdog except boot_watchdog_stop(); every
 * other way of letting go (boot_watchdog_release(), a close, an exit, an exec) leaves it
 * running, so whoever comes next must keep it alive or the machine resets. 2. A keepalive
 * is one write of a byte other than 'V' (the watchdog API's magic close character), so the
 * device file may be anything that accepts writes: a test hands kosd a pipe.
 */
#pragma once

#include <stdbool.h>

#define BOOT_WATCHDOG_DEVICE "/dev/watchdog"

/*
 * Opens the watchdog at path (O_CLOEXEC) and starts or keeps it running; sets its timeout
 * to timeout_s seconds if the device takes one (a device without the ioctl keeps its own;
 * *timeout_setp says which, if not NULL), then sends a keepalive. Returns the fd, or a
 * negative errno (-ENOENT: no watchdog).
 */
int boot_watchdog_open(const char *path, unsigned timeout_s, bool *timeout_setp);

/* Sets the timeout of an open watchdog. 0 or a negative errno (-ENOTTY: not a watchdog). */
int boot_watchdog_set_timeout(int fd, unsigned timeout_s);

/* One keepalive. 0 or a negative errno. */
int boot_watchdog_keepalive(int fd);

/* Sends a keepalive and closes fd, leaving the watchdog running (invariant 1). */
void boot_watchdog_release(int fd);

/* Stops the watchdog (the magic close) and closes fd. 0 or a negative errno. */
int boot_watchdog_stop(int fd);
