/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IpcControl: a service's end of kosd's control connection (ipc/handover.h), read in the
 * service's event loop, for kos-msgd and kos-keystored alike.
 *
 * Invariants:
 *  1. Each well-formed handover reaches on_app once, with the app's name (NUL-terminated,
 *     at most name_max + 1 bytes: a longer one is malformed and never reaches it) and the
 *     connection, which on_app then owns. Whether the name is one of its apps is the
 *     service's to judge.
 *  2. A malformed message is logged and dropped (its descriptors closed): one bad message
 *     is not the end of kosd.
 *  3. When kosd hangs up, or the connection fails, the descriptor is closed, the event
 *     source freed, and on_end runs once; nothing is read after it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"
#include "util/event.h"

typedef struct IpcControl IpcControl;

/* One handed-over connection (invariant 1): fd belongs to the callee. */
typedef void (*IpcControlAppHandler)(void *userdata, const char *app, int fd);
/* kosd is gone (invariant 3). */
typedef void (*IpcControlEndHandler)(void *userdata);

/*
 * Takes over control_fd (made close-on-exec) and reads it in loop. name_max is the longest
 * app name the service takes (at most IPC_HANDOVER_NAME_MAX); log_prefix starts each log
 * line (e.g. "[core] ", or ""; borrowed, must outlive the IpcControl). The descriptor is
 * the IpcControl's whatever the result (closed on failure). Returns 0 and *controlp, or a
 * negative errno.
 */
int ipc_control_new(IpcControl **controlp, EventLoop *loop, int control_fd, size_t name_max, const char *log_prefix,
                    IpcControlAppHandler on_app, IpcControlEndHandler on_end, void *userdata);

/* Closes the connection (without calling on_end). Accepts NULL; returns NULL. */
IpcControl *ipc_control_free(IpcControl *control);

/* True until kosd hung up or the connection failed (invariant 3). */
bool ipc_control_is_open(const IpcControl *control);

DEFINE_CLEANUP_FUNC(IpcControl, ipc_control_free)
